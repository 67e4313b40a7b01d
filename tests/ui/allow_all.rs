// `allow(all)`: there is no such rule, and which one was meant is unknown;
// one error listing the rules, and no error of a rule after it.
use event_core::prelude::*;

/// Places an order.
#[domain_event(allow(all))]
pub struct PlaceOrder {
    pub order_id: String,
}

fn main() {}
