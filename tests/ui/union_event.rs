use event_core::prelude::*;

#[domain_event]
pub union OrderPlaced {
    pub id: u64,
}

fn main() {}
