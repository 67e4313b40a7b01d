//! The events of a small shop, in a crate of their own so that services and
//! build scripts can depend on them.

use event_core::prelude::*;

/// A product was put on sale.
#[domain_event]
pub struct ProductPutOnSale {
    /// The product.
    pub product_id: String,
    /// The sale price.
    pub sale_price_cents: u64,
}

/// The observable state of a product, for other bounded contexts.
#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    /// The product.
    pub product_id: String,
    /// The price customers pay.
    #[event(from = sale_price_cents)]
    pub price_cents: u64,
}

/// Tells a customer their order shipped.
#[notification_event]
pub struct OrderShippedNotification {
    /// The order.
    pub order_id: String,
    /// Where the notification goes.
    #[event(pii)]
    pub customer_email: String,
}

/// Every event of this crate, so that a program (or build script) that uses
/// no type of this crate still links them into the registry.
#[must_use]
pub fn events() -> [&'static str; 3] {
    [
        ProductPutOnSale::FULL_TYPE,
        ProductUpdatedIntegrationEvent::FULL_TYPE,
        OrderShippedNotification::FULL_TYPE,
    ]
}
