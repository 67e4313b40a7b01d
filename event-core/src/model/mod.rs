//! The event model: events and their kinds, the envelope they travel in
//! (ids, attributes, builders), the registry of declared events, their
//! schemas, timestamps and ids, and the error of reading an envelope that
//! the model's own signatures name. Imports nothing from the layers above
//! it: encoding, contracts, delivery and the adapters.

pub mod attributes;
pub mod envelope;
pub mod error;
pub mod event;
pub mod mapping;
pub mod registry;
pub mod rules;
pub mod schema;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
pub mod uuid7;
