//! What the three macros give a declared event: trait constants, derives that
//! respect the user's own, serde round trips, redacted secrets and opt-outs.

use event_core::prelude::*;

/// A product was put on sale.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
    pub sale_price_cents: u64,
    #[event(pii)]
    pub merchant_email: String,
}

/// The observable state of a product.
#[integration_event(version = 2)]
#[serde(rename_all = "camelCase")]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
    pub price_cents: u64,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Version 1 of a contract, with the version in the name.
#[integration_event(version = 1)]
pub struct StockLevelIntegrationEventV1 {
    pub product_id: String,
}

/// An order shipped; the customer is told.
#[notification_event]
pub struct OrderShippedNotification {
    pub order_id: String,
    #[event(pii)]
    pub customer_email: String,
}

/// An event with no data.
#[domain_event]
pub struct CatalogRebuilt {}

fn sale() -> ProductPutOnSale {
    ProductPutOnSale {
        product_id: "p-1".into(),
        sale_price_cents: 1_999,
        merchant_email: "shop@example.com".into(),
    }
}

#[test]
fn type_names_versions_and_kinds() {
    assert_eq!(ProductPutOnSale::TYPE_NAME, "product.put.on.sale");
    assert_eq!(ProductPutOnSale::VERSION, 1);
    assert_eq!(ProductPutOnSale::KIND, EventKind::Domain);
    assert_eq!(ProductPutOnSale::FULL_TYPE, "product.put.on.sale.v1");

    assert_eq!(ProductUpdatedIntegrationEvent::TYPE_NAME, "product.updated");
    assert_eq!(ProductUpdatedIntegrationEvent::VERSION, 2);
    assert_eq!(
        ProductUpdatedIntegrationEvent::FULL_TYPE,
        "product.updated.v2"
    );
    assert_eq!(ProductUpdatedIntegrationEvent::KIND, EventKind::Integration);
    assert_eq!(
        ProductUpdatedIntegrationEvent::SCHEMA_ID,
        "urn:event:event-core-suite:integration:product.updated.v2"
    );

    assert_eq!(StockLevelIntegrationEventV1::TYPE_NAME, "stock.level");
    assert_eq!(StockLevelIntegrationEventV1::FULL_TYPE, "stock.level.v1");

    assert_eq!(OrderShippedNotification::TYPE_NAME, "order.shipped");
    assert_eq!(OrderShippedNotification::VERSION, 1);
    assert_eq!(OrderShippedNotification::KIND, EventKind::Notification);

    assert_eq!(CatalogRebuilt::FULL_TYPE, "catalog.rebuilt.v1");
}

fn is_domain<E: DomainEvent>() -> bool {
    E::KIND == EventKind::Domain
}
fn is_integration<E: IntegrationEvent>() -> bool {
    E::KIND == EventKind::Integration
}
fn is_notification<E: NotificationEvent>() -> bool {
    E::KIND == EventKind::Notification
}

#[test]
fn kind_traits_agree_with_the_kind() {
    assert!(is_domain::<ProductPutOnSale>());
    assert!(is_domain::<CatalogRebuilt>());
    assert!(is_integration::<ProductUpdatedIntegrationEvent>());
    assert!(is_notification::<OrderShippedNotification>());
}

fn round_trip<E: Event>(event: &E) -> E {
    let json = serde_json::to_string(event).unwrap();
    serde_json::from_str(&json).unwrap()
}

#[test]
fn each_kind_round_trips_through_json() {
    let domain = sale();
    assert_eq!(round_trip(&domain), domain);

    let integration = ProductUpdatedIntegrationEvent {
        product_id: "p-1".into(),
        price_cents: 2_500,
        tags: vec!["sale".into()],
    };
    assert_eq!(round_trip(&integration), integration);

    let notification = OrderShippedNotification {
        order_id: "o-9".into(),
        customer_email: "ada@example.com".into(),
    };
    assert_eq!(round_trip(&notification), notification);

    assert_eq!(round_trip(&CatalogRebuilt {}), CatalogRebuilt {});
}

#[test]
fn serde_attributes_of_the_user_keep_working() {
    let json = serde_json::json!({ "productId": "p-1", "priceCents": 10 });
    let event: ProductUpdatedIntegrationEvent = serde_json::from_value(json).unwrap();
    assert_eq!(event.product_id, "p-1");
    assert!(event.tags.is_empty(), "`#[serde(default)]` fills `tags`");
    let back = serde_json::to_value(&event).unwrap();
    assert_eq!(
        back,
        serde_json::json!({ "productId": "p-1", "priceCents": 10, "tags": [] })
    );
}

#[test]
fn clone_and_debug_are_derived() {
    let event = sale();
    assert_eq!(event.clone(), event);
    assert_eq!(
        format!("{event:?}"),
        r#"ProductPutOnSale { product_id: "p-1", sale_price_cents: 1999, merchant_email: "shop@example.com" }"#
    );
}

