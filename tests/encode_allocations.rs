//! Encoding a transport message allocates its own fields, once each, and
//! nothing more; the payload takes one allocation where serde_json's
//! growing vector takes several. One test in this binary, so that no other
//! test allocates meanwhile.

use std::alloc::System;

use event_core::encode;
use event_core::prelude::*;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The allocations and reallocations `f` makes.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let region = Region::new(ALLOCATOR);
    let out = f();
    let change = region.change();
    (change.allocations + change.reallocations, out)
}

/// A product's price changed.
#[integration_event(version = 1)]
pub struct PriceChangedIntegrationEvent {
    pub product_id: String,
    pub price_cents: u64,
    #[event(pii)]
    pub merchant_email: String,
    pub tags: Vec<String>,
}

fn event(n: usize) -> PriceChangedIntegrationEvent {
    PriceChangedIntegrationEvent {
        product_id: format!("product-{n}"),
        price_cents: 1_999,
        merchant_email: "kettles@example.com".into(),
        tags: vec!["kitchen".into(); n],
    }
}

#[test]
fn encoding_a_message_allocates_its_own_fields_and_nothing_more() {
    let parent = Envelope::new("/catalog", event(1));
    let envelopes = [
        Envelope::new("/catalog", event(2)),
        Envelope::caused_by(&parent, event(3))
            .with_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .with_partition_key("product-1"),
        // A payload of about 20 KiB.
        Envelope::caused_by(&parent, event(2000)),
    ];
    for envelope in &envelopes {
        // The first message of the thread sets up its buffer.
        let _ = encode(envelope).unwrap();
        let (count, message) = allocations(|| encode(envelope).unwrap());
        // The id, the type, the header list, each header's name and value,
        // and the payload.
        let own = 3 + 2 * message.headers.len() + 1;
        assert_eq!(count, own, "{message:?}");
        let (bare, json) = allocations(|| serde_json::to_vec(envelope).unwrap());
        assert_eq!(json, message.payload);
        println!(
            "{} bytes: message {count} allocations ({} headers), bare serde_json::to_vec {bare}",
            json.len(),
            message.headers.len()
        );
        let (text, _) = allocations(|| envelope.to_json().unwrap());
        assert!(text <= bare, "to_json: {text}, serde_json: {bare}");
    }
}
