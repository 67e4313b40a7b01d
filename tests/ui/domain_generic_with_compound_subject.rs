#![deny(deprecated)]
use event_core::prelude::*;

#[domain_event]
pub struct SavedSearchUpdated {
    pub search_id: String,
}

fn main() {}
