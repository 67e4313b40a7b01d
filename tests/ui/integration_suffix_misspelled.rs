use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct OrderPlacedIntergrationEvent {
    pub order_id: String,
}

fn main() {}
