//! The transport traits an adapter implements ([`Transport`],
//! [`Subscription`], [`Acknowledge`]) and what they carry; public as
//! [`event_core::transport`](crate::transport), whose documentation is the
//! guide to writing one.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::time::Duration;

pub use crate::encoding::message::{Headers, Message};

use crate::delivery::bus::BoxError;

/// A failure of the broker or of the connection to it.
#[derive(Debug)]
#[non_exhaustive]
pub enum TransportError {
    /// The broker cannot be reached now; trying again later may succeed.
    Unavailable(String),
    /// The broker refused the message or the subscription.
    Rejected(String),
    /// The transport or subscription was closed.
    Closed,
    /// Another failure of an adapter's client.
    Other(BoxError),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Unavailable(why) => write!(f, "the broker is unavailable: {why}"),
            TransportError::Rejected(why) => write!(f, "the broker rejected the request: {why}"),
            TransportError::Closed => f.write_str("the transport is closed"),
            TransportError::Other(error) => write!(f, "transport failure: {error}"),
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TransportError::Other(error) => Some(&**error),
            _ => None,
        }
    }
}

/// A boxed future, as [`Acknowledge`] returns.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Moves messages to a broker and back.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a transport",
    label = "not a transport",
    note = "a transport is given by value and shared by cloning it (`transport.clone()`, a handle to the same broker): `InMemoryTransport`, `SqliteTransport`, `NatsTransport`, `RabbitMqTransport`, or a type of your own that implements `Transport`"
)]
pub trait Transport: Send + Sync + 'static {
    /// A stream of deliveries for one consumer and event type.
    type Subscription: Subscription;

    /// Publishes a message; resolves once the broker has stored it.
    fn publish(&self, message: Message) -> impl Future<Output = Result<(), TransportError>> + Send;

    /// Subscribes `consumer` to the messages of `event_type` (a full type),
    /// declaring the group first if it is new.
    fn subscribe(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> impl Future<Output = Result<Self::Subscription, TransportError>> + Send;

    /// Declares the consumer group `consumer` of `event_type` without
    /// subscribing: every message of that type published from now on is
    /// kept for the group until one of its subscriptions acknowledges it,
    /// even while none is open. Messages published before the group was
    /// declared are not delivered to it (a JetStream durable consumer with
    /// the `New` deliver policy). Declaring a group twice changes nothing.
    ///
    /// The provided implementation subscribes and drops the subscription,
    /// which declares the group on brokers whose subscriptions are durable;
    /// an adapter for any other broker overrides it.
    fn declare(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> impl Future<Output = Result<(), TransportError>> + Send {
        async move { self.subscribe(event_type, consumer).await.map(drop) }
    }

    /// Delivers `message` again to the group `consumer` of its type only,
    /// as a new message (attempt 1): for an operator who requeues a dead
    /// letter. Publishing it instead would deliver it to every group.
    ///
    /// The provided implementation refuses with
    /// [`TransportError::Rejected`]: an adapter overrides it when its broker
    /// can address one consumer group.
    fn requeue(
        &self,
        message: Message,
        consumer: &str,
    ) -> impl Future<Output = Result<(), TransportError>> + Send {
        let refusal = format!(
            "this transport cannot deliver message `{}` to the consumer `{consumer}` alone",
            message.id()
        );
        async move { Err(TransportError::Rejected(refusal)) }
    }
}

/// The deliveries of one subscription.
pub trait Subscription: Send + 'static {
    /// The next delivery; `Ok(None)` once the subscription is closed.
    fn next(&mut self) -> impl Future<Output = Result<Option<Delivery>, TransportError>> + Send;

    /// How many messages of the subscription's group wait on the broker,
    /// not yet delivered, as last seen: a cached value the adapter updates
    /// as deliveries arrive (never a request to the broker), so a caller can
    /// read it between two [`next`](Self::next) calls at no cost. `None`
    /// when the transport does not know it.
    ///
    /// How exact it is depends on the broker; each adapter documents it.
    /// The provided implementation returns `None`, so a transport written
    /// before this method existed keeps compiling.
    ///
    /// ```
    /// use event_core::transport::{Delivery, Subscription, TransportError};
    ///
    /// struct Empty;
    ///
    /// impl Subscription for Empty {
    ///     async fn next(&mut self) -> Result<Option<Delivery>, TransportError> {
    ///         Ok(None)
    ///     }
    /// }
    ///
    /// assert_eq!(Empty.lag(), None);
    /// ```
    fn lag(&self) -> Option<u64> {
        None
    }
}

/// Settles one delivery with the broker.
pub trait Acknowledge: Send + Sync + 'static {
    /// The message was processed: do not deliver it again.
    fn ack(self: Box<Self>) -> BoxFuture<Result<(), TransportError>>;
    /// The message was not processed: deliver it again, not before `delay`
    /// has passed (at once when it is zero).
    fn nack(self: Box<Self>, delay: Duration) -> BoxFuture<Result<(), TransportError>>;
}

