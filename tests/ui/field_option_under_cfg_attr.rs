use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    pub customer_id: String,
    #[cfg_attr(feature = "gdpr", event(pii))]
    pub email: String,
}

fn main() {}
