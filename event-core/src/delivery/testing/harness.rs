//! The consumer harness: a real [`Host`] consumer, with the user's inbox and
//! handlers, fed a script of messages one at a time by a transport of its
//! own, with what became of each delivery written down.

use core::fmt;
use core::time::Duration;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use crate::delivery::bus::BoxError;
use crate::delivery::dead_letter::InboxOutcome;
use crate::delivery::host::{ConsumerBuilder, Host, HostError, Inbox, MetricsSnapshot};
use crate::delivery::integration::Received;
use crate::delivery::retry::RetryPolicy;
use crate::delivery::transport::{
    Acknowledge, BoxFuture, Delivery, Subscription, Transport, TransportError,
};
use crate::encoding::message::{Message, encode};
use crate::model::envelope::Envelope;
use crate::model::event::{Event, IntegrationEvent};

/// How long the harness waits for one scripted message to be settled
/// before it reports the consumer stuck.
pub const STEP_BOUND: Duration = Duration::from_secs(60);

/// How many times one scripted message is delivered at most (its first
/// delivery and the redeliveries after failures) before the harness gives up
/// on it.
pub const MAX_DELIVERIES: u32 = 100;

/// A harness for the consumer `name` that records what it handles in
/// `inbox`: register its handlers with [`handle`](ConsumerHarness::handle)
/// (the very closures the service gives [`Host`]), script the messages, then
/// [`run`](ConsumerHarness::run) it.
///
/// The harness runs a real [`Host`] consumer over a transport of its own
/// that serves the script one message at a time, in order: the next message
/// only once the one before is settled (acknowledged), redeliveries of a
/// released message at once (the retry policy's delay is written down, not
/// waited for), so a run is deterministic and needs no sleeping. Whatever
/// the handlers and the inbox do is real: the test then looks at the state
/// the handlers wrote, and at the [`Report`] of each delivery's outcome.
///
/// It needs a tokio runtime with its time driver (`#[tokio::test]` has
/// one); the clock need not be paused.
///
/// ```
/// use event_core::host::MemoryInbox;
/// use event_core::prelude::*;
/// use event_core::retry::RetryPolicy;
/// use event_core::testing::{self, Outcome};
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::sync::Arc;
///
/// /// A payment was captured.
/// #[integration_event(version = 1)]
/// pub struct PaymentCapturedIntegrationEvent {
///     pub payment_id: String,
///     pub amount_cents: u64,
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let inbox = Arc::new(MemoryInbox::new());
/// let total = Rc::new(Cell::new(0));
/// let ledger = Rc::clone(&total);
///
/// let captured = |cents| Envelope::new("/payments", PaymentCapturedIntegrationEvent {
///     payment_id: "p-1".into(),
///     amount_cents: cents,
/// });
/// let (first, second) = (captured(250), captured(750));
///
/// let report = testing::consumer("ledger", Arc::clone(&inbox))
///     .retry(RetryPolicy { immediate_retries: 1, ..RetryPolicy::none() })
///     .handle::<PaymentCapturedIntegrationEvent>(async move |_tx, envelope| {
///         ledger.set(ledger.get() + envelope.data().amount_cents);
///         Ok(())
///     })
///     .deliver(&first)
///     .deliver(&first) // the same event again
///     .failing(&second, 1) // its first attempt fails
///     .run()
///     .await?;
///
/// assert_eq!(total.get(), 1000);
/// report.assert_outcomes(&[
///     Outcome::Processed,
///     Outcome::Duplicate,
///     Outcome::Retried,
///     Outcome::Processed,
/// ]);
/// assert_eq!(report.deliveries()[3].attempt, 2);
/// # Ok::<(), event_core::BoxError>(())
/// # }).unwrap();
/// ```
pub fn consumer<I: Inbox>(name: impl Into<String>, inbox: I) -> ConsumerHarness<I> {
    let board = Arc::new(Board::default());
    let transport = Scripted {
        board: Arc::clone(&board),
    };
    let builder = Host::new(transport)
        .consumer(
            name,
            Recording {
                inner: inbox,
                board: Arc::clone(&board),
            },
        )
        .concurrency(1);
    ConsumerHarness {
        builder,
        board,
        steps: Vec::new(),
    }
}

