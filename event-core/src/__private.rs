//! What generated code calls. Not public API: anything here may change in any
//! release.

pub use inventory;
pub use schemars;
pub use serde;
pub use serde_json;

pub use crate::registry::EventDescriptor;

/// What a `secret` field shows in `Debug`.
pub const REDACTED: &str = "<redacted>";
