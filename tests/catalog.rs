//! The event catalog of the e-commerce example (`examples/ecommerce.rs`):
//! its Markdown pages, Mermaid diagrams and AsyncAPI document against the
//! golden files in `tests/golden/ecommerce`, and the AsyncAPI document
//! through the official parser (`@asyncapi/parser`, run with Node.js from
//! `tests/js`). Regenerate the golden files after an intended change with
//!
//! ```text
//! UPDATE_GOLDEN=1 cargo test --test catalog
//! ```
//!
//! and review their diff.

#[path = "support/node.rs"]
mod node;

// The example itself, so that its events are this test's.
#[allow(dead_code)]
#[path = "../examples/ecommerce.rs"]
mod ecommerce;

use std::path::{Path, PathBuf};

use event_core::catalog::{Catalog, Format, Page};
use event_core::prelude::*;
use event_core::registry::{self, EventRef};

/// Versions of one event, to see upcast paths and lineage; kept out of the
/// e-commerce catalog.
mod lineage {
    use event_core::prelude::*;

    /// A shipment left the warehouse.
    #[domain_event]
    pub struct ShipmentDispatched {
        pub shipment_id: String,
        /// The courier's access code: never sent out.
        #[event(secret)]
        pub door_code: String,
    }

    /// A shipment left, first version.
    #[integration_event(version = 1, name = "shipment.left")]
    pub struct ShipmentLeftIntegrationEvent {
        pub shipment_id: String,
    }

    /// A shipment left, with its carrier.
    #[integration_event(version = 2, name = "shipment.left", upcast_from = ShipmentLeftIntegrationEvent)]
    pub struct ShipmentLeftV2IntegrationEvent {
        pub shipment_id: String,
        pub carrier: Option<String>,
    }

    /// A shipment left, with its carrier and weight.
    #[integration_event(version = 3, name = "shipment.left", upcast_from = ShipmentLeftV2IntegrationEvent, maps_from = ShipmentDispatched)]
    pub struct ShipmentLeftV3IntegrationEvent {
        pub shipment_id: String,
        #[event(default)]
        pub carrier: Option<String>,
        #[event(default)]
        pub grams: Option<u32>,
    }

    /// A shipment left, version 4: decoded from no older version.
    #[integration_event(version = 4, name = "shipment.left", compat = "none")]
    pub struct ShipmentLeftV4IntegrationEvent {
        pub shipment_id: String,
        pub grams: u32,
    }

    /// Tells the warehouse a shipment left.
    #[notification_event(maps_from = ShipmentLeftV3IntegrationEvent)]
    pub struct ShipmentLeftNotification {
        pub shipment_id: String,
    }
}

/// The catalog of the example's events, with the consumer its `main`
/// subscribes.
fn ecommerce() -> Catalog {
    Catalog::of(
        registry::all()
            .into_iter()
            .filter(|d| d.module_path.ends_with("::ecommerce")),
    )
    .title("E-commerce events")
    .version("1.0.0")
    .consumer(
        "storefront",
        EventRef::of::<ecommerce::ProductUpdatedIntegrationEvent>(),
    )
}

fn lineage() -> Catalog {
    Catalog::of(
        registry::all()
            .into_iter()
            .filter(|d| d.module_path.ends_with("::lineage")),
    )
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ecommerce")
}

/// Compares `pages` with the golden files of `folder`, or writes them with
/// `UPDATE_GOLDEN=1`. Returns the differences.
fn golden(folder: &str, pages: &[Page]) -> Vec<String> {
    let dir = golden_dir().join(folder);
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    if update {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let mut problems = Vec::new();
    for page in pages {
        let path = dir.join(&page.path);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &page.text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) if text == page.text => {}
            Ok(text) => {
                let line = text
                    .lines()
                    .zip(page.text.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or_else(|| text.lines().count().min(page.text.lines().count()));
                problems.push(format!(
                    "{folder}/{} differs from the rendered page from line {}: golden {:?}, rendered {:?}",
                    page.path,
                    line + 1,
                    text.lines().nth(line).unwrap_or("<end>"),
                    page.text.lines().nth(line).unwrap_or("<end>")
                ));
            }
            Err(error) => problems.push(format!("{folder}/{}: {error}", page.path)),
        }
    }
    // A golden file no page renders any more is stale.
    let mut stack = vec![dir.clone()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if !pages.iter().any(|p| p.path == relative) {
                problems.push(format!("{folder}/{relative} is rendered no more"));
            }
        }
    }
    problems
}

