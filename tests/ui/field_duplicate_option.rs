use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    #[event(pii)]
    #[event(pii)]
    pub email: String,
}

fn main() {}
