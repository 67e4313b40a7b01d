//! The in-process domain bus: typed handlers, synchronous or async, that run
//! inside the use case's own unit of work, in subscription order.

use core::any::{Any, TypeId};
use core::fmt;
use core::future::Future;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::pin::Pin;

use crate::delivery::translate::{stage, translator_name};
use crate::delivery::unit::{LendTx, Staged, UnitOfWork};
use crate::model::envelope::Envelope;
use crate::model::event::{DomainEvent, IntegrationEvent};
use crate::model::mapping::MapsFrom;

/// The error a handler returns.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Reacts to one domain event type. Closures
/// `Fn(&Envelope<E>) -> Result<(), BoxError>` are handlers too.
pub trait Handler<E: DomainEvent>: Send + Sync + 'static {
    /// Handles one event.
    ///
    /// # Errors
    ///
    /// Any error; the bus hands it to the publisher of the event.
    fn handle(&self, envelope: &Envelope<E>) -> Result<(), BoxError>;

    /// The handler's name in errors and traces.
    fn name(&self) -> &str {
        core::any::type_name::<Self>()
    }
}

impl<E, F> Handler<E> for F
where
    E: DomainEvent,
    F: Fn(&Envelope<E>) -> Result<(), BoxError> + Send + Sync + 'static,
{
    fn handle(&self, envelope: &Envelope<E>) -> Result<(), BoxError> {
        self(envelope)
    }
}

/// What the async handlers of a [`DomainBus`] borrow from the use case's unit
/// of work, and the future they return.
///
/// A bus is typed by its kind: `DomainBus` (that is, `DomainBus<()>`)
/// lends nothing, and works with any unit of work; the SQLite adapter's
/// `SqliteTx` lends the use case's `&rusqlite::Transaction`, the
/// PostgreSQL adapter's `PgTx` its `&mut PgConnection`. An async handler is a
/// closure that takes the envelope and the borrow and returns
/// `Box::pin(async move { .. })`: the borrow lives as long as the call, so
/// the handler reads and writes in the use case's transaction and sees what
/// it has not committed yet.
///
/// A kind of your own (another database's transaction) implements this trait
/// and [`LendTx`] on its unit of work.
pub trait TxKind: 'static {
    /// What an async handler borrows for one call.
    type Borrow<'t>;

    /// The future of an async handler: boxed, and `Send` whenever the borrow
    /// can be sent to another thread.
    // A lifetime and no type parameter: with one (`Future<'t, T>`), the
    // compiler cannot prove the dispatch's future `Send` while it awaits a
    // handler ("higher-ranked lifetime error"), so enrichment has its own
    // type below, and only this one is awaited by the dispatch.
    type Future<'t>: Future<Output = Result<(), BoxError>> + 't;

    /// The future of an async enrichment or mapping, which yields a `T`:
    /// boxed as [`Future`](TxKind::Future) is.
    type Enrich<'t, T: 't>: Future<Output = Result<T, BoxError>> + 't;

    /// Lends the borrow again, for the next handler.
    fn reborrow<'s>(borrow: &'s mut Self::Borrow<'_>) -> Self::Borrow<'s>;

    /// The handler future that applies `f` to the output of `future`.
    fn then<'t, T: 't>(
        future: Self::Enrich<'t, T>,
        f: impl FnOnce(Result<T, BoxError>) -> Result<(), BoxError> + Send + 't,
    ) -> Self::Future<'t>;
}

/// A bus that lends nothing: async handlers receive `()`, and their futures
/// are `Send`.
impl TxKind for () {
    type Borrow<'t> = ();
    type Future<'t> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 't>>;
    type Enrich<'t, T: 't> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send + 't>>;

    fn reborrow((): &mut ()) {}

    fn then<'t, T: 't>(
        future: Self::Enrich<'t, T>,
        f: impl FnOnce(Result<T, BoxError>) -> Result<(), BoxError> + Send + 't,
    ) -> Self::Future<'t> {
        Box::pin(async move { f(future.await) })
    }
}

