//! What the host asks of an inbox ([`Inbox`]), the settling every inbox
//! shares, and the inbox in memory.

use core::future::Future;
use core::time::Duration;
use futures_util::future::Either;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use crate::delivery::bus::BoxError;
use crate::delivery::dead_letter::{InboxDeadLetter, InboxOutcome};
use crate::delivery::integration::Received;
use crate::delivery::retry::{RetryDecision, RetryPolicy};
use crate::delivery::transport::Delivery;
use crate::model::envelope::Envelope;
use crate::model::event::IntegrationEvent;

/// An idempotent consumer's store, as the [`Host`](super::Host) drives it:
/// each delivery is handled in the inbox's transaction together with the
/// row that marks it processed, then settled with the transport following
/// the retry policy; a message that cannot be decoded is buried in the
/// inbox's dead letters.
///
/// Implemented by [`MemoryInbox`], by SQLite's `InboxConnection` and by
/// PostgreSQL's `PgInbox`, and by an [`Arc`] of any of them.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an inbox",
    label = "not an inbox",
    note = "an inbox records what a consumer processed: `MemoryInbox::new()`, SQLite's `InboxConnection::new(connection)?`, PostgreSQL's `PgInbox`, or an `Arc` of one to share it"
)]
pub trait Inbox: 'static {
    /// What a handler receives to make its change in the inbox's
    /// transaction: `&Transaction` on SQLite, `&mut PgConnection` on
    /// PostgreSQL, `()` in memory.
    type Tx<'t>;

    /// Handles `received` once with `handler`, in one transaction with the
    /// inbox row, and settles the delivery: acknowledged when processed or
    /// a duplicate; on failure, the failure recorded and the delivery
    /// released to come again at once or after the policy's delay, or
    /// moved to the dead letters once the policy gives up.
    ///
    /// # Errors
    ///
    /// The handler's error when the event will come again, or the store's
    /// or transport's.
    fn deliver<E, F>(
        &self,
        consumer: &str,
        received: Received<E>,
        policy: &RetryPolicy,
        handler: &F,
    ) -> impl Future<Output = Result<InboxOutcome, BoxError>>
    where
        E: IntegrationEvent,
        F: AsyncFn(Self::Tx<'_>, &Envelope<E>) -> Result<(), BoxError>;

    /// Moves a delivery that cannot be handled (its bytes do not decode) to
    /// the dead letters of `consumer`; the caller acknowledges it after.
    ///
    /// # Errors
    ///
    /// The store's error; the delivery is then released to come again.
    fn bury(
        &self,
        consumer: &str,
        delivery: &Delivery,
        error: &str,
    ) -> impl Future<Output = Result<(), BoxError>>;
}

impl<I: Inbox> Inbox for Arc<I> {
    type Tx<'t> = I::Tx<'t>;

    fn deliver<E, F>(
        &self,
        consumer: &str,
        received: Received<E>,
        policy: &RetryPolicy,
        handler: &F,
    ) -> impl Future<Output = Result<InboxOutcome, BoxError>>
    where
        E: IntegrationEvent,
        F: AsyncFn(Self::Tx<'_>, &Envelope<E>) -> Result<(), BoxError>,
    {
        (**self).deliver(consumer, received, policy, handler)
    }

    fn bury(
        &self,
        consumer: &str,
        delivery: &Delivery,
        error: &str,
    ) -> impl Future<Output = Result<(), BoxError>> {
        (**self).bury(consumer, delivery, error)
    }
}

/// How a handled delivery is to be settled with the transport; the same for
/// every inbox once it has written what it keeps.
#[derive(Debug)]
pub(crate) enum Settlement {
    /// Acknowledge: processed, a duplicate, or dead-lettered.
    Ack(InboxOutcome),
    /// Release, to come again after `delay` (at once when zero).
    Retry {
        /// The wait before the next delivery.
        delay: Duration,
        /// Why it failed.
        error: BoxError,
    },
}

impl Settlement {
    /// What the policy says after a failure, counting the delivery's attempt
    /// or the failures `recorded` by the inbox, whichever is more; `bury`
    /// moves the delivery to the dead letters when the policy gives up.
    pub(crate) fn after_failure<S>(
        policy: &RetryPolicy,
        delivery: &Delivery,
        recorded: u32,
        error: BoxError,
        bury: impl FnOnce(&str) -> Result<(), S>,
    ) -> Result<Self, S> {
        Ok(match policy.decide(delivery.attempt.max(recorded)) {
            RetryDecision::DeadLetter => {
                bury(&error.to_string())?;
                Settlement::Ack(InboxOutcome::DeadLettered)
            }
            RetryDecision::Immediately => Settlement::Retry {
                delay: Duration::ZERO,
                error,
            },
            RetryDecision::After(delay) => Settlement::Retry { delay, error },
        })
    }

