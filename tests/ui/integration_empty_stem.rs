use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct IntegrationEvent {
    pub id: String,
}

fn main() {}
