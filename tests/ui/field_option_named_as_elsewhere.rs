use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    pub customer_id: String,
    #[event(confidential)]
    pub password_hash: String,
    #[event(rename = "fullName")]
    pub name: String,
}

fn main() {}
