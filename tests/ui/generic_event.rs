use event_core::prelude::*;

#[domain_event]
pub struct OrderPlaced<T> {
    pub order: T,
}

fn main() {}
