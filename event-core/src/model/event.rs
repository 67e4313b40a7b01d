//! The traits every declared event implements.

use core::fmt;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::envelope::Envelope;
use crate::model::error::DecodeError;

/// The three kinds of events, each with its own audience and rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// A fact inside one bounded context, handled in process.
    Domain,
    /// A public, versioned contract with other bounded contexts.
    Integration,
    /// A best-effort message to people or outside systems.
    Notification,
}

impl EventKind {
    /// The kind in lower case, as written in schemas (`x-event-kind`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Domain => "domain",
            EventKind::Integration => "integration",
            EventKind::Notification => "notification",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What every event has: a stable type name, a version, a kind and a JSON
/// Schema.
///
/// Implemented by `#[domain_event]`, `#[integration_event]` and
/// `#[notification_event]`; implement it by hand only for an event those
/// macros cannot declare.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an event",
    label = "not declared as an event",
    note = "declare it with `#[domain_event]`, `#[integration_event(version = N)]` or `#[notification_event]`"
)]
pub trait Event:
    Serialize + DeserializeOwned + JsonSchema + fmt::Debug + Clone + PartialEq + Send + Sync + 'static
{
    /// The stable type name, in dotted lower case: `product.updated`.
    const TYPE_NAME: &'static str;
    /// The version of this event's contract, 1 or more.
    const VERSION: u32;
    /// Which of the three kinds this event is.
    const KIND: EventKind;
    /// The type name with its version, as carried on the wire:
    /// `product.updated.v2`.
    const FULL_TYPE: &'static str;
    /// The `$id` of this event's JSON Schema: the schema base, the kind and
    /// [`FULL_TYPE`](Event::FULL_TYPE), like
    /// `urn:event:integration:product.updated.v2`.
    const SCHEMA_ID: &'static str;

    /// The JSON Schema (2020-12) of this event, with its `$id`, `title`,
    /// `description`, `x-event-type`, `x-event-version` and `x-event-kind`,
    /// and `x-pii` on personal fields.
    #[must_use]
    fn schema() -> serde_json::Value {
        crate::model::schema::event_schema::<Self>()
    }
}

/// A fact that happened inside one bounded context, named in the domain's own
/// words (`ProductPutOnSale`). Declared with `#[domain_event]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a domain event",
    label = "not a domain event",
    note = "declare it with `#[domain_event]`; integration events go through the integration publisher, notifications through the notification dispatcher"
)]
pub trait DomainEvent: Event {}

/// A public, versioned contract that other bounded contexts consume
/// (`ProductUpdatedIntegrationEvent`). Declared with
/// `#[integration_event(version = N)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an integration event",
    label = "not an integration event",
    note = "declare it with `#[integration_event(version = N)]`; domain events stay inside their bounded context and go on the domain bus, and notifications go through the notification dispatcher"
)]
pub trait IntegrationEvent: Event {
    /// Decodes `bytes`, an envelope of this event's type at `version`: this
    /// version itself, or an older one along the `upcast_from` chain (the
    /// macro overrides this method for events declared with `upcast_from`).
    /// Called by [`decode_upcasting`](crate::decode::decode_upcasting).
    ///
    /// # Errors
    ///
    /// [`DecodeError::NoUpcastPath`](crate::DecodeError::NoUpcastPath) when no
    /// chain leads from `version`, or any error of decoding that version.
    fn decode_version(bytes: &[u8], version: u32) -> Result<Envelope<Self>, DecodeError> {
        if version == Self::VERSION {
            // `decode`, through the method the encoding layer gives
            // `Envelope`: the model imports nothing above it.
            Envelope::from_json(bytes)
        } else {
            Err(DecodeError::no_upcast_path::<Self>(version))
        }
    }
}

/// A best-effort message to people or outside systems
/// (`OrderShippedNotification`). Declared with `#[notification_event]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a notification event",
    label = "not a notification event",
    note = "declare it with `#[notification_event]`; domain events go on the domain bus, and integration events through the integration publisher"
)]
pub trait NotificationEvent: Event {}
