#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

// Lets the macros' absolute `::event_core::...` paths resolve inside this
// crate's own tests.
extern crate self as event_core;

mod bus;
pub mod decode;
mod envelope;
mod event;
#[cfg(feature = "tokio")]
pub mod integration;
#[cfg(feature = "tokio")]
pub mod notify;
pub mod registry;
mod schema;
mod time;
#[cfg(feature = "tokio")]
pub mod transport;

#[doc(hidden)]
pub mod __private;

pub use bus::{BoxError, DispatchError, DomainBus, Handler, HandlerFailure};
pub use decode::DecodeError;
pub use envelope::{CorrelationId, Envelope, EventId};
pub use event::{DomainEvent, Event, EventKind, IntegrationEvent, NotificationEvent};
pub use event_derive::{domain_event, integration_event, notification_event};
pub use registry::EventDescriptor;
pub use schema::DEFAULT_SCHEMA_BASE;
pub use time::{Timestamp, TimestampError};

/// Everything a module that declares events needs: `use event_core::prelude::*;`.
pub mod prelude {
    pub use crate::envelope::Envelope;
    pub use crate::event::{DomainEvent, Event, EventKind, IntegrationEvent, NotificationEvent};
    pub use event_derive::{domain_event, integration_event, notification_event};
}
