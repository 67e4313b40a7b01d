//! The e-commerce events of a catalog and an ordering context: domain events
//! that stay inside their bounded context, the integration events other
//! contexts consume, and a notification for the customer. Prints each event's
//! JSON Schema and the registry of every declared event.
//!
//! Run it with `cargo run --example ecommerce`.

use event_core::prelude::*;
use event_core::registry;

/// A product was put on sale at a reduced price.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
    pub sale_price_cents: u64,
    /// Where the merchant is told about the sale.
    #[event(pii)]
    pub merchant_email: String,
}

/// A product's stock was recalculated after a delivery or a count.
#[domain_event]
pub struct StockRecalculated {
    pub product_id: String,
    pub units_in_stock: u32,
}

/// An order was confirmed and paid for.
#[domain_event]
pub struct OrderConfirmed {
    pub order_id: String,
    pub customer_id: String,
    pub total_cents: u64,
    /// The payment provider's token for this order; never leaves the
    /// ordering context.
    #[event(secret)]
    pub payment_token: String,
}

/// The observable state of a product, for other bounded contexts.
#[integration_event(version = 2)]
#[serde(rename_all = "camelCase")]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
    pub price_cents: u64,
    pub title: String,
    pub units_in_stock: u32,
}

/// An order was confirmed; shipping and invoicing react to it.
#[integration_event(version = 1)]
pub struct OrderConfirmedIntegrationEvent {
    pub order_id: String,
    pub customer_id: String,
    pub total_cents: u64,
}

/// Tells the customer that their order is confirmed.
#[notification_event]
pub struct OrderConfirmedNotification {
    pub order_id: String,
    #[event(pii)]
    pub customer_email: String,
}

fn main() {
    let confirmed = OrderConfirmed {
        order_id: "order-1".into(),
        customer_id: "customer-7".into(),
        total_cents: 4_990,
        payment_token: "tok_live_123".into(),
    };
    // The payment token is redacted, even in logs.
    println!("{confirmed:?}\n");

    for descriptor in registry::all() {
        println!(
            "{:<12} {:<26} {:<34} {}",
            descriptor.kind.as_str(),
            descriptor.full_type,
            descriptor.rust_name,
            descriptor.schema_id
        );
    }
    if let Err(duplicates) = registry::check_unique() {
        eprintln!("{duplicates}");
        std::process::exit(1);
    }

    println!(
        "\nJSON Schema of {}:",
        ProductUpdatedIntegrationEvent::FULL_TYPE
    );
    println!("{:#}", ProductUpdatedIntegrationEvent::schema());
    println!("\nJSON Schema of {}:", ProductPutOnSale::FULL_TYPE);
    println!("{:#}", ProductPutOnSale::schema());
}
