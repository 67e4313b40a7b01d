use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    #[event(personal)]
    pub email: String,
}

fn main() {}
