use event_core::prelude::*;

/// What a state is called is not what happened: the name says the invoice
/// is overdue, not that it became so.
#[domain_event]
pub struct InvoiceOverdue {
    pub invoice_id: String,
}

fn main() {}
