// `from(OrderPlaced)` when two sources of that name, in two modules, are
// listed: one error that asks for the path.
mod ordering {
    use event_core::prelude::*;

    /// An order was placed at the shop.
    #[domain_event]
    pub struct OrderPlaced {
        pub order_id: String,
        pub total_cents: u64,
    }
}

mod marketplace {
    use event_core::prelude::*;

    /// An order was placed on the marketplace.
    #[domain_event]
    pub struct OrderPlaced {
        pub order_id: String,
        pub amount_cents: u64,
    }
}

use event_core::prelude::*;

/// An order, whichever context took it.
#[integration_event(version = 1, maps_from = [ordering::OrderPlaced, marketplace::OrderPlaced])]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
    #[event(from(OrderPlaced) = amount_cents)]
    pub total_cents: u64,
}

fn main() {}
