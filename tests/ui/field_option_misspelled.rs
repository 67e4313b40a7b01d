use event_core::prelude::*;

#[domain_event]
pub struct CustomerRegistered {
    #[event(pli)]
    pub email: String,
}

/// Code that uses the event: nothing more is reported here.
fn publish<E: event_core::DomainEvent + std::fmt::Debug + Clone>(event: &E) -> String {
    format!("{:?}", event.clone())
}

fn main() {
    let event = CustomerRegistered {
        email: "ada@example.com".into(),
    };
    let _ = publish(&event);
}
