use event_core::prelude::*;

#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
}

#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    #[event(from = )]
    pub product_id: String,
}

fn main() {
    let source = ProductPutOnSale {
        product_id: "p-1".into(),
    };
    let _ = ProductUpdatedIntegrationEvent::from(&source);
}
