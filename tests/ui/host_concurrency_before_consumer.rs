// Concurrency set on the host, before any consumer.
use event_core::host::{Host, MemoryInbox};
use event_core::transport::InMemoryTransport;

fn main() {
    let _host = Host::new(InMemoryTransport::new())
        .concurrency(8)
        .consumer("desk", MemoryInbox::new());
}
