use event_core::prelude::*;

#[domain_event]
pub enum OrderPlaced {
    Online { order_id: String },
    InStore { order_id: String },
}

fn main() {}
