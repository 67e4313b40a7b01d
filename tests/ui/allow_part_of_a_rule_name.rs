use event_core::prelude::*;

// `tense` is a part of `non_past_tense`: suggested, and taken as meant, so
// the naming rule it opts out of reports nothing more.
#[domain_event(allow(tense))]
pub struct PlaceOrder {
    pub order_id: String,
}

fn main() {}
