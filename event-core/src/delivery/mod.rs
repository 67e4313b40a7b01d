//! Delivery: the domain bus and its unit of work, the translators, retries,
//! and (feature `tokio`) the storage and transport traits the adapters
//! implement ([`OutboxStore`](relay::OutboxStore), [`Transport`](transport::Transport)),
//! the relay, the integration publisher and consumer, the hosted consumer
//! runtime, and the notification dispatcher. Imports the event model,
//! encoding and contracts; never an adapter.

pub mod bus;
#[cfg(feature = "tokio")]
pub mod dead_letter;
#[cfg(feature = "tokio")]
pub mod host;
#[cfg(feature = "tokio")]
pub mod integration;
#[cfg(feature = "tokio")]
pub mod notify;
#[cfg(feature = "tokio")]
pub mod relay;
pub mod retry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod translate;
#[cfg(feature = "tokio")]
pub mod transport;
pub mod unit;
