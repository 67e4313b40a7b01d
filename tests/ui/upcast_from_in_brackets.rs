use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct InvoiceIssuedIntegrationEvent {
    pub id: String,
}

#[integration_event(version = 2, upcast_from = [InvoiceIssuedIntegrationEvent])]
pub struct InvoiceIssuedIntegrationEventV2 {
    #[event(from = id)]
    pub invoice_id: String,
}

fn main() {}
