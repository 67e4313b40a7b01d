//! Mapping domain events to integration events and notifications, and
//! translators on the domain bus.

use event_core::prelude::*;
use event_core::{BoxError, DomainBus, Staged, TranslateError};

/// A product was put on sale.
#[domain_event]
#[serde(rename_all = "camelCase")]
pub struct ProductPutOnSale {
    pub product_id: String,
    pub sale_price_cents: u32,
    #[event(pii)]
    pub merchant_email: String,
    #[event(secret)]
    pub supplier_cost_cents: u32,
}

/// A product was restocked.
#[domain_event]
pub struct ProductRestocked {
    pub product_id: String,
    pub units: u32,
    pub list_price_cents: u32,
}

/// Products that are restocked or go on sale change their public state.
#[integration_event(version = 2, maps_from = [ProductPutOnSale, ProductRestocked])]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct ProductUpdatedIntegrationEvent {
    /// Same name in both sources.
    pub product_id: String,
    /// Another name per source; `u32` converts into `u64`.
    #[event(from(ProductPutOnSale) = sale_price_cents)]
    #[event(from(ProductRestocked) = list_price_cents)]
    pub price_cents: u64,
    /// From the enrichment step.
    #[event(context)]
    pub title: String,
    /// Computed by a function of each source.
    #[event(with(ProductPutOnSale) = on_sale)]
    #[event(with(ProductRestocked) = not_on_sale)]
    pub on_sale: bool,
    /// The default.
    #[event(default)]
    pub tags: Vec<String>,
    /// A given default, converted.
    #[event(default = "EUR")]
    pub currency: String,
}

fn on_sale(_: &ProductPutOnSale) -> bool {
    true
}

fn not_on_sale(_: &ProductRestocked) -> bool {
    false
}

/// The merchant is told their sale started.
#[notification_event(maps_from = ProductPutOnSale)]
pub struct SaleStartedNotification {
    pub product_id: String,
    #[event(pii, from = merchant_email)]
    pub to: String,
}

/// Stock levels for other contexts; no context, so `From<&ProductRestocked>`.
#[integration_event(version = 1, maps_from = ProductRestocked)]
pub struct StockLevelIntegrationEvent {
    pub product_id: String,
    #[event(from = units)]
    pub units_in_stock: u64,
}

/// A `with` function may return a type that converts into the field's.
#[notification_event(maps_from = ProductRestocked)]
pub struct RestockedNotification {
    pub product_id: String,
    #[event(with = restock_label)]
    pub label: String,
}

fn restock_label(_: &ProductRestocked) -> &'static str {
    "back in stock"
}

/// A notification may map from an integration event.
#[notification_event(maps_from = StockLevelIntegrationEvent)]
pub struct BackInStockNotification {
    pub product_id: String,
}

/// A keyed source for one event, a fallback for the others.
#[integration_event(version = 1, maps_from = [ProductPutOnSale, ProductRestocked])]
pub struct InventoryChangedIntegrationEvent {
    pub product_id: String,
    #[event(from(ProductRestocked) = units, default)]
    pub units: Option<u32>,
}

fn sale() -> ProductPutOnSale {
    ProductPutOnSale {
        product_id: "p-1".into(),
        sale_price_cents: 1_999,
        merchant_email: "shop@example.com".into(),
        supplier_cost_cents: 900,
    }
}

fn restocked() -> ProductRestocked {
    ProductRestocked {
        product_id: "p-1".into(),
        units: 12,
        list_price_cents: 2_499,
    }
}

fn context() -> ProductUpdatedIntegrationEventContext {
    ProductUpdatedIntegrationEventContext {
        title: "Kettle".into(),
    }
}

#[test]
fn every_field_source_from_the_first_source() {
    let public = ProductUpdatedIntegrationEvent::map_from(&sale(), context());
    assert_eq!(
        public,
        ProductUpdatedIntegrationEvent {
            product_id: "p-1".into(),
            price_cents: 1_999,
            title: "Kettle".into(),
            on_sale: true,
            tags: Vec::new(),
            currency: "EUR".into(),
        }
    );
}

#[test]
fn the_same_target_from_the_second_source() {
    let public = ProductUpdatedIntegrationEvent::map_from(&restocked(), context());
    assert_eq!(public.price_cents, 2_499);
    assert!(!public.on_sale);
    assert_eq!(public.title, "Kettle");
}

