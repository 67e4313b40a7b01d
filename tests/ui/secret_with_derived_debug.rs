use event_core::prelude::*;

#[domain_event]
#[derive(Debug)]
pub struct CustomerRegistered {
    #[event(secret)]
    pub password_hash: String,
}

fn main() {}
