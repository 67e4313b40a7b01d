//! Hostile sizes: the decoders' limits return typed errors before parsing,
//! and what they read within the limits costs memory in proportion to the
//! input, never a multiple of it. The heap is measured by a counting global
//! allocator, so this binary holds one test, which runs its parts in turn.

use event_core::DecodeError;
use event_core::cloudevent::CloudEvent;
use event_core::decode::{self, DecodeLimits, identify, set_default_limits};
use event_core::prelude::*;
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// A reading.
#[integration_event(version = 1)]
pub struct SensorReadIntegrationEvent {
    pub readings: Vec<u32>,
}

const MIB: usize = 1024 * 1024;

/// An envelope whose data is `count` small objects: the shape that costs a
/// JSON tree the most per input byte.
fn large_document(count: usize) -> Vec<u8> {
    let mut text = String::from(
        r#"{"specversion":"1.0","id":"1","source":"/s","type":"sensor.read.v1","data":["#,
    );
    for i in 0..count {
        if i > 0 {
            text.push(',');
        }
        text.push_str(r#"{"k":1,"v":[true]}"#);
    }
    text.push_str("]}");
    text.into_bytes()
}

fn nested(depth: usize) -> Vec<u8> {
    let mut text = String::from(
        r#"{"specversion":"1.0","id":"1","source":"/s","type":"sensor.read.v1","data":"#,
    );
    text.push_str(&"[".repeat(depth));
    text.push_str(&"]".repeat(depth));
    text.push('}');
    text.into_bytes()
}

/// The most the heap grew over what it held before `f` ran.
fn peak_growth<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let out = f();
    (out, HEAP.peak_usage().saturating_sub(before))
}

#[test]
fn limits_and_memory() {
    // --- size ---
    let big = large_document(1_000_000);
    assert!(big.len() > 4 * MIB);
    let too_large = DecodeError::TooLarge {
        size: big.len(),
        limit: 4 * MIB,
    };
    assert_eq!(CloudEvent::from_json(&big).unwrap_err(), too_large);
    assert_eq!(identify(&big).unwrap_err(), too_large);
    assert_eq!(
        decode::decode::<SensorReadIntegrationEvent>(&big).unwrap_err(),
        too_large
    );
    let small = DecodeLimits {
        max_size: 100,
        max_depth: 64,
    };
    assert_eq!(
        decode::decode_with::<SensorReadIntegrationEvent>(&big[..200], &small).unwrap_err(),
        DecodeError::TooLarge {
            size: 200,
            limit: 100
        }
    );

    // --- depth ---
    let deep = nested(100);
    for error in [
        CloudEvent::from_json(&deep).unwrap_err(),
        identify(&deep).unwrap_err(),
        decode::decode::<SensorReadIntegrationEvent>(&deep).unwrap_err(),
    ] {
        assert_eq!(error, DecodeError::TooDeep { limit: 64 });
    }
    // Brackets inside strings do not count.
    let quoted = format!(
        r#"{{"specversion":"1.0","id":"{}","source":"/s","type":"t"}}"#,
        "[".repeat(1000)
    );
    assert!(CloudEvent::from_json(quoted.as_bytes()).is_ok());
    // Far beyond any limit: refused before the parser recurses.
    let hostile = nested(1_000_000);
    assert_eq!(
        CloudEvent::from_json_with(
            &hostile,
            &DecodeLimits {
                max_size: usize::MAX,
                max_depth: 10_000
            }
        )
        .unwrap_err(),
        DecodeError::TooDeep { limit: 127 }
    );
    drop(hostile);
    let shallow = DecodeLimits {
        max_size: MIB,
        max_depth: 3,
    };
    assert!(CloudEvent::from_json_with(&nested(2), &shallow).is_ok());
    assert_eq!(
        CloudEvent::from_json_with(&nested(3), &shallow).unwrap_err(),
        DecodeError::TooDeep { limit: 3 }
    );

    // --- the process-wide default ---
    set_default_limits(DecodeLimits {
        max_size: 64 * MIB,
        max_depth: 64,
    });

    // --- memory: in proportion to the input ---
    let (identified, growth) = peak_growth(|| identify(&big));
    assert_eq!(identified.unwrap().full_type, "sensor.read.v1");
    assert!(
        growth < 64 * 1024,
        "identify grew the heap by {growth} bytes"
    );
    eprintln!("identify, {} bytes: heap grew by {growth} bytes", big.len());

    let (event, growth) = peak_growth(|| CloudEvent::from_json(&big));
    let event = event.unwrap();
    assert!(
        growth <= big.len() + MIB,
        "a {} byte document grew the heap by {growth} bytes",
        big.len()
    );
    eprintln!(
        "CloudEvent::from_json, {} bytes: heap grew by {growth} bytes ({:.2}x)",
        big.len(),
        growth as f64 / big.len() as f64
    );
    drop(event);

    let (failed, growth) = peak_growth(|| decode::decode::<SensorReadIntegrationEvent>(&big));
    assert!(matches!(failed, Err(DecodeError::PayloadMismatch { .. })));
    assert!(
        growth <= big.len() + MIB,
        "a failed {} byte decode grew the heap by {growth} bytes",
        big.len()
    );
    eprintln!(
        "decode::<E> failing on the data, {} bytes: heap grew by {growth} bytes ({:.2}x)",
        big.len(),
        growth as f64 / big.len() as f64
    );
    set_default_limits(DecodeLimits::default());
}
