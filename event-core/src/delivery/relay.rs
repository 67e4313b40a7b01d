//! The relay: forwards an outbox to a transport, and survives every fault of
//! either.
//!
//! The relay is written once, over two traits: an [`OutboxStore`] (SQLite
//! here, any database with transactions elsewhere) and a
//! [`Transport`](crate::transport::Transport).
//!
//! - A message the broker **rejects** (`TransportError::Rejected`) is retried
//!   under the relay's [`RetryPolicy`] and then dead-lettered with its last
//!   error.
//! - A **fault** of the store (a locked, read-only or failing database) or of
//!   the transport (unavailable, closed, anything but a rejection) is nobody's
//!   message's fault: the relay gives the batch back untouched, waits with
//!   capped exponential backoff and jitter, and tries again, for as long as
//!   the fault lasts. It never stops on its own; [`RelayMonitor`] shows
//!   whether it is healthy or backing off, and why.
//! - Rows are claimed under a lease, renewed while the relay works, and each
//!   claim carries a generation that fences every later write: a relay that
//!   stalled past its lease writes nothing about rows another relay claimed
//!   since, and drops them. The rows of a relay that died go out again after
//!   the lease. Delivery is at least once; consumers absorb duplicates with
//!   an inbox.

use core::fmt;
use core::future::Future;
use core::task::Poll;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::delivery::bus::BoxError;
use crate::delivery::retry::{RetryDecision, RetryPolicy, backoff};
use crate::delivery::transport::{Transport, TransportError};
use crate::encoding::message::Message;
use crate::model::time::Timestamp;
use crate::model::uuid7;

/// A relay's hold on one outbox row: the row, and the generation of the
/// claim. Every claim of a row starts a new generation, and a store applies a
/// write about the row only while the row's generation is still the one the
/// writer claimed: a relay that lost its lease (it stalled, another relay
/// claimed the row) can no longer write anything about the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Claim {
    /// The row's position in the outbox: rows are published in this order.
    pub seq: i64,
    /// The claim's generation: a fencing token.
    pub generation: u64,
}

/// How often `run` purges published rows past their retention.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// One outbox row claimed by a relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedRow {
    /// The claim, which every later write about the row presents.
    pub claim: Claim,
    /// The message, or why the row cannot be one (it is dead-lettered).
    pub message: Result<Message, String>,
    /// How many publishes of it were rejected before.
    pub attempts: u32,
}

/// Where a relay reads the outbox and records what became of each row.
///
/// The protocol every store follows: [`claim`](OutboxStore::claim) takes due
/// rows under a lease and gives each a new claim generation; every later
/// call presents the [`Claim`] and takes effect only if the row is still
/// claimed with that generation, answering `false` otherwise, with nothing
/// written. The relay drops a row whose claim it lost.
pub trait OutboxStore: Send {
    /// Claims up to `batch` due rows, oldest first, for `relay`, for `lease`:
    /// pending rows whose retry time has come, and claimed rows whose lease
    /// ran out. Each claimed row's generation moves on.
    fn claim(
        &mut self,
        relay: &str,
        batch: usize,
        lease: Duration,
    ) -> impl Future<Output = Result<Vec<ClaimedRow>, BoxError>> + Send;

    /// Extends the lease of the rows still held under these claims, to
    /// `lease` from now; returns the claims still held.
    fn renew(
        &mut self,
        claims: &[Claim],
        lease: Duration,
    ) -> impl Future<Output = Result<Vec<Claim>, BoxError>> + Send;

    /// The transport stored the row's message. Returns whether the claim
    /// still held.
    fn mark_published(
        &mut self,
        relay: &str,
        claim: Claim,
    ) -> impl Future<Output = Result<bool, BoxError>> + Send;

    /// The transport rejected the row's message: record the attempt and the
    /// error, and make the row due again after `delay`. Returns whether the
    /// claim still held.
    fn retry_later(
        &mut self,
        claim: Claim,
        attempts: u32,
        error: &str,
        delay: Duration,
    ) -> impl Future<Output = Result<bool, BoxError>> + Send;

    /// Gives rows back unpublished, due at once, their attempts unchanged
    /// (those whose claims still hold).
    fn release(&mut self, claims: &[Claim]) -> impl Future<Output = Result<(), BoxError>> + Send;

    /// Moves the row to the dead letters with its attempts and last error.
    /// Burying an event id that is already among the dead letters replaces
    /// that dead letter. Returns whether the claim still held.
    fn bury(
        &mut self,
        claim: Claim,
        attempts: u32,
        error: &str,
    ) -> impl Future<Output = Result<bool, BoxError>> + Send;

