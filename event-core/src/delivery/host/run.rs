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
use futures_util::stream::{FuturesUnordered, Stream, StreamExt as _};
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
    ) -> LocalBoxFuture<'a, Result<Jobs, HostError>>;
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
    ) -> LocalBoxFuture<'a, Result<Jobs, HostError>> {
        Box::pin(async move {
            let consumer = Consumer::<E, T::Subscription>::subscribe(transport, &shared.consumer)
                .await
                .map_err(|error| subscribe_error(&shared.consumer, E::FULL_TYPE, error))?;
            let lag = shared.metrics.lag_slot();
            lag.set(consumer.lag());
            let open = Box::new(Open {
                consumer,
                lag,
                handler: self.handler,
                shared,
            });
            // One stream for all the subscription's fetches: the future of
            // the next is kept in it, not allocated for each, and only the
            // box of `open` moves from one to the next.
            let jobs = futures_util::stream::unfold(open, |mut open| async move {
                let job = open.next().await?;
                Some((job, open))
            });
            Ok(Box::pin(jobs) as Jobs)
        })
    }
}

/// The jobs an open subscription of a handler delivers, in its order;
/// it ends once the subscription closed.
pub(crate) type Jobs = Pin<Box<dyn Stream<Item = Result<Box<dyn Job>, TransportError>>>>;

struct Open<E, S, I, F> {
    consumer: Consumer<E, S>,
    /// Where the consumer's lag is reported.
    lag: LagSlot,
    handler: Arc<F>,
    shared: Arc<Shared<I>>,
}

impl<E, S, I, F> Open<E, S, I, F>
where
    E: IntegrationEvent,
    S: crate::delivery::transport::Subscription,
    I: Inbox,
    F: AsyncFn(I::Tx<'_>, &Envelope<E>) -> Result<(), BoxError> + 'static,
{
    /// The next job; `None` once the subscription closed.
    async fn next(&mut self) -> Option<Result<Box<dyn Job>, TransportError>> {
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
            }) as Box<dyn Job>),
            Err(ConsumeError::Transport(error)) => Err(error),
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
        #[cfg(feature = "tracing")]
        let span = {
            let envelope = &self.received.envelope;
            ::tracing::info_span!(
                "handle integration event",
                consumer = self.shared.consumer.as_str(),
                event_id = envelope.id().as_str(),
                event_type = self.received.delivery.message.event_type(),
                handled_as = E::FULL_TYPE,
                correlation_id = envelope.correlation_id().as_str(),
                causation_id = envelope.causation_id().map(|c| c.as_str()),
                traceparent = envelope.traceparent(),
                attempt = self.received.delivery.attempt,
            )
        };
        // The job's box is kept, and what it received is moved straight
        // into the inbox's future: held once, not also here.
        let work = async move {
            let job = self;
            let outcome = job
                .shared
                .inbox
                .deliver(
                    &job.shared.consumer,
                    job.received,
                    &job.shared.policy,
                    &*job.handler,
                )
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
    sources: Vec<Jobs>,
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

/// The jobs of one subscription, and how often fetching from them failed
/// in a row.
struct Fetcher {
    jobs: Jobs,
    failures: u32,
    /// The pause after a failed fetch, before the next.
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
    closed: bool,
}

enum Fetched {
    Job(Box<dyn Job>),
    Failed(TransportError),
    Closed,
}

/// Resolves once shutdown is asked for.
async fn stopped(mut stop: watch::Receiver<bool>) {
    // An error: the host is gone, which stops too.
    let _ = stop.wait_for(|stop| *stop).await;
}

/// The first of `fetchers` that has something, taking them in turns from
/// `turn` on; pending when none has.
fn poll_fetchers(
    fetchers: &mut [Fetcher],
    turn: usize,
    cx: &mut core::task::Context<'_>,
) -> Poll<(usize, Fetched)> {
    let count = fetchers.len();
    for k in 0..count {
        let at = (turn + k) % count;
        let fetcher = &mut fetchers[at];
        if fetcher.closed {
            continue;
        }
        if let Some(pause) = &mut fetcher.pause {
            if pause.as_mut().poll(cx).is_pending() {
                continue;
            }
            fetcher.pause = None;
        }
        let fetched = match fetcher.jobs.as_mut().poll_next(cx) {
            Poll::Pending => continue,
            Poll::Ready(Some(Ok(job))) => Fetched::Job(job),
            Poll::Ready(Some(Err(error))) => Fetched::Failed(error),
            Poll::Ready(None) => Fetched::Closed,
        };
        return Poll::Ready((at, fetched));
    }
    Poll::Pending
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
    Fetched(usize, Fetched),
    Finished,
}

/// Polls `future` once, in the task that runs the host.
async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx))).await
}

