//! A test kit for a service's own tests (feature `testing`): deterministic
//! ids and times, assertions on events with a readable diff, a unit of
//! work to run a use case against, and (with the `tokio` feature) a harness
//! that feeds a hosted consumer a script of messages (`testing::consumer`).
//!
//! A given/when/then over a translator:
//!
//! ```
//! use event_core::prelude::*;
//! use event_core::{DomainBus, testing};
//! use serde_json::json;
//!
//! /// A product was put on sale.
//! #[domain_event]
//! pub struct ProductPutOnSale { pub product_id: String }
//!
//! /// A product changed.
//! #[integration_event(version = 1, maps_from = ProductPutOnSale)]
//! pub struct ProductUpdatedIntegrationEvent { pub product_id: String }
//!
//! // Given a bus that translates the domain event.
//! let _ids = testing::deterministic();
//! let mut bus = DomainBus::new();
//! bus.translate::<ProductPutOnSale, ProductUpdatedIntegrationEvent>(|_| Ok(()));
//!
//! // When the use case publishes it.
//! let sale = Envelope::new("/catalog", ProductPutOnSale { product_id: "p-7".into() });
//! let staged = testing::staged(&bus, |bus, work| bus.publish(work, &sale)).unwrap();
//!
//! // Then the integration event is staged.
//! testing::assert_events(&staged, &[json!({
//!     "type": "product.updated.v1",
//!     "data": { "product_id": "p-7" },
//! })]);
//! ```

use core::fmt;
use core::fmt::Write as _;
use std::marker::PhantomData;
use std::rc::Rc;

use serde_json::Value;

use crate::delivery::bus::DomainBus;
use crate::delivery::unit::Staged;
use crate::encoding::message::Message;
use crate::model::testing::{self as clock, Sequence};

#[cfg(feature = "tokio")]
mod harness;
#[cfg(feature = "tokio")]
pub use harness::{
    ConsumerHarness, Handled, HarnessError, MAX_DELIVERIES, Outcome, Report, STEP_BOUND, consumer,
};

/// Makes ids and times on this thread predictable until the returned guard
/// is dropped.
///
/// Every [`EventId::new`](crate::EventId::new) and
/// [`CorrelationId::new`](crate::CorrelationId::new) (so every
/// [`Envelope::new`](crate::Envelope::new) and
/// [`Envelope::caused_by`](crate::Envelope::caused_by)) takes the next id of
/// the sequence `00000000-0000-7000-8000-000000000001`,
/// `00000000-0000-7000-8000-000000000002`, … (valid UUID v7 text, so the
/// envelopes validate), and every [`Timestamp::now`](crate::Timestamp::now)
/// the next time of `2026-01-01T00:00:00Z`, `2026-01-01T00:00:00.001Z`, …
/// (one millisecond further per call).
///
/// Each guard starts the sequences again; when it drops, the ids and times
/// go back to what they were before it (random ids and the system clock, or
/// an outer guard's sequences where it left them). Other threads are not
/// affected, so tests running in parallel do not disturb one another. The
/// guard cannot leave its thread.
///
/// ```
/// use event_core::prelude::*;
/// use event_core::testing;
///
/// /// A product was put on sale.
/// #[domain_event]
/// pub struct ProductPutOnSale { pub product_id: String }
///
/// let _guard = testing::deterministic();
/// let sale = Envelope::new("/catalog", ProductPutOnSale { product_id: "p-7".into() });
/// assert_eq!(sale.id().as_str(), "00000000-0000-7000-8000-000000000001");
/// assert_eq!(sale.correlation_id().as_str(), "00000000-0000-7000-8000-000000000002");
/// assert_eq!(sale.time().unwrap().to_string(), "2026-01-01T00:00:00Z");
/// ```
pub fn deterministic() -> Deterministic {
    Deterministic {
        previous: clock::replace(Some(Sequence::START)),
        _thread: PhantomData,
    }
}