/// A consumer under test and its script; made by [`consumer`].
pub struct ConsumerHarness<I: Inbox> {
    builder: ConsumerBuilder<Scripted, Recording<I>>,
    board: Arc<Board>,
    steps: Vec<Result<Step, HarnessError>>,
}

impl<I: Inbox> fmt::Debug for ConsumerHarness<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsumerHarness")
            .field("consumer", &self.builder)
            .field("steps", &self.steps.len())
            .finish_non_exhaustive()
    }
}

/// One scripted message.
#[derive(Debug, Clone)]
struct Step {
    message: Message,
    attempt: u32,
    /// How many of its handling attempts fail, and when.
    failures: u32,
    fault: Fault,
}

/// When a scripted failure strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Before the handler is called.
    Before,
    /// After the handler succeeded, before the inbox commits.
    After,
}

impl<I: Inbox> ConsumerHarness<I> {
    /// The retry policy of the consumer, as [`ConsumerBuilder::retry`]
    /// (the default policy unless set). Delays are recorded in the report
    /// ([`Handled::retry_after`]) and not waited for.
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.builder = self.builder.retry(policy);
        self
    }

    /// Registers `handler` for the events of type `E` (and the older
    /// versions `E` upcasts from), exactly as [`ConsumerBuilder::handle`]
    /// does: the same closure the service registers.
    #[must_use]
    pub fn handle<E>(
        mut self,
        handler: impl AsyncFn(I::Tx<'_>, &Envelope<E>) -> Result<(), BoxError> + 'static,
    ) -> Self
    where
        E: IntegrationEvent,
    {
        self.builder = self.builder.handle::<E>(handler);
        self
    }

    /// Delivers `envelope` next, as a first delivery (attempt 1). Deliver one
    /// envelope twice for a duplicate; an envelope of an older version of a
    /// handled type to see it upcast. Only integration events travel
    /// between services: a domain event of the same type name is refused at
    /// compile time, where a consumer would have handled it as the
    /// integration event.
    #[must_use]
    pub fn deliver<E: IntegrationEvent>(self, envelope: &Envelope<E>) -> Self {
        self.push(envelope, 1, 0, Fault::Before)
    }

    /// Delivers `envelope` next as a redelivery: the transport says it is
    /// the `attempt`-th delivery (2 for the first redelivery), as a broker
    /// does after a consumer crashed or released it.
    #[must_use]
    pub fn redeliver<E: IntegrationEvent>(self, envelope: &Envelope<E>, attempt: u32) -> Self {
        self.push(envelope, attempt.max(1), 0, Fault::Before)
    }

    /// Delivers `envelope` next, and fails its first `failures` handling
    /// attempts (before the handler is called, as when a dependency is
    /// down), so the retry policy decides what happens: redelivery, or the
    /// dead letters once it gives up.
    #[must_use]
    pub fn failing<E: IntegrationEvent>(self, envelope: &Envelope<E>, failures: u32) -> Self {
        self.push(envelope, 1, failures, Fault::Before)
    }

    /// Delivers `envelope` next, and fails its first `failures` handling
    /// attempts after the handler succeeded, before the inbox commits: the
    /// handler's change must roll back with the attempt. With an inbox whose
    /// transaction holds the handler's change (SQLite, PostgreSQL) the
    /// effect is then had once; with [`MemoryInbox`](crate::host::MemoryInbox),
    /// whose handlers change state of their own, once per attempt.
    #[must_use]
    pub fn failing_after<E: IntegrationEvent>(self, envelope: &Envelope<E>, failures: u32) -> Self {
        self.push(envelope, 1, failures, Fault::After)
    }

    /// Delivers a message of type `event_type` whose payload is `payload`,
    /// which does not decode (e.g. `b"not json"`): it should go to the
    /// inbox's dead letters. Its event id is `undecodable-<step>`, the step
    /// counted from 0.
    #[must_use]
    pub fn undecodable(mut self, event_type: &str, payload: impl Into<Vec<u8>>) -> Self {
        let step = self.steps.len();
        let message = Message::new(&format!("undecodable-{step}"), event_type, payload)
            .with_header("content-type", "application/cloudevents+json");
        self.steps.push(Ok(Step {
            message,
            attempt: 1,
            failures: 0,
            fault: Fault::Before,
        }));
        self
    }

    /// Delivers `message` next, as its `attempt`-th delivery: any bytes and
    /// headers a broker could bring.
    #[must_use]
    pub fn message(mut self, message: Message, attempt: u32) -> Self {
        self.steps.push(Ok(Step {
            message,
            attempt: attempt.max(1),
            failures: 0,
            fault: Fault::Before,
        }));
        self
    }

    fn push<E: Event>(
        mut self,
        envelope: &Envelope<E>,
        attempt: u32,
        failures: u32,
        fault: Fault,
    ) -> Self {
        let step = self.steps.len();
        self.steps.push(match encode(envelope) {
            Ok(message) => Ok(Step {
                message,
                attempt,
                failures,
                fault,
            }),
            Err(error) => Err(HarnessError::Encode {
                step,
                error: error.to_string(),
            }),
        });
        self
    }

    /// Runs the consumer until every scripted message is settled, then
    /// shuts it down and reports each delivery.
    ///
    /// # Errors
    ///
    /// [`HarnessError`]: the host would not run (no handler, two handlers of
    /// one type), a message could not be encoded, no handler takes a
    /// message's type, a message was still not settled after
    /// [`MAX_DELIVERIES`] deliveries, or the consumer did not settle one
    /// within [`STEP_BOUND`].
    pub async fn run(self) -> Result<Report, HarnessError> {
        let ConsumerHarness {
            builder,
            board,
            steps,
        } = self;
        let steps = steps.into_iter().collect::<Result<Vec<_>, _>>()?;
        let failed = Mutex::new(None);
        let script = async {
            if let Err(error) = feed(&board, steps).await {
                *lock(&failed) = Some(error);
            }
        };
        // No deadline at the end: the script ends once every message is
        // settled, with nothing in flight, or once a step waited its bound
        // for a handler that is stuck, which is not waited for again.
        let summary = builder
            .shutdown_deadline(Duration::ZERO)
            .run(script)
            .await
            .map_err(HarnessError::Host)?;
        if let Some(error) = failed.into_inner().unwrap_or_else(PoisonError::into_inner) {
            return Err(error);
        }
        let metrics = summary
            .consumers
            .first()
            .map(|consumer| consumer.metrics)
            .unwrap_or_default();
        let state = board.state();
        Ok(Report {
            deliveries: state.log.clone(),
            published: state.published.clone(),
            metrics,
        })
    }
}

