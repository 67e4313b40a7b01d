// A publisher given a reference to the transport, which is shared by
// cloning it.
use event_core::integration::IntegrationPublisher;
use event_core::transport::InMemoryTransport;

fn main() {
    let transport = InMemoryTransport::new();
    let _publisher = IntegrationPublisher::new(&transport);
}