    /// The inbox's store failed before the outcome of a delivery could be
    /// recorded (the database is down or busy): the delivery is released to
    /// come again after a pause that grows with its attempts, so a store
    /// that is down is not hammered, and returned with the store's error.
    /// Dropping it instead would bring it back at once, again and again,
    /// each time one attempt further towards the dead letters.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    pub(crate) fn store_failed(
        policy: &RetryPolicy,
        delivery: &Delivery,
        error: impl Into<BoxError>,
    ) -> Self {
        const LEAST: Duration = Duration::from_millis(100);
        let base = policy.base_delay.max(LEAST);
        let delay =
            crate::delivery::retry::backoff(base, policy.max_delay.max(base), delivery.attempt);
        Settlement::Retry {
            delay,
            error: error.into(),
        }
    }

    /// Tells the transport.
    pub(crate) fn settle(
        self,
        delivery: Delivery,
    ) -> impl Future<Output = Result<InboxOutcome, BoxError>> {
        // The delivery is handed to the broker's call at once, not kept in
        // the future beside it.
        let (settled, outcome) = match self {
            Settlement::Ack(outcome) => (Either::Left(delivery.ack()), Ok(outcome)),
            Settlement::Retry { delay, error } => {
                (Either::Right(delivery.nack_after(delay)), Err(error))
            }
        };
        async move {
            match (settled.await, outcome) {
                (Ok(()), outcome) => outcome,
                (Err(error), Ok(_)) => Err(error.into()),
                // The failure is kept, with why the release failed.
                (Err(release), Err(error)) => Err(super::run::NotReleased::boxed(error, release)),
            }
        }
    }
}

/// An inbox in memory, for tests and consumers whose state is in memory
/// too: it remembers the (consumer, event id) pairs processed, the failures
/// of each event, and the dead letters, for as long as it lives.
///
/// ```
/// use event_core::host::MemoryInbox;
/// use event_core::prelude::*;
///
/// /// A book was lent.
/// #[integration_event(version = 1)]
/// pub struct BookLentIntegrationEvent { pub book_id: String }
///
/// let inbox = MemoryInbox::new();
/// let envelope = Envelope::new("/library", BookLentIntegrationEvent { book_id: "b-1".into() });
/// let mut lent = 0;
/// inbox.handle("shelf", &envelope, |_| { lent += 1; Ok(()) })?;
/// inbox.handle("shelf", &envelope, |_| { lent += 1; Ok(()) })?;
/// assert_eq!(lent, 1);
/// assert_eq!(inbox.processed("shelf"), 1);
/// # Ok::<(), event_core::BoxError>(())
/// ```
#[derive(Debug, Default)]
pub struct MemoryInbox {
    state: Mutex<State>,
    /// Wakes deliveries waiting for another delivery of the same event.
    settled: Notify,
    /// How many deliveries wait on `settled`: a claim that ends wakes them
    /// only when there are any.
    waiting: AtomicUsize,
}

#[derive(Debug, Default)]
struct State {
    /// What each consumer did, with its name: a list, for an inbox serves
    /// one consumer or a few, and comparing a short name beats hashing it.
    consumers: Vec<(String, Events)>,
    dead: Vec<InboxDeadLetter>,
}

/// The events of one consumer, by event id: one slot per event that was
/// processed, failed, or is being handled. A delivery looks its event up
/// once, when it claims it, and keeps the slot's place from then on.
#[derive(Debug, Default)]
struct Events {
    /// Where each event's slot is.
    ids: HashMap<String, usize>,
    slots: Vec<Slot>,
    /// The places of slots no event holds, to be used again.
    unused: Vec<usize>,
    /// How many of them were processed.
    processed: u64,
}

/// What a consumer knows of one event.
#[derive(Debug, Default)]
struct Slot {
    processed: bool,
    /// A delivery is handling it now.
    busy: bool,
    /// Failed handlings since it last succeeded or was dead-lettered.
    failures: u32,
}

impl Slot {
    /// Nothing worth keeping.
    fn is_empty(&self) -> bool {
        !self.processed && !self.busy && self.failures == 0
    }
}

impl Events {
    fn is_processed(&self, id: &str) -> bool {
        self.ids.get(id).is_some_and(|&at| self.slots[at].processed)
    }

    /// The place of the slot of `id`, an empty one made the first time:
    /// one lookup (the id copied for it, as an event is new far more often
    /// than it comes again).
    fn place(&mut self, id: &str) -> usize {
        let Events {
            ids, slots, unused, ..
        } = self;
        *ids.entry(id.to_owned())
            .or_insert_with(|| match unused.pop() {
                Some(at) => at,
                None => {
                    slots.push(Slot::default());
                    slots.len() - 1
                }
            })
    }

