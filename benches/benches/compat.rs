//! The compatibility checker on large schemas: a root with N properties,
//! each a `$ref` to one of N definitions that refer to each other as a tree
//! (definition i to i / 2, so each is shared by two others and the root) and
//! to themselves (an array of their own kind). Each pair of definitions is
//! compared once, so the time grows with N, not with the paths through them.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use event_core::compat::{Compatibility, check};
use serde_json::{Map, Value, json};

/// The schema with `n` definitions; `changed` retypes one field deep in the
/// last definition.
fn schema(n: usize, changed: bool) -> Value {
    let mut properties = Map::new();
    let mut defs = Map::new();
    for i in 0..n {
        properties.insert(format!("p{i}"), json!({ "$ref": format!("#/$defs/D{i}") }));
        let amount = if changed && i == n - 1 {
            json!({ "type": "string" })
        } else {
            json!({ "type": "integer", "format": "int64" })
        };
        defs.insert(
            format!("D{i}"),
            json!({
                "type": "object",
                "properties": {
                    "amount": amount,
                    "label": { "type": "string", "maxLength": 40 },
                    "parent": { "$ref": format!("#/$defs/D{}", i / 2) },
                    "children": { "type": "array", "items": { "$ref": format!("#/$defs/D{i}") } },
                },
                "required": ["amount", "label"],
                "additionalProperties": false,
            }),
        );
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "$defs": defs,
        "additionalProperties": false,
        "x-rust-type": "Catalog",
    })
}

fn compat(c: &mut Criterion) {
    let mut group = c.benchmark_group("compat");
    group.sample_size(10);
    for n in [250, 500, 1000, 2000] {
        let old = schema(n, false);
        let new = schema(n, true);
        assert_eq!(check(&old, &new, Compatibility::Full).len(), 2);
        group.bench_with_input(BenchmarkId::new("full", n), &n, |b, _| {
            b.iter(|| check(&old, &new, Compatibility::Full))
        });
    }
    group.finish();
}

criterion_group!(benches, compat);
criterion_main!(benches);
