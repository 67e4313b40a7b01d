use event_core::prelude::*;
use event_core::DomainBus;

#[integration_event(version = 1)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

fn main() {
    let bus = DomainBus::new();
    let envelope = Envelope::new("/shop", OrderPlacedIntegrationEvent { order_id: "o-1".into() });
    let _ = bus.publish(&mut event_core::Staged::new(), &envelope);
}