/// The guard of [`deterministic`]: ids and times on this thread are
/// predictable while it lives.
#[must_use = "ids and times are deterministic only while the guard lives: bind it, `let _guard = testing::deterministic();` (`let _ =` drops it at once)"]
pub struct Deterministic {
    previous: Option<Sequence>,
    // Neither `Send` nor `Sync`: the override belongs to the guard's thread.
    _thread: PhantomData<Rc<()>>,
}

impl fmt::Debug for Deterministic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deterministic").finish_non_exhaustive()
    }
}

impl Drop for Deterministic {
    fn drop(&mut self) {
        clock::replace(self.previous);
    }
}

/// Runs `use_case` with `bus` and a fresh in-memory unit of work
/// ([`Staged`]), and returns the messages it staged, oldest first: the
/// "when" of a given/when/then test.
///
/// # Errors
///
/// The use case's error; what it staged is discarded, as a unit of work that
/// rolls back.
///
/// ```
/// use event_core::prelude::*;
/// use event_core::{DomainBus, testing};
///
/// /// A product was put on sale.
/// #[domain_event]
/// pub struct ProductPutOnSale { pub product_id: String }
///
/// /// A product changed.
/// #[integration_event(version = 1, maps_from = ProductPutOnSale)]
/// pub struct ProductUpdatedIntegrationEvent { pub product_id: String }
///
/// let mut bus = DomainBus::new();
/// bus.translate::<ProductPutOnSale, ProductUpdatedIntegrationEvent>(|_| Ok(()));
/// let sale = Envelope::new("/catalog", ProductPutOnSale { product_id: "p-7".into() });
/// let staged = testing::staged(&bus, |bus, work| bus.publish(work, &sale)).unwrap();
/// assert_eq!(staged.len(), 1);
/// assert_eq!(staged[0].event_type(), "product.updated.v1");
/// ```
pub fn staged<R, E>(
    bus: &DomainBus,
    use_case: impl FnOnce(&DomainBus, &mut Staged) -> Result<R, E>,
) -> Result<Vec<Message>, E> {
    let mut work = Staged::new();
    use_case(bus, &mut work)?;
    Ok(work.into_messages())
}

/// Checks that `actual` (structured messages, as [`encode`](crate::encode)
/// and [`Staged`] make them) are the `expected` events, in order, and panics
/// with a diff otherwise.
///
/// Each expected event is a JSON object of the CloudEvents attributes it
/// checks: `type` and `data` usually, and any other (`subject`, `source`,
/// `id`, `time`, `correlationid`, …) a test cares about. Attributes it leaves
/// out, such as `id` and `time`, are not compared; those it names are
/// compared in full, so `data` must match field for field, with no field
/// missing or extra. `null` expects the attribute to be absent or `null`.
///
/// The panic message lists each difference (in the order of the attributes'
/// and fields' names) with its JSON path and the expected and actual values
/// at that path (`[0].data.price_cents: expected
/// 1200, actual 1100`), not the whole events.
///
/// # Panics
///
/// When the events differ, in number or in an attribute.
///
/// ```
/// use event_core::prelude::*;
/// use event_core::{encode, testing};
/// use serde_json::json;
///
/// /// Stock levels for other contexts.
/// #[integration_event(version = 1)]
/// pub struct StockLevelIntegrationEvent { pub product_id: String, pub units: u64 }
///
/// let event = Envelope::new("/stock", StockLevelIntegrationEvent {
///     product_id: "p-7".into(),
///     units: 3,
/// });
/// testing::assert_events(&[encode(&event).unwrap()], &[json!({
///     "type": "stock.level.v1",
///     "data": { "product_id": "p-7", "units": 3 },
/// })]);
/// ```
#[track_caller]
pub fn assert_events(actual: &[Message], expected: &[Value]) {
    if let Some(report) = diff_events(actual, expected) {
        panic!("events differ:\n{report}");
    }
}

