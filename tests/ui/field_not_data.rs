// A trait object, a function pointer and a raw pointer cannot be encoded:
// one error at each.
use event_core::prelude::*;

/// A price was changed.
#[integration_event(version = 1)]
pub struct PriceChangedIntegrationEvent {
    pub sku: String,
    pub rule: Box<dyn Fn(u64) -> u64 + Send + Sync>,
    pub rounding: fn(u64) -> u64,
    pub previous: *const u64,
}

fn main() {}
