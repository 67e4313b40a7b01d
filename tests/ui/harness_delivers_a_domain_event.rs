// A domain event fed to the consumer harness: one error at the envelope (it
// compiled, and the consumer handled the domain event `book.lent` as the
// integration event of the same type name, so a wrong test passed).
use std::sync::Arc;

use event_core::host::MemoryInbox;
use event_core::prelude::*;
use event_core::testing;

/// A book was lent, for other contexts.
#[integration_event(version = 1)]
pub struct BookLentIntegrationEvent {
    pub book_id: String,
}

/// A book was lent.
#[domain_event]
pub struct BookLent {
    pub book_id: String,
}

fn main() {
    let lent = Envelope::new("/library", BookLent { book_id: "b-1".into() });
    let _ = testing::consumer("loans", Arc::new(MemoryInbox::new()))
        .handle::<BookLentIntegrationEvent>(async |(), _| Ok(()))
        .deliver(&lent);
}
