// The README's examples include the `tokio` parts, so it is the crate's
// documentation (and doctests) when that feature is on, as under the README's
// `cargo test --workspace` and on docs.rs.
#![cfg_attr(feature = "tokio", doc = include_str!("../README.md"))]
#![cfg_attr(
    not(feature = "tokio"),
    doc = "Typed domain, integration and notification events, checked at compile time. \
           See the README, or these docs built with the `tokio` feature, for the guide."
)]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

// Lets the macros' absolute `::event_core::...` paths resolve inside this
// crate's own tests.
extern crate self as event_core;

// First: its macros are used by the modules after it.
#[macro_use]
mod trace;

pub mod binding;
mod bus;
pub mod cloudevent;
pub mod compat;
pub mod contracts;
pub mod decode;
mod envelope;
mod event;
#[cfg(feature = "tokio")]
pub mod integration;
pub mod mapping;
mod message;
#[cfg(feature = "tokio")]
pub mod notify;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod registry;
#[cfg(feature = "tokio")]
pub mod relay;
pub mod retry;
mod schema;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod time;
#[cfg(feature = "tokio")]
pub mod transport;
mod unit;
mod uuid7;

#[doc(hidden)]
pub mod __private;

pub use bus::{BoxError, DispatchError, DomainBus, Handler};
pub use decode::DecodeError;
pub use envelope::{CorrelationId, Envelope, EventId};
pub use event::{DomainEvent, Event, EventKind, IntegrationEvent, NotificationEvent};
pub use event_derive::{domain_event, integration_event, notification_event};
pub use mapping::{MapsFrom, TranslateError};
pub use message::{Message, encode};
pub use registry::EventDescriptor;
pub use schema::DEFAULT_SCHEMA_BASE;
pub use time::{Timestamp, TimestampError};
pub use unit::{Staged, UnitOfWork};

/// Everything a module that declares events needs: `use event_core::prelude::*;`.
pub mod prelude {
    pub use crate::envelope::Envelope;
    pub use crate::event::{DomainEvent, Event, EventKind, IntegrationEvent, NotificationEvent};
    pub use crate::mapping::MapsFrom;
    pub use event_derive::{domain_event, integration_event, notification_event};
}