/// A synchronous handler with the bus's bookkeeping around it: its failure
/// comes boxed, so that the call returns one word.
type SyncHandler<E> =
    Box<dyn Fn(&Envelope<E>, &mut Staged) -> Result<(), Box<HandlerFailure>> + Send + Sync>;

/// An async handler, with what it borrows and where it may stage.
type AsyncRun<E, K> = Box<
    dyn for<'t> Fn(
            &'t Envelope<E>,
            <K as TxKind>::Borrow<'t>,
            &'t mut Staged,
        ) -> <K as TxKind>::Future<'t>
        + Send
        + Sync,
>;

/// One subscription.
enum Slot<E, K: TxKind> {
    Sync(SyncHandler<E>),
    Async { name: String, run: AsyncRun<E, K> },
}

/// The subscriptions of one event type, in order.
struct Slots<E, K: TxKind> {
    list: Vec<Slot<E, K>>,
    /// The first async handler's name: a synchronous publish refuses `E`.
    first_async: Option<String>,
    /// Whether a handler may stage (a translator): only then does a
    /// dispatch need to mark where it began, to discard what it staged.
    stages: bool,
}

/// The subscriptions of one event type, with its type erased.
struct Entry {
    /// A `Slots<E, K>`, keyed by `TypeId::of::<Envelope<E>>()`.
    slots: Box<dyn Any + Send + Sync>,
    count: usize,
}

/// An in-process bus for domain events.
///
/// Handlers subscribe to one event type and run, in subscription order, when
/// an event of that type is published, inside the use case's unit of work.
/// The first handler that fails stops the dispatch: the handlers after it do
/// not run, whatever the handlers before it staged in the unit of work is
/// discarded, and its error is returned, so that the use case rolls its
/// transaction back. Only domain events can be published here: integration
/// events go through the integration publisher.
///
/// ```
/// use event_core::prelude::*;
/// use event_core::{DomainBus, Envelope};
/// use std::sync::{Arc, Mutex};
///
/// /// An order was placed.
/// #[domain_event]
/// pub struct OrderPlaced { pub order_id: String }
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let mut bus = DomainBus::new();
/// let log = Arc::clone(&seen);
/// bus.subscribe(move |e: &Envelope<OrderPlaced>| {
///     log.lock().unwrap().push(e.data().order_id.clone());
///     Ok(())
/// });
/// let mut work = event_core::Staged::new();
/// bus.publish(&mut work, &Envelope::new("/shop", OrderPlaced { order_id: "o-1".into() })).unwrap();
/// assert_eq!(*seen.lock().unwrap(), ["o-1"]);
/// ```
///
/// Handlers may also be async ([`subscribe_async`](Self::subscribe_async),
/// [`translate_async`](Self::translate_async)), and borrow what the bus's
/// [`TxKind`] lends: the use case's transaction on SQLite
/// (`DomainBus<SqliteTx>`) or PostgreSQL (`DomainBus<PgTx>`). An event with
/// an async handler is published with [`publish_async`](Self::publish_async),
/// which runs its synchronous and async handlers in the one subscription
/// order.
pub struct DomainBus<K: TxKind = ()> {
    handlers: TypeTable,
    kind: PhantomData<fn() -> K>,
}

impl<K: TxKind> Default for DomainBus<K> {
    /// An empty bus; `DomainBus::<PgTx>::default()` is one whose async
    /// handlers borrow a PostgreSQL transaction.
    fn default() -> Self {
        DomainBus {
            handlers: TypeTable::default(),
            kind: PhantomData,
        }
    }
}

impl<K: TxKind> fmt::Debug for DomainBus<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DomainBus")
            .field("event_types", &self.handlers.entries().count())
            .field(
                "handlers",
                &self.handlers.entries().map(|e| e.count).sum::<usize>(),
            )
            .finish()
    }
}