#[test]
fn serde_renames_on_either_side_do_not_change_the_mapping() {
    // The mapping goes by Rust field names; the wire names differ on both sides.
    let source = serde_json::to_value(sale()).unwrap();
    assert!(source.get("salePriceCents").is_some());
    let target =
        serde_json::to_value(ProductUpdatedIntegrationEvent::map_from(&sale(), context())).unwrap();
    assert_eq!(target["PRICE_CENTS"], 1_999);
    assert_eq!(target["PRODUCT_ID"], "p-1");
}

#[test]
fn a_with_function_result_is_converted_into_the_field() {
    let notification = RestockedNotification::from(&restocked());
    assert_eq!(notification.label, "back in stock");
    assert_eq!(notification.product_id, restocked().product_id);
}

#[test]
fn targets_without_context_convert_from_a_reference() {
    let stock = StockLevelIntegrationEvent::from(&restocked());
    assert_eq!(stock.units_in_stock, 12);
    let same: StockLevelIntegrationEvent = (&restocked()).into();
    assert_eq!(same, stock);
    let back_in_stock = BackInStockNotification::from(&stock);
    assert_eq!(back_in_stock.product_id, "p-1");
    let note = SaleStartedNotification::from(&sale());
    assert_eq!(note.to, "shop@example.com");
}

#[test]
fn personal_data_stays_declared_across_the_boundary() {
    let schema = SaleStartedNotification::schema();
    assert_eq!(schema["properties"]["to"]["x-pii"], true);
}

fn map_generically<S: Event, T: MapsFrom<S, Context = ()>>(source: &S) -> T {
    T::map_from(source, ())
}

#[test]
fn the_mapping_trait_is_usable_generically() {
    let stock: StockLevelIntegrationEvent = map_generically(&restocked());
    assert_eq!(stock.product_id, "p-1");
}

/// Looks up product titles, as a read model would.
struct Catalog;

impl Catalog {
    fn title(&self, product_id: &str) -> Result<String, BoxError> {
        match product_id {
            "p-1" => Ok("Kettle".into()),
            other => Err(format!("no product `{other}`").into()),
        }
    }
}

#[test]
fn a_translator_maps_enriches_and_appends_in_a_caused_envelope() {
    let catalog = Catalog;
    let mut bus = DomainBus::new();
    bus.translate::<ProductPutOnSale, ProductUpdatedIntegrationEvent>(move |e| {
        Ok(ProductUpdatedIntegrationEventContext {
            title: catalog.title(&e.data().product_id)?,
        })
    });
    let domain = Envelope::new("/catalog", sale());
    let mut work = Staged::new();
    bus.publish(&mut work, &domain).unwrap();

    let messages = work.into_messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].event_type(), "product.updated.v2");
    let public =
        Envelope::<ProductUpdatedIntegrationEvent>::from_json(messages[0].payload()).unwrap();
    assert_eq!(public.causation_id(), Some(domain.id()));
    assert_eq!(public.correlation_id(), domain.correlation_id());
    assert_eq!(public.data().title, "Kettle");
    assert_eq!(public.data().price_cents, 1_999);
}

#[test]
fn a_failed_enrichment_reaches_the_publisher_and_stages_nothing() {
    let mut bus = DomainBus::new();
    bus.translate::<ProductPutOnSale, ProductUpdatedIntegrationEvent>(|e| {
        Ok(ProductUpdatedIntegrationEventContext {
            title: Catalog.title(&e.data().product_id)?,
        })
    });
    let mut unknown = sale();
    unknown.product_id = "p-404".into();
    let mut work = Staged::new();
    let error = bus
        .publish(&mut work, &Envelope::new("/catalog", unknown))
        .unwrap_err();
    let typed = error.error.downcast_ref::<TranslateError>().unwrap();
    assert!(matches!(typed, TranslateError::Enrich(e) if e.to_string() == "no product `p-404`"));
    assert!(work.is_empty());
}

#[test]
fn a_translator_without_context_is_one_line_too() {
    let mut bus = DomainBus::new();
    bus.translate::<ProductRestocked, StockLevelIntegrationEvent>(|_| Ok(()));
    let mut work = Staged::new();
    bus.publish(&mut work, &Envelope::new("/catalog", restocked()))
        .unwrap();
    assert_eq!(work.len(), 1);
}

#[test]
fn a_keyed_source_with_a_fallback_for_the_other_sources() {
    let restocked = InventoryChangedIntegrationEvent::from(&restocked());
    assert_eq!(restocked.units, Some(12));
    let on_sale = InventoryChangedIntegrationEvent::from(&sale());
    assert_eq!(on_sale.units, None);
}

