//! Consumers of the newest version read envelopes of older versions, along
//! the `upcast_from` chain.

use event_core::DecodeError;
use event_core::decode::decode_upcasting;
use event_core::prelude::*;

/// Version 1.
#[integration_event(version = 1)]
pub struct ProductListedIntegrationEvent {
    pub product_id: String,
    pub price_cents: u32,
}

/// Version 2 widens the price and adds an optional title.
#[integration_event(version = 2, upcast_from = ProductListedIntegrationEvent)]
pub struct ProductListedIntegrationEventV2 {
    pub product_id: String,
    pub price_cents: u64,
    pub title: Option<String>,
}

/// Version 3 adds tags with a default.
#[integration_event(version = 3, upcast_from = ProductListedIntegrationEventV2)]
pub struct ProductListedIntegrationEventV3 {
    pub product_id: String,
    pub price_cents: u64,
    pub title: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Version 1 of a type whose version 2 declares no upcast.
#[integration_event(version = 1)]
pub struct CartAbandonedIntegrationEvent {
    pub cart_id: String,
}

/// Version 2, without `upcast_from`.
#[integration_event(version = 2)]
pub struct CartAbandonedIntegrationEventV2 {
    pub cart_id: String,
    pub items: u32,
}

/// A required field that version 2 adds is filled by hand.
#[integration_event(version = 3, upcast_from = CartAbandonedIntegrationEventV2, upcast = "manual")]
pub struct CartAbandonedIntegrationEventV3 {
    pub cart_id: String,
    pub items: u32,
    pub reason: String,
}

impl From<CartAbandonedIntegrationEventV2> for CartAbandonedIntegrationEventV3 {
    fn from(older: CartAbandonedIntegrationEventV2) -> Self {
        CartAbandonedIntegrationEventV3 {
            cart_id: older.cart_id,
            items: older.items,
            reason: "unknown".into(),
        }
    }
}

/// Version 1 of an event whose version 2 renames a field and adds one with
/// a default.
#[integration_event(version = 1)]
pub struct InvoiceIssuedIntegrationEvent {
    pub id: String,
    pub total_cents: u32,
    pub memo: Option<String>,
}

/// `invoice_id` was `id`, `note` was `memo`; `currency` is new and
/// required, with the value an upcast gives it.
#[integration_event(version = 2, upcast_from = InvoiceIssuedIntegrationEvent)]
pub struct InvoiceIssuedIntegrationEventV2 {
    #[event(from = id)]
    pub invoice_id: String,
    pub total_cents: u64,
    #[event(from(InvoiceIssuedIntegrationEvent) = memo)]
    pub note: Option<String>,
    #[event(default = "EUR")]
    pub currency: String,
    #[event(default)]
    pub lines: u32,
}

fn bytes<E: Event>(event: E) -> Vec<u8> {
    Envelope::new("/catalog", event)
        .to_json()
        .unwrap()
        .into_bytes()
}

#[test]
fn version_1_and_2_payloads_decode_into_version_3() {
    let v1 = Envelope::new(
        "/catalog",
        ProductListedIntegrationEvent {
            product_id: "p-1".into(),
            price_cents: 500,
        },
    )
    .with_subject("products/p-1");
    let upcast: Envelope<ProductListedIntegrationEventV3> =
        decode_upcasting(v1.to_json().unwrap().as_bytes()).unwrap();
    assert_eq!(
        upcast.data(),
        &ProductListedIntegrationEventV3 {
            product_id: "p-1".into(),
            price_cents: 500,
            title: None,
            tags: Vec::new(),
        }
    );
    // The envelope is the original one: same id and metadata.
    assert_eq!(upcast.id(), v1.id());
    assert_eq!(upcast.subject(), Some("products/p-1"));
    // Its schema is the version it now holds, through both steps.
    assert_eq!(
        upcast.dataschema(),
        Some(ProductListedIntegrationEventV3::SCHEMA_ID)
    );

    let v2 = bytes(ProductListedIntegrationEventV2 {
        product_id: "p-2".into(),
        price_cents: 900,
        title: Some("Kettle".into()),
    });
    let upcast: Envelope<ProductListedIntegrationEventV3> = decode_upcasting(&v2).unwrap();
    assert_eq!(upcast.data().title.as_deref(), Some("Kettle"));
    assert!(upcast.data().tags.is_empty());

    // The newest version itself decodes too.
    let v3 = bytes(ProductListedIntegrationEventV3 {
        product_id: "p-3".into(),
        price_cents: 1,
        title: None,
        tags: vec!["new".into()],
    });
    let same: Envelope<ProductListedIntegrationEventV3> = decode_upcasting(&v3).unwrap();
    assert_eq!(same.data().tags, ["new"]);
}

#[test]
fn a_version_no_chain_covers_is_a_typed_error() {
    let v1 = bytes(CartAbandonedIntegrationEvent {
        cart_id: "c-1".into(),
    });
    assert_eq!(
        decode_upcasting::<CartAbandonedIntegrationEventV2>(&v1).unwrap_err(),
        DecodeError::NoUpcastPath {
            found: "cart.abandoned.v1".into(),
            target: "cart.abandoned.v2",
        }
    );
    // Version 3's chain stops at version 2, too.
    assert!(matches!(
        decode_upcasting::<CartAbandonedIntegrationEventV3>(&v1),
        Err(DecodeError::NoUpcastPath { .. })
    ));
    // A newer version than asked for is no path either.
    let v3 = bytes(ProductListedIntegrationEventV3 {
        product_id: "p".into(),
        price_cents: 1,
        title: None,
        tags: Vec::new(),
    });
    assert!(matches!(
        decode_upcasting::<ProductListedIntegrationEventV2>(&v3),
        Err(DecodeError::NoUpcastPath { .. })
    ));
}

#[test]
fn a_hand_written_conversion_is_used() {
    let v2 = bytes(CartAbandonedIntegrationEventV2 {
        cart_id: "c-2".into(),
        items: 3,
    });
    let upcast: Envelope<CartAbandonedIntegrationEventV3> = decode_upcasting(&v2).unwrap();
    assert_eq!(upcast.data().reason, "unknown");
    assert_eq!(upcast.data().items, 3);
}

#[test]
fn another_type_and_bad_input_keep_their_errors() {
    let other = bytes(CartAbandonedIntegrationEvent {
        cart_id: "c".into(),
    });
    assert!(matches!(
        decode_upcasting::<ProductListedIntegrationEventV3>(&other),
        Err(DecodeError::UnexpectedType { .. })
    ));
    assert!(matches!(
        decode_upcasting::<ProductListedIntegrationEventV3>(b"{"),
        Err(DecodeError::MalformedJson { .. })
    ));
}

#[test]
fn an_upcast_reads_renamed_fields_and_fills_defaults() {
    let v1 = InvoiceIssuedIntegrationEvent {
        id: "inv-1".into(),
        total_cents: 1250,
        memo: Some("thanks".into()),
    };
    let v2 = InvoiceIssuedIntegrationEventV2::from(v1.clone());
    assert_eq!(
        v2,
        InvoiceIssuedIntegrationEventV2 {
            invoice_id: "inv-1".into(),
            total_cents: 1250,
            note: Some("thanks".into()),
            currency: "EUR".into(),
            lines: 0,
        }
    );
    // The same through a version 1 envelope on the wire.
    let decoded = decode_upcasting::<InvoiceIssuedIntegrationEventV2>(&bytes(v1)).unwrap();
    assert_eq!(decoded.data().invoice_id, "inv-1");
    assert_eq!(decoded.data().currency, "EUR");
    // A version 2 payload carries its own values: the defaults are only
    // for what version 1 lacks.
    let v2 = InvoiceIssuedIntegrationEventV2 {
        invoice_id: "inv-2".into(),
        total_cents: 1,
        note: None,
        currency: "USD".into(),
        lines: 3,
    };
    let decoded = decode_upcasting::<InvoiceIssuedIntegrationEventV2>(&bytes(v2.clone())).unwrap();
    assert_eq!(decoded.data(), &v2);
}

/// Version 1 of an event whose version 2 adds fields with serde's defaults.
#[integration_event(version = 1)]
pub struct ShipmentBookedIntegrationEvent {
    pub shipment_id: String,
}

fn standard_service() -> String {
    "standard".into()
}

/// Version 2: a field with `#[serde(default = "..")]` and one with
/// `#[serde(default)]`.
#[integration_event(version = 2, upcast_from = ShipmentBookedIntegrationEvent)]
pub struct ShipmentBookedIntegrationEventV2 {
    pub shipment_id: String,
    #[serde(default = "standard_service")]
    pub service: String,
    #[serde(default)]
    pub parcels: u32,
}

#[test]
fn an_upcast_fills_a_new_field_as_serde_fills_a_document_that_lacks_it() {
    let v1 = ShipmentBookedIntegrationEvent {
        shipment_id: "s-1".into(),
    };
    let upcast = ShipmentBookedIntegrationEventV2::from(v1.clone());
    // serde reading the version 1 payload as version 2 gives the same.
    let read: ShipmentBookedIntegrationEventV2 =
        event_core::serde_json::from_str(r#"{"shipment_id":"s-1"}"#).unwrap();
    assert_eq!(upcast, read);
    assert_eq!(upcast.service, "standard");
    let decoded = decode_upcasting::<ShipmentBookedIntegrationEventV2>(&bytes(v1)).unwrap();
    assert_eq!(decoded.data(), &read);
}

/// Versions spread over a module and the modules and functions inside it,
/// as code lays them out: version 1 here, version 2 in a child module,
/// version 3 in a function body.
#[integration_event(version = 1)]
pub struct ParcelWeighedIntegrationEvent {
    pub parcel_id: String,
}

pub mod parcel_v2 {
    use event_core::prelude::*;

    /// Version 2, in a child module.
    #[integration_event(version = 2, upcast_from = super::ParcelWeighedIntegrationEvent)]
    pub struct ParcelWeighedIntegrationEvent {
        pub parcel_id: String,
        pub grams: Option<u32>,
    }
}

#[test]
fn versions_in_child_modules_and_function_bodies_upcast() {
    /// Version 3, in a function body.
    #[integration_event(version = 3, upcast_from = parcel_v2::ParcelWeighedIntegrationEvent)]
    pub struct ParcelWeighedIntegrationEventV3 {
        pub parcel_id: String,
        pub grams: Option<u32>,
        pub scale: Option<String>,
    }

    let v1 = Envelope::new(
        "/depot",
        ParcelWeighedIntegrationEvent {
            parcel_id: "p-1".into(),
        },
    );
    let json = v1.to_json().unwrap();
    let v3 =
        event_core::decode::decode_upcasting::<ParcelWeighedIntegrationEventV3>(json.as_bytes())
            .unwrap();
    assert_eq!(v3.data().parcel_id, "p-1");
    assert_eq!(v3.data().grams, None);
}
