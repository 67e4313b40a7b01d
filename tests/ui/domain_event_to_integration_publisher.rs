use event_core::integration::IntegrationPublisher;
use event_core::prelude::*;
use event_core::transport::InMemoryTransport;

#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {
    let publisher = IntegrationPublisher::new(InMemoryTransport::new());
    let envelope = Envelope::new("/shop", OrderPlaced { order_id: "o-1".into() });
    let _ = publisher.publish(&envelope);
}
