//! A transport on RabbitMQ (feature `rabbitmq`), over the `lapin` AMQP
//! 0-9-1 client: a durable topic exchange, a durable quorum queue per
//! consumer group and event type, publisher confirms, and delayed
//! redelivery through wait queues with a message TTL and a dead-letter
//! route back to the group's queue (no plugin needed).
//!
//! ```no_run
//! use event_core::rabbitmq::{ContentMode, RabbitMqTransport};
//! use event_core::transport::{Subscription, Transport};
//!
//! # async fn run() -> Result<(), event_core::transport::TransportError> {
//! let transport = RabbitMqTransport::new("amqp://guest:guest@127.0.0.1:5672/%2f")
//!     .with_exchange("shop.events")
//!     .with_mode(ContentMode::Binary)
//!     .with_prefetch(32);
//! // The group keeps every message published from now on.
//! transport.declare("order.placed.v1", "billing").await?;
//! let mut billing = transport.subscribe("order.placed.v1", "billing").await?;
//! while let Some(delivery) = billing.next().await? {
//!     // ... handle delivery.message ...
//!     delivery.ack().await?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [`lapin`] is re-exported, for a service that talks to the broker itself
//! beside the transport (declares its own queues, looks at a queue in a
//! test) with the client version this crate was built with.

mod transport;
mod wire;

pub use transport::{RabbitMqSubscription, RabbitMqTransport};
pub use wire::ContentMode;

pub use lapin;
