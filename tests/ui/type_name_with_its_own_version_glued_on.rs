// A type name that ends in the event's own version after `_`: the full type
// would say it twice (`catalog.product_updated_v1.v1`). One error at the
// name. (`plan.upgraded_to_v2` on a version 1 names a fact, and passes.)
use event_core::prelude::*;

/// The product's public state.
#[integration_event(version = 1, name = "catalog.product_updated_v1")]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

/// A plan was upgraded to the second generation of plans.
#[integration_event(version = 1, name = "plan.upgraded_to_v2")]
pub struct PlanUpgradedIntegrationEvent {
    pub plan_id: String,
}

fn main() {}
