use event_core::prelude::*;

#[domain_event(allow(reserved_suffix))]
pub struct TicketEvent {
    pub ticket_id: String,
}

fn main() {}
