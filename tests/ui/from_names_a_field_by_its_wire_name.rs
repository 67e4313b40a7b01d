use event_core::prelude::*;

#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
    #[serde(rename = "price")]
    pub sale_price_cents: u32,
}

#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductRepricedIntegrationEvent {
    pub product_id: String,
    pub price: u32,
}

#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductDiscountedIntegrationEvent {
    pub product_id: String,
    #[event(from = price)]
    pub discounted_price: u32,
}

fn main() {}