/// A customer's password was changed.
#[domain_event]
pub struct PasswordReset {
    pub customer_id: String,
    #[event(secret)]
    pub new_password_hash: String,
    pub r#type: u8,
}

#[test]
fn secret_fields_are_redacted_in_debug_only() {
    let event = PasswordReset {
        customer_id: "c-1".into(),
        new_password_hash: "argon2id$abc".into(),
        r#type: 1,
    };
    let debug = format!("{event:?}");
    assert_eq!(
        debug,
        r#"PasswordReset { customer_id: "c-1", new_password_hash: "<redacted>", type: 1 }"#
    );
    assert!(!format!("{event:#?}").contains("argon2id"));
    // The value itself still travels inside the domain.
    assert_eq!(round_trip(&event).new_password_hash, "argon2id$abc");
}

/// Derives the user wrote are kept and not derived a second time.
#[domain_event]
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct InvoiceSent {
    pub invoice_id: u64,
}

#[test]
fn user_derives_are_not_derived_twice() {
    use std::collections::HashSet;
    let mut set = HashSet::new();
    set.insert(InvoiceSent { invoice_id: 1 });
    assert!(set.contains(&InvoiceSent { invoice_id: 1 }));
    assert!(InvoiceSent { invoice_id: 1 } < InvoiceSent { invoice_id: 2 });
}

mod opt_outs {
    use event_core::prelude::*;

    /// Kept as an instruction-shaped name on purpose.
    #[domain_event(allow(non_past_tense))]
    pub struct RecalculateRecommendations {
        pub product_id: String,
    }

    /// Kept generic on purpose; no warning.
    #[domain_event(allow(generic_name))]
    pub struct ProfileUpdated {
        pub customer_id: String,
    }

    /// An event type that ends in `Event` on purpose.
    #[domain_event(allow(reserved_suffix))]
    pub struct TicketBookedEvent {
        pub ticket_id: String,
    }

    /// An integration event named by an older convention.
    #[integration_event(version = 1, allow(missing_suffix))]
    pub struct LegacyOrderExported {
        pub order_id: String,
    }

    /// A notification named by an older convention.
    #[notification_event(allow(missing_suffix), name = "mail.welcome", version = 4)]
    pub struct WelcomeMail {
        pub customer_id: String,
    }

    #[test]
    fn opted_out_names_compile_with_their_type_names() {
        assert_eq!(
            RecalculateRecommendations::TYPE_NAME,
            "recalculate.recommendations"
        );
        assert_eq!(ProfileUpdated::TYPE_NAME, "profile.updated");
        assert_eq!(TicketBookedEvent::TYPE_NAME, "ticket.booked.event");
        assert_eq!(LegacyOrderExported::TYPE_NAME, "legacy.order.exported");
        assert_eq!(WelcomeMail::FULL_TYPE, "mail.welcome.v4");
    }
}

mod reexported {
    /// A crate that re-exports event-core under another path.
    pub mod platform {
        pub use event_core;
    }

    /// Declared through the re-export.
    #[platform::event_core::domain_event(crate = crate::reexported::platform::event_core)]
    pub struct ShipmentDispatched {
        pub shipment_id: String,
    }

    /// The path as a string, as serde's `crate = ".."` is written.
    #[platform::event_core::domain_event(crate = "crate::reexported::platform::event_core")]
    pub struct ShipmentDelayed {
        pub shipment_id: String,
    }

    #[test]
    fn crate_path_override() {
        use platform::event_core::Event;
        assert_eq!(ShipmentDispatched::FULL_TYPE, "shipment.dispatched.v1");
        assert_eq!(ShipmentDispatched::schema()["x-event-kind"], "domain");
        assert_eq!(ShipmentDelayed::FULL_TYPE, "shipment.delayed.v1");
    }
}

mod raw {
    use event_core::prelude::*;

    /// Declared with a raw identifier.
    #[domain_event]
    pub struct r#InvoicePaid {
        pub invoice_id: u64,
    }

    #[test]
    fn raw_identifiers_name_the_event_without_their_prefix() {
        assert_eq!(InvoicePaid::TYPE_NAME, "invoice.paid");
        assert_eq!(InvoicePaid::FULL_TYPE, "invoice.paid.v1");
    }
}

/// A shared, immutable payload: `Arc<T>` encodes as `T` (serde's `rc`).
#[domain_event]
pub struct CatalogueImported {
    pub catalogue_id: String,
    pub lines: std::sync::Arc<Vec<String>>,
    pub title: std::sync::Arc<str>,
}

#[test]
fn shared_fields_encode_as_their_value() {
    let event = CatalogueImported {
        catalogue_id: "c-1".into(),
        lines: std::sync::Arc::new(vec!["kettle".into(), "teapot".into()]),
        title: "Spring".into(),
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "catalogue_id": "c-1", "lines": ["kettle", "teapot"], "title": "Spring" })
    );
    let back: CatalogueImported = serde_json::from_value(json).unwrap();
    assert_eq!(back, event);
}

