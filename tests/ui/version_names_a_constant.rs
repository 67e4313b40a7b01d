use event_core::prelude::*;

const VERSION: u32 = 2;

#[integration_event(version = VERSION)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

fn main() {
    let _ = VERSION;
}
