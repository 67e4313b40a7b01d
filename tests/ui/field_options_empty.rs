use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    #[event()]
    pub email: String,
}

fn main() {}
