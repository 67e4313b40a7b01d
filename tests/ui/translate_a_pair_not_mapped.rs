// A translation between a domain event and an integration event that does
// not list it in `maps_from`: one error that says so.
use event_core::DomainBus;
use event_core::prelude::*;

/// A product was put on sale.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
}

/// The product's public state, mapped from nothing yet.
#[integration_event(version = 1)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {
    let mut bus = DomainBus::new();
    bus.translate::<ProductPutOnSale, ProductUpdatedIntegrationEvent>(|_sale| Ok(()));
}