    /// Records the event at `at` processed (by the delivery that held it,
    /// which frees it).
    fn record_processed(&mut self, at: usize) {
        let slot = &mut self.slots[at];
        let newly = !slot.processed;
        slot.processed = true;
        slot.busy = false;
        slot.failures = 0;
        self.processed += u64::from(newly);
    }

    /// Counts a failure of the event at `at` by the delivery that held it,
    /// and frees it; the failures so far.
    fn failed_by_holder(&mut self, at: usize) -> u32 {
        let slot = &mut self.slots[at];
        slot.busy = false;
        slot.failures = slot.failures.saturating_add(1);
        slot.failures
    }

    /// Forgets the slot of `id` at `at` when it holds nothing worth keeping.
    fn forget_if_empty(&mut self, id: &str, at: usize) {
        if self.slots[at].is_empty() {
            self.ids.remove(id);
            self.unused.push(at);
        }
    }

    /// Forgets the failures of `id`; whether there were any.
    fn take_failures(&mut self, id: &str) -> bool {
        let Some(&at) = self.ids.get(id) else {
            return false;
        };
        let slot = &mut self.slots[at];
        let failed = slot.failures > 0;
        slot.failures = 0;
        self.forget_if_empty(id, at);
        failed
    }

    /// Frees the event `id` at `at` from the delivery handling it.
    fn free(&mut self, id: &str, at: usize) {
        self.slots[at].busy = false;
        self.forget_if_empty(id, at);
    }
}

impl State {
    /// The events of `consumer`, made empty the first time.
    fn events(&mut self, consumer: &str) -> &mut Events {
        let at = match self.consumers.iter().position(|(name, _)| name == consumer) {
            Some(at) => at,
            None => {
                self.consumers
                    .push((consumer.to_owned(), Events::default()));
                self.consumers.len() - 1
            }
        };
        &mut self.consumers[at].1
    }
}

/// A delivery waiting for another delivery of its event, counted for as
/// long as it waits.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Every update keeps the state consistent, so a poisoned lock is usable.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    let now = crate::model::time::Timestamp::now();
    now.unix_seconds() * 1000 + i64::from(now.subsec_nanos() / 1_000_000)
}

/// Frees an event a delivery claimed, however the delivery ends.
struct Claim<'a> {
    inbox: &'a MemoryInbox,
    consumer: &'a str,
    id: &'a str,
    /// The place of the event's slot.
    at: usize,
    held: bool,
}

impl Claim<'_> {
    /// The event was freed in the consumer's `events`, under the caller's
    /// lock: there is nothing left for the drop to free.
    fn freed(mut self) {
        self.held = false;
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if self.held {
            lock(&self.inbox.state)
                .events(self.consumer)
                .free(self.id, self.at);
        }
        // A delivery that found the event busy counted itself under the
        // lock this claim's release took after it, so it is seen here.
        if self.inbox.waiting.load(Ordering::SeqCst) > 0 {
            self.inbox.settled.notify_waiters();
        }
    }
}

impl MemoryInbox {
    /// An empty inbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `handler` unless `consumer` processed this event before; the
    /// event counts as processed only if the handler succeeds.
    ///
    /// # Errors
    ///
    /// The handler's error.
    pub fn handle<E>(
        &self,
        consumer: &str,
        envelope: &Envelope<E>,
        handler: impl FnOnce(&Envelope<E>) -> Result<(), BoxError>,
    ) -> Result<InboxOutcome, BoxError> {
        let id = envelope.id().as_str();
        // The lock is held across the handler, so two deliveries of one
        // event cannot both run it.
        let mut state = lock(&self.state);
        if state.events(consumer).is_processed(id) {
            return Ok(InboxOutcome::Duplicate);
        }
        handler(envelope)?;
        let events = state.events(consumer);
        let at = events.place(id);
        events.record_processed(at);
        Ok(InboxOutcome::Processed)
    }

