use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    #[event(pii, secret)]
    pub password_hash: String,
}

fn main() {}
