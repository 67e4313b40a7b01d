use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct InvoiceIssuedIntegrationEvent {
    pub id: String,
}

#[integration_event(version = 2, upcast_from = InvoiceIssuedIntegrationEvent, upcast = "manaul")]
pub struct InvoiceIssuedIntegrationEventV2 {
    pub invoice_id: String,
}

impl From<InvoiceIssuedIntegrationEvent> for InvoiceIssuedIntegrationEventV2 {
    fn from(older: InvoiceIssuedIntegrationEvent) -> Self {
        InvoiceIssuedIntegrationEventV2 {
            invoice_id: older.id,
        }
    }
}

fn main() {}
