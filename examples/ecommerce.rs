//! Putting a product on sale, from the use case to other bounded contexts.
//!
//! The catalog context's `PutProductOnSale` use case saves the product and
//! publishes one domain event, `ProductPutOnSale`. Two handlers react to it on
//! the domain bus, each on its own:
//!
//! - recommendations are recalculated (inside the catalog);
//! - a translator enriches the event with the product's title, from a query
//!   on the catalog's read model, maps it to the public
//!   `ProductUpdatedIntegrationEvent` and puts it in the outbox.
//!
//! Once the use case has committed, the outbox is flushed to the transport and
//! the storefront context receives the integration event. The use case knows
//! nothing of either handler, nor of the integration event.
//!
//! The output shows both envelopes as CloudEvents JSON (the integration
//! envelope's `causationid` is the domain envelope's `id`), then the registry
//! of every declared event and the JSON Schema of the integration event.
//!
//! Run it with `cargo run --example ecommerce`.
//!
//! The two integration events are published contracts: their snapshots are
//! committed in `examples/contracts/`, the macros check the structs against
//! them at compile time, and the test at the end of this file (run by
//! `cargo test --workspace`) fails if a snapshot is edited.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use event_core::integration::Consumer;
use event_core::prelude::*;
use event_core::transport::InMemoryTransport;
use event_core::{BoxError, DomainBus, Staged, registry};

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

/// The observable state of a product, for other bounded contexts.
#[integration_event(version = 2, maps_from = [ProductPutOnSale, StockRecalculated], contracts = "contracts")]
#[serde(rename_all = "camelCase")]
pub struct ProductUpdatedIntegrationEvent {
    /// Copied from the field of the same name.
    pub product_id: String,
    /// The price customers pay now.
    #[event(from(ProductPutOnSale) = sale_price_cents, with(StockRecalculated) = unchanged_price)]
    pub price_cents: Option<u64>,
    /// Units that can be ordered, when the event knows them.
    #[event(from(StockRecalculated) = units_in_stock, default)]
    pub units_in_stock: Option<u32>,
    /// Supplied by the enrichment step: a query on the catalog.
    #[event(context)]
    pub title: String,
}

fn unchanged_price(_: &StockRecalculated) -> Option<u64> {
    None
}

/// An order was confirmed; shipping and invoicing react to it.
#[integration_event(version = 1, contracts = "contracts")]
pub struct OrderConfirmedIntegrationEvent {
    pub order_id: String,
    pub customer_id: String,
    pub total_cents: u64,
}

/// Tells the merchant that their sale has started.
#[notification_event(maps_from = ProductPutOnSale)]
pub struct SaleStartedNotification {
    pub product_id: String,
    #[event(pii, from = merchant_email)]
    pub to: String,
}

/// A product as the catalog stores it.
#[derive(Debug, Clone)]
struct Product {
    id: String,
    title: String,
    price_cents: u64,
    merchant_email: String,
}

/// The catalog's store, standing in for its database.
#[derive(Default)]
struct Products(Mutex<HashMap<String, Product>>);

impl Products {
    fn get(&self, id: &str) -> Option<Product> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    fn save(&self, product: Product) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(product.id.clone(), product);
    }
}

/// The use case: puts a product on sale and publishes the fact.
fn put_product_on_sale(
    products: &Products,
    bus: &DomainBus,
    work: &mut Staged,
    product_id: &str,
    sale_price_cents: u64,
) -> Result<Envelope<ProductPutOnSale>, BoxError> {
    let mut product = products
        .get(product_id)
        .ok_or_else(|| format!("no product `{product_id}`"))?;
    product.price_cents = sale_price_cents;
    products.save(product.clone());
    let event = Envelope::new(
        "/shop/catalog",
        ProductPutOnSale {
            product_id: product.id,
            sale_price_cents,
            merchant_email: product.merchant_email,
        },
    );
    // The handlers run in the use case's unit of work: an error here would
    // roll the sale back, and what the translator staged with it.
    bus.publish(work, &event)?;
    Ok(event)
}

/// The envelope's CloudEvents JSON as it goes on the wire, the values of its
/// `pii` and `secret` fields redacted.
fn print_json<E: Event>(heading: &str, envelope: &Envelope<E>) {
    match envelope.to_redacted_json() {
        Ok(json) => println!("{heading}:\n{json}\n"),
        Err(error) => println!("{heading}: not encodable: {error}\n"),
    }
}

fn main() -> Result<(), BoxError> {
    tokio::runtime::Builder::new_current_thread()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let products = Arc::new(Products::default());
    products.save(Product {
        id: "p-7".into(),
        title: "Stovetop kettle".into(),
        price_cents: 3_900,
        merchant_email: "kettles@example.com".into(),
    });

    let transport = InMemoryTransport::new();
    let mut storefront =
        Consumer::<ProductUpdatedIntegrationEvent, _>::subscribe(&transport, "storefront").await?;

    let mut bus = DomainBus::new();
    // Recommendations react to the domain event on their own.
    bus.subscribe(|e: &Envelope<ProductPutOnSale>| -> Result<(), BoxError> {
        println!(
            "recommendations: recalculated for {} at {} cents\n",
            e.data().product_id,
            e.data().sale_price_cents
        );
        Ok(())
    });
    // The translator: enrichment by a query on the catalog, then the mapping.
    let catalog = Arc::clone(&products);
    bus.translate::<ProductPutOnSale, ProductUpdatedIntegrationEvent>(move |e| {
        let product = catalog
            .get(&e.data().product_id)
            .ok_or("the product is gone")?;
        Ok(ProductUpdatedIntegrationEventContext {
            title: product.title,
        })
    });

    let mut work = Staged::new();
    let domain = put_product_on_sale(&products, &bus, &mut work, "p-7", 2_900)?;
    print_json(
        "catalog publishes ProductPutOnSale on its domain bus",
        &domain,
    );

    // The use case succeeded: what it staged goes out.
    let sent = work.publish(&transport).await?;
    println!("outbox: {sent} integration event(s) published\n");

    if let Some(received) = storefront.next().await {
        let received = received?;
        print_json(
            "storefront receives ProductUpdatedIntegrationEvent",
            &received.envelope,
        );
        println!(
            "linked: causationid {} = domain id {}\n",
            received
                .envelope
                .causation_id()
                .map_or("-", |id| id.as_str()),
            domain.id()
        );
        received.ack().await?;
    }

    let note = Envelope::new("/catalog", SaleStartedNotification::from(domain.data()));
    print_json("the merchant would be told", &note);

    println!("Registry:");
    for descriptor in registry::all() {
        println!(
            "  {:<12} {:<26} {:<34} {}",
            descriptor.kind.as_str(),
            descriptor.full_type,
            descriptor.rust_name,
            descriptor.schema_id
        );
    }
    registry::check_unique()?;

    println!(
        "\nJSON Schema of {}:",
        ProductUpdatedIntegrationEvent::FULL_TYPE
    );
    println!("{:#}", ProductUpdatedIntegrationEvent::schema());
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Frozen contracts still match, and each version is compatible with
    /// the one before. `EVENT_CONTRACTS=freeze cargo test --example ecommerce`
    /// freezes new versions.
    #[test]
    fn published_contracts_hold() {
        event_core::check_contracts!();
    }
}
