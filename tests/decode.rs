//! Decoding hostile bytes: one typed error per kind of fault, and no panic on
//! random or mutated input.

mod support;

use event_core::DecodeError;
use event_core::decode::{decode, identify};
use event_core::prelude::*;
use serde_json::{Value, json};
use support::Rng;

/// A payment was captured.
#[integration_event(version = 2)]
pub struct PaymentCapturedIntegrationEvent {
    pub payment_id: String,
    pub amount_cents: u64,
}

/// Its first version.
#[integration_event(version = 1)]
pub struct PaymentCapturedIntegrationEventV1 {
    pub payment_id: String,
}

/// Another event type.
#[integration_event(version = 1)]
pub struct RefundIssuedIntegrationEvent {
    pub refund_id: String,
}

fn valid() -> Value {
    let envelope = Envelope::new(
        "/payments",
        PaymentCapturedIntegrationEvent {
            payment_id: "pay-1".into(),
            amount_cents: 1_000,
        },
    );
    serde_json::from_str(&envelope.to_json().unwrap()).unwrap()
}

fn decode_value(value: &Value) -> Result<Envelope<PaymentCapturedIntegrationEvent>, DecodeError> {
    decode(value.to_string().as_bytes())
}

fn with(key: &str, value: Value) -> Value {
    let mut envelope = valid();
    envelope[key] = value;
    envelope
}

fn without(key: &str) -> Value {
    let mut envelope = valid();
    envelope.as_object_mut().unwrap().remove(key);
    envelope
}

#[test]
fn a_valid_envelope_decodes() {
    let envelope = decode_value(&valid()).unwrap();
    assert_eq!(envelope.data().amount_cents, 1_000);
}

#[test]
fn malformed_json() {
    assert!(matches!(
        decode::<PaymentCapturedIntegrationEvent>(b"{\"specversion\": "),
        Err(DecodeError::MalformedJson { .. })
    ));
    assert!(matches!(
        decode::<PaymentCapturedIntegrationEvent>(&[0xff, 0xfe, 0x00]),
        Err(DecodeError::MalformedJson { .. })
    ));
}

#[test]
fn not_an_object() {
    assert_eq!(
        decode_value(&json!([1, 2])).unwrap_err(),
        DecodeError::NotAnObject
    );
}

#[test]
fn each_missing_attribute_is_named() {
    // `time` is optional in CloudEvents.
    for name in ["specversion", "id", "source", "type", "data"] {
        assert_eq!(
            decode_value(&without(name)).unwrap_err(),
            DecodeError::MissingAttribute { name },
            "{name}"
        );
    }
}

#[test]
fn invalid_attributes_are_named() {
    let cases = [
        ("specversion", json!("0.3")),
        ("id", json!("")),
        ("id", json!(5)),
        ("source", json!(null)),
        ("time", json!("yesterday")),
        ("datacontenttype", json!("application/xml")),
        ("correlationid", json!({})),
        ("traceparent", json!(true)),
    ];
    for (name, value) in cases {
        let error = decode_value(&with(name, value.clone())).unwrap_err();
        match error {
            DecodeError::InvalidAttribute { name: got, .. } => assert_eq!(got, name),
            // `null` counts as absent.
            DecodeError::MissingAttribute { name: got } => assert_eq!(got, name),
            other => panic!("{name} = {value}: {other:?}"),
        }
    }
}

#[test]
fn an_unknown_type() {
    assert_eq!(
        decode_value(&with("type", json!("parcel.lost.v1"))).unwrap_err(),
        DecodeError::UnknownType {
            event_type: "parcel.lost.v1".into()
        }
    );
    assert_eq!(
        decode_value(&with("type", json!("not-versioned"))).unwrap_err(),
        DecodeError::UnknownType {
            event_type: "not-versioned".into()
        }
    );
}

#[test]
fn an_unknown_version() {
    assert_eq!(
        decode_value(&with("type", json!("payment.captured.v7"))).unwrap_err(),
        DecodeError::UnknownVersion {
            type_name: "payment.captured".into(),
            version: 7,
            known: vec![1, 2],
        }
    );
}

