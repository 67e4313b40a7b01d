//! The host's loop: fetching from each handler's subscriptions, starting
//! handlers within the concurrency bound and in order per partition key,
//! counting what happens, and shutting down.

use core::future::{Future, poll_fn};
use core::marker::PhantomData;
use core::pin::{Pin, pin};
use core::task::Poll;
use core::time::Duration;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use futures_util::future::{Either, join_all, select};
use futures_util::stream::{FuturesUnordered, StreamExt as _};
use tokio::sync::watch;

use super::metrics::{Counter, LagSlot};
use super::{ConsumerSummary, HostError, Inbox, Metrics, Summary};
use crate::delivery::bus::BoxError;
use crate::delivery::dead_letter::InboxOutcome;
use crate::delivery::integration::{ConsumeError, Consumer, Received};
use crate::delivery::retry::{RetryPolicy, backoff};
use crate::delivery::transport::{Delivery, Transport, TransportError};
use crate::encoding::decode::DecodeError;
use crate::model::envelope::Envelope;
use crate::model::event::IntegrationEvent;

/// A boxed future run on the host's own task.
pub(crate) type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// What every handler of one consumer shares.
pub(crate) struct Shared<I> {
    pub(crate) consumer: String,
    pub(crate) inbox: I,
    pub(crate) policy: RetryPolicy,
    pub(crate) metrics: Metrics,
}

/// A handler of one event type, before its subscription is open.
pub(crate) trait Route<T: Transport, I> {
    fn event_type(&self) -> &'static str;

    /// The full types its subscriptions receive: its own and those it
    /// upcasts from.
    fn subscribed_types(&self) -> Vec<&'static str>;

    fn declare<'a>(
        &'a self,
        transport: &'a T,
        consumer: &'a str,
    ) -> LocalBoxFuture<'a, Result<(), HostError>>;

    fn open<'a>(
        self: Box<Self>,
        transport: &'a T,
        shared: Arc<Shared<I>>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn Source>, HostError>>;
}

/// A handler of `E`.
pub(crate) struct Typed<E, F> {
    pub(crate) handler: Arc<F>,
    pub(crate) event: PhantomData<fn() -> E>,
}

fn subscribe_error(consumer: &str, event_type: &'static str, error: TransportError) -> HostError {
    HostError::Subscribe {
        consumer: consumer.to_owned(),
        event_type,
        error,
    }
}

impl<T, I, E, F> Route<T, I> for Typed<E, F>
where
    T: Transport,
    I: Inbox,
    E: IntegrationEvent,
    F: AsyncFn(I::Tx<'_>, &Envelope<E>) -> Result<(), BoxError> + 'static,
{
    fn event_type(&self) -> &'static str {
        E::FULL_TYPE
    }

    fn subscribed_types(&self) -> Vec<&'static str> {
        Consumer::<E, T::Subscription>::subscribed_types()
    }

    fn declare<'a>(
        &'a self,
        transport: &'a T,
        consumer: &'a str,
    ) -> LocalBoxFuture<'a, Result<(), HostError>> {
        Box::pin(async move {
            Consumer::<E, T::Subscription>::declare(transport, consumer)
                .await
                .map_err(|error| subscribe_error(consumer, E::FULL_TYPE, error))
        })
    }

    fn open<'a>(
        self: Box<Self>,
        transport: &'a T,
        shared: Arc<Shared<I>>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn Source>, HostError>> {
        Box::pin(async move {
            let consumer = Consumer::<E, T::Subscription>::subscribe(transport, &shared.consumer)
                .await
                .map_err(|error| subscribe_error(&shared.consumer, E::FULL_TYPE, error))?;
            let lag = shared.metrics.lag_slot();
            lag.set(consumer.lag());
            Ok(Box::new(Open {
                consumer,
                lag,
                handler: self.handler,
                shared,
            }) as Box<dyn Source>)
        })
    }
}

/// An open subscription of a handler.
pub(crate) trait Source {
    /// The next job; `None` once the subscription closed.
    fn next(&mut self) -> LocalBoxFuture<'_, Option<Result<Box<dyn Job>, TransportError>>>;
}

struct Open<E, S, I, F> {
    consumer: Consumer<E, S>,
    /// Where the consumer's lag is reported.
    lag: LagSlot,
    handler: Arc<F>,
    shared: Arc<Shared<I>>,
}

