// An envelope read into a plain struct: the bound's own error, which says
// to declare the event (was "the function exists but its trait bounds were
// not satisfied").
use event_core::prelude::*;

#[derive(Debug, Clone)]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {
    let _ = Envelope::<OrderPlaced>::from_json(b"{}");
}
