// A map whose key is a tuple and whose values are `Rc`s: both are reported.
use std::collections::BTreeMap;
use std::rc::Rc;

use event_core::prelude::*;

/// Books were shelved.
#[domain_event]
pub struct BooksShelved {
    pub by_place: BTreeMap<(u32, u32), Rc<str>>,
}

fn main() {}