impl<E, S, I, F> Source for Open<E, S, I, F>
where
    E: IntegrationEvent,
    S: crate::delivery::transport::Subscription,
    I: Inbox,
    F: AsyncFn(I::Tx<'_>, &Envelope<E>) -> Result<(), BoxError> + 'static,
{
    fn next(&mut self) -> LocalBoxFuture<'_, Option<Result<Box<dyn Job>, TransportError>>> {
        Box::pin(async move {
            let next = self.consumer.next().await;
            self.lag.set(self.consumer.lag());
            Some(match next? {
                Ok(received) => Ok(Box::new(Handle {
                    received,
                    handler: Arc::clone(&self.handler),
                    shared: Arc::clone(&self.shared),
                }) as Box<dyn Job>),
                Err(ConsumeError::Decode { error, delivery }) => Ok(Box::new(Bury {
                    delivery,
                    error,
                    shared: Arc::clone(&self.shared),
                })
                    as Box<dyn Job>),
                Err(ConsumeError::Transport(error)) => Err(error),
            })
        })
    }
}

/// One delivery to handle.
pub(crate) trait Job {
    /// Its partition key, if it has one.
    fn key(&self) -> Option<String>;
    /// Handles and settles it.
    fn start(self: Box<Self>) -> LocalBoxFuture<'static, Result<InboxOutcome, BoxError>>;
    /// Gives it back unhandled.
    fn release(self: Box<Self>) -> LocalBoxFuture<'static, ()>;
}

/// A decoded delivery, for its handler.
struct Handle<E, I, F> {
    received: Received<E>,
    handler: Arc<F>,
    shared: Arc<Shared<I>>,
}

impl<E, I, F> Job for Handle<E, I, F>
where
    E: IntegrationEvent,
    I: Inbox,
    F: AsyncFn(I::Tx<'_>, &Envelope<E>) -> Result<(), BoxError> + 'static,
{
    fn key(&self) -> Option<String> {
        // The decoded event's own extension: in the JSON body of a
        // structured message from another producer too, where no header
        // carries it.
        match self.received.envelope.partition_key() {
            Some(key) => Some(key.to_owned()),
            None => self
                .received
                .delivery
                .message
                .partition_key()
                .map(std::borrow::Cow::into_owned),
        }
    }

    fn start(self: Box<Self>) -> LocalBoxFuture<'static, Result<InboxOutcome, BoxError>> {
        let Handle {
            received,
            handler,
            shared,
        } = *self;
        #[cfg(feature = "tracing")]
        let span = {
            let envelope = &received.envelope;
            ::tracing::info_span!(
                "handle integration event",
                consumer = shared.consumer.as_str(),
                event_id = envelope.id().as_str(),
                event_type = received.delivery.message.event_type(),
                handled_as = E::FULL_TYPE,
                correlation_id = envelope.correlation_id().as_str(),
                causation_id = envelope.causation_id().map(|c| c.as_str()),
                traceparent = envelope.traceparent(),
                attempt = received.delivery.attempt,
            )
        };
        let work = async move {
            let outcome = shared
                .inbox
                .deliver(&shared.consumer, received, &shared.policy, &*handler)
                .await;
            #[cfg(feature = "tracing")]
            match &outcome {
                Ok(outcome) => ::tracing::debug!(?outcome, "integration event settled"),
                Err(error) => ::tracing::warn!(%error, "integration event failed"),
            }
            outcome
        };
        #[cfg(feature = "tracing")]
        let work = ::tracing::Instrument::instrument(work, span);
        Box::pin(work)
    }

    fn release(self: Box<Self>) -> LocalBoxFuture<'static, ()> {
        Box::pin(async move {
            let _ = self.received.nack().await;
        })
    }
}

/// A delivery that does not decode, for the dead letters.
struct Bury<I> {
    delivery: Delivery,
    error: DecodeError,
    shared: Arc<Shared<I>>,
}

impl<I: Inbox> Job for Bury<I> {
    fn key(&self) -> Option<String> {
        let key = self.delivery.message.partition_key();
        key.map(std::borrow::Cow::into_owned)
    }

