use event_core::prelude::*;

#[domain_event]
pub struct SignUpCustomer {
    pub customer_id: String,
}

fn main() {}
