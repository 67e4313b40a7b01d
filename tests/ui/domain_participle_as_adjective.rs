use event_core::prelude::*;

#[domain_event]
pub struct ApprovedLoan {
    pub loan_id: String,
}

fn main() {}