    fn start(self: Box<Self>) -> LocalBoxFuture<'static, Result<InboxOutcome, BoxError>> {
        let Bury {
            delivery,
            error,
            shared,
        } = *self;
        #[cfg(feature = "tracing")]
        let span = ::tracing::info_span!(
            "bury undecodable message",
            consumer = shared.consumer.as_str(),
            event_id = delivery.message.id(),
            event_type = delivery.message.event_type(),
            attempt = delivery.attempt,
        );
        let work = async move {
            let error = format!("the message could not be decoded: {error}");
            trace_warn!(%error, "dead-lettering a message");
            let outcome = match shared.inbox.bury(&shared.consumer, &delivery, &error).await {
                Ok(()) => {
                    delivery.ack().await?;
                    Ok(InboxOutcome::DeadLettered)
                }
                Err(failure) => {
                    // Kept for later: a dead letter that cannot be written
                    // is not dropped.
                    let wait = backoff(PAUSE, MAX_PAUSE, delivery.attempt);
                    let failure: BoxError =
                        format!("the dead letter could not be written: {failure}").into();
                    match delivery.nack_after(wait).await {
                        Ok(()) => Err(failure),
                        Err(release) => Err(NotReleased::boxed(failure, release)),
                    }
                }
            };
            #[cfg(feature = "tracing")]
            if let Err(error) = &outcome {
                ::tracing::warn!(%error, "an undecodable message was not dead-lettered; it comes again");
            }
            outcome
        };
        #[cfg(feature = "tracing")]
        let work = ::tracing::Instrument::instrument(work, span);
        Box::pin(work)
    }

    fn release(self: Box<Self>) -> LocalBoxFuture<'static, ()> {
        Box::pin(async move {
            let _ = self.delivery.nack().await;
        })
    }
}

/// A delivery that failed and could not be released either: both errors,
/// neither lost (the broker delivers it again once its lease or ack wait
/// ends).
#[derive(Debug)]
pub(crate) struct NotReleased {
    failure: BoxError,
    release: TransportError,
}

impl NotReleased {
    pub(crate) fn boxed(failure: BoxError, release: TransportError) -> BoxError {
        Box::new(NotReleased { failure, release })
    }
}

impl core::fmt::Display for NotReleased {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} (and the delivery could not be released: {})",
            self.failure, self.release
        )
    }
}

impl std::error::Error for NotReleased {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.failure)
    }
}

/// The first pause after a failed fetch; it doubles with each failure.
const PAUSE: Duration = Duration::from_millis(50);
/// The longest pause between two fetches that fail.
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// A consumer before its subscriptions are open.
pub(crate) trait Launch<T: Transport> {
    fn declare<'a>(&'a self, transport: &'a T) -> LocalBoxFuture<'a, Result<(), HostError>>;

    fn launch<'a>(
        self: Box<Self>,
        transport: &'a T,
    ) -> LocalBoxFuture<'a, Result<Launched, HostError>>;
}

pub(crate) struct Pending<T: Transport, I> {
    pub(crate) shared: Arc<Shared<I>>,
    pub(crate) concurrency: usize,
    pub(crate) routes: Vec<Box<dyn Route<T, I>>>,
}

impl<T: Transport, I: Inbox> Launch<T> for Pending<T, I> {
    fn declare<'a>(&'a self, transport: &'a T) -> LocalBoxFuture<'a, Result<(), HostError>> {
        Box::pin(async move {
            for route in &self.routes {
                route.declare(transport, &self.shared.consumer).await?;
            }
            Ok(())
        })
    }

    fn launch<'a>(
        self: Box<Self>,
        transport: &'a T,
    ) -> LocalBoxFuture<'a, Result<Launched, HostError>> {
        Box::pin(async move {
            if self.routes.is_empty() {
                return Err(HostError::NoHandlers {
                    consumer: self.shared.consumer.clone(),
                });
            }
            // Two handlers of one type would compete for its messages.
            let mut taken = std::collections::HashMap::new();
            for route in &self.routes {
                for event_type in route.subscribed_types() {
                    if let Some(first) = taken.insert(event_type, route.event_type()) {
                        return Err(HostError::SameType {
                            consumer: self.shared.consumer.clone(),
                            event_type,
                            handlers: [first, route.event_type()],
                        });
                    }
                }
            }
            let mut sources = Vec::new();
            for route in self.routes {
                sources.push(route.open(transport, Arc::clone(&self.shared)).await?);
            }
            Ok(Launched {
                consumer: self.shared.consumer.clone(),
                metrics: self.shared.metrics.clone(),
                concurrency: self.concurrency,
                sources,
            })
        })
    }
}

/// A consumer with its subscriptions open.
pub(crate) struct Launched {
    consumer: String,
    metrics: Metrics,
    concurrency: usize,
    sources: Vec<Box<dyn Source>>,
}

