use event_core::prelude::*;

#[domain_event]
pub struct OrderPlaced {
    pub order_id: u64,
}

#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEvent {
    #[event(with = |placed: &OrderPlaced| placed.order_id.to_string())]
    pub order_id: String,
}

fn main() {}
