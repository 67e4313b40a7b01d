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
    note = "give the field a source: a field of the same name in the source event, `#[event(from = field)]`, `#[event(with = function)]`, `#[event(context)]` or `#[event(default)]`; for `upcast_from`, a field new in this version is an `Option` or `#[serde(default)]`, or the conversion is written by hand (`upcast = \"manual\"`); only `pub` fields of the source can be read"
)]
pub trait Field<const KEY: u64> {
    /// The field's type.
    type Type;
    /// [`Plain`], [`Pii`] or [`Secret`]: a type rather than constants, so
    /// that an event's fields add no constant bodies for the compiler to
    /// check.
    type Data: DataClass;
    /// The field.
    fn get(&self) -> &Self::Type;
}

/// What a field holds, for the personal-data checks of mappings.
pub trait DataClass {
    /// Personal data: `#[event(pii)]`.
    const PII: bool;
    /// Never leaves its domain event: `#[event(secret)]`.
    const SECRET: bool;
}

/// A field that is neither personal nor secret.
#[derive(Debug)]
pub enum Plain {}

/// An `#[event(pii)]` field.
#[derive(Debug)]
pub enum Pii {}

/// An `#[event(secret)]` field.
#[derive(Debug)]
pub enum Secret {}

impl DataClass for Plain {
    const PII: bool = false;
    const SECRET: bool = false;
}

impl DataClass for Pii {
    const PII: bool = true;
    const SECRET: bool = false;
}

impl DataClass for Secret {
    const PII: bool = true;
    const SECRET: bool = true;
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

/// A field of an older version, for a generated upcast: its value when the
/// older version has it (converted with `Into`), else the default. Called as
/// `(&&UpcastField::<Older, KEY>(&older)).upcast()`: method lookup tries the
/// impl for `&UpcastField` first, which exists only when `Older` has the
/// field, then falls back to the one for `UpcastField`.
#[derive(Debug)]
pub struct UpcastField<'a, S, const KEY: u64>(pub &'a S);

/// The older version has the field.
pub trait UpcastPresent<T> {
    /// The older value, converted.
    fn upcast(&self) -> T;
}

impl<S, T, const KEY: u64> UpcastPresent<T> for &UpcastField<'_, S, KEY>
where
    S: Field<KEY>,
    S::Type: Clone + Into<T>,
{
    #[inline]
    fn upcast(&self) -> T {
        self.0.get().clone().into()
    }
}

/// The older version lacks the field: the default.
pub trait UpcastAbsent<T> {
    /// The default.
    fn upcast(&self) -> T;
}

impl<S, T: Default, const KEY: u64> UpcastAbsent<T> for UpcastField<'_, S, KEY> {
    #[inline]
    fn upcast(&self) -> T {
        T::default()
    }
}

/// Whether two strings are equal, in a const context.
#[must_use]
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

pub use crate::decode::{DecodeError, decode};
pub use crate::envelope::Envelope;

/// The error of a version that no `upcast_from` chain of `E` covers.
#[must_use]
pub fn no_upcast_path<E: crate::Event>(version: u32) -> DecodeError {
    DecodeError::NoUpcastPath {
        found: format!("{}.v{version}", E::TYPE_NAME),
        target: E::FULL_TYPE,
    }
}
