// A map keyed by a tuple compiled, and every encoding of the event then
// failed at run time ("key must be a string"). One error at each key type.
use std::collections::{BTreeMap, HashMap};

use event_core::prelude::*;

/// A hall's seats were assigned.
#[domain_event]
pub struct SeatsAssigned {
    pub hall_id: String,
    pub seats: HashMap<(u32, u32), String>,
    pub waiting: BTreeMap<Vec<String>, u32>,
    // Text and numbers are keys JSON writes.
    pub rows: BTreeMap<u32, String>,
    pub labels: HashMap<String, String>,
}

fn main() {
    // The event is still declared: its uses report nothing more.
    let assigned = SeatsAssigned {
        hall_id: "h-1".into(),
        seats: HashMap::new(),
        waiting: BTreeMap::new(),
        rows: BTreeMap::new(),
        labels: HashMap::new(),
    };
    let _ = Envelope::new("/halls", assigned);
}
