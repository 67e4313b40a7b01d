//! The hosted consumer runtime: typed handlers for integration events, run
//! over any transport with an inbox for exactly-once effect, bounded
//! concurrency, per-key ordering, the retry policy, graceful shutdown,
//! tracing spans and counters.
//!
//! ```
//! use event_core::host::{Host, MemoryInbox};
//! use event_core::integration::IntegrationPublisher;
//! use event_core::prelude::*;
//! use event_core::retry::RetryPolicy;
//! use event_core::transport::InMemoryTransport;
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! /// A payment was captured.
//! #[integration_event(version = 1)]
//! pub struct PaymentCapturedIntegrationEvent {
//!     pub payment_id: String,
//!     pub amount_cents: u64,
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let transport = InMemoryTransport::new();
//! let inbox = Arc::new(MemoryInbox::new());
//! let captured = Arc::new(AtomicU64::new(0));
//!
//! let total = Arc::clone(&captured);
//! let host = Host::new(transport.clone())
//!     .consumer("ledger", Arc::clone(&inbox))
//!     .concurrency(16)
//!     .retry(RetryPolicy::default())
//!     .handle::<PaymentCapturedIntegrationEvent>(async move |_tx, envelope| {
//!         total.fetch_add(envelope.data().amount_cents, Ordering::Relaxed);
//!         Ok(())
//!     });
//! let metrics = host.metrics();
//!
//! // The consumer group exists from the first run on; declare it before
//! // publishing so that nothing published meanwhile is missed.
//! host.declare().await?;
//! let publisher = IntegrationPublisher::new(transport);
//! for cents in [250, 750] {
//!     let payment = PaymentCapturedIntegrationEvent { payment_id: "p-1".into(), amount_cents: cents };
//!     publisher.publish(&Envelope::new("/payments", payment)).await?;
//! }
//!
//! // Stops once both are handled; a service passes `tokio::signal::ctrl_c()`.
//! let handled = async {
//!     while metrics.snapshot().handled < 2 {
//!         tokio::time::sleep(std::time::Duration::from_millis(1)).await;
//!     }
//! };
//! let summary = host.run(handled).await?;
//! assert_eq!(captured.load(Ordering::Relaxed), 1000);
//! assert_eq!(summary.consumers[0].metrics.handled, 2);
//! # Ok::<(), event_core::BoxError>(())
//! # }).unwrap();
//! ```
//!
//! A handler takes the inbox's transaction and the envelope: on SQLite a
//! `&rusqlite::Transaction`, on PostgreSQL a `&mut PgConnection`, in memory
//! `()`. Its change and the inbox row commit together, so an event has its
//! effect once however often it is delivered.
//!
//! The host runs the handlers of all its consumers concurrently on the task
//! that awaits [`Host::run`]; handlers may borrow the transaction across
//! `.await`s, which is why that future, [`Running`], is not `Send`: await
//! it in `main` (or in a `tokio::task::LocalSet`), not in `tokio::spawn`.

mod inbox;
mod metrics;
mod run;

use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::time::Duration;
use std::sync::Arc;

// The settling the SQLite inbox shares with the one in memory, and the
// release after a store failure that the PostgreSQL inbox uses too.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) use inbox::Settlement;
pub use inbox::{Inbox, MemoryInbox};
pub use metrics::{Metrics, MetricsSnapshot};

use crate::delivery::bus::BoxError;
use crate::delivery::retry::RetryPolicy;
use crate::delivery::transport::{Transport, TransportError};
use crate::model::envelope::Envelope;
use crate::model::event::IntegrationEvent;
use run::{Launch, Route, Shared};

/// Runs consumers: each a name (its consumer group on the transport), an
/// inbox, and typed handlers, one per integration event type.
///
/// Built with [`Host::new`], then [`consumer`](Host::consumer) for each
/// consumer; see [the module](self) for a whole example.
pub struct Host<T: Transport> {
    transport: T,
    consumers: Vec<Box<dyn Launch<T>>>,
    deadline: Duration,
}