std::thread_local! {
    /// The releases of deliveries dropped unsettled, while
    /// [`collect_releases`] runs on this thread.
    static DROPPED: core::cell::RefCell<Option<Vec<BoxFuture<()>>>> =
        const { core::cell::RefCell::new(None) };
}

/// Tells the broker about a delivery dropped unsettled, as an adapter's
/// acknowledgement does on drop: `release` is spawned on the current
/// runtime, or, while [`collect_releases`] runs on this thread, handed to
/// its caller, which awaits it in order with the releases that follow.
pub(crate) fn release_dropped(release: BoxFuture<()>) {
    let release = DROPPED.with(|dropped| match &mut *dropped.borrow_mut() {
        Some(collected) => {
            collected.push(release);
            None
        }
        None => Some(release),
    });
    if let Some(release) = release
        && let Ok(runtime) = tokio::runtime::Handle::try_current()
    {
        runtime.spawn(release);
    }
}

/// Runs `drop`, collecting the releases of the deliveries it drops
/// unsettled (instead of spawning them), in the order they were dropped.
pub(crate) fn collect_releases(dropping: impl FnOnce()) -> Vec<BoxFuture<()>> {
    /// Puts back what was collected before (a nested call's caller's);
    /// on a panic in `dropping`, spawns what it had collected.
    struct Restore(Option<Vec<BoxFuture<()>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            let left =
                DROPPED.with(|dropped| core::mem::replace(&mut *dropped.borrow_mut(), outer));
            for release in left.into_iter().flatten() {
                release_dropped(release);
            }
        }
    }
    let _restore = Restore(DROPPED.with(|dropped| dropped.borrow_mut().replace(Vec::new())));
    dropping();
    DROPPED
        .with(|dropped| dropped.borrow_mut().take())
        .unwrap_or_default()
}

/// A message received from a subscription, to be acknowledged.
pub struct Delivery {
    /// The message.
    pub message: Message,
    /// 1 for the first delivery, 2 for the first redelivery, and so on.
    pub attempt: u32,
    acknowledge: Box<dyn Acknowledge>,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("message", &self.message)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// A delivery an adapter received, with the way to settle it.
    pub fn new(message: Message, attempt: u32, acknowledge: impl Acknowledge) -> Self {
        Delivery {
            message,
            attempt,
            acknowledge: Box::new(acknowledge),
        }
    }

    /// Tells the broker the message was processed.
    ///
    /// # Errors
    ///
    /// The broker could not be told; it will deliver the message again.
    pub fn ack(self) -> impl Future<Output = Result<(), TransportError>> + Send + 'static {
        // The message is not kept for the broker's answer: the future holds
        // the acknowledgement alone.
        let acknowledge = self.acknowledge;
        async move { acknowledge.ack().await }
    }

    /// Tells the broker the message was not processed and should be
    /// delivered again at once.
    ///
    /// # Errors
    ///
    /// The broker could not be told; it delivers the message again anyway.
    pub fn nack(self) -> impl Future<Output = Result<(), TransportError>> + Send + 'static {
        self.nack_after(Duration::ZERO)
    }

    /// Tells the broker the message was not processed and should be
    /// delivered again once `delay` has passed, not before: for a dependency
    /// that needs time to come back.
    ///
    /// # Errors
    ///
    /// The broker could not be told; it delivers the message again anyway,
    /// perhaps sooner.
    pub fn nack_after(
        self,
        delay: Duration,
    ) -> impl Future<Output = Result<(), TransportError>> + Send + 'static {
        let acknowledge = self.acknowledge;
        async move { acknowledge.nack(delay).await }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Releases itself on drop through [`release_dropped`], as the NATS and
    /// RabbitMQ acknowledgements do; the release writes its number down.
    struct Unsettled(u32, Arc<Mutex<Vec<u32>>>);

    impl Drop for Unsettled {
        fn drop(&mut self) {
            let (n, log) = (self.0, Arc::clone(&self.1));
            release_dropped(Box::pin(async move { log.lock().unwrap().push(n) }));
        }
    }

    #[test]
    fn releases_dropped_while_collecting_are_handed_over_in_order_not_spawned() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        runtime.block_on(async {
            let dropped = vec![
                Unsettled(0, Arc::clone(&log)),
                Unsettled(1, Arc::clone(&log)),
            ];
            let releases = collect_releases(|| drop(dropped));
            assert_eq!(releases.len(), 2);
            // Nothing was spawned: a later release awaited here comes after.
            tokio::task::yield_now().await;
            assert!(log.lock().unwrap().is_empty());
            for release in releases {
                release.await;
            }
            log.lock().unwrap().push(2);
            // Outside, a drop spawns its release as before.
            drop(Unsettled(3, Arc::clone(&log)));
            tokio::task::yield_now().await;
        });
        assert_eq!(*log.lock().unwrap(), [0, 1, 2, 3]);
    }
}