    /// Deletes published rows older than `older_than`.
    fn purge_published(
        &mut self,
        older_than: Duration,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;

    /// Waits until there may be work, at most `timeout`: the relay's pause
    /// after a pass that found nothing to do. The provided implementation
    /// sleeps for `timeout`; a store whose database announces new rows (as
    /// PostgreSQL's `LISTEN`/`NOTIFY` does) returns as soon as one is.
    fn wait_for_work(&mut self, timeout: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(timeout)
    }
}

/// How a [`Relay`] claims, retries and keeps rows.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// This relay's name in the rows it claims; unique per running relay.
    pub name: String,
    /// How many rows one pass claims at most (at least 1).
    pub batch_size: usize,
    /// What to do with a message the broker rejected: retry it, and when,
    /// or dead-letter it.
    pub retry: RetryPolicy,
    /// The first wait after a fault of the store or the transport; it
    /// doubles with each fault in a row.
    pub fault_backoff: Duration,
    /// The longest wait after a fault.
    pub max_fault_backoff: Duration,
    /// How long a claimed row stays reserved for this relay. A relay that
    /// dies or stalls holding rows leaves them to others after this long: at
    /// least once, never lost.
    pub lease: Duration,
    /// How often a relay working through a batch (or waiting on the broker)
    /// extends the lease of the rows it still holds; well below `lease`, so
    /// that a healthy relay never loses its rows (a value not below `lease`
    /// is taken as a third of it). A relay that cannot renew stops working
    /// on the batch.
    pub renew_every: Duration,
    /// How long one publish may take before the broker counts as down: the
    /// batch is given back and the relay backs off, so a connection that
    /// never answers cannot hold rows (or shutdown) forever.
    pub publish_timeout: Duration,
    /// The pause when there is nothing to do.
    pub idle_wait: Duration,
    /// How long published rows are kept; `None` keeps them. The purge runs
    /// at most once a minute.
    pub retention: Option<Duration>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            name: format!("relay-{}", uuid7::new_v7()),
            batch_size: 100,
            retry: RetryPolicy::default(),
            fault_backoff: Duration::from_millis(100),
            max_fault_backoff: Duration::from_secs(30),
            lease: Duration::from_secs(30),
            renew_every: Duration::from_secs(10),
            publish_timeout: Duration::from_secs(30),
            idle_wait: Duration::from_millis(50),
            retention: Some(Duration::from_secs(7 * 24 * 3600)),
        }
    }
}

/// What a relay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Rows the transport stored.
    pub published: u64,
    /// Rejected publishes that will be retried.
    pub retried: u64,
    /// Rows moved to the dead letters.
    pub dead: u64,
    /// Rows this relay dropped because another relay claimed them after its
    /// lease ran out: nothing was written about them.
    pub fenced: u64,
}

impl RelayStats {
    fn is_idle(&self) -> bool {
        self.published == 0 && self.retried == 0 && self.dead == 0 && self.fenced == 0
    }
}

impl core::ops::AddAssign for RelayStats {
    fn add_assign(&mut self, other: Self) {
        self.published = self.published.saturating_add(other.published);
        self.retried = self.retried.saturating_add(other.retried);
        self.dead = self.dead.saturating_add(other.dead);
        self.fenced = self.fenced.saturating_add(other.fenced);
    }
}

/// Why a relay pass stopped early. Nothing is lost: claimed rows not yet
/// settled were given back, or go back after the lease.
#[derive(Debug)]
#[non_exhaustive]
pub enum RelayError {
    /// The outbox store failed (locked, read-only, I/O).
    Store(BoxError),
    /// The transport failed with something other than a rejection of the
    /// message.
    Transport(TransportError),
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayError::Store(error) => write!(f, "the outbox store failed: {error}"),
            RelayError::Transport(error) => write!(f, "the transport failed: {error}"),
        }
    }
}

impl std::error::Error for RelayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RelayError::Store(error) => Some(&**error),
            RelayError::Transport(error) => Some(error),
        }
    }
}

/// Whether a relay is working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayState {
    /// Not run yet.
    Starting,
    /// Its last pass succeeded.
    Healthy,
    /// Its last `failures` passes failed; it tries again after `retry_in`.
    BackingOff {
        /// Failed passes in a row.
        failures: u32,
        /// The wait before the next pass.
        retry_in: Duration,
    },
}