#[test]
fn another_registered_type() {
    assert_eq!(
        decode_value(&with("type", json!("refund.issued.v1"))).unwrap_err(),
        DecodeError::UnexpectedType {
            expected: "payment.captured.v2",
            found: "refund.issued.v1".into(),
        }
    );
    // An older version of the same type is another type too.
    assert!(matches!(
        decode_value(&with("type", json!("payment.captured.v1"))),
        Err(DecodeError::UnexpectedType { .. })
    ));
}

#[test]
fn a_payload_that_does_not_fit() {
    let error = decode_value(&with("data", json!({ "payment_id": 5 }))).unwrap_err();
    assert!(
        matches!(&error, DecodeError::PayloadMismatch { event_type, message }
            if event_type == "payment.captured.v2"
                && message == "at `data.payment_id`: expected a string, found an integer"),
        "{error:?}"
    );
}

#[test]
fn identify_finds_the_registered_event() {
    let descriptor = identify(valid().to_string().as_bytes()).unwrap();
    assert_eq!(descriptor.rust_name, "PaymentCapturedIntegrationEvent");
    assert!(matches!(
        identify(
            with("type", json!("payment.captured.v9"))
                .to_string()
                .as_bytes()
        ),
        Err(DecodeError::UnknownVersion { .. })
    ));
    assert!(matches!(
        identify(without("type").to_string().as_bytes()),
        Err(DecodeError::MissingAttribute { name: "type" })
    ));
    assert!(matches!(
        identify(b"nope"),
        Err(DecodeError::MalformedJson { .. })
    ));
}

const ATTRIBUTES: [&str; 11] = [
    "specversion",
    "id",
    "source",
    "type",
    "time",
    "datacontenttype",
    "dataschema",
    "correlationid",
    "causationid",
    "traceparent",
    "data",
];

fn some_value(rng: &mut Rng) -> Value {
    match rng.below(9) {
        0 => Value::Null,
        1 => Value::from(rng.next() as i64),
        2 => Value::from(rng.below(2) == 0),
        3 => Value::from(String::from_utf8_lossy(&rng.bytes(40)).into_owned()),
        4 => json!({ "payment_id": [] }),
        5 => json!({ "payment_id": "x", "amount_cents": -1 }),
        6 => json!("payment.captured.v1"),
        7 => json!("2026-02-30T00:00:00Z"),
        _ => json!([{}]),
    }
}

/// A valid envelope with one to three attributes replaced or removed, and
/// sometimes cut short or with one byte flipped.
fn mutated(rng: &mut Rng) -> Vec<u8> {
    let mut envelope = valid();
    for _ in 0..=rng.below(3) {
        let key = ATTRIBUTES[rng.below(ATTRIBUTES.len())];
        if rng.below(3) == 0 {
            envelope.as_object_mut().unwrap().remove(key);
        } else {
            envelope[key] = some_value(rng);
        }
    }
    let mut bytes = envelope.to_string().into_bytes();
    match rng.below(4) {
        0 => bytes.truncate(rng.below(bytes.len() + 1)),
        1 => {
            let at = rng.below(bytes.len());
            bytes[at] ^= 1 << rng.below(8);
        }
        _ => {}
    }
    bytes
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(1);
    for _ in 0..5_000 {
        let bytes = rng.bytes(256);
        let _ = decode::<PaymentCapturedIntegrationEvent>(&bytes);
        let _ = identify(&bytes);
    }
}

#[test]
fn mutated_envelopes_decode_or_fail_with_a_typed_error() {
    let mut rng = Rng(2);
    let (mut decoded, mut refused) = (0, 0);
    for case in 0..5_000 {
        let bytes = mutated(&mut rng);
        match decode::<PaymentCapturedIntegrationEvent>(&bytes) {
            Ok(envelope) => {
                // What decodes is a whole, valid envelope.
                assert!(!envelope.id().as_str().is_empty(), "case {case}");
                assert!(!envelope.source().is_empty(), "case {case}");
                decoded += 1;
            }
            Err(error) => {
                assert!(!error.to_string().is_empty(), "case {case}");
                refused += 1;
            }
        }
        let _ = identify(&bytes);
    }
    // Both outcomes occur, so the mutations reach past the first checks.
    assert!(
        decoded > 0 && refused > 0,
        "{decoded} decoded, {refused} refused"
    );
}
