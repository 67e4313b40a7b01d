// `check_contracts!()` written among the items, outside a test function.
use event_core::prelude::*;

/// A book was lent.
#[integration_event(version = 1)]
pub struct BookLentIntegrationEvent {
    pub book_id: String,
}

event_core::check_contracts!();

fn main() {}
