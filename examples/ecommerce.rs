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
//! the storefront context, a hosted consumer, receives the integration event
//! and updates its shelf. The use case knows nothing of either handler, nor
//! of the integration event.
//!
//! The output shows both envelopes as CloudEvents JSON (the integration
//! envelope's `causationid` is the domain envelope's `id`), then the registry
//! of every declared event and the JSON Schema of the integration event.
//!
//! Run it with `cargo run --example ecommerce`; its tests, written with the
//! test kit, with `cargo test --example ecommerce`.
//!
//! The two integration events are published contracts: their snapshots are
//! committed in `examples/contracts/`, the macros check the structs against
//! them at compile time, and a test at the end of this file (run by
//! `cargo test --workspace`) fails if a snapshot is edited.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use event_core::host::{Host, MemoryInbox};
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

/// The catalog's bus: recommendations react to the domain event on their
/// own; the translator enriches it by a query on the catalog, then maps it.
fn catalog_bus(products: &Arc<Products>) -> DomainBus {
    let mut bus = DomainBus::new();
    bus.subscribe(|e: &Envelope<ProductPutOnSale>| -> Result<(), BoxError> {
        println!(
            "recommendations: recalculated for {} at {} cents\n",
            e.data().product_id,
            e.data().sale_price_cents
        );
        Ok(())
    });
    let catalog = Arc::clone(products);
    bus.translate::<ProductPutOnSale, ProductUpdatedIntegrationEvent>(move |e| {
        let product = catalog
            .get(&e.data().product_id)
            .ok_or("the product is gone")?;
        Ok(ProductUpdatedIntegrationEventContext {
            title: product.title,
        })
    });
    bus
}

/// The storefront's view: product -> (title, price shown).
type Shelf = Rc<RefCell<BTreeMap<String, (String, Option<u64>)>>>;

/// The storefront's handler: the shelf shows the new title and price.
fn storefront_handler(
    shelf: Shelf,
) -> impl AsyncFn((), &Envelope<ProductUpdatedIntegrationEvent>) -> Result<(), BoxError> + 'static {
    async move |(), envelope| {
        print_json(
            "storefront receives ProductUpdatedIntegrationEvent",
            envelope,
        );
        println!(
            "storefront: caused by {}\n",
            envelope.causation_id().map_or("-", |id| id.as_str()),
        );
        let product = envelope.data();
        let mut shelf = shelf.borrow_mut();
        let entry = shelf
            .entry(product.product_id.clone())
            .or_insert_with(|| (String::new(), None));
        entry.0.clone_from(&product.title);
        if product.price_cents.is_some() {
            entry.1 = product.price_cents;
        }
        Ok(())
    }
}

fn main() -> Result<(), BoxError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
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
    // The storefront: a hosted consumer, its group declared before anything
    // is published.
    let shelf = Shelf::default();
    let storefront = Host::new(transport.clone())
        .consumer("storefront", MemoryInbox::new())
        .handle::<ProductUpdatedIntegrationEvent>(storefront_handler(Rc::clone(&shelf)));
    let metrics = storefront.metrics();
    storefront.declare().await?;

    let bus = catalog_bus(&products);

    let mut work = Staged::new();
    let domain = put_product_on_sale(&products, &bus, &mut work, "p-7", 2_900)?;
    print_json(
        "catalog publishes ProductPutOnSale on its domain bus",
        &domain,
    );

    // The use case succeeded: what it staged goes out.
    let sent = work.publish(&transport).await?;
    println!("outbox: {sent} integration event(s) published\n");

    // The storefront runs until it has handled the update; a service
    // passes `tokio::signal::ctrl_c()`.
    let handled = async {
        while metrics.snapshot().handled < 1 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    storefront.run(handled).await?;
    println!(
        "linked: the domain event's id {} is the update's causationid\n",
        domain.id()
    );
    println!("storefront shelf: {:?}\n", shelf.borrow());

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
    registry::check_upcasts()?;

    println!(
        "\nJSON Schema of {}:",
        ProductUpdatedIntegrationEvent::FULL_TYPE
    );
    println!("{:#}", ProductUpdatedIntegrationEvent::schema());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use event_core::testing::{self, Outcome};
    use serde_json::json;

    fn kettle() -> Arc<Products> {
        let products = Arc::new(Products::default());
        products.save(Product {
            id: "p-7".into(),
            title: "Stovetop kettle".into(),
            price_cents: 3_900,
            merchant_email: "kettles@example.com".into(),
        });
        products
    }

    /// Given a kettle in the catalog, when it is put on sale, then the
    /// update goes out enriched with its title, without the merchant's
    /// email.
    #[test]
    fn a_sale_publishes_the_enriched_update() {
        let _ids = testing::deterministic();
        let products = kettle();
        let mut domain = None;
        let staged = testing::staged(&catalog_bus(&products), |bus, work| {
            domain = Some(put_product_on_sale(&products, bus, work, "p-7", 2_900)?);
            Ok::<_, BoxError>(())
        })
        .unwrap();
        let domain = domain.unwrap();
        testing::assert_events(
            &staged,
            &[json!({
                "type": ProductUpdatedIntegrationEvent::FULL_TYPE,
                "source": "/shop/catalog",
                "causationid": domain.id().as_str(),
                "data": {
                    "productId": "p-7",
                    "priceCents": 2_900,
                    "unitsInStock": null,
                    "title": "Stovetop kettle",
                },
            })],
        );
    }

    /// A sale of an unknown product fails, and publishes nothing.
    #[test]
    fn no_sale_of_an_unknown_product() {
        let products = kettle();
        let sale = testing::staged(&catalog_bus(&products), |bus, work| {
            put_product_on_sale(&products, bus, work, "p-404", 100)
        });
        assert!(sale.is_err());
    }

    /// The storefront shows each update once, and dead-letters what it
    /// cannot read.
    #[test]
    fn the_storefront_shelf_follows_the_updates() {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(async {
                let shelf = Shelf::default();
                let update = |price, units| {
                    Envelope::new(
                        "/shop/catalog",
                        ProductUpdatedIntegrationEvent {
                            product_id: "p-7".into(),
                            price_cents: price,
                            units_in_stock: units,
                            title: "Stovetop kettle".into(),
                        },
                    )
                };
                let sale = update(Some(2_900), None);
                let report = testing::consumer("storefront", MemoryInbox::new())
                    .handle::<ProductUpdatedIntegrationEvent>(storefront_handler(Rc::clone(&shelf)))
                    .deliver(&sale)
                    .redeliver(&sale, 2)
                    .deliver(&update(None, Some(4)))
                    .undecodable(ProductUpdatedIntegrationEvent::FULL_TYPE, "{\"data\": 7}")
                    .run()
                    .await
                    .unwrap();
                report.assert_outcomes(&[
                    Outcome::Processed,
                    Outcome::Duplicate,
                    Outcome::Processed,
                    Outcome::DeadLettered,
                ]);
                // A stock update keeps the sale price shown.
                assert_eq!(
                    shelf.borrow().get("p-7"),
                    Some(&("Stovetop kettle".to_owned(), Some(2_900)))
                );
            });
    }

    /// Frozen contracts still match, and each version is compatible with
    /// the one before. `EVENT_CONTRACTS=freeze cargo test --example ecommerce`
    /// freezes new versions.
    #[test]
    fn published_contracts_hold() {
        event_core::check_contracts!();
    }
}
