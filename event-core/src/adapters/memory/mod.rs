//! A transport inside one process, for tests and single-process services.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::delivery::transport::{
    Acknowledge, BoxFuture, Delivery, Subscription, Transport, TransportError,
};
use crate::encoding::message::Message;

/// Delivers each published message to every consumer group of its type, with
/// acknowledgements and redelivery like a broker: a delivery that is
/// negatively acknowledged, or dropped without an answer, is delivered again;
/// one negatively acknowledged with a delay comes again once the delay has
/// passed, on tokio's clock (so a test with a paused clock sees it at once).
///
/// A group is declared by [`Transport::declare`] or by the first
/// [`Transport::subscribe`] of its consumer name, and lives as long as the
/// transport: messages published while none of its subscriptions is open
/// wait for the next one. Messages of a type with no group are kept in
/// [`published`](InMemoryTransport::published) only. Clones share one
/// transport.
///
/// Delayed redelivery waits on tokio's timer, so the runtime needs its time
/// driver (`enable_time` or `enable_all`) once a delivery is negatively
/// acknowledged with a delay.
#[derive(Clone, Default)]
pub struct InMemoryTransport {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    /// (event type, consumer) -> the queue the consumer's subscriptions share.
    groups: HashMap<(String, String), Arc<Group>>,
    published: Vec<Message>,
}

/// Locks a mutex whose data stays consistent across a panic (every update
/// is a single insert, push or pop), so a poisoned lock is usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The queue of one consumer group, shared by its subscriptions.
#[derive(Default)]
struct Group {
    queue: Mutex<Queue>,
    /// Wakes the waiting subscriptions when the queue changes.
    changed: Notify,
}

#[derive(Default)]
struct Queue {
    /// Messages to deliver now, oldest first, with their delivery count.
    ready: VecDeque<(Message, u32)>,
    /// Messages negatively acknowledged with a delay, soonest first.
    delayed: BinaryHeap<Delayed>,
    /// Orders delayed messages due at the same instant.
    next_seq: u64,
}

struct Delayed {
    due: Instant,
    seq: u64,
    message: Message,
    attempt: u32,
}

impl Ord for Delayed {
    // Reversed: the heap's greatest element is the soonest due.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.due, other.seq).cmp(&(self.due, self.seq))
    }
}

impl PartialOrd for Delayed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Delayed {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}

impl Eq for Delayed {}

/// How far in the future a delay that overflows the clock is put: never, in
/// practice.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

impl Group {
    fn push(&self, message: Message, attempt: u32) {
        lock(&self.queue).ready.push_back((message, attempt));
        self.changed.notify_waiters();
    }

    fn push_after(&self, message: Message, attempt: u32, delay: Duration) {
        let now = Instant::now();
        let due = now.checked_add(delay).unwrap_or_else(|| now + FAR_FUTURE);
        {
            let mut queue = lock(&self.queue);
            let seq = queue.next_seq;
            queue.next_seq = seq.wrapping_add(1);
            queue.delayed.push(Delayed {
                due,
                seq,
                message,
                attempt,
            });
        }
        // Waiting subscriptions look again at when the next one is due.
        self.changed.notify_waiters();
    }

    /// The next message to deliver, or when the next delayed one is due.
    fn take(&self, now: Instant) -> Result<(Message, u32), Option<Instant>> {
        let mut queue = lock(&self.queue);
        while queue.delayed.peek().is_some_and(|d| d.due <= now) {
            if let Some(due) = queue.delayed.pop() {
                queue.ready.push_back((due.message, due.attempt));
            }
        }
        queue
            .ready
            .pop_front()
            .ok_or_else(|| queue.delayed.peek().map(|d| d.due))
    }
}

impl core::fmt::Debug for InMemoryTransport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let inner = lock(&self.inner);
        f.debug_struct("InMemoryTransport")
            .field("groups", &inner.groups.len())
            .field("published", &inner.published.len())
            .finish()
    }
}