/// Feeds the script one message at a time, each once the one before is
/// settled.
async fn feed(board: &Board, steps: Vec<Step>) -> Result<(), HarnessError> {
    for (
        step,
        Step {
            message,
            attempt,
            failures,
            fault,
        },
    ) in steps.into_iter().enumerate()
    {
        {
            let mut state = board.state();
            if !state.subscribed.contains(message.event_type()) {
                return Err(HarnessError::NotHandled {
                    step,
                    event_type: message.event_type().to_owned(),
                    handled: state.subscribed.iter().cloned().collect(),
                });
            }
            if failures > 0 {
                let (left, when) = state
                    .faults
                    .entry(message.id().to_owned())
                    .or_insert((0, fault));
                *left = left.saturating_add(failures);
                *when = fault;
            }
            state.queue.push_back(Pending {
                step,
                message,
                attempt,
                served: 0,
            });
        }
        board.changed.notify_waiters();
        let settled = async {
            loop {
                let changed = board.changed.notified();
                {
                    let state = board.state();
                    if state.gave_up == Some(step) {
                        return Err(HarnessError::NeverSettled {
                            step,
                            deliveries: MAX_DELIVERIES,
                        });
                    }
                    if state.settled == Some(step) {
                        return Ok(());
                    }
                }
                changed.await;
            }
        };
        match tokio::time::timeout(STEP_BOUND, settled).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(HarnessError::Stuck {
                    step,
                    waited: STEP_BOUND,
                });
            }
        }
    }
    Ok(())
}

/// What the harness's transport, inbox and script share.
#[derive(Default)]
struct Board {
    state: Mutex<State>,
    /// Wakes the subscriptions and the script when the state changes.
    changed: Notify,
}

#[derive(Default)]
struct State {
    /// The messages to serve, the next first.
    queue: VecDeque<Pending>,
    /// Whether a delivery is out, not yet settled.
    outstanding: bool,
    /// The step whose message was last acknowledged.
    settled: Option<usize>,
    /// The step whose message was delivered too often.
    gave_up: Option<usize>,
    /// The event types the consumer subscribed to.
    subscribed: BTreeSet<String>,
    /// Event id -> how many more handling attempts fail, and when.
    faults: HashMap<String, (u32, Fault)>,
    log: Vec<Handled>,
    published: Vec<Message>,
}

