//! An upcast that skips a declared version: version 3 upcasts from version
//! 1 while version 2 is declared in another module, which the macros cannot
//! see. The registry check names the three, and a version-2 envelope is
//! indeed unreadable as version 3.

use event_core::prelude::*;
use event_core::registry;

mod v1 {
    use event_core::prelude::*;

    /// Version 1.
    #[integration_event(version = 1)]
    pub struct ProductListedIntegrationEvent {
        pub product_id: String,
    }
}

mod v2 {
    use event_core::prelude::*;

    /// Version 2, read from version 1.
    #[integration_event(version = 2, upcast_from = super::v1::ProductListedIntegrationEvent)]
    pub struct ProductListedIntegrationEventV2 {
        pub product_id: String,
        pub title: Option<String>,
    }
}

mod v3 {
    use event_core::prelude::*;

    /// Version 3, read from version 1: version 2 is skipped.
    #[integration_event(version = 3, upcast_from = super::v1::ProductListedIntegrationEvent)]
    pub struct ProductListedIntegrationEventV3 {
        pub product_id: String,
        pub price_cents: Option<u64>,
    }
}

/// A chain that reads each version from the one before it passes.
mod stock {
    use event_core::prelude::*;

    /// Version 1.
    #[integration_event(version = 1)]
    pub struct StockCountedIntegrationEvent {
        pub sku: String,
    }

    /// Version 2.
    #[integration_event(version = 2, upcast_from = StockCountedIntegrationEvent)]
    pub struct StockCountedIntegrationEventV2 {
        pub sku: String,
        pub count: Option<u32>,
    }

    /// Version 3.
    #[integration_event(version = 3, upcast_from = StockCountedIntegrationEventV2)]
    pub struct StockCountedIntegrationEventV3 {
        pub sku: String,
        pub count: Option<u32>,
        pub bin: Option<String>,
    }
}

#[test]
fn an_upcast_past_a_declared_version_is_reported() {
    let error = registry::check_upcasts().unwrap_err();
    assert_eq!(error.skips().len(), 1, "{error}");
    let skip = &error.skips()[0];
    assert_eq!(skip.event.rust_name, "ProductListedIntegrationEventV3");
    assert_eq!(skip.older.version, 1);
    let skipped: Vec<_> = skip.skipped.iter().map(|d| d.rust_name).collect();
    assert_eq!(skipped, ["ProductListedIntegrationEventV2"]);
    let text = error.to_string();
    assert!(
        text.contains("(version 3) upcasts from version 1, past version 2 (`"),
        "{text}"
    );
    assert!(text.contains("upcast from version 2"), "{text}");
}

#[test]
fn the_skipped_version_is_what_the_newest_cannot_read() {
    let v2 = Envelope::new(
        "/catalog",
        v2::ProductListedIntegrationEventV2 {
            product_id: "p-1".into(),
            title: None,
        },
    );
    let json = v2.to_json().unwrap();
    let error = event_core::decode::decode_upcasting::<v3::ProductListedIntegrationEventV3>(
        json.as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(error, event_core::DecodeError::NoUpcastPath { .. }),
        "{error:?}"
    );
}
