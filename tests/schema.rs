//! The JSON Schema of a declared event, compared whole with the expected
//! document.

use event_core::prelude::*;
use serde_json::json;

/// A customer registered in the shop.
#[domain_event]
#[serde(rename_all = "camelCase")]
pub struct CustomerRegistered {
    pub customer_id: String,
    /// The address the customer signs in with.
    #[event(pii)]
    pub email_address: String,
    #[serde(rename = "name")]
    #[event(pii)]
    pub full_name: String,
    #[serde(default)]
    pub newsletter: bool,
    pub referrer: Option<String>,
    #[serde(skip)]
    pub session_note: String,
    #[event(secret)]
    pub password_hash: String,
}

#[test]
fn domain_event_schema() {
    assert_eq!(
        CustomerRegistered::schema(),
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "urn:event:event-core-suite:domain:customer.registered.v1",
            "title": "CustomerRegistered",
            "description": "A customer registered in the shop.",
            "type": "object",
            "properties": {
                "customerId": { "type": "string", "x-rust-type": "String" },
                "emailAddress": {
                    "description": "The address the customer signs in with.",
                    "type": "string",
                    "x-pii": true,
                    "x-rust-type": "String"
                },
                "name": { "type": "string", "x-pii": true, "x-rust-type": "String" },
                "newsletter": { "type": "boolean", "default": false, "x-rust-type": "bool" },
                "referrer": { "type": ["string", "null"], "x-rust-type": "Option<String>" },
                "passwordHash": { "type": "string", "x-secret": true, "x-rust-type": "String" }
            },
            "required": ["customerId", "emailAddress", "name", "passwordHash"],
            "x-event-type": "customer.registered",
            "x-event-version": 1,
            "x-event-kind": "domain"
        })
    );
}

/// The public view of a product, for other bounded contexts.
#[integration_event(
    version = 3,
    name = "catalog.product.updated",
    schema_base = "https://schemas.example.com/events/"
)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
    pub price_cents: u64,
}

#[test]
fn integration_event_schema_with_name_and_base() {
    let schema = ProductUpdatedIntegrationEvent::schema();
    assert_eq!(
        schema["$id"],
        "https://schemas.example.com/events/integration/catalog.product.updated.v3"
    );
    assert_eq!(schema["title"], "ProductUpdatedIntegrationEvent");
    assert_eq!(
        schema["description"],
        "The public view of a product, for other bounded contexts."
    );
    assert_eq!(schema["x-event-type"], "catalog.product.updated");
    assert_eq!(schema["x-event-version"], 3);
    assert_eq!(schema["x-event-kind"], "integration");
    assert_eq!(schema["required"], json!(["product_id", "price_cents"]));
    assert_eq!(
        schema["properties"]["price_cents"],
        json!({
            "type": "integer",
            "format": "uint64",
            "minimum": 0,
            "maximum": u64::MAX,
            "x-rust-type": "u64"
        })
    );
}

/// Readings of a sensor, in every integer width.
#[domain_event]
pub struct SensorRead {
    pub a: u8,
    pub b: i8,
    pub c: u16,
    pub d: i16,
    pub e: u32,
    pub f: i32,
    pub g: Option<i64>,
    pub h: Vec<usize>,
    pub i: isize,
    pub j: f64,
}

/// Validators that ignore `format` still enforce each integer's width: the
/// range is written as `minimum` and `maximum` beside it.
#[test]
fn integer_fields_carry_their_range() {
    let schema = SensorRead::schema();
    let p = &schema["properties"];
    let range = |field: &serde_json::Value| (field["minimum"].clone(), field["maximum"].clone());
    assert_eq!(range(&p["a"]), (json!(0), json!(255)));
    assert_eq!(range(&p["b"]), (json!(-128), json!(127)));
    assert_eq!(range(&p["c"]), (json!(0), json!(65_535)));
    assert_eq!(range(&p["d"]), (json!(-32_768), json!(32_767)));
    assert_eq!(range(&p["e"]), (json!(0), json!(u32::MAX)));
    assert_eq!(range(&p["f"]), (json!(i32::MIN), json!(i32::MAX)));
    assert_eq!(range(&p["g"]), (json!(i64::MIN), json!(i64::MAX)));
    assert_eq!(range(&p["h"]["items"]), (json!(0), json!(u64::MAX)));
    assert_eq!(range(&p["i"]), (json!(i64::MIN), json!(i64::MAX)));
    assert_eq!(p["a"]["format"], "uint8", "the format stays");
    assert!(p["j"].get("maximum").is_none(), "{}", p["j"]);
    // The default `$id` names the package that declares the event.
    assert_eq!(
        schema["$id"],
        format!("urn:event:{}:domain:sensor.read.v1", env!("CARGO_PKG_NAME"))
    );
}

/// Tells a customer their parcel left the warehouse.
#[notification_event]
pub struct ParcelShippedNotification {
    #[event(pii)]
    pub phone_number: String,
}

#[test]
fn notification_schema() {
    let schema = ParcelShippedNotification::schema();
    assert_eq!(
        schema["$id"],
        "urn:event:event-core-suite:notification:parcel.shipped.v1"
    );
    assert_eq!(schema["x-event-kind"], "notification");
    assert_eq!(
        schema["properties"]["phone_number"],
        json!({ "type": "string", "x-pii": true, "x-rust-type": "String" })
    );
}

#[test]
fn schema_id_matches_the_trait_constant() {
    assert_eq!(
        CustomerRegistered::schema()["$id"],
        CustomerRegistered::SCHEMA_ID
    );
    assert!(CustomerRegistered::SCHEMA_ID.starts_with(event_core::DEFAULT_SCHEMA_BASE));
}