/// A relay's state, what it did in all, and its last fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayHealth {
    /// Healthy or backing off.
    pub state: RelayState,
    /// What it did since it started.
    pub stats: RelayStats,
    /// Faults since it started.
    pub faults: u64,
    /// The last fault, and when it happened; kept after recovery.
    pub last_error: Option<(Timestamp, String)>,
}

/// Reads a relay's [`RelayHealth`] from anywhere, while it runs.
#[derive(Debug, Clone)]
pub struct RelayMonitor(Arc<Mutex<RelayHealth>>);

impl RelayMonitor {
    /// The relay's health now.
    #[must_use]
    pub fn health(&self) -> RelayHealth {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn update(&self, change: impl FnOnce(&mut RelayHealth)) {
        change(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

/// Reads due rows of an outbox in order, publishes them through a transport,
/// and marks each published once the transport stored it.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use event_core::relay::{Relay, RelayConfig};
/// use event_core::sqlite::SqliteOutbox;
/// use event_core::transport::InMemoryTransport;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let conn = rusqlite::Connection::open_in_memory().unwrap();
/// SqliteOutbox::install(&conn).unwrap();
/// let mut relay = Relay::new(conn, InMemoryTransport::new(), RelayConfig::default());
/// let monitor = relay.monitor();
/// let stats = relay.run_once().await.unwrap();
/// assert_eq!(stats.published, 0);
/// assert_eq!(monitor.health().state, event_core::relay::RelayState::Healthy);
/// # });
/// # }
/// ```
#[derive(Debug)]
pub struct Relay<S, T> {
    store: S,
    transport: T,
    config: RelayConfig,
    monitor: RelayMonitor,
}

impl<S: OutboxStore, T: Transport> Relay<S, T> {
    /// A relay from `store` to `transport`.
    pub fn new(store: S, transport: T, mut config: RelayConfig) -> Self {
        config.batch_size = config.batch_size.max(1);
        if config.renew_every >= config.lease {
            config.renew_every = config.lease / 3;
        }
        Relay {
            store,
            transport,
            config,
            monitor: RelayMonitor(Arc::new(Mutex::new(RelayHealth {
                state: RelayState::Starting,
                stats: RelayStats::default(),
                faults: 0,
                last_error: None,
            }))),
        }
    }

    /// The store, for operator functions (dead letters, requeue).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// A handle that reads the relay's health while [`run`](Relay::run) owns
    /// the relay.
    #[must_use]
    pub fn monitor(&self) -> RelayMonitor {
        self.monitor.clone()
    }

    /// Claims one batch of due rows and publishes it.
    ///
    /// # Errors
    ///
    /// A fault of the store or the transport; the rows not yet settled were
    /// given back (or, if the store itself failed, go back after the lease).
    pub async fn run_once(&mut self) -> Result<RelayStats, RelayError> {
        let mut stats = RelayStats::default();
        let result = self.pass(&mut stats).await;
        // Read only by the log line, which the `tracing` feature adds.
        let _relay = self.config.name.as_str();
        self.monitor.update(|h| {
            // What the pass settled counts, whether or not it finished.
            h.stats += stats;
            match &result {
                Ok(()) => h.state = RelayState::Healthy,
                Err(error) => {
                    let error = error.to_string();
                    trace_warn!(relay = _relay, %error, "relay pass failed");
                    let failures = match h.state {
                        RelayState::BackingOff { failures, .. } => failures.saturating_add(1),
                        _ => 1,
                    };
                    h.state = RelayState::BackingOff {
                        failures,
                        retry_in: Duration::ZERO,
                    };
                    h.faults = h.faults.saturating_add(1);
                    h.last_error = Some((Timestamp::now(), error));
                }
            }
        });
        result.map(|()| stats)
    }

    /// Claims a batch and works through it; on a fault, gives back what is
    /// left of it, in order, so that the next pass starts where this one
    /// stopped (if giving back fails too, the lease returns the rows).
    async fn pass(&mut self, stats: &mut RelayStats) -> Result<(), RelayError> {
        let Relay {
            store,
            transport,
            config,
            ..
        } = self;
        let claimed = store
            .claim(&config.name, config.batch_size, config.lease)
            .await
            .map_err(RelayError::Store)?;
        let mut rows: VecDeque<ClaimedRow> = claimed.into();
        let result = work(store, transport, config, &mut rows, stats).await;
        if result.is_err() && !rows.is_empty() {
            let unsettled: Vec<Claim> = rows.iter().map(|r| r.claim).collect();
            let _ = store.release(&unsettled).await;
        }
        result
    }

    /// Runs until `stop` resolves: passes back to back while there is work,
    /// a pause of up to `idle_wait` when there is none
    /// ([`OutboxStore::wait_for_work`], which a store may end early when new
    /// rows arrive), and the retention purge at most once a minute.
    /// After a fault it waits (`fault_backoff`, doubling up to
    /// `max_fault_backoff`, with jitter) and tries again, as long as the
    /// fault lasts; it returns only when `stop` resolves, with what the relay
    /// did since it was created.
    pub async fn run(mut self, stop: impl Future<Output = ()>) -> RelayStats {
        let mut stop = core::pin::pin!(stop);
        let mut failures: u32 = 0;
        let mut purged_at: Option<Instant> = None;
        loop {
            let outcome = match self.run_once().await {
                Ok(stats) if purged_at.is_none_or(|at| at.elapsed() >= PURGE_EVERY) => {
                    purged_at = Some(Instant::now());
                    self.purge().await.map(|()| stats)
                }
                outcome => outcome,
            };
            let mut idle = false;
            let pause = match outcome {
                Ok(stats) => {
                    failures = 0;
                    idle = stats.is_idle();
                    if idle {
                        self.config.idle_wait
                    } else {
                        Duration::ZERO
                    }
                }
                Err(_) => {
                    failures = failures.saturating_add(1);
                    let wait = backoff(
                        self.config.fault_backoff,
                        self.config.max_fault_backoff,
                        failures,
                    );
                    self.monitor.update(|h| {
                        h.state = RelayState::BackingOff {
                            failures,
                            retry_in: wait,
                        };
                    });
                    wait
                }
            };
            // Idle, the store may be woken early by new rows; after a
            // fault, the backoff is waited out in full.
            let store = &mut self.store;
            let mut sleep = core::pin::pin!(async move {
                if idle {
                    store.wait_for_work(pause).await;
                } else {
                    tokio::time::sleep(pause).await;
                }
            });
            let stopped = core::future::poll_fn(|cx| {
                if stop.as_mut().poll(cx).is_ready() {
                    core::task::Poll::Ready(true)
                } else {
                    sleep.as_mut().poll(cx).map(|()| false)
                }
            })
            .await;
            if stopped {
                return self.monitor.health().stats;
            }
        }
    }

    async fn purge(&mut self) -> Result<(), RelayError> {
        let Some(retention) = self.config.retention else {
            return Ok(());
        };
        let result = self
            .store
            .purge_published(retention)
            .await
            .map_err(RelayError::Store);
        if let Err(error) = &result {
            let error = error.to_string();
            self.monitor.update(|h| {
                h.faults = h.faults.saturating_add(1);
                h.last_error = Some((Timestamp::now(), error));
            });
        }
        result
    }
}

/// Renews the lease of the rows left in the batch and drops those whose claim
/// was lost.
///
/// # Errors
///
/// The store failed: the relay stops working on the batch, whose rows go
/// back after the lease.
async fn renew<S: OutboxStore>(
    store: &mut S,
    config: &RelayConfig,
    rows: &mut VecDeque<ClaimedRow>,
    stats: &mut RelayStats,
) -> Result<(), RelayError> {
    let claims: Vec<Claim> = rows.iter().map(|r| r.claim).collect();
    let held = store
        .renew(&claims, config.lease)
        .await
        .map_err(RelayError::Store)?;
    let before = rows.len();
    rows.retain(|row| held.contains(&row.claim));
    let lost = before - rows.len();
    if lost > 0 {
        trace_warn!(
            relay = config.name.as_str(),
            lost,
            "claims lost to another relay; those rows are dropped"
        );
        stats.fenced = stats.fenced.saturating_add(lost as u64);
    }
    Ok(())
}

/// Counts a settled row under `counter`, or as fenced when the claim on it
/// was lost before the write.
fn count(stats: &mut RelayStats, held: bool, counter: fn(&mut RelayStats) -> &mut u64) {
    if held {
        *counter(stats) += 1;
    } else {
        trace_warn!("a claim was lost before its write; the row is left to its new holder");
        stats.fenced = stats.fenced.saturating_add(1);
    }
}

/// Works through a claimed batch, in order: publishes each row and records
/// the outcome, renewing the batch's lease as it goes. Settled rows leave
/// `rows`; on a fault the unsettled ones are left in it.
async fn work<S: OutboxStore, T: Transport>(
    store: &mut S,
    transport: &T,
    config: &RelayConfig,
    rows: &mut VecDeque<ClaimedRow>,
    stats: &mut RelayStats,
) -> Result<(), RelayError> {
    let name = config.name.as_str();
    let mut renewed_at = Instant::now();
    // The period of renewals while the broker takes its time.
    let period = config.renew_every.max(Duration::from_millis(1));
    while !rows.is_empty() {
        // Keep the lease of what is left of the batch; a row whose claim
        // was lost meanwhile belongs to another relay now.
        if renewed_at.elapsed() >= config.renew_every {
            renew(store, config, rows, stats).await?;
            renewed_at = Instant::now();
        }
        let Some(row) = rows.front() else {
            break;
        };
        let claim = row.claim;
        let attempts = row.attempts;
        let message = match &row.message {
            Ok(message) => message.clone(),
            Err(corrupt) => {
                let error = format!("corrupt row: {corrupt}");
                let held = store
                    .bury(claim, attempts, &error)
                    .await
                    .map_err(RelayError::Store)?;
                count(stats, held, |s| &mut s.dead);
                rows.pop_front();
                continue;
            }
        };
        // Publish, renewing the batch's lease while the broker takes its
        // time; if the claim on this row is lost meanwhile, the publish is
        // abandoned.
        let outcome = {
            let mut publish = core::pin::pin!(transport.publish(message));
            let started = Instant::now();
            loop {
                let left = config.publish_timeout.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return Err(RelayError::Transport(TransportError::Unavailable(format!(
                        "no answer from the broker within {:?}",
                        config.publish_timeout
                    ))));
                }
                let wait = period.saturating_sub(renewed_at.elapsed()).min(left);
                let mut tick = core::pin::pin!(tokio::time::sleep(wait));
                let ready = core::future::poll_fn(|cx| {
                    if let Poll::Ready(result) = publish.as_mut().poll(cx) {
                        return Poll::Ready(Some(result));
                    }
                    tick.as_mut().poll(cx).map(|()| None)
                })
                .await;
                if let Some(result) = ready {
                    break Some(result);
                }
                if renewed_at.elapsed() < period {
                    // The publish timeout's tick, not the renewal's.
                    continue;
                }
                renew(store, config, rows, stats).await?;
                renewed_at = Instant::now();
                if rows.front().map(|r| r.claim) != Some(claim) {
                    break None;
                }
            }
        };
        let Some(outcome) = outcome else {
            continue;
        };
        match outcome {
            Ok(()) => {
                let held = store
                    .mark_published(name, claim)
                    .await
                    .map_err(RelayError::Store)?;
                count(stats, held, |s| &mut s.published);
            }
            Err(TransportError::Rejected(why)) => {
                let attempts = attempts.saturating_add(1);
                let error = TransportError::Rejected(why).to_string();
                trace_warn!(seq = claim.seq, attempts, %error, "publish rejected");
                let (held, counter): (bool, fn(&mut RelayStats) -> &mut u64) =
                    match config.retry.decide(attempts) {
                        RetryDecision::DeadLetter => (
                            store
                                .bury(claim, attempts, &error)
                                .await
                                .map_err(RelayError::Store)?,
                            |s| &mut s.dead,
                        ),
                        decision => {
                            let delay = match decision {
                                RetryDecision::After(delay) => delay,
                                _ => Duration::ZERO,
                            };
                            (
                                store
                                    .retry_later(claim, attempts, &error, delay)
                                    .await
                                    .map_err(RelayError::Store)?,
                                |s| &mut s.retried,
                            )
                        }
                    };
                count(stats, held, counter);
            }
            Err(fault) => {
                // The broker is down, not the message: the batch goes back
                // as it was, and `run` backs off.
                return Err(RelayError::Transport(fault));
            }
        }
        rows.pop_front();
    }
    Ok(())
}

/// An outbox row as the message a relay may publish: every store keeps the
/// headers as a JSON array of `[name, value]` pairs beside the payload, and
/// a row is published only if its payload is an envelope of its own id and
/// type, so that bytes written wrong are not passed on. The error says what
/// is wrong, for the dead letter.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn stored_message(
    id: String,
    event_type: String,
    headers: &str,
    payload: Vec<u8>,
) -> Result<Message, String> {
    let headers: Vec<(String, String)> =
        serde_json::from_str(headers).map_err(|e| format!("headers are not valid: {e}"))?;
    let envelope: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|e| format!("payload is not JSON: {e}"))?;
    if envelope.get("id").and_then(serde_json::Value::as_str) != Some(id.as_str()) {
        return Err(format!("payload is not the envelope of event `{id}`"));
    }
    if envelope.get("type").and_then(serde_json::Value::as_str) != Some(event_type.as_str()) {
        return Err(format!("payload is not an envelope of type `{event_type}`"));
    }
    Ok(Message::from_parts(&id, &event_type, headers, payload))
}
