// `pii = false`, meant as "not personal": the fix is to drop it, not to
// write `pii` alone, which would mark the field personal.
use event_core::prelude::*;

/// A customer joined.
#[domain_event]
pub struct CustomerJoined {
    pub customer_id: String,
    #[event(pii = false)]
    pub country: String,
    #[event(context(false))]
    pub region: String,
}

fn main() {}
