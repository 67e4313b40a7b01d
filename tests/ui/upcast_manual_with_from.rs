use event_core::prelude::*;

/// Version 1.
#[integration_event(version = 1)]
pub struct InvoiceIssuedIntegrationEvent {
    pub id: String,
    pub total_cents: u64,
}

#[integration_event(version = 2, upcast_from = InvoiceIssuedIntegrationEvent, upcast = "manual")]
pub struct InvoiceIssuedIntegrationEventV2 {
    #[event(from = id)]
    pub invoice_id: String,
    pub total_cents: u64,
}

fn main() {}

impl From<InvoiceIssuedIntegrationEvent> for InvoiceIssuedIntegrationEventV2 {
    fn from(older: InvoiceIssuedIntegrationEvent) -> Self {
        InvoiceIssuedIntegrationEventV2 {
            invoice_id: older.id,
            total_cents: older.total_cents,
        }
    }
}
