//! The in-process domain bus: typed, synchronous handlers that run inside the
//! use case's own transaction.

use core::any::{Any, TypeId};
use core::fmt;
use std::collections::HashMap;

use crate::{DomainEvent, Envelope};

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

type Erased = Box<dyn Fn(&dyn Any) -> Result<(), HandlerFailure> + Send + Sync>;

/// An in-process bus for domain events.
///
/// Handlers subscribe to one event type and run, in subscription order, when
/// an event of that type is published. `publish` returns only after every
/// handler ran, with the errors of those that failed, so that the use case
/// can roll its transaction back. Only domain events can be published here:
/// integration events go through the integration publisher.
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
/// bus.publish(&Envelope::new("/shop", OrderPlaced { order_id: "o-1".into() })).unwrap();
/// assert_eq!(*seen.lock().unwrap(), ["o-1"]);
/// ```
#[derive(Default)]
pub struct DomainBus {
    handlers: HashMap<TypeId, Vec<Erased>>,
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
        let erased: Erased = Box::new(move |any: &dyn Any| {
            // The map is keyed by `TypeId::of::<Envelope<E>>()`, so the
            // downcast cannot fail; an impossible miss is skipped, not a panic.
            let Some(envelope) = any.downcast_ref::<Envelope<E>>() else {
                return Ok(());
            };
            trace_span!(
                "handle",
                handler = handler.name(),
                event_id = envelope.id().as_str(),
                event_type = E::FULL_TYPE,
                correlation_id = envelope.correlation_id().as_str(),
                causation_id = envelope.causation_id().map(|c| c.as_str()),
            );
            handler.handle(envelope).map_err(|error| {
                trace_debug!(%error, "handler failed");
                HandlerFailure {
                    handler: handler.name().to_owned(),
                    error,
                }
            })
        });
        self.handlers
            .entry(TypeId::of::<Envelope<E>>())
            .or_default()
            .push(erased);
        self
    }

    /// Runs every handler of `E`, in subscription order.
    ///
    /// # Errors
    ///
    /// [`DispatchError`] with the failure of each handler that failed; the
    /// handlers after a failed one still run.
    pub fn publish<E: DomainEvent>(&self, envelope: &Envelope<E>) -> Result<(), DispatchError> {
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
        let mut failures = Vec::new();
        for handler in handlers {
            if let Err(failure) = handler(envelope) {
                failures.push(failure);
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(DispatchError {
                event_type: E::FULL_TYPE,
                failures,
            })
        }
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
pub struct HandlerFailure {
    /// The handler's name.
    pub handler: String,
    /// What it returned.
    pub error: BoxError,
}

/// The handlers of a published domain event that failed.
#[derive(Debug)]
pub struct DispatchError {
    /// The event's full type.
    pub event_type: &'static str,
    /// Each failure, in subscription order.
    pub failures: Vec<HandlerFailure>,
}

impl fmt::Display for DispatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} handler(s) of `{}` failed: ",
            self.failures.len(),
            self.event_type
        )?;
        for (i, failure) in self.failures.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "`{}`: {}", failure.handler, failure.error)?;
        }
        Ok(())
    }
}

impl std::error::Error for DispatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failures
            .first()
            .map(|f| &*f.error as &(dyn std::error::Error + 'static))
    }
}
