// The host's future handed to a thread pool (`tokio::spawn` asks for a
// `Send` future): one error, naming the host's future, whose documentation
// says where to await it; not one per part of the host it holds.
use std::sync::Arc;

use event_core::host::{Host, MemoryInbox};
use event_core::prelude::*;
use event_core::transport::InMemoryTransport;

/// A payment was captured, for other contexts.
#[integration_event(version = 1)]
pub struct PaymentCapturedIntegrationEvent {
    pub payment_id: String,
}

fn spawn<F: Future + Send + 'static>(_: F) {}

fn main() {
    let host = Host::new(InMemoryTransport::new())
        .consumer("ledger", Arc::new(MemoryInbox::new()))
        .handle::<PaymentCapturedIntegrationEvent>(async |(), _| Ok(()));
    spawn(host.run(async {}));
}