/// The differences [`assert_events`] reports, one a line, or `None` when
/// `actual` are the `expected` events.
///
/// ```
/// use event_core::prelude::*;
/// use event_core::{encode, testing};
/// use serde_json::json;
///
/// /// Stock levels for other contexts.
/// #[integration_event(version = 1)]
/// pub struct StockLevelIntegrationEvent { pub product_id: String, pub units: u64 }
///
/// let event = Envelope::new("/stock", StockLevelIntegrationEvent {
///     product_id: "p-7".into(),
///     units: 3,
/// });
/// let diff = testing::diff_events(&[encode(&event).unwrap()], &[json!({
///     "data": { "product_id": "p-7", "units": 4 },
/// })]);
/// assert_eq!(diff.as_deref(), Some("[0].data.units: expected 4, actual 3"));
/// ```
#[must_use]
pub fn diff_events(actual: &[Message], expected: &[Value]) -> Option<String> {
    let mut lines = Vec::new();
    if actual.len() != expected.len() {
        lines.push(format!(
            "expected {} event(s), actual {}: expected types [{}], actual types [{}]",
            expected.len(),
            actual.len(),
            expected
                .iter()
                .map(|e| e.get("type").and_then(Value::as_str).unwrap_or("?"))
                .collect::<Vec<_>>()
                .join(", "),
            actual
                .iter()
                .map(Message::event_type)
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    for (i, (message, expected)) in actual.iter().zip(expected).enumerate() {
        let path = format!("[{i}]");
        let event: Value = match serde_json::from_slice(message.payload()) {
            Ok(event) => event,
            Err(error) => {
                lines.push(format!(
                    "{path}: the payload of {} is not CloudEvents JSON ({error})",
                    message.event_type()
                ));
                continue;
            }
        };
        match expected {
            Value::Object(attributes) => {
                for (name, want) in sorted(attributes) {
                    let got = event.get(name).unwrap_or(&Value::Null);
                    diff_value(&format!("{path}.{name}"), want, got, &mut lines);
                }
            }
            other => diff_value(&path, other, &event, &mut lines),
        }
    }
    if lines.is_empty() {
        None
    } else {
        Some(lines.join("\n"))
    }
}

/// Appends the differences between `want` and `got` at `path` to `lines`.
fn diff_value(path: &str, want: &Value, got: &Value, lines: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, w) in sorted(want) {
                let child = format!("{path}.{key}");
                match got.get(key) {
                    Some(g) => diff_value(&child, w, g, lines),
                    None => lines.push(format!("{child}: expected {}, actual absent", short(w))),
                }
            }
            for (key, g) in sorted(got) {
                if !want.contains_key(key) {
                    lines.push(format!(
                        "{path}.{key}: expected absent, actual {}",
                        short(g)
                    ));
                }
            }
        }
        (Value::Array(want), Value::Array(got)) => {
            for (i, (w, g)) in want.iter().zip(got).enumerate() {
                diff_value(&format!("{path}[{i}]"), w, g, lines);
            }
            for (i, w) in want.iter().enumerate().skip(got.len()) {
                lines.push(format!("{path}[{i}]: expected {}, actual absent", short(w)));
            }
            for (i, g) in got.iter().enumerate().skip(want.len()) {
                lines.push(format!("{path}[{i}]: expected absent, actual {}", short(g)));
            }
        }
        (w, g) if w == g => {}
        (w, g) => lines.push(format!(
            "{path}: expected {}, actual {}",
            short(w),
            short(g)
        )),
    }
}

/// The entries of `map` in the order of their keys, whether or not
/// serde_json keeps insertion order (its `preserve_order` feature).
fn sorted(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// The longest value text a diff line shows.
const SHOWN: usize = 120;

/// `value` as compact JSON, cut to [`SHOWN`] characters.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= SHOWN {
        return text;
    }
    let mut cut: String = text.chars().take(SHOWN).collect();
    let _ = write!(cut, "… ({} characters)", text.chars().count());
    cut
}
