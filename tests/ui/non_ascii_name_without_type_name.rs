use event_core::prelude::*;

#[domain_event]
pub struct CaféOpened {
    pub cafe_id: String,
}

fn main() {}
