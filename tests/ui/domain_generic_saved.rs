#![deny(deprecated)]

use event_core::prelude::*;

#[domain_event]
pub struct DraftSaved {
    pub draft_id: String,
}

fn main() {}