impl DomainBus {
    /// An empty bus that lends nothing to its handlers. A bus whose async
    /// handlers borrow the use case's transaction is made with
    /// [`default`](Default::default): `DomainBus::<PgTx>::default()`.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl<K: TxKind> DomainBus<K> {
    /// Adds a handler of `E`, after the ones already there.
    pub fn subscribe<E, H>(&mut self, handler: H) -> &mut Self
    where
        E: DomainEvent,
        H: Handler<E>,
    {
        let handler = move |envelope: &Envelope<E>, _: &mut Staged| {
            handler.handle(envelope).map_err(|error| {
                Box::new(HandlerFailure {
                    handler: handler.name().to_owned(),
                    error,
                })
            })
        };
        self.push::<E>(Slot::Sync(Box::new(handler)), false)
    }

    /// Adds an async handler of `E`, after the ones already there: a closure
    /// that receives the envelope and what the bus's [`TxKind`] lends (the
    /// use case's transaction, or `()`), and returns
    /// `Box::pin(async move { .. })`. Events of `E` are then published with
    /// [`publish_async`](Self::publish_async). Its name in errors is the
    /// closure's type name.
    ///
    /// ```
    /// use event_core::prelude::*;
    /// use event_core::{BoxError, DomainBus, Staged};
    /// use std::sync::{Arc, Mutex};
    ///
    /// /// A payment was captured.
    /// #[domain_event]
    /// pub struct PaymentCaptured { pub payment_id: String }
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&seen);
    /// let mut bus = DomainBus::new();
    /// bus.subscribe_async(move |e: &Envelope<PaymentCaptured>, ()| {
    ///     let log = Arc::clone(&log);
    ///     Box::pin(async move {
    ///         // An await on a service, a query on the borrowed transaction..
    ///         log.lock().unwrap().push(e.data().payment_id.clone());
    ///         Ok::<(), BoxError>(())
    ///     })
    /// });
    ///
    /// let captured = Envelope::new("/billing", PaymentCaptured { payment_id: "pay-1".into() });
    /// let mut work = Staged::new();
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
    /// #             return out;
    /// #         }
    /// #     }
    /// # }
    /// block_on(bus.publish_async(&mut work, &captured)).unwrap();
    /// assert_eq!(*seen.lock().unwrap(), ["pay-1"]);
    /// ```
    pub fn subscribe_async<E, F>(&mut self, handler: F) -> &mut Self
    where
        E: DomainEvent,
        F: for<'t> Fn(&'t Envelope<E>, K::Borrow<'t>) -> K::Future<'t> + Send + Sync + 'static,
    {
        let name = core::any::type_name::<F>().to_owned();
        self.subscribe_async_staging::<E, _>(name, move |envelope, borrow, _| {
            handler(envelope, borrow)
        })
    }

    /// Adds a handler of `E` that may stage messages in the publisher's unit
    /// of work, as translators do.
    pub(crate) fn subscribe_staging<E, F>(&mut self, handler: F) -> &mut Self
    where
        E: DomainEvent,
        F: Fn(&Envelope<E>, &mut Staged) -> Result<(), Box<HandlerFailure>> + Send + Sync + 'static,
    {
        self.push::<E>(Slot::Sync(Box::new(handler)), true)
    }

    /// Adds an async handler of `E`, named `name` in errors, that may stage
    /// messages in the publisher's unit of work.
    pub(crate) fn subscribe_async_staging<E, F>(&mut self, name: String, run: F) -> &mut Self
    where
        E: DomainEvent,
        F: for<'t> Fn(&'t Envelope<E>, K::Borrow<'t>, &'t mut Staged) -> K::Future<'t>
            + Send
            + Sync
            + 'static,
    {
        let slot = Slot::Async {
            name,
            run: Box::new(run),
        };
        self.push::<E>(slot, true)
    }

    /// Adds a subscription of `E`; `stages` says whether it may stage.
    fn push<E: DomainEvent>(&mut self, slot: Slot<E, K>, stages: bool) -> &mut Self {
        let entry = self
            .handlers
            .get_or_insert_with(TypeId::of::<Envelope<E>>(), || Entry {
                slots: Box::new(Slots::<E, K> {
                    list: Vec::new(),
                    first_async: None,
                    stages: false,
                }),
                count: 0,
            });
        // The entry of `Envelope<E>` holds a `Slots<E, K>`, so the downcast
        // cannot fail; an impossible miss adds nothing, rather than panic.
        if let Some(slots) = entry.slots.downcast_mut::<Slots<E, K>>() {
            if let Slot::Async { name, .. } = &slot {
                slots.first_async.get_or_insert_with(|| name.clone());
            }
            slots.stages |= stages;
            slots.list.push(slot);
            entry.count += 1;
        }
        self
    }

    /// The subscriptions of `E`, if any.
    #[inline]
    fn slots<E: DomainEvent>(&self) -> Option<&Slots<E, K>> {
        self.handlers
            .get(&TypeId::of::<Envelope<E>>())?
            .slots
            .downcast_ref::<Slots<E, K>>()
    }

    /// Runs the handlers of `E`, in subscription order, in the unit of work
    /// `work`: what they stage (the integration events of translators) is
    /// published when `work` commits.
    ///
    /// # Errors
    ///
    /// [`DispatchError`] with the first handler that failed. The handlers
    /// after it did not run, and nothing the dispatch staged is left in
    /// `work`; roll the use case's transaction back. When `E` has an async
    /// handler, no handler runs and the error is an
    /// [`AsyncPublishRequired`]: publish it with
    /// [`publish_async`](Self::publish_async).
    pub fn publish<E, U>(&self, work: &mut U, envelope: &Envelope<E>) -> Result<(), DispatchError>
    where
        E: DomainEvent,
        U: UnitOfWork + ?Sized,
    {
        let Some(slots) = self.slots::<E>() else {
            return Ok(());
        };
        if let Some(name) = &slots.first_async {
            return Err(async_publish_required::<E>(name));
        }
        trace_span!(
            "publish",
            event_id = envelope.id().as_str(),
            event_type = E::FULL_TYPE,
            correlation_id = envelope.correlation_id().as_str(),
            causation_id = envelope.causation_id().map(|c| c.as_str()),
        );
        let staged = work.staged();
        if !slots.stages {
            // No handler of `E` can stage: there is nothing to discard when
            // one fails or panics.
            return run_sync(&slots.list, envelope, staged);
        }
        // Whatever ends the dispatch early, a failure or a handler's panic,
        // discards what it staged.
        let mut dispatch = Dispatch::new(staged);
        run_sync(&slots.list, envelope, dispatch.staged)?;
        dispatch.done = true;
        Ok(())
    }

    /// Runs the handlers of `E`, synchronous and async, in subscription
    /// order, in the unit of work `work`, lending each async handler what the
    /// bus's [`TxKind`] borrows from `work` (its transaction). What they
    /// stage is published when `work` commits. Dropping the future before it
    /// completes discards what the dispatch staged, as a failure does.
    ///
    /// The future is `Send` when the borrow is (on PostgreSQL, or without a
    /// transaction); on SQLite, whose connection stays on one thread, it is
    /// not.
    ///
    /// # Errors
    ///
    /// [`DispatchError`] with the first handler that failed. The handlers
    /// after it did not run, and nothing the dispatch staged is left in
    /// `work`; roll the use case's transaction back.
    pub fn publish_async<'a, E, U>(
        &'a self,
        work: &'a mut U,
        envelope: &'a Envelope<E>,
    ) -> impl Future<Output = Result<(), DispatchError>> + 'a
    where
        E: DomainEvent,
        U: LendTx<K> + ?Sized,
    {
        let dispatch = self.dispatch_async(work, envelope);
        #[cfg(feature = "tracing")]
        let dispatch = tracing::Instrument::instrument(
            dispatch,
            tracing::debug_span!(
                "publish",
                event_id = envelope.id().as_str(),
                event_type = E::FULL_TYPE,
                correlation_id = envelope.correlation_id().as_str(),
                causation_id = envelope.causation_id().map(|c| c.as_str()),
            ),
        );
        dispatch
    }

    async fn dispatch_async<E, U>(
        &self,
        work: &mut U,
        envelope: &Envelope<E>,
    ) -> Result<(), DispatchError>
    where
        E: DomainEvent,
        U: LendTx<K> + ?Sized,
    {
        let Some(slots) = self.slots::<E>() else {
            return Ok(());
        };
        let (mut borrow, staged) = work.lend_tx();
        let mut dispatch = Dispatch::new(staged);
        for slot in &slots.list {
            match slot {
                Slot::Sync(handler) => {
                    handle_span::<E>(envelope);
                    handler(envelope, dispatch.staged).map_err(failed::<E>)?;
                }
                Slot::Async { name, run } => {
                    let running = run(envelope, K::reborrow(&mut borrow), dispatch.staged);
                    #[cfg(feature = "tracing")]
                    let running = tracing::Instrument::instrument(
                        running,
                        tracing::debug_span!(
                            "handle",
                            handler = name.as_str(),
                            event_id = envelope.id().as_str(),
                            event_type = E::FULL_TYPE,
                            correlation_id = envelope.correlation_id().as_str(),
                            causation_id = envelope.causation_id().map(|c| c.as_str()),
                        ),
                    );
                    if let Err(error) = running.await {
                        trace_debug!(handler = name.as_str(), error = %error, "handler failed");
                        return Err(DispatchError {
                            event_type: E::FULL_TYPE,
                            handler: name.clone(),
                            error,
                        });
                    }
                }
            }
        }
        dispatch.done = true;
        Ok(())
    }

    /// How many handlers `E` has.
    #[must_use]
    pub fn handler_count<E: DomainEvent>(&self) -> usize {
        self.handlers
            .get(&TypeId::of::<Envelope<E>>())
            .map_or(0, |entry| entry.count)
    }
}

