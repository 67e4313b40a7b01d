use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    #[event(personal)]
    pub email: String,
    #[event(pii, pii)]
    pub phone: String,
    #[event(secret = "yes")]
    pub password_hash: String,
}

fn main() {}