impl InMemoryTransport {
    /// A transport with no consumer groups.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every message published so far, in order.
    #[must_use]
    pub fn published(&self) -> Vec<Message> {
        lock(&self.inner).published.clone()
    }

    /// The group of `consumer` for `event_type`, declared if it is new.
    fn group(&self, event_type: &str, consumer: &str) -> Arc<Group> {
        let mut inner = lock(&self.inner);
        Arc::clone(
            inner
                .groups
                .entry((event_type.to_owned(), consumer.to_owned()))
                .or_default(),
        )
    }
}

impl Transport for InMemoryTransport {
    type Subscription = InMemorySubscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        let mut inner = lock(&self.inner);
        for ((event_type, _), group) in &inner.groups {
            if *event_type == message.event_type() {
                group.push(message.clone(), 1);
            }
        }
        inner.published.push(message);
        Ok(())
    }

    async fn subscribe(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<InMemorySubscription, TransportError> {
        Ok(InMemorySubscription {
            group: self.group(event_type, consumer),
        })
    }

    async fn declare(&self, event_type: &str, consumer: &str) -> Result<(), TransportError> {
        self.group(event_type, consumer);
        Ok(())
    }

    async fn requeue(&self, message: Message, consumer: &str) -> Result<(), TransportError> {
        self.group(message.event_type(), consumer).push(message, 1);
        Ok(())
    }
}

/// A subscription of [`InMemoryTransport`].
pub struct InMemorySubscription {
    group: Arc<Group>,
}

impl core::fmt::Debug for InMemorySubscription {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let queue = lock(&self.group.queue);
        f.debug_struct("InMemorySubscription")
            .field("ready", &queue.ready.len())
            .field("delayed", &queue.delayed.len())
            .finish()
    }
}

impl Subscription for InMemorySubscription {
    /// Waits for the next message of the group. Cancel-safe: a message is
    /// taken only when the future completes.
    async fn next(&mut self) -> Result<Option<Delivery>, TransportError> {
        loop {
            // Created before looking, so a message pushed in between wakes it.
            let changed = self.group.changed.notified();
            match self.group.take(Instant::now()) {
                Ok((message, attempt)) => {
                    let settle = Settle {
                        group: Arc::clone(&self.group),
                        redeliver: Some((message.clone(), attempt)),
                    };
                    return Ok(Some(Delivery::new(message, attempt, settle)));
                }
                Err(Some(due)) => {
                    // Either way, look again.
                    let _ = tokio::time::timeout_at(due, changed).await;
                }
                Err(None) => changed.await,
            }
        }
    }

    /// Exact: the messages of the group not delivered yet, including those
    /// waiting for a retry delay to pass, read from the queue itself.
    fn lag(&self) -> Option<u64> {
        let queue = lock(&self.group.queue);
        u64::try_from(queue.ready.len() + queue.delayed.len()).ok()
    }
}

/// Puts a message back on its queue unless it was acknowledged.
struct Settle {
    group: Arc<Group>,
    redeliver: Option<(Message, u32)>,
}

impl Drop for Settle {
    fn drop(&mut self) {
        if let Some((message, attempt)) = self.redeliver.take() {
            self.group.push(message, attempt.saturating_add(1));
        }
    }
}

impl Acknowledge for Settle {
    fn ack(mut self: Box<Self>) -> BoxFuture<Result<(), TransportError>> {
        self.redeliver = None;
        Box::pin(async { Ok(()) })
    }

    fn nack(mut self: Box<Self>, delay: Duration) -> BoxFuture<Result<(), TransportError>> {
        if !delay.is_zero()
            && let Some((message, attempt)) = self.redeliver.take()
        {
            self.group
                .push_after(message, attempt.saturating_add(1), delay);
        }
        // Dropping `self` puts a message not yet put back on the queue now.
        drop(self);
        Box::pin(async { Ok(()) })
    }
}
