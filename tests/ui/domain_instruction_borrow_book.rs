use event_core::prelude::*;

#[domain_event]
pub struct BorrowBook {
    pub book_id: String,
}

fn main() {}
