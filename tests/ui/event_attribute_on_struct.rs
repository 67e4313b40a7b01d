use event_core::prelude::*;

#[domain_event]
#[event(pii)]
pub struct CustomerRegistered {
    pub email: String,
}

fn main() {}
