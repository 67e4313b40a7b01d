// A `pii` field that serde flattens, or that schemars leaves out of the
// schema, would go out unmarked and unredacted (it compiled): one error at
// `flatten` and at `skip`.
use event_core::prelude::*;
use event_core::schemars::JsonSchema;
use event_core::serde::{Deserialize, Serialize};

/// An address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "event_core::serde")]
#[schemars(crate = "event_core::schemars")]
pub struct Address {
    pub street: String,
    pub city: String,
}

/// A customer moved.
#[integration_event(version = 1)]
pub struct CustomerMovedIntegrationEvent {
    pub customer_id: String,
    #[event(pii)]
    #[serde(flatten)]
    pub address: Address,
    #[event(pii)]
    #[schemars(skip)]
    pub email: String,
}

fn main() {}
