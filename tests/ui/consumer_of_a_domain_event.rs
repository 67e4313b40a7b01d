// A consumer subscribed to a domain event, which never leaves its process.
use event_core::integration::Consumer;
use event_core::prelude::*;
use event_core::transport::InMemoryTransport;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

async fn consume(transport: &InMemoryTransport) {
    let _consumer = Consumer::<OrderPlaced, _>::subscribe(transport, "billing").await;
}

fn main() {
    let _ = consume;
}