/// Steps the host takes in a row before it lets the other tasks of its
/// thread run (and its shutdown signal be seen), when every step finds
/// work ready.
const STEPS_IN_A_ROW: u32 = 32;

/// Lets the executor run other tasks once, then resumes.
async fn yield_once() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
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
    let mut fetchers: Vec<Fetcher> = sources
        .into_iter()
        .map(|jobs| Fetcher {
            jobs,
            failures: 0,
            pause: None,
            closed: false,
        })
        .collect();
    let mut open = fetchers.len();
    // The fetcher asked first next time: each in turn.
    let mut turn = 0;
    let mut running = FuturesUnordered::new();
    // A key present is held by a running job; the jobs queued behind it.
    let mut lanes: HashMap<String, VecDeque<Box<dyn Job>>> = HashMap::new();
    let mut waiting = 0_usize;
    // Starts `job`, which holds `key`: its first steps run here, and a job
    // that has to wait for something runs on with the others. A job that
    // ended at once is returned.
    let start = async |job: Box<dyn Job>,
                       key: Option<String>,
                       running: &mut FuturesUnordered<_>|
           -> Option<Done> {
        let in_flight = InFlight::new(&metrics);
        let mut work = job.start();
        if let Poll::Ready(outcome) = poll_once(&mut work).await {
            return Some(Done { key, outcome });
        }
        running.push(async move {
            let done = Done {
                key,
                outcome: work.await,
            };
            drop(in_flight);
            done
        });
        None
    };
    let mut stopping = pin!(stopped(stop));
    // Steps taken since the host last waited.
    let mut in_a_row = 0_u32;
    loop {
        if in_a_row == STEPS_IN_A_ROW {
            yield_once().await;
            in_a_row = 0;
        }
        in_a_row += 1;
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
                && let Poll::Ready((at, fetched)) = poll_fetchers(&mut fetchers, turn, cx)
            {
                return Poll::Ready(Step::Fetched(at, fetched));
            }
            if running.is_empty() && open == 0 {
                return Poll::Ready(Step::Finished);
            }
            in_a_row = 0;
            Poll::Pending
        })
        .await;
        let mut ended = match step {
            Step::Stop => break,
            Step::Finished => {
                return ConsumerSummary {
                    consumer,
                    metrics: metrics.snapshot(),
                    finished_in_time: true,
                };
            }
            Step::Done(done) => Some(done),
            Step::Fetched(at, fetched) => {
                turn = (at + 1) % fetchers.len();
                let fetcher = &mut fetchers[at];
                match fetched {
                    Fetched::Job(job) => {
                        fetcher.failures = 0;
                        match job.key() {
                            Some(key) => match lanes.get_mut(&key) {
                                Some(lane) => {
                                    waiting += 1;
                                    lane.push_back(job);
                                    None
                                }
                                None => {
                                    lanes.insert(key.clone(), VecDeque::new());
                                    start(job, Some(key), &mut running).await
                                }
                            },
                            None => start(job, None, &mut running).await,
                        }
                    }
                    Fetched::Failed(error) => {
                        trace_warn!(consumer = consumer.as_str(), %error, "fetching failed; trying again");
                        #[cfg(not(feature = "tracing"))]
                        let _ = error;
                        metrics.add(Counter::TransportErrors, 1);
                        fetcher.failures = fetcher.failures.saturating_add(1);
                        fetcher.pause = Some(Box::pin(tokio::time::sleep(backoff(
                            PAUSE,
                            MAX_PAUSE,
                            fetcher.failures,
                        ))));
                        None
                    }
                    Fetched::Closed => {
                        fetcher.closed = true;
                        open -= 1;
                        None
                    }
                }
            }
        };
        // A job that ended starts the next of its key's lane, which may end
        // at once too.
        while let Some(done) = ended.take() {
            count(&metrics, &done.outcome);
            if let Some(key) = done.key {
                match lanes.get_mut(&key).and_then(VecDeque::pop_front) {
                    Some(next) => {
                        waiting -= 1;
                        ended = start(next, Some(key), &mut running).await;
                    }
                    None => {
                        lanes.remove(&key);
                    }
                }
            }
        }
    }

    // Shutdown: fetching stops; the jobs queued behind a key wait.
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
    for job in lanes.into_values().flatten() {
        job.release().await;
        released += 1;
    }
    metrics.add(Counter::Released, released);
    // The subscriptions close last: the deliveries they gave are settled.
    drop(fetchers);
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
