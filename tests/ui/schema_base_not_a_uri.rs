use event_core::prelude::*;

#[domain_event(schema_base = "#")]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {}
