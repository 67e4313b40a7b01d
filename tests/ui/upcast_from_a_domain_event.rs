// `upcast_from` naming a domain event, meant as `maps_from`: one error that
// says which to write (was the trait note "declare it with
// `#[integration_event]`", counted twice).
use event_core::prelude::*;

/// An invoice was issued.
#[domain_event]
pub struct InvoiceIssued {
    pub invoice_id: String,
}

/// The public invoice event.
#[integration_event(version = 2, upcast_from = InvoiceIssued)]
pub struct InvoiceIssuedIntegrationEventV2 {
    pub invoice_id: String,
}

fn main() {}
