// The README is the crate's documentation whatever the features. Its
// examples include the `tokio` parts (and its quick start compiles as
// written), so its doctests run when that feature is on, as under the
// README's `cargo test --workspace`; with fewer features (`cfg(doctest)` is
// set while rustdoc collects doctests) the docs still show the whole guide.
#![cfg_attr(any(feature = "tokio", not(doctest)), doc = include_str!("../README.md"))]
#![cfg_attr(
    all(not(feature = "tokio"), doctest),
    doc = "The README's examples run as doctests with the `tokio` feature."
)]
// docs.rs passes `--cfg docsrs` (see `[package.metadata.docs.rs]`): every
// item behind a feature shows a badge naming the feature.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

// Lets the macros' absolute `::event_core::...` paths resolve inside this
// crate's own tests.
extern crate self as event_core;

// First: its macros are used by the modules after it.
#[macro_use]
mod trace;

// The crate in layers; each imports only the layers before it here
// (`tests/layout.rs` checks it). The public modules below are their faces.
mod model;

mod encoding;

pub mod contracts;

mod delivery;

mod adapters;

#[doc(hidden)]
pub mod __private;

/// The serde the macros derive `Serialize` and `Deserialize` with. A field
/// of an event has a type that implements both; a crate without serde of
/// its own can derive them through this path, with
/// `#[serde(crate = "event_core::serde")]`.
pub use serde;

/// The schemars the macros derive `JsonSchema` with, at the version
/// event-core uses. A field of an event has a type that implements
/// `JsonSchema`: derive it through this path, with
/// `#[schemars(crate = "event_core::schemars")]`, or with schemars 1 as a
/// dependency of your own.
///
/// ```
/// use event_core::prelude::*;
/// use event_core::schemars::JsonSchema;
/// use serde::{Deserialize, Serialize};
///
/// /// An amount of money, in cents.
/// #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
/// #[schemars(crate = "event_core::schemars")]
/// pub struct Money {
///     pub cents: u64,
/// }
///
/// /// An order was placed.
/// #[domain_event]
/// pub struct OrderPlaced {
///     pub order_id: String,
///     pub total: Money,
/// }
/// # let _ = OrderPlaced { order_id: "o-1".into(), total: Money { cents: 1 } };
/// ```
pub use schemars;

/// The serde_json of event-core's public API: the `Value` of a schema or a
/// payload, and the errors of decoding.
pub use serde_json;

// Model.
pub use model::registry;

// Encoding.
pub use encoding::{binding, cloudevent, decode};

// Contracts: the catalog, and the checker, which lives in the contracts
// layer's folder.
pub use contracts::catalog;
#[path = "contracts/compat.rs"]
pub mod compat;

// Delivery.
pub use delivery::retry;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub use delivery::testing;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use delivery::{dead_letter, host, integration, notify, relay};

/// Mapping domain events to integration events and notifications, and the
/// translators that do it on the domain bus.
pub mod mapping {
    pub use crate::delivery::translate::TranslateError;
    pub use crate::model::mapping::MapsFrom;
}

#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod transport {
    //! Moving encoded envelopes to a broker and back.
    //!
    //! A [`Transport`] publishes [`Message`]s and opens [`Subscription`]s. It is
    //! shaped for brokers with acknowledgements and at-least-once redelivery
    //! (NATS JetStream, Kafka, RabbitMQ):
    //!
    //! - [`Transport::publish`] returns once the broker has stored the message
    //!   (JetStream's publish ack, Kafka's `acks=all`, RabbitMQ's publisher
    //!   confirm);
    //! - [`Message::id`] is the event id, for the broker's de-duplication
    //!   (JetStream's `Nats-Msg-Id`, a Kafka idempotent producer's key, RabbitMQ's
    //!   `message_id`);
    //! - a subscription is named by its consumer: every consumer name receives
    //!   every message of its type, and the subscriptions sharing one name compete
    //!   for them (a JetStream durable consumer, a Kafka consumer group, a
    //!   RabbitMQ queue);
    //! - a consumer group, once declared ([`Transport::declare`], or the first
    //!   [`Transport::subscribe`]), keeps every message of its type published
    //!   from then on until it is acknowledged, whether a subscription is open or
    //!   not: a consumer that starts later, or restarts, misses nothing;
    //! - each [`Delivery`] is acknowledged or negatively acknowledged, at once or
    //!   with a delay before it comes again; one that is neither (its consumer
    //!   crashed) is delivered again.
    //!
    //! Writing an adapter means implementing [`Transport`], [`Subscription`] and
    //! [`Acknowledge`] over the broker's client; see [`InMemoryTransport`] for a
    //! complete one.

    pub use crate::delivery::transport::*;

    pub use crate::adapters::memory::InMemoryTransport;
}

// Adapters.
#[cfg(feature = "nats")]
#[cfg_attr(docsrs, doc(cfg(feature = "nats")))]
pub use adapters::nats;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use adapters::postgres;
#[cfg(feature = "rabbitmq")]
#[cfg_attr(docsrs, doc(cfg(feature = "rabbitmq")))]
pub use adapters::rabbitmq;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use adapters::sqlite;

#[doc(no_inline)]
pub use decode::DecodeError;
pub use delivery::bus::{
    AsyncPublishRequired, BoxError, DispatchError, DomainBus, Handler, TxKind,
};
pub use delivery::unit::{LendTx, Staged, UnitOfWork};
pub use encoding::message::{Message, encode};
pub use event_derive::{domain_event, integration_event, notification_event};
// Derives named after the event traits, each one error that names the
// attribute to write instead.
#[doc(hidden)]
pub use event_derive::{DomainEvent, Event, IntegrationEvent, NotificationEvent};
pub use mapping::MapsFrom;
pub use mapping::TranslateError;
pub use model::envelope::{CorrelationId, Envelope, EventId};
pub use model::event::{DomainEvent, Event, EventKind, IntegrationEvent, NotificationEvent};
pub use model::schema::DEFAULT_SCHEMA_BASE;
pub use model::time::{Timestamp, TimestampError};
#[doc(no_inline)]
pub use registry::EventDescriptor;

/// Everything a module that declares events needs: `use event_core::prelude::*;`.
pub mod prelude {
    pub use crate::mapping::MapsFrom;
    pub use crate::model::envelope::Envelope;
    pub use crate::model::event::{
        DomainEvent, Event, EventKind, IntegrationEvent, NotificationEvent,
    };
    #[doc(no_inline)]
    pub use event_derive::{domain_event, integration_event, notification_event};
    // Not `Event`: a derive of that name from another crate's prelude
    // (bevy's) would become ambiguous beside this one.
    #[doc(hidden)]
    pub use event_derive::{DomainEvent, IntegrationEvent, NotificationEvent};
}