/// Runs `consumers` until `shutdown`.
pub(crate) async fn run<T: Transport>(
    transport: T,
    consumers: Vec<Box<dyn Launch<T>>>,
    deadline: Duration,
    shutdown: impl Future<Output = ()>,
) -> Result<Summary, HostError> {
    let mut launched = Vec::new();
    for consumer in consumers {
        launched.push(consumer.launch(&transport).await?);
    }
    let (stop, stopped) = watch::channel(false);
    let drives = join_all(
        launched
            .into_iter()
            .map(|consumer| drive(consumer, deadline, stopped.clone())),
    );
    let (drives, shutdown) = (pin!(drives), pin!(shutdown));
    let consumers = match select(drives, shutdown).await {
        Either::Left((consumers, _)) => consumers,
        Either::Right(((), drives)) => {
            trace_debug!("host shutting down");
            stop.send_replace(true);
            drives.await
        }
    };
    Ok(Summary { consumers })
}

/// A source, how often fetching from it failed in a row, and the stop it
/// watches: one future for all its fetches, not one each.
struct Fetcher {
    source: Box<dyn Source>,
    failures: u32,
    stop: LocalBoxFuture<'static, ()>,
    stopped: bool,
}

impl Fetcher {
    fn new(source: Box<dyn Source>, stop: watch::Receiver<bool>) -> Self {
        Fetcher {
            source,
            failures: 0,
            stop: Box::pin(stopped(stop)),
            stopped: false,
        }
    }
}

enum Fetched {
    Job(Box<dyn Job>),
    Failed(TransportError),
    Closed,
    Stopped,
}

/// Resolves once shutdown is asked for.
async fn stopped(mut stop: watch::Receiver<bool>) {
    // An error: the host is gone, which stops too.
    let _ = stop.wait_for(|stop| *stop).await;
}

/// The next delivery of `fetcher`, after a pause if it failed last time;
/// `Stopped` as soon as shutdown is asked for.
fn fetch(mut fetcher: Fetcher) -> LocalBoxFuture<'static, (Fetcher, Fetched)> {
    Box::pin(async move {
        if fetcher.stopped {
            return (fetcher, Fetched::Stopped);
        }
        let Fetcher {
            source,
            failures,
            stop,
            stopped,
        } = &mut fetcher;
        let next = async {
            if *failures > 0 {
                tokio::time::sleep(backoff(PAUSE, MAX_PAUSE, *failures)).await;
            }
            source.next().await
        };
        // The stop first: once it is asked for, no message is taken only
        // to be released again (which would count as an attempt).
        let fetched = match select(stop.as_mut(), pin!(next)).await {
            Either::Right((Some(Ok(job)), _)) => Fetched::Job(job),
            Either::Right((Some(Err(error)), _)) => Fetched::Failed(error),
            Either::Right((None, _)) => Fetched::Closed,
            Either::Left(((), _)) => {
                *stopped = true;
                Fetched::Stopped
            }
        };
        (fetcher, fetched)
    })
}

/// A job in flight, counted for as long as it lives: one dropped unfinished
/// (given up at the shutdown deadline, or with the host's own future) stops
/// counting too.
struct InFlight(Metrics);