impl Board {
    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

/// Every update keeps the state consistent, so a poisoned lock is usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone)]
struct Pending {
    step: usize,
    message: Message,
    attempt: u32,
    /// How many times it was delivered before.
    served: u32,
}

/// The harness's transport: serves the script one message at a time.
#[derive(Clone)]
pub(crate) struct Scripted {
    board: Arc<Board>,
}

impl Transport for Scripted {
    type Subscription = ScriptedSubscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        self.board.state().published.push(message);
        Ok(())
    }

    async fn subscribe(
        &self,
        event_type: &str,
        _consumer: &str,
    ) -> Result<ScriptedSubscription, TransportError> {
        self.board.state().subscribed.insert(event_type.to_owned());
        Ok(ScriptedSubscription {
            board: Arc::clone(&self.board),
            event_type: event_type.to_owned(),
        })
    }
}

pub(crate) struct ScriptedSubscription {
    board: Arc<Board>,
    event_type: String,
}

impl Subscription for ScriptedSubscription {
    async fn next(&mut self) -> Result<Option<Delivery>, TransportError> {
        loop {
            // Created before looking, so a change in between wakes it.
            let changed = self.board.changed.notified();
            {
                let mut state = self.board.state();
                let ours = state
                    .queue
                    .front()
                    .is_some_and(|next| next.message.event_type() == self.event_type);
                if !state.outstanding
                    && ours
                    && let Some(mut pending) = state.queue.pop_front()
                {
                    state.outstanding = true;
                    pending.served += 1;
                    state.log.push(Handled {
                        step: pending.step,
                        event_id: pending.message.id().to_owned(),
                        event_type: pending.message.event_type().to_owned(),
                        attempt: pending.attempt,
                        outcome: Outcome::Released,
                        retry_after: None,
                        error: None,
                    });
                    let message = pending.message.clone();
                    let attempt = pending.attempt;
                    return Ok(Some(Delivery::new(
                        message,
                        attempt,
                        Settle {
                            board: Arc::clone(&self.board),
                            pending: Some(pending),
                        },
                    )));
                }
            }
            changed.await;
        }
    }
}

/// Settles the delivery out; puts it back first in line unless it was
/// acknowledged.
struct Settle {
    board: Arc<Board>,
    pending: Option<Pending>,
}

impl Settle {
    fn settle(&mut self, acknowledged: bool, delay: Option<Duration>) {
        let Some(mut pending) = self.pending.take() else {
            return;
        };
        {
            let mut state = self.board.state();
            state.outstanding = false;
            if let Some(last) = state.log.last_mut() {
                last.retry_after = delay;
            }
            if acknowledged {
                state.settled = Some(pending.step);
            } else if pending.served >= MAX_DELIVERIES {
                state.gave_up = Some(pending.step);
            } else {
                pending.attempt = pending.attempt.saturating_add(1);
                state.queue.push_front(pending);
            }
        }
        self.board.changed.notify_waiters();
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        self.settle(false, None);
    }
}

impl Acknowledge for Settle {
    fn ack(mut self: Box<Self>) -> BoxFuture<Result<(), TransportError>> {
        self.settle(true, None);
        Box::pin(async { Ok(()) })
    }

    fn nack(mut self: Box<Self>, delay: Duration) -> BoxFuture<Result<(), TransportError>> {
        self.settle(false, Some(delay));
        Box::pin(async { Ok(()) })
    }
}

/// The user's inbox, with what became of each delivery written down and
/// the scripted failures injected.
pub(crate) struct Recording<I> {
    inner: I,
    board: Arc<Board>,
}

/// The error of a scripted failing attempt.
#[derive(Debug)]
struct Injected {
    left: u32,
}

impl fmt::Display for Injected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a failure scripted by the test ({} more to come)",
            self.left
        )
    }
}

impl std::error::Error for Injected {}

impl<I> Recording<I> {
    fn record(&self, outcome: Outcome, error: Option<String>) {
        let mut state = self.board.state();
        if let Some(last) = state.log.last_mut() {
            last.outcome = outcome;
            last.error = error;
        }
    }
}