/// Runs synchronous handlers in order, up to the first failure; async ones
/// are not there (a synchronous publish refuses their event before).
#[inline(always)]
fn run_sync<E: DomainEvent, K: TxKind>(
    slots: &[Slot<E, K>],
    envelope: &Envelope<E>,
    staged: &mut Staged,
) -> Result<(), DispatchError> {
    for slot in slots {
        if let Slot::Sync(handler) = slot {
            handle_span::<E>(envelope);
            handler(envelope, staged).map_err(failed::<E>)?;
        }
    }
    Ok(())
}

/// The span of one synchronous handler's call, or nothing.
#[inline(always)]
fn handle_span<E: DomainEvent>(_envelope: &Envelope<E>) {
    trace_span!(
        "handle",
        event_id = _envelope.id().as_str(),
        event_type = E::FULL_TYPE,
        correlation_id = _envelope.correlation_id().as_str(),
        causation_id = _envelope.causation_id().map(|c| c.as_str()),
    );
}

/// The dispatch error of a synchronous handler's failure.
#[cold]
#[inline(never)]
// Boxed by the handler, so that its result is one word on the hot path.
#[allow(clippy::boxed_local)]
fn failed<E: DomainEvent>(failure: Box<HandlerFailure>) -> DispatchError {
    trace_debug!(
        handler = failure.handler.as_str(),
        error = %failure.error,
        "handler failed"
    );
    DispatchError {
        event_type: E::FULL_TYPE,
        handler: failure.handler,
        error: failure.error,
    }
}

