// Fields of single-threaded or mutable types: one error at each type, that
// says what to write (was eight errors at the struct's name for one `Rc`).
use event_core::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
    pub note: Rc<String>,
    pub lines: Vec<RefCell<u32>>,
    pub gift: std::cell::Cell<bool>,
}

fn main() {}
