//! Every JSON Schema the examples export is one other tools accept: it
//! validates against the JSON Schema 2020-12 meta-schema, and compiles under
//! ajv's strict mode once the keywords and formats of the event-core
//! vocabulary (`event-core/schema/vocabulary.json`) are added; nothing else
//! is. Run with Node.js from `tests/js` (skipped with a notice without it,
//! never with `EVENT_CORE_REQUIRE_SERVICES=1`).

#[path = "support/node.rs"]
mod node;

// The examples, so that their events are this test's. Each keeps its own
// module: the same type name in two of them is two events here.
#[allow(dead_code)]
#[path = "../examples/customer_order.rs"]
mod customer_order;
#[allow(dead_code)]
#[path = "../examples/ecommerce.rs"]
mod ecommerce;
#[allow(dead_code)]
#[path = "../examples/order_shipping.rs"]
mod order_shipping;
#[allow(dead_code)]
#[path = "../examples/ordering_shipping.rs"]
mod ordering_shipping;
#[allow(dead_code)]
#[path = "../examples/payment.rs"]
mod payment;
// `examples/shop-events` declares `product.updated` version 1, which the
// e-commerce example's contract check would compare with its version 2:
// its schemas are checked by `tests/catalog_schemas_shop.rs`.

/// Fields of every integer width, for the ranges beside their formats.
mod widths {
    use event_core::prelude::*;

    /// A reading in every width schemars gives a format.
    #[integration_event(version = 1)]
    pub struct ReadingTakenIntegrationEvent {
        pub a: u8,
        pub b: i8,
        pub c: u16,
        pub d: i16,
        pub e: u32,
        pub f: i32,
        pub g: Option<u64>,
        pub h: Vec<i64>,
        pub i: usize,
        pub j: isize,
        pub k: f32,
        pub l: f64,
        #[event(pii)]
        pub m: String,
    }
}

use std::path::{Path, PathBuf};

use event_core::registry;

/// The examples' schemas, one file each as `registry::export` writes them
/// (two examples declaring one type each get a file here).
fn export(dir: &Path) -> Vec<PathBuf> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    registry::all()
        .into_iter()
        .enumerate()
        .map(|(i, descriptor)| {
            let file = dir.join(format!("{i:02}-{}.json", descriptor.full_type));
            let text = serde_json::to_string_pretty(&descriptor.schema()).unwrap();
            std::fs::write(&file, text).unwrap();
            file
        })
        .collect()
}

#[test]
fn every_example_schema_passes_the_meta_schema_and_ajv_strict() {
    const TEST: &str = "every_example_schema_passes_the_meta_schema_and_ajv_strict";
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalog-schemas");
    let files = export(&dir);
    assert_eq!(files.len(), 17, "{files:?}");
    node::check_schemas(TEST, &files);
}

#[test]
fn a_keyword_outside_the_vocabulary_or_a_wrong_range_is_rejected() {
    const TEST: &str = "a_keyword_outside_the_vocabulary_or_a_wrong_range_is_rejected";
    let Some(js) = node::harness(TEST) else {
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalog-schemas-wrong");
    std::fs::create_dir_all(&dir).unwrap();
    let schema = <widths::ReadingTakenIntegrationEvent as event_core::Event>::schema();

    let mut unknown = schema.clone();
    unknown["properties"]["a"]["x-unknown"] = true.into();
    let mut not_a_schema = schema.clone();
    not_a_schema["properties"]["a"]["maximum"] = "255".into();
    let mut wrong_vocabulary_value = schema;
    wrong_vocabulary_value["x-event-kind"] = "domestic".into();
    let mut files = Vec::new();
    for (name, schema) in [
        ("unknown.json", unknown),
        ("not-a-schema.json", not_a_schema),
        ("wrong-value.json", wrong_vocabulary_value),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, schema.to_string()).unwrap();
        files.push(file);
    }
    let vocabulary =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("event-core/schema/vocabulary.json");
    let mut args = vec![vocabulary.as_path()];
    args.extend(files.iter().map(PathBuf::as_path));
    let output = node::node(&js, "schemas.mjs", &args);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("schemas: 3 checked, 3 rejected"), "{text}");
    assert!(text.contains("unknown keyword: \"x-unknown\""), "{text}");
}

#[test]
fn the_vocabulary_names_every_keyword_and_format_the_schemas_use() {
    let vocabulary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("event-core/schema/vocabulary.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut keywords = std::collections::BTreeSet::new();
    let mut formats = std::collections::BTreeSet::new();
    fn walk(
        value: &serde_json::Value,
        keywords: &mut std::collections::BTreeSet<String>,
        formats: &mut std::collections::BTreeSet<String>,
    ) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    if key.starts_with("x-") {
                        keywords.insert(key.clone());
                    }
                    if key == "format"
                        && let Some(format) = child.as_str()
                    {
                        formats.insert(format.to_owned());
                    }
                    walk(child, keywords, formats);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, keywords, formats);
                }
            }
            _ => {}
        }
    }
    for descriptor in registry::all() {
        walk(&descriptor.schema(), &mut keywords, &mut formats);
    }
    for keyword in &keywords {
        assert!(
            vocabulary["properties"].get(keyword).is_some(),
            "`{keyword}` is not in the vocabulary"
        );
    }
    for format in formats
        .iter()
        .filter(|f| !matches!(f.as_str(), "date-time" | "uuid"))
    {
        let def = &vocabulary["$defs"][format!("format-{format}")];
        assert!(
            def.is_object(),
            "format `{format}` is not in the vocabulary"
        );
    }
    assert!(
        formats.contains("uint8") && formats.contains("double"),
        "{formats:?}"
    );
    for (format, max) in [
        ("uint8", 255_u64),
        ("uint32", u64::from(u32::MAX)),
        ("uint64", u64::MAX),
    ] {
        assert_eq!(
            vocabulary["$defs"][format!("format-{format}")]["maximum"],
            max
        );
    }
}
