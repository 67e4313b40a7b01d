//! The in-process domain bus: typed, synchronous handlers that run inside the
//! use case's own transaction.

use core::any::{Any, TypeId};
use core::fmt;
use core::hash::{BuildHasherDefault, Hasher};
use std::collections::HashMap;

use crate::delivery::unit::{Staged, UnitOfWork};
use crate::model::envelope::Envelope;
use crate::model::event::DomainEvent;

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

/// A handler with its type erased; it may stage messages in the unit of work.
pub(crate) type Erased =
    Box<dyn Fn(&dyn Any, &mut Staged) -> Result<(), HandlerFailure> + Send + Sync>;

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
#[derive(Default)]
pub struct DomainBus {
    handlers: HashMap<TypeId, Vec<Erased>, BuildHasherDefault<TypeIdHasher>>,
}

impl fmt::Debug for DomainBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DomainBus")
            .field("event_types", &self.handlers.len())
            .field(
                "handlers",
                &self.handlers.values().map(Vec::len).sum::<usize>(),
            )
            .finish()
    }
}

impl DomainBus {
    /// An empty bus.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a handler of `E`, after the ones already there.
    pub fn subscribe<E, H>(&mut self, handler: H) -> &mut Self
    where
        E: DomainEvent,
        H: Handler<E>,
    {
        self.subscribe_staging::<E, _>(move |envelope: &Envelope<E>, _: &mut Staged| {
            handler.handle(envelope).map_err(|error| HandlerFailure {
                handler: handler.name().to_owned(),
                error,
            })
        })
    }

    /// Adds a handler of `E` that may stage messages in the publisher's unit
    /// of work, as translators do.
    pub(crate) fn subscribe_staging<E, F>(&mut self, handler: F) -> &mut Self
    where
        E: DomainEvent,
        F: Fn(&Envelope<E>, &mut Staged) -> Result<(), HandlerFailure> + Send + Sync + 'static,
    {
        let erased: Erased = Box::new(move |any: &dyn Any, staged: &mut Staged| {
            // The map is keyed by `TypeId::of::<Envelope<E>>()`, so the
            // downcast cannot fail; an impossible miss is skipped, not a panic.
            let Some(envelope) = any.downcast_ref::<Envelope<E>>() else {
                return Ok(());
            };
            trace_span!(
                "handle",
                event_id = envelope.id().as_str(),
                event_type = E::FULL_TYPE,
                correlation_id = envelope.correlation_id().as_str(),
                causation_id = envelope.causation_id().map(|c| c.as_str()),
            );
            let result = handler(envelope, staged);
            if let Err(_failure) = &result {
                trace_debug!(
                    handler = _failure.handler.as_str(),
                    error = %_failure.error,
                    "handler failed"
                );
            }
            result
        });
        self.handlers
            .entry(TypeId::of::<Envelope<E>>())
            .or_default()
            .push(erased);
        self
    }

    /// Runs the handlers of `E`, in subscription order, in the unit of work
    /// `work`: what they stage (the integration events of translators) is
    /// published when `work` commits.
    ///
    /// # Errors
    ///
    /// [`DispatchError`] with the first handler that failed. The handlers
    /// after it did not run, and nothing the dispatch staged is left in
    /// `work`; roll the use case's transaction back.
    pub fn publish<E, U>(&self, work: &mut U, envelope: &Envelope<E>) -> Result<(), DispatchError>
    where
        E: DomainEvent,
        U: UnitOfWork + ?Sized,
    {
        let Some(handlers) = self.handlers.get(&TypeId::of::<Envelope<E>>()) else {
            return Ok(());
        };
        trace_span!(
            "publish",
            event_id = envelope.id().as_str(),
            event_type = E::FULL_TYPE,
            correlation_id = envelope.correlation_id().as_str(),
            causation_id = envelope.causation_id().map(|c| c.as_str()),
        );
        // Whatever ends the dispatch early, a failure or a handler's panic,
        // discards what it staged.
        let mut dispatch = Dispatch {
            mark: work.staged().mark(),
            staged: work.staged(),
            done: false,
        };
        for handler in handlers {
            if let Err(failure) = handler(envelope, dispatch.staged) {
                return Err(DispatchError {
                    event_type: E::FULL_TYPE,
                    handler: failure.handler,
                    error: failure.error,
                });
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
            .map_or(0, Vec::len)
    }
}

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

/// Hashes a `TypeId` by passing its bits through: a `TypeId` is already a
/// hash of its type, and hashing it again with SipHash was half the cost of
/// publishing to one handler.
#[derive(Default)]
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

impl Drop for Dispatch<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.staged.discard_since(self.mark);
        }
    }
}