#[test]
fn the_ecommerce_catalog_matches_its_golden_files() {
    let catalog = ecommerce();
    assert_eq!(catalog.events().len(), 5, "{:?}", catalog.events());
    let mut problems = Vec::new();
    for format in [Format::Markdown, Format::Mermaid, Format::AsyncApi] {
        problems.extend(golden(format.as_str(), &catalog.render(format)));
    }
    assert!(
        problems.is_empty(),
        "{}\n(after an intended change: UPDATE_GOLDEN=1 cargo test --test catalog, and review the diff)",
        problems.join("\n")
    );
}

#[test]
fn the_markdown_pages_show_kinds_fields_marks_and_mappings() {
    let pages = ecommerce().render(Format::Markdown);
    let page = |path: &str| {
        pages
            .iter()
            .find(|p| p.path == path)
            .unwrap_or_else(|| panic!("no page {path}"))
            .text
            .clone()
    };
    let index = page("index.md");
    assert!(index.starts_with("# E-commerce events\n"), "{index}");
    assert!(
        index.contains(
            "| [`product.updated`](integration/product.updated.md) | 2 | `ProductUpdatedIntegrationEvent` | none | The observable state of a product, for other bounded contexts. |"
        ),
        "{index}"
    );
    assert!(index.contains("`merchant_email` (pii)"), "{index}");
    assert!(index.contains("```mermaid\nflowchart LR\n"), "{index}");

    let sale = page("domain/product.put.on.sale.md");
    assert!(sale.contains("Domain event · version 1 ·"), "{sale}");
    assert!(
        sale.contains(
            "| `merchant_email` | string | yes | pii | Where the merchant is told about the sale. |"
        ),
        "{sale}"
    );
    assert!(
        sale.contains("- Maps to and consumed by: [integration `product.updated` v2](../integration/product.updated.md#version-2), [notification `sale.started` v1](../notification/sale.started.md#version-1)"),
        "{sale}"
    );

    let updated = page("integration/product.updated.md");
    assert!(
        updated.contains("- Maps from: [domain `product.put.on.sale` v1](../domain/product.put.on.sale.md#version-1), [domain `stock.recalculated` v1](../domain/stock.recalculated.md#version-1)"),
        "{updated}"
    );
    assert!(updated.contains("consumer `storefront`"), "{updated}");
    assert!(
        updated.contains(
            "| `priceCents` | integer (uint64) or null | no |  | The price customers pay now. |"
        ),
        "{updated}"
    );
    assert!(
        updated.contains("\"maximum\": 18446744073709551615"),
        "{updated}"
    );
}

#[test]
fn upcast_paths_secrets_and_version_lineage_are_shown() {
    let catalog = lineage();
    let pages = catalog.render(Format::Markdown);
    let left = &pages
        .iter()
        .find(|p| p.path == "integration/shipment.left.md")
        .unwrap()
        .text;
    assert!(left.contains("- to version 2: v1 → v2\n"), "{left}");
    assert!(left.contains("- to version 3: v1 → v2 → v3\n"), "{left}");
    assert!(!left.contains("- to version 4"), "{left}");
    assert!(
        left.contains("- Upcast from: [integration `shipment.left` v2](../integration/shipment.left.md#version-2)"),
        "{left}"
    );
    assert!(
        left.contains("Integration event · versions 1, 2, 3, 4 ·"),
        "{left}"
    );
    // Newest first.
    assert!(left.find("## Version 4").unwrap() < left.find("## Version 1").unwrap());
    let dispatched = &pages
        .iter()
        .find(|p| p.path == "domain/shipment.dispatched.md")
        .unwrap()
        .text;
    assert!(
        dispatched.contains(
            "| `door_code` | string | yes | secret | The courier's access code: never sent out. |"
        ),
        "{dispatched}"
    );

    let versions = &catalog.render(Format::Mermaid)[1];
    assert_eq!(versions.path, "versions.mmd");
    for edge in [
        "integration_shipment_left_v1 -->|upcast| integration_shipment_left_v2",
        "integration_shipment_left_v2 -->|upcast| integration_shipment_left_v3",
        "integration_shipment_left_v3 -.->|next| integration_shipment_left_v4",
    ] {
        assert!(versions.text.contains(edge), "{edge} in {}", versions.text);
    }

    // A notification mapped from an integration event is its consumer.
    let asyncapi = catalog.asyncapi();
    let receive = &asyncapi["operations"]["receive.shipment.left.v3.notification.shipment.left.v1"];
    assert_eq!(receive["action"], "receive", "{asyncapi:#}");
    assert_eq!(
        asyncapi["operations"].as_object().unwrap().len(),
        5,
        "a send per integration version, one receive: {asyncapi:#}"
    );
}

