use event_core::prelude::*;

#[domain_event]
pub struct OrderPlaced(pub String);

fn main() {}