impl<T: Transport> fmt::Debug for Host<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("consumers", &self.consumers.len())
            .field("shutdown_deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// How long in-flight handlers get to finish at shutdown, by default.
pub const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(30);

/// Implemented by nothing: the bound of [`Host::handle`],
/// `Host::concurrency` and `Host::retry`, which a host cannot meet, to say
/// that these belong to a consumer.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "handlers, concurrency and retries belong to a consumer: add one with `.consumer(\"name\", inbox)` first",
    label = "this host has no consumer to give it to",
    note = "`Host::new(transport).consumer(\"name\", MemoryInbox::new()).concurrency(8).handle::<E>(async |tx, envelope| ..)`"
)]
pub trait BelongsToAConsumer {}

/// How many deliveries a consumer holds at once, by default.
pub const DEFAULT_CONCURRENCY: usize = 16;

impl<T: Transport> Host<T> {
    /// A host with no consumers over `transport`.
    pub fn new(transport: T) -> Self {
        Host {
            transport,
            consumers: Vec::new(),
            deadline: DEFAULT_SHUTDOWN_DEADLINE,
        }
    }

    /// How long in-flight handlers get to finish once shutdown is asked for
    /// (30 seconds unless set); those still running then are released, to
    /// be delivered again.
    #[must_use]
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Not callable: a handler belongs to a consumer, added first with
    /// [`consumer`](Host::consumer). Written on a host, `handle` is a
    /// compile error that says so, rather than a method not found.
    #[doc(hidden)]
    pub fn handle<E>(self, handler: impl Sized) -> Self
    where
        Self: BelongsToAConsumer,
    {
        let _ = handler;
        self
    }

    /// Not callable: see [`ConsumerBuilder::concurrency`].
    #[doc(hidden)]
    pub fn concurrency(self, concurrency: usize) -> Self
    where
        Self: BelongsToAConsumer,
    {
        let _ = concurrency;
        self
    }

    /// Not callable: see [`ConsumerBuilder::retry`].
    #[doc(hidden)]
    pub fn retry(self, policy: RetryPolicy) -> Self
    where
        Self: BelongsToAConsumer,
    {
        let _ = policy;
        self
    }

    /// Adds the consumer `name`, recording what it handles in `inbox`; its
    /// handlers follow with [`ConsumerBuilder::handle`].
    pub fn consumer<I: Inbox>(self, name: impl Into<String>, inbox: I) -> ConsumerBuilder<T, I> {
        ConsumerBuilder {
            host: self,
            name: name.into(),
            inbox,
            concurrency: DEFAULT_CONCURRENCY,
            policy: RetryPolicy::default(),
            routes: Vec::new(),
            metrics: Metrics::default(),
        }
    }

    /// Declares every consumer's groups on the transport (for each handler,
    /// its event type and the older versions it upcasts from), without
    /// subscribing: what is published from now on waits for [`run`](Self::run).
    ///
    /// # Errors
    ///
    /// [`HostError::Subscribe`] when the transport refuses a declaration.
    pub async fn declare(&self) -> Result<(), HostError> {
        for consumer in &self.consumers {
            consumer.declare(&self.transport).await?;
        }
        Ok(())
    }

    /// Subscribes every consumer, then handles deliveries until `shutdown`
    /// resolves (or every subscription closes). On shutdown it stops
    /// fetching, lets the handlers in flight finish within the [shutdown
    /// deadline](Self::shutdown_deadline), releases those that did not, then
    /// the deliveries fetched but not started (after the ones they waited
    /// behind, so a transport that keeps the order of what it is given back
    /// keeps each key's order), and returns what each consumer did.
    ///
    /// A release is a negative acknowledgement: the transport delivers the
    /// message again, to this consumer or the next one to start, and the
    /// inbox keeps its effect to once. A key's releases reach the broker in
    /// the key's order; on NATS and RabbitMQ a released message the broker
    /// hands straight back to this host's own subscription before it closes
    /// is given back again after the others, so it comes after the key's
    /// later messages.
    ///
    /// # Errors
    ///
    /// [`HostError::Subscribe`] when a subscription is refused at the start;
    /// [`HostError::NoHandlers`] for a consumer without handlers;
    /// [`HostError::SameType`] for a consumer with two handlers of one
    /// type. Failures
    /// while running (a broker that drops, a handler that fails) are retried
    /// and counted, not returned.
    pub fn run<'a>(self, shutdown: impl Future<Output = ()> + 'a) -> Running<'a> {
        Running {
            run: Box::pin(run::run(
                self.transport,
                self.consumers,
                self.deadline,
                shutdown,
            )),
        }
    }
}