    /// Handles a received envelope with an async `handler` and settles its
    /// delivery following `policy`, as the SQLite and PostgreSQL inboxes'
    /// `deliver` do: acknowledged when processed or a duplicate; on failure,
    /// the failure counted and the delivery released to come again (at once
    /// or after the policy's delay), or dead-lettered and acknowledged once
    /// the policy gives up. A second delivery of an event being handled
    /// waits for the first to finish.
    ///
    /// # Errors
    ///
    /// The handler's error when the event will come again, or the
    /// transport's.
    pub async fn deliver<E, F>(
        &self,
        consumer: &str,
        received: Received<E>,
        policy: &RetryPolicy,
        handler: F,
    ) -> Result<InboxOutcome, BoxError>
    where
        F: AsyncFnOnce(&Envelope<E>) -> Result<(), BoxError>,
    {
        // The fields used where they are: moved out into variables that
        // live across an await, they would take room in the future beside
        // `received`.
        let Some(claim) = self.claim(consumer, received.envelope.id().as_str()).await else {
            received.delivery.ack().await?;
            return Ok(InboxOutcome::Duplicate);
        };
        let settlement = match handler(&received.envelope).await {
            Ok(()) => {
                let mut state = lock(&self.state);
                let events = state.events(consumer);
                events.record_processed(claim.at);
                claim.freed();
                Settlement::Ack(InboxOutcome::Processed)
            }
            Err(error) => {
                let mut state = lock(&self.state);
                let events = state.events(consumer);
                let recorded = events.failed_by_holder(claim.at);
                claim.freed();
                let delivery = &received.delivery;
                Settlement::after_failure(policy, delivery, recorded, error, |error| {
                    Self::bury_locked(&mut state, consumer, delivery, error);
                    Ok::<(), BoxError>(())
                })?
            }
        };
        settlement.settle(received.delivery).await
    }

    /// Claims the event for one delivery; `None` when it was processed.
    async fn claim<'a>(&'a self, consumer: &'a str, id: &'a str) -> Option<Claim<'a>> {
        loop {
            let (_waiting, freed) = {
                let mut state = lock(&self.state);
                let events = state.events(consumer);
                // Taken when neither processed nor held by another delivery.
                let at = events.place(id);
                let slot = &mut events.slots[at];
                let taken = !slot.processed && !slot.busy;
                slot.busy |= taken;
                let processed = slot.processed;
                if processed {
                    return None;
                }
                if taken {
                    return Some(Claim {
                        inbox: self,
                        consumer,
                        id,
                        at,
                        held: true,
                    });
                }
                // Counted and created under the lock: the claim that holds
                // the event frees it under the lock later, then wakes this.
                (Waiting::new(&self.waiting), self.settled.notified())
            };
            freed.await;
        }
    }

    fn bury_locked(state: &mut State, consumer: &str, delivery: &Delivery, error: &str) {
        let recorded = state.events(consumer).take_failures(delivery.message.id());
        let now = now_ms();
        state
            .dead
            .retain(|dead| !(dead.consumer == consumer && dead.event_id == delivery.message.id()));
        state.dead.push(InboxDeadLetter {
            consumer: consumer.to_owned(),
            event_id: delivery.message.id().to_owned(),
            event_type: delivery.message.event_type().to_owned(),
            headers: delivery
                .message
                .headers()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            payload: delivery.message.payload().to_vec(),
            attempts: delivery.attempt,
            last_error: error.to_owned(),
            first_failed_at_ms: (recorded || delivery.attempt <= 1).then_some(now),
            last_failed_at_ms: now,
        });
    }

    /// Moves a delivery `consumer` cannot process to the dead letters;
    /// burying an event again replaces its dead letter.
    pub fn bury(&self, consumer: &str, delivery: &Delivery, error: &str) {
        Self::bury_locked(&mut lock(&self.state), consumer, delivery, error);
    }

    /// The dead letters of `consumer`, oldest first.
    #[must_use]
    pub fn dead_letters(&self, consumer: &str) -> Vec<InboxDeadLetter> {
        lock(&self.state)
            .dead
            .iter()
            .filter(|dead| dead.consumer == consumer)
            .cloned()
            .collect()
    }

    /// How many events `consumer` has processed.
    #[must_use]
    pub fn processed(&self, consumer: &str) -> u64 {
        let state = lock(&self.state);
        state
            .consumers
            .iter()
            .find(|(name, _)| name == consumer)
            .map_or(0, |(_, events)| events.processed)
    }
}

impl Inbox for MemoryInbox {
    type Tx<'t> = ();

    // The inherent method's future itself, not one that holds it: the
    // received envelope is kept once.
    fn deliver<E, F>(
        &self,
        consumer: &str,
        received: Received<E>,
        policy: &RetryPolicy,
        handler: &F,
    ) -> impl Future<Output = Result<InboxOutcome, BoxError>>
    where
        E: IntegrationEvent,
        F: AsyncFn((), &Envelope<E>) -> Result<(), BoxError>,
    {
        MemoryInbox::deliver(self, consumer, received, policy, async |envelope| {
            handler((), envelope).await
        })
    }

    async fn bury(&self, consumer: &str, delivery: &Delivery, error: &str) -> Result<(), BoxError> {
        MemoryInbox::bury(self, consumer, delivery, error);
        Ok(())
    }
}
