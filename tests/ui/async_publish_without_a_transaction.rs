use event_core::prelude::*;
use event_core::sqlite::SqliteTx;
use event_core::{DomainBus, Staged};

#[domain_event]
pub struct BookLent {
    pub book_id: String,
}

fn main() {
    let bus = DomainBus::<SqliteTx>::default();
    let lent = Envelope::new("/library", BookLent { book_id: "b-1".into() });
    let mut work = Staged::new();
    let _ = bus.publish_async(&mut work, &lent);
}
