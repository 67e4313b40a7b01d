use event_core::prelude::*;

#[derive(DomainEvent)]
pub struct OrderPlaced {
    pub order_id: String,
    #[event(pii)]
    pub email: String,
}

fn main() {}