#[test]
fn the_asyncapi_document_has_channels_messages_traits_and_operations() {
    let document = ecommerce().asyncapi();
    assert_eq!(document["asyncapi"], "3.0.0");
    let channels = document["channels"].as_object().unwrap();
    let names: Vec<&str> = channels.keys().map(String::as_str).collect();
    assert_eq!(names, ["order.confirmed.v1", "product.updated.v2"]);
    let message = &document["components"]["messages"]["product.updated.v2"];
    assert_eq!(
        message["payload"]["$id"],
        ecommerce::ProductUpdatedIntegrationEvent::SCHEMA_ID
    );
    assert_eq!(
        message["payload"]["properties"]["unitsInStock"]["maximum"],
        u32::MAX
    );
    assert_eq!(
        message["traits"][0]["$ref"],
        "#/components/messageTraits/cloudEvents"
    );
    let headers = &document["components"]["messageTraits"]["cloudEvents"]["headers"];
    assert_eq!(headers["properties"]["ce-specversion"]["const"], "1.0");
    let send = &document["operations"]["send.product.updated.v2"];
    assert_eq!(send["action"], "send");
    let description = send["description"].as_str().unwrap();
    assert!(
        description.contains("`product.put.on.sale.v1` or `stock.recalculated.v1`"),
        "{description}"
    );
    assert_eq!(
        document["operations"]["receive.product.updated.v2.storefront"]["action"],
        "receive"
    );
}

#[test]
fn the_asyncapi_documents_pass_the_official_parser() {
    const TEST: &str = "the_asyncapi_documents_pass_the_official_parser";
    let Some(js) = node::harness(TEST) else {
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalog-asyncapi");
    let mut files = Vec::new();
    for (name, catalog) in [("ecommerce", ecommerce()), ("lineage", lineage())] {
        let written = catalog
            .write(Format::AsyncApi, &dir.join(name))
            .expect("the document is written");
        assert_eq!(written, ["asyncapi.json"]);
        files.push(dir.join(name).join("asyncapi.json"));
    }
    for file in &files {
        let output = node::node(&js, "asyncapi.mjs", &[file.as_path()]);
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}: {text}{}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(text.contains("valid AsyncAPI 3.0.0"), "{text}");
    }

    // The parser does find errors: a document whose operation names a
    // channel that is not there fails.
    let mut broken = ecommerce().asyncapi();
    broken["operations"]["send.product.updated.v2"]["channel"]["$ref"] =
        "#/channels/product.updated.v9".into();
    let file = dir.join("broken.json");
    std::fs::write(&file, broken.to_string()).unwrap();
    let output = node::node(&js, "asyncapi.mjs", &[file.as_path()]);
    assert!(
        !output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn formats_parse_from_their_names() {
    for format in [Format::AsyncApi, Format::Markdown, Format::Mermaid] {
        assert_eq!(format.as_str().parse::<Format>(), Ok(format));
    }
    let error = "html".parse::<Format>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "`html` is no catalog format; use `asyncapi`, `markdown` or `mermaid`"
    );
}

#[test]
fn a_catalog_is_written_to_a_folder() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalog-markdown");
    let _ = std::fs::remove_dir_all(&dir);
    let written = ecommerce().write(Format::Markdown, &dir).unwrap();
    assert_eq!(
        written,
        [
            "index.md",
            "domain/product.put.on.sale.md",
            "domain/stock.recalculated.md",
            "integration/order.confirmed.md",
            "integration/product.updated.md",
            "notification/sale.started.md",
        ]
    );
    for file in written {
        assert!(dir.join(file).is_file());
    }
    // A folder that cannot be made is an error, not a panic.
    let blocked = dir.join("index.md").join("below-a-file");
    assert!(ecommerce().write(Format::Mermaid, &blocked).is_err());
    let _ = <ecommerce::OrderConfirmedIntegrationEvent as Event>::FULL_TYPE;
}