impl<I: Inbox> Inbox for Recording<I> {
    type Tx<'t> = I::Tx<'t>;

    async fn deliver<E, F>(
        &self,
        consumer: &str,
        received: Received<E>,
        policy: &RetryPolicy,
        handler: &F,
    ) -> Result<InboxOutcome, BoxError>
    where
        E: IntegrationEvent,
        F: AsyncFn(Self::Tx<'_>, &Envelope<E>) -> Result<(), BoxError>,
    {
        let id = received.delivery.message.id().to_owned();
        let fault = match self.board.state().faults.get(&id) {
            Some((left, when)) if *left > 0 => Some(*when),
            _ => None,
        };
        // Counts one scripted failure down; its error.
        let injected = || -> BoxError {
            let mut state = self.board.state();
            let left = state.faults.get_mut(&id).map_or(0, |(left, _)| {
                *left = left.saturating_sub(1);
                *left
            });
            Box::new(Injected { left })
        };
        let result = match fault {
            None => {
                self.inner
                    .deliver(consumer, received, policy, handler)
                    .await
            }
            Some(Fault::Before) => {
                let fail = async |_tx: I::Tx<'_>,
                                  _envelope: &Envelope<E>|
                       -> Result<(), BoxError> { Err(injected()) };
                self.inner.deliver(consumer, received, policy, &fail).await
            }
            Some(Fault::After) => {
                let fail = async |tx: I::Tx<'_>, envelope: &Envelope<E>| -> Result<(), BoxError> {
                    handler(tx, envelope).await?;
                    Err(injected())
                };
                self.inner.deliver(consumer, received, policy, &fail).await
            }
        };
        match &result {
            Ok(outcome) => self.record(Outcome::from(*outcome), None),
            Err(error) => self.record(Outcome::Retried, Some(error.to_string())),
        }
        result
    }

    async fn bury(&self, consumer: &str, delivery: &Delivery, error: &str) -> Result<(), BoxError> {
        let buried = self.inner.bury(consumer, delivery, error).await;
        match &buried {
            Ok(()) => self.record(Outcome::DeadLettered, Some(error.to_owned())),
            // Released to come again, as after a failure.
            Err(failure) => self.record(
                Outcome::Retried,
                Some(format!(
                    "the dead letter could not be written ({failure}): {error}"
                )),
            ),
        }
        buried
    }
}

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Handled for the first time: the handler's change committed with the
    /// inbox row.
    Processed,
    /// Handled before: skipped by the inbox.
    Duplicate,
    /// Failed, or could not be moved to the dead letters; released to come
    /// again (the next delivery in the report).
    Retried,
    /// Moved to the inbox's dead letters: failed for good, or undecodable.
    DeadLettered,
    /// Given back unsettled (the host was stopping).
    Released,
}

impl From<InboxOutcome> for Outcome {
    fn from(outcome: InboxOutcome) -> Self {
        match outcome {
            InboxOutcome::Processed => Outcome::Processed,
            InboxOutcome::Duplicate => Outcome::Duplicate,
            InboxOutcome::DeadLettered => Outcome::DeadLettered,
        }
    }
}

/// One delivery the harness made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Handled {
    /// The scripted message it delivered, counted from 0.
    pub step: usize,
    /// The message's event id.
    pub event_id: String,
    /// The message's type, as sent (an older version stays as it was).
    pub event_type: String,
    /// The delivery's attempt, as the transport told it.
    pub attempt: u32,
    /// What became of it.
    pub outcome: Outcome,
    /// The delay the retry policy asked for before the next delivery, when
    /// it was released with one.
    pub retry_after: Option<Duration>,
    /// Why it failed or was dead-lettered.
    pub error: Option<String>,
}

/// What a [`ConsumerHarness`] run did: each delivery, in order, and the
/// host's counters.
#[derive(Debug, Clone)]
pub struct Report {
    deliveries: Vec<Handled>,
    published: Vec<Message>,
    metrics: MetricsSnapshot,
}

impl Report {
    /// Every delivery, in order (redeliveries right after the delivery
    /// that was released).
    #[must_use]
    pub fn deliveries(&self) -> &[Handled] {
        &self.deliveries
    }

