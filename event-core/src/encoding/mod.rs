//! Encoding: the generic CloudEvent and its JSON format, the protocol
//! bindings, typed decoding and upcasting, the envelope's wire format, and
//! transport messages. Imports the event model only.

pub mod binding;
pub mod cloudevent;
pub mod decode;
pub mod envelope;
pub mod fields;
mod json_text;
pub mod message;