/// The future of [`Host::run`]: the host at work, on the task that awaits
/// it.
///
/// It is not `Send`, for handlers may hold the inbox's transaction across
/// `.await`s: await it in `main` or in a task of a
/// [`LocalSet`](https://docs.rs/tokio/latest/tokio/task/struct.LocalSet.html)
/// (`spawn_local`), not in `tokio::spawn`.
///
/// ```compile_fail
/// # use event_core::host::{Host, MemoryInbox};
/// # use event_core::transport::InMemoryTransport;
/// fn spawned<F: Send>(_: F) {}
/// let host = Host::new(InMemoryTransport::new());
/// spawned(host.run(async {})); // `Running` is not `Send`
/// ```
#[must_use = "a host handles nothing unless its future is awaited"]
pub struct Running<'a> {
    run: core::pin::Pin<Box<dyn Future<Output = Result<Summary, HostError>> + 'a>>,
}

impl Future for Running<'_> {
    type Output = Result<Summary, HostError>;

    fn poll(
        mut self: core::pin::Pin<&mut Self>,
        cx: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Self::Output> {
        self.run.as_mut().poll(cx)
    }
}

impl fmt::Debug for Running<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Running").finish_non_exhaustive()
    }
}

/// One consumer of a [`Host`] being configured: its concurrency, retry
/// policy and handlers. [`consumer`](Self::consumer) starts the next one;
/// [`run`](Self::run) runs them all.
pub struct ConsumerBuilder<T: Transport, I: Inbox> {
    host: Host<T>,
    name: String,
    inbox: I,
    concurrency: usize,
    policy: RetryPolicy,
    routes: Vec<Box<dyn Route<T, I>>>,
    metrics: Metrics,
}

