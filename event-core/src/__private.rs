//! What generated code calls. Not public API: anything here may change in any
//! release.

pub use inventory;
pub use schemars;
pub use serde;
pub use serde_json;

pub use crate::registry::EventDescriptor;

/// What a `secret` field shows in `Debug`.
pub const REDACTED: &str = "<redacted>";

/// One field of an event, found by the FNV-1a hash of its name; implemented
/// by the event macros for every field, read by the mappings of events that
/// map from it.
#[diagnostic::on_unimplemented(
    message = "the source event `{Self}` has no field of this name",
    label = "this field has no source in `{Self}`",
    note = "give the field a source: a field of the same name in the source event, `#[event(from = field)]`, `#[event(with = function)]`, `#[event(context)]` or `#[event(default)]`"
)]
pub trait Field<const KEY: u64> {
    /// The field's type.
    type Type;
    /// Whether the field is `#[event(pii)]`.
    const PII: bool;
    /// Whether the field is `#[event(secret)]`.
    const SECRET: bool;
    /// The field.
    fn get(&self) -> &Self::Type;
}

/// The source of a mapping, whose fields the mapping reads by key. A method
/// call (rather than a path to the trait) makes a missing field one error.
#[derive(Debug)]
pub struct Source<'a, S>(pub &'a S);

impl<'a, S> Source<'a, S> {
    /// The field with this key.
    #[inline]
    pub fn field<const KEY: u64>(&self) -> &'a <S as Field<KEY>>::Type
    where
        S: Field<KEY>,
    {
        self.0.get()
    }
}

/// A source field's value, converted into the target field's type.
#[inline]
pub fn convert<T: Clone + Into<U>, U>(value: &T) -> U {
    value.clone().into()
}

pub use crate::event::EventKind;

/// A `default = value` converted into the field's type.
#[inline]
pub fn into<T: Into<U>, U>(value: T) -> U {
    value.into()
}
