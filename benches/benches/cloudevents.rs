//! Generic CloudEvents JSON decoding and encoding beside the official SDK
//! (`cloudevents-sdk`), on the same documents.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench cloudevents`
//!
//! Instruction counts, deterministic where the times on a shared machine are
//! not: run the bench binary under valgrind with `EVENT_CORE_BENCH_CASE` set
//! to one of `DOCUMENT/decode/event-core`, `DOCUMENT/decode/cloudevents-sdk`,
//! `DOCUMENT/encode/event-core`, `DOCUMENT/encode/cloudevents-sdk` (DOCUMENT:
//! `envelope`, `foreign-xml`, `binary`) and `EVENT_CORE_BENCH_CALLS` to N,
//! then 2N; the difference of the two totals over N is one call:
//!
//! ```sh
//! EVENT_CORE_BENCH_CASE=envelope/encode/event-core EVENT_CORE_BENCH_CALLS=10000 \
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null BENCH_BINARY
//! ```

use std::hint::black_box;

use criterion::{Criterion, criterion_group};
use event_core::Envelope;
use event_core::cloudevent::CloudEvent;
use event_core_benches::{ProductUpdatedIntegrationEvent, sale};

/// The documents: one of this library's envelopes, one from another
/// producer with extensions and XML data, and one with binary data.
fn documents() -> Vec<(&'static str, Vec<u8>)> {
    let parent = Envelope::new("/catalog", sale(1));
    let envelope =
        Envelope::caused_by(&parent, ProductUpdatedIntegrationEvent::from(parent.data()));
    let foreign = br#"{"specversion":"1.0","type":"com.example.someevent","source":"/mycontext","id":"B234-1234-1234","time":"2018-04-05T17:31:00Z","comexampleextension1":"value","comexampleothervalue":5,"datacontenttype":"application/xml","data":"<much wow=\"xml\"/>"}"#;
    let binary = br#"{"specversion":"1.0","type":"com.example.someevent","source":"https://example.com/sensors/7","id":"A234-1234-1234","time":"2018-04-05T17:31:00.123+02:00","subject":"reading","datacontenttype":"application/octet-stream","data_base64":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw=="}"#;
    vec![
        ("envelope", envelope.to_json().unwrap().into_bytes()),
        ("foreign-xml", foreign.to_vec()),
        ("binary", binary.to_vec()),
    ]
}

fn cloudevents(c: &mut Criterion) {
    for (name, bytes) in documents() {
        let ours = CloudEvent::from_json(&bytes).unwrap();
        let sdk: cloudevents::Event = serde_json::from_slice(&bytes).unwrap();
        let mut group = c.benchmark_group(format!("cloudevent/{name}"));
        group.bench_function("decode/event-core", |b| {
            b.iter(|| CloudEvent::from_json(black_box(&bytes)).unwrap())
        });
        group.bench_function("decode/cloudevents-sdk", |b| {
            b.iter(|| serde_json::from_slice::<cloudevents::Event>(black_box(&bytes)).unwrap())
        });
        group.bench_function("encode/event-core", |b| {
            b.iter(|| black_box(&ours).to_json_vec())
        });
        group.bench_function("encode/cloudevents-sdk", |b| {
            b.iter(|| serde_json::to_vec(black_box(&sdk)).unwrap())
        });
        group.finish();
    }
}

/// Each case alone, for counting its instructions.
fn instruction_counts() -> bool {
    let documents = documents();
    let mut cases: Vec<(String, Box<dyn FnMut()>)> = Vec::new();
    for (name, bytes) in documents {
        let ours = CloudEvent::from_json(&bytes).unwrap();
        let sdk: cloudevents::Event = serde_json::from_slice(&bytes).unwrap();
        let b = bytes.clone();
        cases.push((
            format!("{name}/decode/event-core"),
            Box::new(move || {
                black_box(CloudEvent::from_json(black_box(&b)).unwrap());
            }),
        ));
        let b = bytes.clone();
        cases.push((
            format!("{name}/decode/cloudevents-sdk"),
            Box::new(move || {
                black_box(serde_json::from_slice::<cloudevents::Event>(black_box(&b)).unwrap());
            }),
        ));
        cases.push((
            format!("{name}/encode/event-core"),
            Box::new(move || {
                black_box(black_box(&ours).to_json_vec());
            }),
        ));
        cases.push((
            format!("{name}/encode/cloudevents-sdk"),
            Box::new(move || {
                black_box(serde_json::to_vec(black_box(&sdk)).unwrap());
            }),
        ));
    }
    let mut cases: Vec<(&str, &mut dyn FnMut())> = cases
        .iter_mut()
        .map(|(name, case)| (name.as_str(), &mut **case as &mut dyn FnMut()))
        .collect();
    event_core_benches::instruction_count_run(&mut cases)
}

criterion_group!(benches, cloudevents);

fn main() {
    if instruction_counts() {
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
