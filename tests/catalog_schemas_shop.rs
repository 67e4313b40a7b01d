//! The schemas of `examples/shop-events` pass the 2020-12 meta-schema and
//! ajv strict with the event-core vocabulary, as `tests/catalog_schemas.rs`
//! checks for the other examples (a test of its own: its `product.updated`
//! version 1 is not the e-commerce example's contract).

#[path = "support/node.rs"]
mod node;

#[allow(dead_code)]
#[path = "../examples/shop-events/src/lib.rs"]
mod shop_events;

use std::path::Path;

#[test]
fn every_shop_events_schema_passes_the_meta_schema_and_ajv_strict() {
    const TEST: &str = "every_shop_events_schema_passes_the_meta_schema_and_ajv_strict";
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalog-schemas-shop");
    let _ = std::fs::remove_dir_all(&dir);
    let exported = event_core::registry::export(&dir).expect("the schemas are written");
    assert_eq!(exported.files.len(), shop_events::events().len());
    // The vocabulary goes with the schemas.
    assert_eq!(
        std::fs::read_to_string(dir.join("vocabulary.json")).unwrap(),
        event_core::registry::VOCABULARY
    );
    let files: Vec<_> = exported.files.iter().map(|f| dir.join(f)).collect();
    node::check_schemas(TEST, &files);
}
