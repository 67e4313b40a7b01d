use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegisteredMessage {
    pub customer_id: String,
}

fn main() {}
