#![deny(deprecated)]

use event_core::prelude::*;

#[domain_event]
pub struct ProfileEdited {
    pub profile_id: String,
}

fn main() {}
