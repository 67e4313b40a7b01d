// A notification handed to the integration publisher: one error, at the
// call (was the same error three times, at the argument, the call and its
// `.await`).
use event_core::integration::IntegrationPublisher;
use event_core::prelude::*;
use event_core::transport::InMemoryTransport;

/// Tells the customer their order is on its way.
#[notification_event]
pub struct OrderShippedNotification {
    pub order_id: String,
}

async fn send(
    publisher: &IntegrationPublisher<InMemoryTransport>,
    envelope: &Envelope<OrderShippedNotification>,
) {
    let _ = publisher.publish(envelope).await;
}

fn main() {
    let _ = send;
}
