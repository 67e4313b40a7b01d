use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct CustomerRegisteredIntegrationEvent {
    #[event(secret)]
    pub password_hash: String,
}

fn main() {}
