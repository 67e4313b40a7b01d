use event_core::prelude::*;

#[domain_event]
pub struct CheckOutBook {
    pub book_id: String,
}

fn main() {}