    /// The outcome of every delivery, in order.
    #[must_use]
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.deliveries.iter().map(|d| d.outcome).collect()
    }

    /// The outcome of the last delivery of each scripted message, in the
    /// script's order.
    #[must_use]
    pub fn final_outcomes(&self) -> Vec<Outcome> {
        let mut last: Vec<Outcome> = Vec::new();
        for delivery in &self.deliveries {
            if delivery.step < last.len() {
                last[delivery.step] = delivery.outcome;
            } else {
                last.push(delivery.outcome);
            }
        }
        last
    }

    /// The host's counters at the end of the run.
    #[must_use]
    pub fn metrics(&self) -> MetricsSnapshot {
        self.metrics
    }

    /// Messages the consumer published through the transport, if any.
    #[must_use]
    pub fn published(&self) -> &[Message] {
        &self.published
    }

    /// Checks the outcome of every delivery, in order, and panics with the
    /// deliveries that differ and the whole run otherwise.
    ///
    /// # Panics
    ///
    /// When the outcomes differ, in number or in one delivery.
    #[track_caller]
    pub fn assert_outcomes(&self, expected: &[Outcome]) {
        let actual = self.outcomes();
        if actual == expected {
            return;
        }
        let mut lines = Vec::new();
        if actual.len() != expected.len() {
            lines.push(format!(
                "expected {} deliveries, actual {}",
                expected.len(),
                actual.len()
            ));
        }
        for (i, (want, got)) in expected.iter().zip(&actual).enumerate() {
            if want != got {
                let d = &self.deliveries[i];
                lines.push(format!(
                    "delivery {i} (step {}, `{}` attempt {}): expected {want:?}, actual {got:?}",
                    d.step, d.event_type, d.attempt
                ));
            }
        }
        for (i, want) in expected.iter().enumerate().skip(actual.len()) {
            lines.push(format!("delivery {i}: expected {want:?}, actual none"));
        }
        panic!("outcomes differ:\n{}\nthe run:\n{self}", lines.join("\n"));
    }
}

impl fmt::Display for Report {
    /// One line per delivery.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.deliveries.iter().enumerate() {
            write!(
                f,
                "  {i}: step {} `{}` id {} attempt {}: {:?}",
                d.step, d.event_type, d.event_id, d.attempt, d.outcome
            )?;
            if let Some(delay) = d.retry_after {
                write!(f, ", again after {delay:?}")?;
            }
            if let Some(error) = &d.error {
                write!(f, " ({error})")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Why a [`ConsumerHarness`] could not run its script.
#[derive(Debug)]
#[non_exhaustive]
pub enum HarnessError {
    /// The host would not run the consumer.
    Host(HostError),
    /// A scripted envelope could not be encoded.
    Encode {
        /// The step, counted from 0.
        step: usize,
        /// Why.
        error: String,
    },
    /// No handler of the consumer takes the type of a scripted message.
    NotHandled {
        /// The step, counted from 0.
        step: usize,
        /// The message's type.
        event_type: String,
        /// The types the consumer takes.
        handled: Vec<String>,
    },
    /// A scripted message was released again and again.
    NeverSettled {
        /// The step, counted from 0.
        step: usize,
        /// How many times it was delivered.
        deliveries: u32,
    },
    /// The consumer did not settle a message in time: a handler that never
    /// returns.
    Stuck {
        /// The step, counted from 0.
        step: usize,
        /// How long the harness waited.
        waited: Duration,
    },
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::Host(error) => write!(f, "the consumer could not run: {error}"),
            HarnessError::Encode { step, error } => {
                write!(f, "step {step}: the envelope could not be encoded: {error}")
            }
            HarnessError::NotHandled {
                step,
                event_type,
                handled,
            } => write!(
                f,
                "step {step}: no handler takes `{event_type}` (the consumer takes [{}]); \
                 register one with `.handle::<YourIntegrationEvent>(..)`",
                handled.join(", ")
            ),
            HarnessError::NeverSettled { step, deliveries } => write!(
                f,
                "step {step}: the message was still released after {deliveries} deliveries; \
                 does the retry policy ever give up?"
            ),
            HarnessError::Stuck { step, waited } => write!(
                f,
                "step {step}: the consumer did not settle the message within {waited:?}"
            ),
        }
    }
}

impl std::error::Error for HarnessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HarnessError::Host(error) => Some(error),
            _ => None,
        }
    }
}
