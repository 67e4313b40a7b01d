use event_core::prelude::*;

/// Version 1.
#[integration_event(version = 1)]
pub struct InvoiceIssuedIntegrationEvent {
    pub id: String,
    pub total_cents: u64,
}

#[integration_event(version = 2, upcast_from = InvoiceIssuedIntegrationEvent)]
pub struct InvoiceIssuedIntegrationEventV2 {
    pub id: String,
    #[event(context)]
    pub currency: String,
    pub total_cents: u64,
}

fn main() {}
