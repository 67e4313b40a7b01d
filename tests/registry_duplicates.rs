//! Two events in different modules that claim the same type: the compiler
//! cannot see both, so the registry check reports them.

use event_core::registry;

mod catalog {
    use event_core::prelude::*;

    /// One claim of `product.updated.v1`.
    #[integration_event(version = 1)]
    pub struct ProductUpdatedIntegrationEvent {
        pub product_id: String,
    }
}

mod pricing {
    use event_core::prelude::*;

    /// A second claim of the same type, by name.
    #[integration_event(version = 1, name = "product.updated")]
    pub struct PriceChangedIntegrationEvent {
        pub product_id: String,
    }

    /// A domain event of the same type name: kinds do not collide.
    #[domain_event(name = "product.updated", allow(generic_name))]
    pub struct ProductUpdated {
        pub product_id: String,
    }
}

#[test]
fn duplicates_across_modules_are_reported_with_both_names() {
    let error = registry::check_unique().unwrap_err();
    assert_eq!(error.duplicates().len(), 1);
    let names: Vec<_> = error.duplicates()[0]
        .iter()
        .map(|d| d.rust_path())
        .collect();
    assert_eq!(
        names,
        [
            "registry_duplicates::catalog::ProductUpdatedIntegrationEvent",
            "registry_duplicates::pricing::PriceChangedIntegrationEvent",
        ]
    );
    assert_eq!(
        error.to_string(),
        "integration event type `product.updated.v1` is declared by \
         `registry_duplicates::catalog::ProductUpdatedIntegrationEvent` and \
         `registry_duplicates::pricing::PriceChangedIntegrationEvent`: \
         give each a distinct `name = \"...\"` or `version = N`"
    );
}
