use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    #[event(pii = true)]
    pub email: String,
}

fn main() {}
