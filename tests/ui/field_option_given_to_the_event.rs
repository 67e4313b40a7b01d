use event_core::prelude::*;

#[domain_event(pii = [email])]
pub struct CustomerRegistered {
    pub customer_id: String,
    pub email: String,
}

fn main() {}
