//! The thread-local override of ids and times that `event_core::testing`
//! turns on: while it is set, [`uuid7::new_v7`](crate::model::uuid7) and
//! [`Timestamp::now`] hand out predictable values instead of random ids and
//! the clock. Compiled only with the `testing` feature.

use std::cell::Cell;

use crate::model::time::Timestamp;

/// 2026-01-01T00:00:00Z, the first time handed out.
pub(crate) const START_SECS: i64 = 1_767_225_600;

/// The next id number and the next time, in milliseconds after
/// [`START_SECS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sequence {
    /// The number of the next id (the first is 1).
    pub(crate) next_id: u64,
    /// Milliseconds after the start of the next time.
    pub(crate) next_millis: u64,
}

impl Sequence {
    /// The sequence at its start.
    pub(crate) const START: Sequence = Sequence {
        next_id: 1,
        next_millis: 0,
    };
}

thread_local! {
    static OVERRIDE: Cell<Option<Sequence>> = const { Cell::new(None) };
}

/// Sets this thread's override to `sequence` (or none), returning the one it
/// replaces.
pub(crate) fn replace(sequence: Option<Sequence>) -> Option<Sequence> {
    OVERRIDE.with(|cell| cell.replace(sequence))
}

/// The next id number, if the override is on.
pub(crate) fn next_id() -> Option<u64> {
    OVERRIDE.with(|cell| {
        let mut sequence = cell.get()?;
        let id = sequence.next_id;
        sequence.next_id = id.wrapping_add(1);
        cell.set(Some(sequence));
        Some(id)
    })
}

/// The next time, if the override is on.
pub(crate) fn next_time() -> Option<Timestamp> {
    OVERRIDE.with(|cell| {
        let mut sequence = cell.get()?;
        let millis = sequence.next_millis;
        sequence.next_millis = millis.saturating_add(1);
        cell.set(Some(sequence));
        let secs = START_SECS.saturating_add(i64::try_from(millis / 1000).unwrap_or(i64::MAX));
        // Below 10^9 nanoseconds by construction.
        let nanos = u32::try_from((millis % 1000) * 1_000_000).unwrap_or(0);
        Timestamp::from_unix(secs, nanos)
    })
}
