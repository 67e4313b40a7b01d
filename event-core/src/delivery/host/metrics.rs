//! Counters of a hosted consumer, readable while it runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The counters of one hosted consumer: a cheap, cloneable handle to
/// atomics the host updates as it goes, for a user to read or export
/// (to Prometheus, a log line, a health endpoint) without any dependency.
///
/// ```
/// use event_core::host::Metrics;
///
/// let metrics = Metrics::default();
/// let snapshot = metrics.snapshot();
/// assert_eq!(snapshot.handled, 0);
/// assert_eq!(snapshot.in_flight, 0);
/// // Known once a subscription whose transport reports it is open.
/// assert_eq!(snapshot.lag, None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    counters: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    handled: AtomicU64,
    duplicates: AtomicU64,
    retried: AtomicU64,
    dead_lettered: AtomicU64,
    in_flight: AtomicU64,
    released: AtomicU64,
    transport_errors: AtomicU64,
    /// The lag of each open subscription, [`UNKNOWN`] when its transport
    /// does not report one.
    lags: Mutex<Vec<Arc<AtomicU64>>>,
}

/// A lag slot's value when the transport does not know it.
const UNKNOWN: u64 = u64::MAX;

/// The counters of a [`Metrics`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct MetricsSnapshot {
    /// Events handled for the first time (their effect committed with the
    /// inbox row).
    pub handled: u64,
    /// Deliveries of events handled before, skipped by the inbox.
    pub duplicates: u64,
    /// Deliveries that failed and were released to come again (at once or
    /// after the retry policy's delay), or whose settling failed.
    pub retried: u64,
    /// Deliveries moved to the inbox's dead letters: handlers that failed
    /// for good, and messages that do not decode.
    pub dead_lettered: u64,
    /// Deliveries being handled now.
    pub in_flight: u64,
    /// Deliveries given back unhandled at shutdown: fetched but not started,
    /// or still running at the deadline.
    pub released: u64,
    /// Failed attempts to fetch from the transport (each retried after a
    /// pause).
    pub transport_errors: u64,
    /// Messages waiting for the consumer on the broker, summed over its
    /// subscriptions, when the transport reports it
    /// ([`Subscription::lag`](crate::transport::Subscription::lag)); `None`
    /// when none of them does. Read as each subscription delivers, so it is
    /// as of each subscription's latest delivery; how exact it is depends on
    /// the transport (exact for the in-memory, SQLite and NATS transports,
    /// a lower bound refreshed about once a second for RabbitMQ).
    pub lag: Option<u64>,
}

impl Metrics {
    /// The counters now.
    #[must_use]
    pub fn snapshot(&self) -> MetricsSnapshot {
        let c = &*self.counters;
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        MetricsSnapshot {
            handled: read(&c.handled),
            duplicates: read(&c.duplicates),
            retried: read(&c.retried),
            dead_lettered: read(&c.dead_lettered),
            in_flight: read(&c.in_flight),
            released: read(&c.released),
            transport_errors: read(&c.transport_errors),
            lag: self.lag(),
        }
    }

    fn lag(&self) -> Option<u64> {
        let lags = self
            .counters
            .lags
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut sum = None;
        for lag in lags.iter().map(|slot| slot.load(Ordering::Relaxed)) {
            if lag != UNKNOWN {
                sum = Some(sum.unwrap_or(0_u64).saturating_add(lag));
            }
        }
        sum
    }

    /// A slot for one subscription's lag, counted in the snapshot's sum.
    pub(super) fn lag_slot(&self) -> LagSlot {
        let slot = Arc::new(AtomicU64::new(UNKNOWN));
        self.counters
            .lags
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&slot));
        LagSlot(slot)
    }

    pub(super) fn add(&self, counter: Counter, n: u64) {
        let c = &*self.counters;
        let atomic = match counter {
            Counter::Handled => &c.handled,
            Counter::Duplicates => &c.duplicates,
            Counter::Retried => &c.retried,
            Counter::DeadLettered => &c.dead_lettered,
            Counter::InFlight => &c.in_flight,
            Counter::Released => &c.released,
            Counter::TransportErrors => &c.transport_errors,
        };
        atomic.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn started(&self) {
        self.add(Counter::InFlight, 1);
    }

    pub(super) fn stopped(&self) {
        self.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Counter {
    Handled,
    Duplicates,
    Retried,
    DeadLettered,
    InFlight,
    Released,
    TransportErrors,
}

/// Where the host writes one subscription's lag.
#[derive(Debug)]
pub(super) struct LagSlot(Arc<AtomicU64>);

impl LagSlot {
    pub(super) fn set(&self, lag: Option<u64>) {
        // `UNKNOWN` itself is never a real count.
        let value = lag.map_or(UNKNOWN, |lag| lag.min(UNKNOWN - 1));
        self.0.store(value, Ordering::Relaxed);
    }
}
