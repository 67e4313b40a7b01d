//! The adapters: each one folder, behind its own feature, implementing the
//! delivery layer's storage and transport traits over one technology. An
//! adapter imports the layers below it and never another adapter.

#[cfg(feature = "tokio")]
pub mod memory;
#[cfg(feature = "nats")]
pub mod nats;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "rabbitmq")]
pub mod rabbitmq;
#[cfg(feature = "sqlite")]
pub mod sqlite;
