use event_core::prelude::*;

#[domain_event]
pub struct OrderPlaced {
    pub order_id: u64,
}

fn order_number(placed: &OrderPlaced) -> String {
    placed.order_id.to_string()
}

#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEvent {
    #[event(with = order_number(order_id))]
    pub order_id: String,
}

fn main() {}
