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
            "$id": "urn:event:domain:customer.registered.v1",
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
        json!({ "type": "integer", "format": "uint64", "minimum": 0, "x-rust-type": "u64" })
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
    assert_eq!(schema["$id"], "urn:event:notification:parcel.shipped.v1");
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
