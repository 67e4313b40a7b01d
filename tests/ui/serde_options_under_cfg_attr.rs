// A field's serde options under `cfg_attr`: the wire names differ from
// build to build, and the macro, which reads a field's options before
// `cfg_attr` applies, could not check them (here `id` twice on the wire,
// which never decodes). One error at the `serde`; `deny_unknown_fields`
// under a `cfg_attr` is left alone.
use event_core::prelude::*;

/// A product's price, for other contexts.
#[integration_event(version = 1)]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ProductPricedIntegrationEvent {
    pub id: String,
    #[cfg_attr(debug_assertions, serde(rename = "id"))]
    pub product_id: String,
}

fn main() {}