impl InFlight {
    fn new(metrics: &Metrics) -> Self {
        metrics.started();
        InFlight(metrics.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.stopped();
    }
}

/// A job that ended, with the partition key it held.
struct Done {
    key: Option<String>,
    outcome: Result<InboxOutcome, BoxError>,
}

enum Step {
    Stop,
    Done(Done),
    Fetched(Fetcher, Fetched),
    Finished,
}

/// Runs one consumer until shutdown, or until all its subscriptions close.
async fn drive(
    launched: Launched,
    deadline: Duration,
    stop: watch::Receiver<bool>,
) -> ConsumerSummary {
    let Launched {
        consumer,
        metrics,
        concurrency,
        sources,
    } = launched;
    let mut fetching = FuturesUnordered::new();
    for source in sources {
        fetching.push(fetch(Fetcher::new(source, stop.clone())));
    }
    let mut running = FuturesUnordered::new();
    // A key present is held by a running job; the jobs queued behind it.
    let mut lanes: HashMap<String, VecDeque<Box<dyn Job>>> = HashMap::new();
    let mut waiting = 0_usize;
    // Sources that stopped or closed, kept open until the jobs they
    // delivered are settled.
    let mut idle = Vec::new();
    // Starts `job`, which holds `key`.
    let start = |job: Box<dyn Job>, key: Option<String>, running: &mut FuturesUnordered<_>| {
        let in_flight = InFlight::new(&metrics);
        let work = job.start();
        running.push(async move {
            let done = Done {
                key,
                outcome: work.await,
            };
            drop(in_flight);
            done
        });
    };
    let mut stopping = pin!(stopped(stop.clone()));
    loop {
        let step = poll_fn(|cx| {
            if stopping.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Step::Stop);
            }
            if !running.is_empty()
                && let Poll::Ready(Some(done)) = running.poll_next_unpin(cx)
            {
                return Poll::Ready(Step::Done(done));
            }
            if running.len() + waiting < concurrency
                && !fetching.is_empty()
                && let Poll::Ready(Some((fetcher, fetched))) = fetching.poll_next_unpin(cx)
            {
                return Poll::Ready(Step::Fetched(fetcher, fetched));
            }
            if running.is_empty() && fetching.is_empty() {
                return Poll::Ready(Step::Finished);
            }
            Poll::Pending
        })
        .await;
        match step {
            Step::Stop => break,
            Step::Finished => {
                return ConsumerSummary {
                    consumer,
                    metrics: metrics.snapshot(),
                    finished_in_time: true,
                };
            }
            Step::Done(done) => {
                count(&metrics, &done.outcome);
                if let Some(key) = done.key {
                    match lanes.get_mut(&key).and_then(VecDeque::pop_front) {
                        Some(next) => {
                            waiting -= 1;
                            start(next, Some(key), &mut running);
                        }
                        None => {
                            lanes.remove(&key);
                        }
                    }
                }
            }
            Step::Fetched(mut fetcher, fetched) => match fetched {
                Fetched::Job(job) => {
                    fetcher.failures = 0;
                    fetching.push(fetch(fetcher));
                    match job.key() {
                        Some(key) => match lanes.get_mut(&key) {
                            Some(lane) => {
                                waiting += 1;
                                lane.push_back(job);
                            }
                            None => {
                                lanes.insert(key.clone(), VecDeque::new());
                                start(job, Some(key), &mut running);
                            }
                        },
                        None => start(job, None, &mut running),
                    }
                }
                Fetched::Failed(error) => {
                    trace_warn!(consumer = consumer.as_str(), %error, "fetching failed; trying again");
                    #[cfg(not(feature = "tracing"))]
                    let _ = error;
                    metrics.add(Counter::TransportErrors, 1);
                    fetcher.failures = fetcher.failures.saturating_add(1);
                    fetching.push(fetch(fetcher));
                }
                Fetched::Closed | Fetched::Stopped => idle.push(fetcher),
            },
        }
    }

    // Shutdown: fetching stops; what it brought meanwhile waits with the
    // jobs queued behind a key.
    let mut late = Vec::new();
    while let Some((fetcher, fetched)) = fetching.next().await {
        if let Fetched::Job(job) = fetched {
            late.push(job);
        }
        idle.push(fetcher);
    }
    let drain = async {
        while let Some(done) = running.next().await {
            count(&metrics, &done.outcome);
        }
    };
    let finished_in_time = tokio::time::timeout(deadline, drain).await.is_ok();
    // Dropping a handler that did not finish rolls its transaction back and
    // releases its delivery; the jobs that were to follow it are released
    // after it, in their order, so that a transport that keeps the order of
    // what it is given back delivers a key's messages in order again. A
    // transport that settles a dropped delivery in a task of its own hands
    // that task over here instead, so that it reaches the broker first.
    let unfinished = running.len() as u64;
    for release in crate::delivery::transport::collect_releases(|| drop(running)) {
        release.await;
    }
    let mut released = unfinished;
    for job in lanes.into_values().flatten().chain(late) {
        job.release().await;
        released += 1;
    }
    metrics.add(Counter::Released, released);
    drop(idle);
    ConsumerSummary {
        consumer,
        metrics: metrics.snapshot(),
        finished_in_time,
    }
}

fn count(metrics: &Metrics, outcome: &Result<InboxOutcome, BoxError>) {
    let counter = match outcome {
        Ok(InboxOutcome::Processed) => Counter::Handled,
        Ok(InboxOutcome::Duplicate) => Counter::Duplicates,
        Ok(InboxOutcome::DeadLettered) => Counter::DeadLettered,
        Err(_) => Counter::Retried,
    };
    metrics.add(counter, 1);
}
