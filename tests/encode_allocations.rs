//! Encoding a transport message allocates no more than the bare JSON of
//! its envelope: one text for its id, type and headers, one list of where
//! the headers end, and the payload in one allocation where serde_json's
//! growing vector takes several.
//!
//! The allocator counts for the whole process, so this binary runs without
//! the test harness (`harness = false` in `Cargo.toml`): the harness runs a
//! test on a thread of its own and allocates on its main thread meanwhile
//! (recording the running test, waiting for its result), and those counts
//! would land in whatever the test measures at that moment. Here one thread
//! runs, and the counts are its own.

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

fn main() {
    encoding_a_message_allocates_no_more_than_the_bare_json();
    println!("encoding a message allocates no more than the bare JSON: ok");
}

fn encoding_a_message_allocates_no_more_than_the_bare_json() {
    let parent = Envelope::new("/catalog", event(1));
    let envelopes = [
        Envelope::new("/catalog", event(2)),
        Envelope::caused_by(&parent, event(3))
            .with_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .with_partition_key("product-1"),
        // A payload of about 20 KiB.
        Envelope::caused_by(&parent, event(2000)),
    ];
    for (n, envelope) in envelopes.iter().enumerate() {
        // The first message of the thread sets up its buffer.
        let _ = encode(envelope).unwrap();
        let (count, message) = allocations(|| encode(envelope).unwrap());
        // The text of the id, the type and the headers, the list of where
        // each header ends, and the payload: three, however many headers.
        assert_eq!(count, 3, "{message:?}");
        let (bare, json) = allocations(|| serde_json::to_vec(envelope).unwrap());
        assert_eq!(json, message.payload());
        println!(
            "{} bytes: message {count} allocations ({} headers), bare serde_json::to_vec {bare}",
            json.len(),
            message.headers().len()
        );
        // No more than the bare JSON: as many for the smallest envelope,
        // fewer for larger ones, whose vector serde_json grows more times.
        if n == 0 {
            assert_eq!(count, bare, "{message:?}");
        } else {
            assert!(count < bare, "message {count}, serde_json {bare}");
        }
        let (text, _) = allocations(|| envelope.to_json().unwrap());
        assert!(text <= bare, "to_json: {text}, serde_json: {bare}");
    }
}
