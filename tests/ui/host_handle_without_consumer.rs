// A handler added to the host itself, before any consumer.
use event_core::host::Host;
use event_core::prelude::*;
use event_core::transport::InMemoryTransport;

/// A book was lent.
#[integration_event(version = 1)]
pub struct BookLentIntegrationEvent {
    pub book_id: String,
}

fn main() {
    let _host = Host::new(InMemoryTransport::new())
        .handle::<BookLentIntegrationEvent>(async |(), _| Ok(()));
}
