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

    #[test]
    fn the_build_script_wrote_the_catalog() {
        let read = |file: &str| {
            std::fs::read_to_string(
                std::path::Path::new(env!("OUT_DIR"))
                    .join("catalog")
                    .join(file),
            )
            .unwrap()
        };
        let index = read("index.md");
        assert!(index.starts_with("# shop-events events\n"), "{index}");
        assert!(index.contains("`customer_email` (pii)"), "{index}");
        let flow = read("flow.mmd");
        assert!(
            flow.contains(
                "domain_product_put_on_sale_v1 -->|maps to| integration_product_updated_v1"
            ),
            "{flow}"
        );
        let asyncapi = read("asyncapi.json");
        assert!(
            asyncapi.contains("\"send.product.updated.v1\""),
            "{asyncapi}"
        );
    }
}