/// A source in another module whose price is `pub(crate)`: a mapping in
/// the same crate reads it.
mod pricing {
    use event_core::prelude::*;

    /// A price was set.
    #[domain_event]
    pub struct PriceSet {
        pub product_id: String,
        pub(crate) price_cents: u32,
    }

    impl PriceSet {
        /// A price.
        pub fn new(product_id: &str, price_cents: u32) -> Self {
            PriceSet {
                product_id: product_id.to_owned(),
                price_cents,
            }
        }
    }
}

/// Maps from the other module's `pub(crate)` field.
#[integration_event(version = 1, maps_from = pricing::PriceSet)]
pub struct ProductRepricedIntegrationEvent {
    pub product_id: String,
    #[event(from = price_cents)]
    pub new_price_cents: u64,
}

#[test]
fn a_pub_crate_field_of_another_module_maps_within_the_crate() {
    let mapped = ProductRepricedIntegrationEvent::from(&pricing::PriceSet::new("p-1", 1299));
    assert_eq!(mapped.product_id, "p-1");
    assert_eq!(mapped.new_price_cents, 1299);
}

/// A `pub` event whose `pub(crate)` field has a crate-private type, as a
/// value object of the crate often is: it compiles, maps (from the source
/// or the context, whose field keeps the field's visibility), and upcasts.
mod lending {
    use event_core::prelude::*;
    use event_core::serde::{Deserialize, Serialize};

    /// A title, known only inside the crate.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, event_core::schemars::JsonSchema)]
    #[serde(crate = "event_core::serde")]
    #[schemars(crate = "event_core::schemars")]
    pub(crate) struct Title(pub(crate) String);

    /// A book was lent.
    #[domain_event]
    pub struct BookLent {
        pub book_id: String,
        pub(crate) title: Title,
    }

    impl BookLent {
        pub fn new(book_id: &str, title: &str) -> Self {
            BookLent {
                book_id: book_id.into(),
                title: Title(title.into()),
            }
        }
    }

    /// The lending, for the crate's other services.
    #[integration_event(version = 1, maps_from = BookLent)]
    pub struct BookLentIntegrationEvent {
        pub book_id: String,
        pub(crate) title: Title,
    }

    /// The shelf a lent book came from, which the enrichment step looks up.
    #[integration_event(version = 1, maps_from = BookLent)]
    pub struct BookTakenFromShelfIntegrationEvent {
        pub book_id: String,
        #[event(context)]
        pub(crate) shelf: Title,
    }

    /// The next version, with a field its older version lacks.
    #[integration_event(version = 2, upcast_from = BookLentIntegrationEvent)]
    pub struct BookLentIntegrationEventV2 {
        pub book_id: String,
        pub(crate) title: Title,
        pub(crate) due_in_days: Option<u32>,
    }
}

#[test]
fn a_field_of_a_crate_private_type_in_a_pub_event_maps_and_upcasts() {
    let v1 = lending::BookLentIntegrationEvent::from(&lending::BookLent::new("b-1", "Dune"));
    assert_eq!(v1.book_id, "b-1");
    assert_eq!(v1.title.0, "Dune");
    let v2 = lending::BookLentIntegrationEventV2::from(v1);
    assert_eq!(v2.title.0, "Dune");
    assert_eq!(v2.due_in_days, None);

    let context = lending::BookTakenFromShelfIntegrationEventContext {
        shelf: lending::Title("A-3".into()),
    };
    let taken = lending::BookTakenFromShelfIntegrationEvent::map_from(
        &lending::BookLent::new("b-1", "Dune"),
        context,
    );
    assert_eq!(taken.shelf.0, "A-3");
}

/// Fields read where Rust's privacy lets them be: a private field in its
/// own module (and the modules inside it), a `pub(super)` field in the
/// module around.
mod shelving {
    use event_core::prelude::*;

    /// A book was shelved; its fields are private to this module.
    #[domain_event]
    pub struct BookShelved {
        book_id: String,
        shelf: String,
    }

    impl BookShelved {
        pub fn new(book_id: &str, shelf: &str) -> Self {
            BookShelved {
                book_id: book_id.into(),
                shelf: shelf.into(),
            }
        }
    }

    /// Maps from the private fields, in their module.
    #[integration_event(version = 1, maps_from = BookShelved)]
    pub struct BookShelvedIntegrationEvent {
        pub book_id: String,
        #[event(from = shelf)]
        pub location: String,
    }

    /// A label whose versions keep their fields private to this module.
    #[integration_event(version = 1)]
    pub struct ShelfLabelledIntegrationEvent {
        shelf: String,
    }

