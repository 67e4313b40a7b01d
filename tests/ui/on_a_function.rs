use event_core::prelude::*;

#[domain_event]
pub fn order_placed() {}

fn main() {}