impl<T: Transport, I: Inbox> fmt::Debug for ConsumerBuilder<T, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsumerBuilder")
            .field("name", &self.name)
            .field("concurrency", &self.concurrency)
            .field("policy", &self.policy)
            .field(
                "handles",
                &self
                    .routes
                    .iter()
                    .map(|r| r.event_type())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl<T: Transport, I: Inbox> ConsumerBuilder<T, I> {
    /// At most `concurrency` deliveries held at once (running, or waiting
    /// behind an earlier one with the same partition key); 16 unless set,
    /// at least 1.
    ///
    /// Deliveries with the same partition key are handled one at a time in
    /// the order they arrived; different keys, and deliveries without one,
    /// run side by side. A delivery that fails and comes again later is
    /// handled when it comes.
    #[must_use]
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The retry policy for handlers that fail (the default unless set).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Handles the integration events of type `E`, of every version `E`
    /// upcasts from too (upcast to `E`), with `handler`, which makes its
    /// change through the inbox's transaction. An `Err` rolls the change
    /// back and the retry policy decides when the event comes again.
    ///
    /// Messages that do not decode as `E` go to the inbox's dead letters.
    ///
    /// The handler lives as long as the host, so it owns what it captures
    /// (`async move |tx, envelope| ..`, with `Arc`s or `Rc`s of shared
    /// state); it need not be `Send`.
    #[must_use]
    pub fn handle<E>(
        mut self,
        handler: impl AsyncFn(I::Tx<'_>, &Envelope<E>) -> Result<(), BoxError> + 'static,
    ) -> Self
    where
        E: IntegrationEvent,
    {
        self.routes.push(Box::new(run::Typed::<E, _> {
            handler: Arc::new(handler),
            event: PhantomData,
        }));
        self
    }

    /// The consumer's counters, to read while the host runs.
    #[must_use]
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// Adds the next consumer.
    pub fn consumer<J: Inbox>(self, name: impl Into<String>, inbox: J) -> ConsumerBuilder<T, J> {
        self.finish().consumer(name, inbox)
    }

    /// How long in-flight handlers get to finish at shutdown; see
    /// [`Host::shutdown_deadline`].
    #[must_use]
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.host.deadline = deadline;
        self
    }

    /// Declares every consumer's groups; see [`Host::declare`].
    ///
    /// # Errors
    ///
    /// [`HostError::Subscribe`] when the transport refuses a declaration.
    pub async fn declare(&self) -> Result<(), HostError> {
        self.host.declare().await?;
        for route in &self.routes {
            route.declare(&self.host.transport, &self.name).await?;
        }
        Ok(())
    }

    /// Runs every consumer; see [`Host::run`].
    ///
    /// # Errors
    ///
    /// As [`Host::run`].
    pub fn run<'a>(self, shutdown: impl Future<Output = ()> + 'a) -> Running<'a> {
        self.finish().run(shutdown)
    }

    /// The host with this consumer added.
    #[must_use]
    pub fn finish(self) -> Host<T> {
        let ConsumerBuilder {
            mut host,
            name,
            inbox,
            concurrency,
            policy,
            routes,
            metrics,
        } = self;
        host.consumers.push(Box::new(run::Pending {
            shared: Arc::new(Shared {
                consumer: name,
                inbox,
                policy,
                metrics,
            }),
            concurrency,
            routes,
        }));
        host
    }
}

/// Why a [`Host`] did not run.
#[derive(Debug)]
#[non_exhaustive]
pub enum HostError {
    /// The transport refused to subscribe (or declare) a consumer's group.
    Subscribe {
        /// The consumer.
        consumer: String,
        /// The event type of the handler whose subscription failed.
        event_type: &'static str,
        /// The transport's error.
        error: TransportError,
    },
    /// A consumer was given no handler.
    NoHandlers {
        /// The consumer.
        consumer: String,
    },
    /// Two handlers of one consumer would receive the same event type
    /// (the same event twice, or a version and a newer one that upcasts
    /// from it): they would compete for its messages.
    SameType {
        /// The consumer.
        consumer: String,
        /// The full event type both would receive.
        event_type: &'static str,
        /// The types the two handlers take.
        handlers: [&'static str; 2],
    },
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Subscribe {
                consumer,
                event_type,
                error,
            } => write!(
                f,
                "consumer `{consumer}` could not subscribe to `{event_type}`: {error}"
            ),
            HostError::NoHandlers { consumer } => write!(
                f,
                "consumer `{consumer}` has no handler: add one with `.handle::<YourIntegrationEvent>(..)`"
            ),
            HostError::SameType {
                consumer,
                event_type,
                handlers: [first, second],
            } => write!(
                f,
                "consumer `{consumer}` has two handlers that receive `{event_type}` \
                 (the handlers of `{first}` and `{second}`): keep the one of the newest \
                 version, or give the other its own consumer"
            ),
        }
    }
}

impl std::error::Error for HostError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HostError::Subscribe { error, .. } => Some(error),
            HostError::NoHandlers { .. } | HostError::SameType { .. } => None,
        }
    }
}

/// What a [`Host`] did, once it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// One entry per consumer, in the order they were added.
    pub consumers: Vec<ConsumerSummary>,
}

/// What one consumer did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerSummary {
    /// The consumer's name.
    pub consumer: String,
    /// Its counters at the end.
    pub metrics: MetricsSnapshot,
    /// Whether every handler in flight at shutdown finished before the
    /// deadline (none was released unfinished).
    pub finished_in_time: bool,
}