    /// The next version upcasts from the private field.
    #[integration_event(version = 2, upcast_from = ShelfLabelledIntegrationEvent)]
    pub struct ShelfLabelledIntegrationEventV2 {
        shelf: String,
        colour: Option<String>,
    }

    /// Upcasts a label of version 1.
    pub fn upcast_label(shelf: &str) -> (String, Option<String>) {
        let older = ShelfLabelledIntegrationEvent {
            shelf: shelf.into(),
        };
        let newer = ShelfLabelledIntegrationEventV2::from(older);
        (newer.shelf, newer.colour)
    }

    /// And in a module inside it.
    pub mod inside {
        use event_core::prelude::*;

        #[integration_event(version = 1, maps_from = super::BookShelved)]
        pub struct ShelfFilledIntegrationEvent {
            pub shelf: String,
        }
    }

    /// A module whose `pub(super)` fields this module maps from.
    pub mod stock {
        use event_core::prelude::*;

        /// A copy was counted.
        #[domain_event]
        pub struct CopyCounted {
            pub(super) book_id: String,
            pub(super) copies: u32,
        }

        impl CopyCounted {
            pub fn new(book_id: &str, copies: u32) -> Self {
                CopyCounted {
                    book_id: book_id.into(),
                    copies,
                }
            }
        }
    }

    #[integration_event(version = 1, maps_from = stock::CopyCounted)]
    pub struct CopiesCountedIntegrationEvent {
        pub book_id: String,
        pub copies: u64,
    }
}

#[test]
fn private_and_pub_super_fields_map_where_rust_lets_them_be_read() {
    let shelved = shelving::BookShelved::new("b-1", "A-3");
    let public = shelving::BookShelvedIntegrationEvent::from(&shelved);
    assert_eq!(
        (public.book_id.as_str(), public.location.as_str()),
        ("b-1", "A-3")
    );
    let filled = shelving::inside::ShelfFilledIntegrationEvent::from(&shelved);
    assert_eq!(filled.shelf, "A-3");
    let counted =
        shelving::CopiesCountedIntegrationEvent::from(&shelving::stock::CopyCounted::new("b-1", 4));
    assert_eq!(counted.copies, 4);
    assert_eq!(shelving::upcast_label("A-3"), ("A-3".to_owned(), None));
}

/// Defaults written as plain numbers, in the field's own type.
pub mod number_defaults {
    use event_core::prelude::*;

    /// A book was borrowed.
    #[domain_event]
    pub struct BookBorrowed {
        pub book_id: String,
    }

    /// A loan, as other contexts see it.
    #[integration_event(version = 1, maps_from = BookBorrowed)]
    pub struct LoanStartedIntegrationEvent {
        pub book_id: String,
        #[event(default = 21)]
        pub days: u64,
        #[event(default = 3)]
        pub renewals_left: Option<u8>,
        #[event(default = -1)]
        pub shelf_offset: i64,
        #[event(default = 0.5)]
        pub fee_rate: f64,
        #[event(default = 7u16)]
        pub grace_days: u16,
        #[event(default = "EUR")]
        pub currency: Option<String>,
        #[event(default = 14u8)]
        pub reminder_days: Option<u32>,
        #[event(default = None)]
        pub branch: Option<String>,
    }
}

#[test]
fn a_number_default_takes_the_fields_type() {
    use number_defaults::{BookBorrowed, LoanStartedIntegrationEvent};
    let loan = LoanStartedIntegrationEvent::from(&BookBorrowed {
        book_id: "b-1".into(),
    });
    assert_eq!(
        (
            loan.days,
            loan.renewals_left,
            loan.shelf_offset,
            loan.grace_days
        ),
        (21, Some(3), -1, 7)
    );
    assert!((loan.fee_rate - 0.5).abs() < f64::EPSILON);
    // A literal for an `Option` is the value it holds.
    assert_eq!(loan.currency.as_deref(), Some("EUR"));
    assert_eq!((loan.reminder_days, loan.branch), (Some(14), None));
}

/// Two bounded contexts, each with its own `OrderPlaced`.
pub mod two_contexts {
    /// The shop's orders.
    pub mod ordering {
        use event_core::prelude::*;

        /// An order was placed at the shop.
        #[domain_event]
        pub struct OrderPlaced {
            pub order_id: String,
            pub total_cents: u64,
        }
    }

    /// The marketplace's orders.
    pub mod marketplace {
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
        #[event(from(marketplace::OrderPlaced) = amount_cents)]
        pub total_cents: u64,
    }