#[cold]
fn async_publish_required<E: DomainEvent>(handler: &str) -> DispatchError {
    DispatchError {
        event_type: E::FULL_TYPE,
        handler: handler.to_owned(),
        error: Box::new(AsyncPublishRequired {
            event_type: E::FULL_TYPE,
        }),
    }
}

/// [`DomainBus::publish`] was called for an event type that has an async
/// handler; no handler ran. The error inside the [`DispatchError`], whose
/// `handler` is the first async handler.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AsyncPublishRequired {
    /// The event's full type.
    pub event_type: &'static str,
}

impl fmt::Display for AsyncPublishRequired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` has async handlers: publish it with `DomainBus::publish_async`",
            self.event_type
        )
    }
}

impl std::error::Error for AsyncPublishRequired {}

/// One handler's failure.
#[derive(Debug)]
pub(crate) struct HandlerFailure {
    /// The handler's name.
    pub(crate) handler: String,
    /// What it returned.
    pub(crate) error: BoxError,
}

/// The handler of a published domain event that failed, which stopped the
/// dispatch.
#[derive(Debug)]
#[non_exhaustive]
pub struct DispatchError {
    /// The event's full type.
    pub event_type: &'static str,
    /// The failed handler's name ([`Handler::name`]).
    pub handler: String,
    /// What it returned.
    pub error: BoxError,
}

impl fmt::Display for DispatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "handler `{}` of `{}` failed: {}",
            self.handler, self.event_type, self.error
        )
    }
}

impl std::error::Error for DispatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.error)
    }
}

/// The subscriptions by event type: open addressing with linear probing,
/// at most half full, keyed by `TypeId`, whose bits are already a hash of
/// the type. A lookup that finds its type costs a mask, one probe and a key
/// comparison: a third of the instructions of `HashMap`'s (which with
/// SipHash spent half the cost of publishing to one handler hashing).
#[derive(Default)]
struct TypeTable {
    buckets: Vec<Option<(TypeId, Entry)>>,
    len: usize,
}

impl TypeTable {
    /// Where the probe for `id` starts.
    #[inline]
    fn home(&self, id: &TypeId) -> usize {
        let mut hasher = TypeIdHasher(0);
        id.hash(&mut hasher);
        // Truncated on 32-bit targets: the mask keeps low bits only anyway.
        (hasher.finish() as usize) & self.buckets.len().wrapping_sub(1)
    }

    /// The bucket that holds `id`, or the empty one where it would go.
    #[inline]
    fn find(&self, id: &TypeId) -> Option<usize> {
        let mask = self.buckets.len().wrapping_sub(1);
        let mut at = self.home(id);
        // At most half full: the probe meets an empty bucket.
        loop {
            match self.buckets.get(at)? {
                Some((key, _)) if key != id => at = (at + 1) & mask,
                _ => return Some(at),
            }
        }
    }

    /// The entry of `id`: one probe walk, which stops at `id` or at an
    /// empty bucket.
    #[inline]
    fn get(&self, id: &TypeId) -> Option<&Entry> {
        let mask = self.buckets.len().wrapping_sub(1);
        let mut at = self.home(id);
        loop {
            let (key, entry) = self.buckets.get(at)?.as_ref()?;
            if key == id {
                return Some(entry);
            }
            at = (at + 1) & mask;
        }
    }

    fn get_or_insert_with(&mut self, id: TypeId, make: impl FnOnce() -> Entry) -> &mut Entry {
        if (self.len + 1) * 2 > self.buckets.len() {
            self.grow();
        }
        let at = self.find(&id).unwrap_or_default();
        let bucket = &mut self.buckets[at];
        if bucket.is_none() {
            self.len += 1;
        }
        &mut bucket.get_or_insert_with(|| (id, make())).1
    }

    /// Doubles the buckets (eight at first) and puts every entry back.
    fn grow(&mut self) {
        let size = (self.buckets.len() * 2).max(8);
        let old = core::mem::replace(&mut self.buckets, (0..size).map(|_| None).collect());
        for (id, entry) in old.into_iter().flatten() {
            let at = self.find(&id).unwrap_or_default();
            self.buckets[at] = Some((id, entry));
        }
    }

    fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.buckets.iter().flatten().map(|(_, entry)| entry)
    }
}

/// Passes the bits of a `TypeId` through: they are already a hash of its
/// type.
struct TypeIdHasher(u64);

impl Hasher for TypeIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        // `TypeId` writes whole integers; any other input is folded in.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// One dispatch's hold on the unit of work: unless it is done, dropping it
/// discards what the dispatch staged.
struct Dispatch<'a> {
    staged: &'a mut Staged,
    mark: usize,
    done: bool,
}

impl<'a> Dispatch<'a> {
    #[inline]
    fn new(staged: &'a mut Staged) -> Self {
        Dispatch {
            mark: staged.mark(),
            staged,
            done: false,
        }
    }
}

impl Drop for Dispatch<'_> {
    #[inline]
    fn drop(&mut self) {
        if !self.done {
            self.staged.discard_since(self.mark);
        }
    }
}

// The translators: in the bus's module, so that a diagnostic names them
// `DomainBus::<K>::translate`.
impl<K: TxKind> DomainBus<K> {
    /// Registers a translator from the domain event `D` to the integration
    /// event `I`: on each `D`, `enrich` supplies `I`'s context (it may query,
    /// and may fail), the mapping builds `I`, and `I` is staged, in an
    /// envelope caused by the domain event, in the unit of work the use case
    /// passed to [`publish`](DomainBus::publish). An error at any step
    /// reaches the publisher of `D` as a [`TranslateError`](crate::TranslateError) inside the
    /// [`DispatchError`](crate::DispatchError), and nothing is staged.
    pub fn translate<D, I>(
        &mut self,
        enrich: impl Fn(&Envelope<D>) -> Result<I::Context, BoxError> + Send + Sync + 'static,
    ) -> &mut Self
    where
        D: DomainEvent,
        I: IntegrationEvent + MapsFrom<D>,
    {
        self.translate_with::<D, I>(move |envelope| {
            let context = enrich(envelope)?;
            Ok(I::map_from(envelope.data(), context))
        })
    }

    /// Registers a translator whose mapping is written by hand: on each `D`,
    /// `translate` builds the `I` to stage (or fails, as an enrichment does),
    /// in an envelope caused by the domain event.
    pub fn translate_with<D, I>(
        &mut self,
        translate: impl Fn(&Envelope<D>) -> Result<I, BoxError> + Send + Sync + 'static,
    ) -> &mut Self
    where
        D: DomainEvent,
        I: IntegrationEvent,
    {
        self.subscribe_staging::<D, _>(move |envelope, staged| {
            stage::<D, I>(envelope, translate(envelope), staged).map_err(|error| {
                Box::new(HandlerFailure {
                    handler: translator_name::<D, I>(),
                    error: Box::new(error),
                })
            })
        })
    }

    /// Registers a translator whose enrichment is async and borrows what the
    /// bus's [`TxKind`] lends: on each `D`, `enrich(envelope, tx)` returns
    /// `Box::pin(async move { .. })` that supplies `I`'s context, reading
    /// in the use case's transaction (and seeing what it has not committed
    /// yet); the mapping builds `I`, and `I` is staged in the unit of work, to
    /// be stored in the outbox in that same transaction. Events of `D` are
    /// published with [`publish_async`](DomainBus::publish_async); errors
    /// are those of [`translate`](DomainBus::translate).
    ///
    /// ```
    /// use event_core::prelude::*;
    /// use event_core::{BoxError, DomainBus, Staged};
    ///
    /// /// A book was lent.
    /// #[domain_event]
    /// pub struct BookLent { pub book_id: String }
    ///
    /// /// A book was lent, for other contexts.
    /// #[integration_event(version = 1, maps_from = BookLent)]
    /// pub struct BookLentIntegrationEvent {
    ///     pub book_id: String,
    ///     #[event(context)]
    ///     pub title: String,
    /// }
    ///
    /// async fn title_of(book_id: &str) -> Result<String, BoxError> {
    ///     Ok(format!("book {book_id}")) // a query, a call to the catalog
    /// }
    ///
    /// // `DomainBus::<SqliteTx>::default()` or `DomainBus::<PgTx>::default()`
    /// // lend the use case's transaction as the second argument.
    /// let mut bus = DomainBus::new();
    /// bus.translate_async::<BookLent, BookLentIntegrationEvent>(|e, ()| {
    ///     Box::pin(async move {
    ///         let title = title_of(&e.data().book_id).await?;
    ///         Ok(BookLentIntegrationEventContext { title })
    ///     })
    /// });
    ///
    /// let lent = Envelope::new("/library", BookLent { book_id: "b-1".into() });
    /// let mut work = Staged::new();
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
    /// #             return out;
    /// #         }
    /// #     }
    /// # }
    /// block_on(bus.publish_async(&mut work, &lent)).unwrap();
    /// let public = Envelope::<BookLentIntegrationEvent>::from_json(work.messages()[0].payload()).unwrap();
    /// assert_eq!(public.data().title, "book b-1");
    /// ```
    pub fn translate_async<D, I>(
        &mut self,
        enrich: impl for<'t> Fn(&'t Envelope<D>, K::Borrow<'t>) -> K::Enrich<'t, I::Context>
        + Send
        + Sync
        + 'static,
    ) -> &mut Self
    where
        D: DomainEvent,
        I: IntegrationEvent + MapsFrom<D>,
    {
        self.subscribe_async_staging::<D, _>(
            translator_name::<D, I>(),
            move |envelope, borrow, staged| {
                K::then(enrich(envelope, borrow), move |context| {
                    let event = context.map(|context| I::map_from(envelope.data(), context));
                    stage::<D, I>(envelope, event, staged).map_err(BoxError::from)
                })
            },
        )
    }

    /// Registers a translator whose mapping is written by hand and async:
    /// on each `D`, `translate(envelope, tx)` returns
    /// `Box::pin(async move { .. })` that builds the `I` to stage, as
    /// [`translate_async`](DomainBus::translate_async) does.
    pub fn translate_with_async<D, I>(
        &mut self,
        translate: impl for<'t> Fn(&'t Envelope<D>, K::Borrow<'t>) -> K::Enrich<'t, I>
        + Send
        + Sync
        + 'static,
    ) -> &mut Self
    where
        D: DomainEvent,
        I: IntegrationEvent,
    {
        self.subscribe_async_staging::<D, _>(
            translator_name::<D, I>(),
            move |envelope, borrow, staged| {
                K::then(translate(envelope, borrow), move |event| {
                    stage::<D, I>(envelope, event, staged).map_err(BoxError::from)
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{Entry, TypeTable};
    use core::any::TypeId;

    fn entry(count: usize) -> Entry {
        Entry {
            slots: Box::new(()),
            count,
        }
    }

    #[test]
    fn the_type_table_finds_every_type_it_holds_as_it_grows() {
        let ids = [
            TypeId::of::<u8>(),
            TypeId::of::<u16>(),
            TypeId::of::<u32>(),
            TypeId::of::<u64>(),
            TypeId::of::<u128>(),
            TypeId::of::<i8>(),
            TypeId::of::<i16>(),
            TypeId::of::<i32>(),
            TypeId::of::<i64>(),
            TypeId::of::<i128>(),
            TypeId::of::<f32>(),
            TypeId::of::<f64>(),
            TypeId::of::<bool>(),
            TypeId::of::<char>(),
            TypeId::of::<String>(),
            TypeId::of::<Vec<u8>>(),
            TypeId::of::<Option<u8>>(),
            TypeId::of::<()>(),
        ];
        let mut table = TypeTable::default();
        assert!(table.get(&ids[0]).is_none(), "an empty table holds nothing");
        for (n, id) in ids.iter().enumerate() {
            table.get_or_insert_with(*id, || entry(n)).count += 100;
            // Every type so far is still found, with its own entry.
            for (m, earlier) in ids.iter().enumerate().take(n + 1) {
                assert_eq!(table.get(earlier).map(|e| e.count), Some(m + 100));
            }
            assert!(table.buckets.len() >= 2 * table.len);
        }
        assert_eq!(table.len, ids.len());
        assert_eq!(table.entries().count(), ids.len());
        // An existing type gets its entry back, not a new one.
        table.get_or_insert_with(ids[3], || entry(0)).count += 1;
        assert_eq!(table.get(&ids[3]).map(|e| e.count), Some(104));
        assert_eq!(table.len, ids.len());
        assert!(table.get(&TypeId::of::<&str>()).is_none());
    }
}
