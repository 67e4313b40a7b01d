//! A transport inside one process, for tests and single-process services.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;

use super::{Acknowledge, BoxFuture, Delivery, Message, Subscription, Transport, TransportError};

/// Delivers each published message to every consumer subscribed to its type,
/// with acknowledgements and redelivery like a broker: a delivery that is
/// negatively acknowledged, or dropped without an answer, is delivered again.
///
/// Messages of a type with no subscriber yet are kept in
/// [`published`](InMemoryTransport::published) only. Clones share one
/// transport.
#[derive(Clone, Default)]
pub struct InMemoryTransport {
    inner: Arc<Mutex<Inner>>,
}

/// Where a message goes back on redelivery, with its delivery count.
type Queue = mpsc::UnboundedSender<(Message, u32)>;
/// The receiving end, shared by the subscriptions of one consumer name.
type Shared = Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(Message, u32)>>>;

#[derive(Default)]
struct Inner {
    /// (event type, consumer) -> the queue the consumer's subscriptions share.
    groups: HashMap<(String, String), (Queue, Shared)>,
    published: Vec<Message>,
}

impl core::fmt::Debug for InMemoryTransport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let inner = self.lock();
        f.debug_struct("InMemoryTransport")
            .field("subscriptions", &inner.groups.len())
            .field("published", &inner.published.len())
            .finish()
    }
}

impl InMemoryTransport {
    /// A transport with no subscriptions.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the maps consistent (every
        // update is a single insert or push), so a poisoned lock is usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every message published so far, in order.
    #[must_use]
    pub fn published(&self) -> Vec<Message> {
        self.lock().published.clone()
    }
}

impl Transport for InMemoryTransport {
    type Subscription = InMemorySubscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        let mut inner = self.lock();
        for ((event_type, _), (queue, _)) in &inner.groups {
            if *event_type == message.event_type {
                // A group whose subscriptions are all gone keeps its queue
                // (like a durable consumer), so the send cannot fail while
                // the group is in the map.
                let _ = queue.send((message.clone(), 1));
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
        let mut inner = self.lock();
        let (queue, receiver) = inner
            .groups
            .entry((event_type.to_owned(), consumer.to_owned()))
            .or_insert_with(|| {
                let (sender, receiver) = mpsc::unbounded_channel();
                (sender, Arc::new(tokio::sync::Mutex::new(receiver)))
            });
        Ok(InMemorySubscription {
            queue: queue.clone(),
            receiver: Arc::clone(receiver),
        })
    }
}

/// A subscription of [`InMemoryTransport`].
#[derive(Debug)]
pub struct InMemorySubscription {
    queue: Queue,
    receiver: Shared,
}

impl Subscription for InMemorySubscription {
    async fn next(&mut self) -> Result<Option<Delivery>, TransportError> {
        let received = self.receiver.lock().await.recv().await;
        Ok(received.map(|(message, attempt)| {
            let settle = Settle {
                redeliver: Some((self.queue.clone(), message.clone(), attempt)),
            };
            Delivery::new(message, attempt, settle)
        }))
    }
}

/// Puts a message back on its queue unless it was acknowledged.
struct Settle {
    redeliver: Option<(Queue, Message, u32)>,
}

impl Settle {
    fn requeue(&mut self) {
        if let Some((queue, message, attempt)) = self.redeliver.take() {
            let _ = queue.send((message, attempt + 1));
        }
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        self.requeue();
    }
}

impl Acknowledge for Settle {
    fn ack(mut self: Box<Self>) -> BoxFuture<Result<(), TransportError>> {
        self.redeliver = None;
        Box::pin(async { Ok(()) })
    }

    fn nack(mut self: Box<Self>) -> BoxFuture<Result<(), TransportError>> {
        self.requeue();
        Box::pin(async { Ok(()) })
    }
}
