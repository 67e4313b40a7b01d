//! Prints the schema index that the build script exported.
//!
//! Run it with `cargo run -p schema-export`.

/// The index `build.rs` wrote, with every exported schema.
const INDEX: &str = include_str!(concat!(env!("OUT_DIR"), "/schemas/index.json"));

fn main() {
    println!("schemas exported to {}/schemas:", env!("OUT_DIR"));
    print!("{INDEX}");
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_event_of_shop_events_was_exported() {
        let index = super::INDEX;
        for expected in [
            "\"file\": \"domain/product.put.on.sale.v1.json\"",
            "\"file\": \"integration/product.updated.v1.json\"",
            "\"file\": \"notification/order.shipped.v1.json\"",
        ] {
            assert!(index.contains(expected), "{expected} in {index}");
        }
        let schema = std::fs::read_to_string(concat!(
            env!("OUT_DIR"),
            "/schemas/integration/product.updated.v1.json"
        ))
        .unwrap();
        assert!(
            schema.contains("\"$id\": \"urn:event:shop-events:integration:product.updated.v1\"")
        );
    }
}
