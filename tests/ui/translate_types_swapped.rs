// The integration event named first in `translate::<..>`.
use event_core::DomainBus;
use event_core::prelude::*;

/// A product was put on sale.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
}

/// The product's public form.
#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

fn main() {
    let mut bus = DomainBus::new();
    bus.translate::<ProductUpdatedIntegrationEvent, ProductPutOnSale>(|_| Ok(()));
}
