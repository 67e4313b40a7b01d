//! An exhaustive model check of the relay's claim protocol: two relays, two
//! rows, every interleaving of claim, publish, mark, bury, renew, lease
//! expiry, crash and restart. It checks that
//!
//! - no row is marked published unless its message was published;
//! - no write about a row lands from a relay that no longer holds it (a
//!   stale relay never marks or buries a row another relay claimed);
//! - once crashes stop, every row can still end published or buried.
//!
//! The model follows the protocol of `relay::OutboxStore`: each claim moves
//! the row's generation on, and every later write is conditional on it. The
//! same check run with that condition removed must find a violation, so the
//! test shows the condition is what keeps the invariants.

use std::collections::{HashSet, VecDeque};

const RELAYS: usize = 2;
const ROWS: usize = 2;
const MAX_CRASHES: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RowState {
    Pending,
    /// Claimed with the row's current generation by `holder`; `expired`
    /// once its lease ran out.
    InFlight {
        holder: usize,
        expired: bool,
    },
    Published,
    Dead,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Row {
    state: RowState,
    /// Messages the transport stored for this row (counted up to 3).
    sent: u8,
}

/// What a relay holds of one row in its batch. Generations matter only by
/// equality, so the model keeps whether the relay's generation is still the
/// row's: a claim by anyone makes every older one stale. That keeps the
/// state space finite however often rows are claimed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Held {
    row: usize,
    /// This claim's generation is the row's current one.
    current: bool,
    /// The transport stored its message; the mark is still to write.
    sent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Relay {
    alive: bool,
    crashes: u8,
    batch: Vec<Held>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct State {
    rows: [Row; ROWS],
    relays: [Relay; RELAYS],
}

/// Whether the store applies a write about a row: a claimed row, and, with
/// fencing, only under the claim's generation.
fn store_accepts(fenced: bool, row: &Row, held: &Held) -> bool {
    matches!(row.state, RowState::InFlight { .. }) && (!fenced || held.current)
}

/// Whether the relay writing holds the row's current claim.
fn holds(row: &Row, relay: usize, held: &Held) -> bool {
    matches!(row.state, RowState::InFlight { holder, .. } if holder == relay) && held.current
}

/// What broke; its fields are shown in the failure message.
#[derive(Debug)]
#[allow(dead_code)]
enum Violation {
    MarkedWithoutPublish(usize),
    StaleWrite { relay: usize, row: usize },
}

/// Every state one step from `state`, with whether the step is a crash (a
/// fault) and the violation it causes, if any.
fn steps(state: &State, fenced: bool) -> Vec<(State, bool, Option<Violation>)> {
    let mut next = Vec::new();
    for r in 0..RELAYS {
        let relay = &state.relays[r];
        if !relay.alive {
            if relay.crashes <= MAX_CRASHES {
                let mut s = state.clone();
                s.relays[r].alive = true;
                next.push((s, false, None));
            }
            continue;
        }
        // Crash: the batch is gone, the rows stay claimed until the lease.
        if relay.crashes < MAX_CRASHES {
            let mut s = state.clone();
            s.relays[r] = Relay {
                alive: false,
                crashes: relay.crashes + 1,
                batch: Vec::new(),
            };
            next.push((s, true, None));
        }
        if relay.batch.is_empty() {
            // Claim every due row.
            let mut s = state.clone();
            for (i, row) in s.rows.iter_mut().enumerate() {
                let due = matches!(
                    row.state,
                    RowState::Pending | RowState::InFlight { expired: true, .. }
                );
                if due {
                    row.state = RowState::InFlight {
                        holder: r,
                        expired: false,
                    };
                    s.relays[r].batch.push(Held {
                        row: i,
                        current: true,
                        sent: false,
                    });
                }
            }
            // The new claims make every older claim of those rows stale.
            let claimed: Vec<usize> = s.relays[r].batch.iter().map(|h| h.row).collect();
            for (other, relay) in s.relays.iter_mut().enumerate() {
                if other != r {
                    for h in &mut relay.batch {
                        if claimed.contains(&h.row) {
                            h.current = false;
                        }
                    }
                }
            }
            if !s.relays[r].batch.is_empty() {
                next.push((s, false, None));
            }
            continue;
        }
        let held = relay.batch[0];
        let row = state.rows[held.row];
        // Renew: the store answers which claims still hold; lost rows are
        // dropped. (Renewal also restarts the lease of held rows.)
        {
            let mut s = state.clone();
            s.relays[r].batch.retain(|h| !fenced || h.current);
            for h in &s.relays[r].batch {
                if let RowState::InFlight { holder, .. } = s.rows[h.row].state
                    && h.current
                {
                    s.rows[h.row].state = RowState::InFlight {
                        holder,
                        expired: false,
                    };
                }
            }
            if s != *state {
                next.push((s, false, None));
            }
        }
        if held.sent {
            // Mark published.
            let mut s = state.clone();
            let mut violation = None;
            if store_accepts(fenced, &row, &held) {
                if !holds(&row, r, &held) {
                    violation = Some(Violation::StaleWrite {
                        relay: r,
                        row: held.row,
                    });
                }
                if row.sent == 0 {
                    violation = Some(Violation::MarkedWithoutPublish(held.row));
                }
                s.rows[held.row].state = RowState::Published;
            }
            s.relays[r].batch.remove(0);
            next.push((s, false, violation));
        } else {
            // The broker stores the message...
            let mut s = state.clone();
            s.rows[held.row].sent = s.rows[held.row].sent.saturating_add(1).min(3);
            s.relays[r].batch[0].sent = true;
            next.push((s, false, None));
            // ...or rejects it for good: bury.
            let mut s = state.clone();
            let mut violation = None;
            if store_accepts(fenced, &row, &held) {
                if !holds(&row, r, &held) {
                    violation = Some(Violation::StaleWrite {
                        relay: r,
                        row: held.row,
                    });
                }
                s.rows[held.row].state = RowState::Dead;
            }
            s.relays[r].batch.remove(0);
            next.push((s, false, violation));
        }
    }
    // Time passes: a claimed row's lease runs out (a stalled relay).
    for i in 0..ROWS {
        if let RowState::InFlight {
            holder,
            expired: false,
        } = state.rows[i].state
        {
            let mut s = state.clone();
            s.rows[i].state = RowState::InFlight {
                holder,
                expired: true,
            };
            next.push((s, false, None));
        }
    }
    next
}

fn done(state: &State) -> bool {
    state
        .rows
        .iter()
        .all(|row| matches!(row.state, RowState::Published | RowState::Dead))
}

/// Explores every reachable state; returns the first violation found, and
/// the number of states.
fn check(fenced: bool) -> (Option<Violation>, usize) {
    let start = State {
        rows: [Row {
            state: RowState::Pending,
            sent: 0,
        }; ROWS],
        relays: core::array::from_fn(|_| Relay {
            alive: true,
            crashes: 0,
            batch: Vec::new(),
        }),
    };
    let mut seen: HashSet<State> = HashSet::from([start.clone()]);
    let mut queue = VecDeque::from([start]);
    let mut order = Vec::new();
    while let Some(state) = queue.pop_front() {
        order.push(state.clone());
        for (next, _, violation) in steps(&state, fenced) {
            if violation.is_some() {
                return (violation, seen.len());
            }
            if seen.insert(next.clone()) {
                queue.push_back(next);
            }
        }
    }
    // Liveness: from every reachable state, steps without crashes lead to a
    // state where every row is published or buried.
    let mut can_finish: HashSet<State> = order.iter().filter(|s| done(s)).cloned().collect();
    loop {
        let before = can_finish.len();
        for state in &order {
            if can_finish.contains(state) {
                continue;
            }
            let finishes = steps(state, fenced)
                .into_iter()
                .any(|(next, crash, _)| !crash && can_finish.contains(&next));
            if finishes {
                can_finish.insert(state.clone());
            }
        }
        if can_finish.len() == before {
            break;
        }
    }
    let stuck = order.iter().find(|s| !can_finish.contains(*s));
    assert!(
        stuck.is_none(),
        "a state from which the rows cannot finish: {stuck:?}"
    );
    (None, seen.len())
}

#[test]
fn the_fenced_protocol_keeps_every_invariant_in_every_interleaving() {
    let (violation, states) = check(true);
    assert!(violation.is_none(), "{violation:?}");
    assert!(states > 1_000, "only {states} states explored");
}

#[test]
fn without_the_fencing_condition_a_stale_relay_writes_a_row_it_lost() {
    let (violation, _) = check(false);
    assert!(
        matches!(violation, Some(Violation::StaleWrite { .. })),
        "expected a stale write, found {violation:?}"
    );
}
