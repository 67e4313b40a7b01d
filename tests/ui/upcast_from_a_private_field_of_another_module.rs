use event_core::prelude::*;

mod v1 {
    use event_core::prelude::*;

    /// `total_cents` is seen in this module only.
    #[integration_event(version = 1)]
    pub struct InvoiceIssuedIntegrationEvent {
        pub invoice_id: String,
        total_cents: u64,
    }
}

#[integration_event(version = 2, upcast_from = v1::InvoiceIssuedIntegrationEvent)]
pub struct InvoiceIssuedIntegrationEventV2 {
    pub invoice_id: String,
    pub total_cents: u64,
}

fn main() {}
