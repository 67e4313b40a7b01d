use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    #[event[pii]]
    pub email: String,
}

fn main() {
    let event = CustomerRegistered {
        email: "ada@example.com".into(),
    };
    let _ = format!("{event:?}");
}
