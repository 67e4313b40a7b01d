use event_core::prelude::*;

#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

#[integration_event(version = 1, source = OrderPlaced, type = "shop.order.placed")]
pub struct OrderPlacedIntegrationEvent {
    #[event(from = order_id)]
    pub id: String,
}

fn main() {}