    use ordering::OrderPlaced;

    /// The same, with one source imported and the other's path written
    /// from the crate's root in `from(..)`.
    #[integration_event(version = 1, maps_from = [OrderPlaced, self::marketplace::OrderPlaced])]
    pub struct OrderTakenIntegrationEvent {
        pub order_id: String,
        #[event(from(crate::two_contexts::marketplace::OrderPlaced) = amount_cents)]
        pub total_cents: u64,
        /// A rate, defaulted with an integer.
        #[event(default = 0)]
        pub discount_rate: f64,
    }
}

#[test]
fn two_sources_of_one_name_in_two_modules_are_two_sources() {
    use two_contexts::{OrderPlacedIntegrationEvent, marketplace, ordering};
    let shop = OrderPlacedIntegrationEvent::from(&ordering::OrderPlaced {
        order_id: "o-1".into(),
        total_cents: 500,
    });
    let market = OrderPlacedIntegrationEvent::from(&marketplace::OrderPlaced {
        order_id: "m-1".into(),
        amount_cents: 700,
    });
    assert_eq!((shop.order_id.as_str(), shop.total_cents), ("o-1", 500));
    assert_eq!((market.order_id.as_str(), market.total_cents), ("m-1", 700));
    let taken = two_contexts::OrderTakenIntegrationEvent::from(&marketplace::OrderPlaced {
        order_id: "m-2".into(),
        amount_cents: 900,
    });
    assert_eq!(taken.total_cents, 900);
    let taken = two_contexts::OrderTakenIntegrationEvent::from(&ordering::OrderPlaced {
        order_id: "o-2".into(),
        total_cents: 300,
    });
    assert_eq!(taken.total_cents, 300);
    assert!(taken.discount_rate.abs() < f64::EPSILON);
}

mod with_functions {
    use event_core::prelude::*;

    /// A book was lent.
    #[domain_event]
    pub struct BookLent {
        pub book_id: String,
        pub title: String,
    }

    /// A book was returned.
    #[domain_event]
    pub struct BookReturned {
        pub book_id: String,
        pub title: String,
    }

    pub trait Titled {
        fn title(&self) -> &str;
    }
    impl Titled for BookLent {
        fn title(&self) -> &str {
            &self.title
        }
    }
    impl Titled for BookReturned {
        fn title(&self) -> &str {
            &self.title
        }
    }

    /// Borrows from the source.
    fn title(lent: &BookLent) -> &str {
        &lent.title
    }

    /// Generic over the sources.
    fn any_title<S: Titled>(source: &S) -> &str {
        source.title()
    }

    /// An argument of `impl Trait`.
    fn shouted(source: &impl Titled) -> String {
        source.title().to_uppercase()
    }

    /// A trait object serves both sources.
    fn headline(source: &dyn Titled) -> String {
        source.title().to_uppercase()
    }

    /// A book moved, in capitals.
    #[integration_event(version = 1, maps_from = [BookLent, BookReturned])]
    pub struct BookMovedLoudlyIntegrationEvent {
        pub book_id: String,
        #[event(with = headline)]
        pub title: String,
    }

    /// A book was lent, for other contexts.
    #[integration_event(version = 1, maps_from = BookLent)]
    pub struct BookLentIntegrationEvent {
        pub book_id: String,
        #[event(with = title)]
        pub title: String,
        #[event(with = shouted)]
        pub banner: String,
    }

    /// A book moved, for other contexts.
    #[integration_event(version = 1, maps_from = [BookLent, BookReturned])]
    pub struct BookMovedIntegrationEvent {
        pub book_id: String,
        #[event(with = any_title)]
        pub title: String,
    }

    #[test]
    fn a_with_function_may_borrow_from_the_source_be_generic_or_take_a_trait_object() {
        let lent = BookLent {
            book_id: "b-1".into(),
            title: "Dune".into(),
        };
        let public = BookLentIntegrationEvent::from(&lent);
        assert_eq!(
            (public.title.as_str(), public.banner.as_str()),
            ("Dune", "DUNE")
        );
        let returned = BookReturned {
            book_id: "b-1".into(),
            title: "Emma".into(),
        };
        assert_eq!(BookMovedIntegrationEvent::from(&lent).title, "Dune");
        assert_eq!(BookMovedIntegrationEvent::from(&returned).title, "Emma");
        assert_eq!(
            BookMovedLoudlyIntegrationEvent::from(&returned).title,
            "EMMA"
        );
    }
}
