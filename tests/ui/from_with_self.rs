use event_core::prelude::*;

#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
    pub total_cents: u64,
}

#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
    #[event(from = self.total_cents)]
    pub total: u64,
}

fn main() {}