/// The crates' paths given by the user, as on their other types: the
/// derives take the user's, and the macro adds none of its own.
#[domain_event]
#[serde(crate = "event_core::serde", rename_all = "camelCase")]
#[schemars(crate = "event_core::schemars")]
pub struct VoucherIssued {
    pub voucher_code: String,
}

#[test]
fn crate_paths_written_on_an_event_are_kept() {
    let event = VoucherIssued {
        voucher_code: "v-1".into(),
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json, serde_json::json!({ "voucherCode": "v-1" }));
    assert_eq!(VoucherIssued::schema()["required"][0], "voucherCode");
}

/// A default for the whole struct, from the user's own `Default`: a
/// document that lacks a field takes it from there, and the schema shows it.
#[domain_event]
#[serde(rename_all = "camelCase", default)]
pub struct ShelfLabelled {
    pub shelf_id: String,
    pub label: String,
}

impl Default for ShelfLabelled {
    fn default() -> Self {
        ShelfLabelled {
            shelf_id: "unknown".into(),
            label: "new arrivals".into(),
        }
    }
}

#[test]
fn a_default_for_the_struct_fills_what_a_document_lacks() {
    let event: ShelfLabelled = serde_json::from_str(r#"{"shelfId":"s-1"}"#).unwrap();
    assert_eq!(event.shelf_id, "s-1");
    assert_eq!(event.label, "new arrivals");
    let schema = ShelfLabelled::schema();
    assert_eq!(schema["properties"]["label"]["default"], "new arrivals");
    assert!(schema.get("required").is_none(), "{schema}");
}

mod weight {
    use event_core::serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(grams: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{grams} g"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.trim_end_matches(" g")
            .parse()
            .map_err(event_core::serde::de::Error::custom)
    }
}

/// A field written through a module of serde functions, its form on the
/// wire told to the schema.
#[domain_event]
pub struct ParcelWeighed {
    pub parcel_id: String,
    #[serde(with = "weight")]
    #[schemars(with = "String")]
    pub weight_grams: u64,
}

#[test]
fn a_field_written_through_a_module_has_the_schema_it_is_given() {
    let weighed = ParcelWeighed {
        parcel_id: "p-1".into(),
        weight_grams: 1200,
    };
    let json = serde_json::to_value(&weighed).unwrap();
    assert_eq!(json["weight_grams"], "1200 g");
    let back: ParcelWeighed = serde_json::from_value(json).unwrap();
    assert_eq!(back, weighed);
    assert_eq!(
        ParcelWeighed::schema()["properties"]["weight_grams"]["type"],
        "string"
    );
}

/// Without the suffix, a `V<N>` at the end is still the version.
#[integration_event(version = 3, allow(missing_suffix))]
pub struct ProductStockV3 {
    pub product_id: String,
}

#[test]
fn a_version_in_a_name_without_the_suffix_is_the_version() {
    assert_eq!(ProductStockV3::FULL_TYPE, "product.stock.v3");
}

/// Serde options that read back what they write: one name per direction
/// given in two attributes, an alias of the written name, an `Option` never
/// written, a skipped empty list with a default.
#[integration_event(version = 1)]
pub struct PriceSetIntegrationEvent {
    #[serde(rename(serialize = "priceCents"))]
    #[serde(rename(deserialize = "priceCents"))]
    pub price_cents: u64,
    #[serde(rename(serialize = "listPrice"), alias = "listPrice")]
    pub list_price: u64,
    #[serde(skip_serializing)]
    pub internal_note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

#[test]
fn serde_options_that_read_back_what_they_write_are_accepted() {
    let event = PriceSetIntegrationEvent {
        price_cents: 100,
        list_price: 120,
        internal_note: None,
        tags: Vec::new(),
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "priceCents": 100, "listPrice": 120 })
    );
    let back: PriceSetIntegrationEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back, event);
}

/// Encoded by functions of the user's: a long array with `serde(with)`, a
/// skipped cache. The field-type rules leave both alone.
mod own_encoding {
    use event_core::prelude::*;
    use event_core::serde::{Deserialize, Deserializer, Serializer};
    use std::sync::OnceLock;

    pub fn serialize<S: Serializer>(value: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(value.iter())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let bytes: Vec<u8> = Vec::deserialize(d)?;
        bytes
            .try_into()
            .map_err(|_| event_core::serde::de::Error::custom("64 bytes"))
    }

    /// A key was rotated.
    #[domain_event]
    pub struct KeyRotated {
        pub key_id: String,
        #[serde(with = "self")]
        #[schemars(with = "Vec<u8>")]
        pub signature: [u8; 64],
        #[serde(skip)]
        #[schemars(skip)]
        pub length: OnceLock<usize>,
    }

    #[test]
    fn fields_with_their_own_encoding_are_left_to_it() {
        let event = KeyRotated {
            key_id: "k-1".into(),
            signature: [7; 64],
            length: OnceLock::new(),
        };
        let json = serde_json::to_value(&event).unwrap();
        let back: KeyRotated = serde_json::from_value(json).unwrap();
        assert_eq!(back.signature, [7; 64]);
    }
}
