//! What every fuzz input is put through: the generic decoder, the typed
//! decoder, `identify` and the HTTP binding. None may panic; what decodes
//! must encode to a document that decodes to the same event; every error
//! must be short and free of control characters.

#![forbid(unsafe_code)]

use event_core::binding::{self, HTTP};
use event_core::cloudevent::CloudEvent;
use event_core::decode::{self, DecodeLimits};
use event_core::prelude::*;

/// An event for the typed decoder to aim at.
#[integration_event(version = 1)]
pub struct ParcelScannedIntegrationEvent {
    pub parcel_id: String,
    #[event(pii)]
    pub recipient: String,
    pub weight_grams: u32,
    pub tags: Vec<String>,
}

/// Limits small enough that the fuzzer reaches them.
pub const LIMITS: DecodeLimits = DecodeLimits {
    max_size: 64 * 1024,
    max_depth: 16,
};

/// The most an error's text may be: the echoed input is bounded at 256
/// bytes, a few of them per message, plus the message's own words.
const ERROR_LIMIT: usize = 1024;

fn check_error(error: &event_core::DecodeError) {
    let text = error.to_string();
    assert!(
        text.len() <= ERROR_LIMIT,
        "an error of {} bytes",
        text.len()
    );
    assert!(
        !text.chars().any(char::is_control),
        "a control character in an error"
    );
}

/// Runs one input through every decoder.
pub fn check(data: &[u8]) {
    match CloudEvent::from_json_with(data, &LIMITS) {
        Ok(event) => {
            let json = event.to_json();
            let again = CloudEvent::from_json_with(
                json.as_bytes(),
                &DecodeLimits {
                    max_size: usize::MAX,
                    max_depth: LIMITS.max_depth,
                },
            )
            .expect("what decodes, encodes to what decodes");
            assert!(again == event, "a round trip changed the event");
            let (headers, body) = binding::to_binary(&event, &HTTP);
            let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
            let unlimited = DecodeLimits {
                max_size: usize::MAX,
                max_depth: 127,
            };
            let back = binding::from_headers_with(pairs, &body, &HTTP, &unlimited)
                .expect("what decodes, crosses to binary mode and back");
            assert!(back.id() == event.id() && back.time() == event.time());
        }
        Err(error) => check_error(&error),
    }
    match decode::decode_with::<ParcelScannedIntegrationEvent>(data, &LIMITS) {
        Ok(envelope) => {
            let json = envelope.to_json().expect("what decodes, encodes");
            let again = decode::decode_with::<ParcelScannedIntegrationEvent>(
                json.as_bytes(),
                &DecodeLimits {
                    max_size: usize::MAX,
                    max_depth: LIMITS.max_depth,
                },
            )
            .expect("what decodes, encodes to what decodes");
            assert!(again == envelope, "a typed round trip changed the envelope");
            let shown = format!("{envelope:?}");
            assert!(
                shown.contains(r#""recipient":"<redacted>""#),
                "a pii value in Debug"
            );
        }
        Err(error) => check_error(&error),
    }
    if let Err(error) = decode::identify(data) {
        check_error(&error);
    }
    // The same bytes as a binary-mode body with a JSON content type.
    let headers = [
        ("ce-specversion", "1.0"),
        ("ce-id", "1"),
        ("ce-source", "/fuzz"),
        ("ce-type", "parcel.scanned.v1"),
        ("content-type", "application/json"),
    ];
    if let Err(error) = binding::from_headers_with(headers, data, &HTTP, &LIMITS) {
        check_error(&error);
    }
}
