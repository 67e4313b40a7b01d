// Fields of locks and atomics: mutable state, which an event is not. One
// error at each type, naming the value to write (were two errors each,
// about `Clone` and `==`, that did not say what was wrong).
use event_core::prelude::*;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, RwLock};

/// An order was totalled.
#[domain_event]
pub struct OrderTotalled {
    pub order_id: String,
    pub total: Mutex<u64>,
    pub lines: RwLock<Vec<String>>,
    pub count: AtomicU64,
}

fn main() {}
