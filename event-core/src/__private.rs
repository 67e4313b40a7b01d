//! What generated code calls. Not public API: anything here may change in any
//! release.

use core::any::Any;
use core::marker::PhantomData;

pub use inventory;
pub use schemars;
pub use serde;
pub use serde_json;

pub use crate::registry::EventDescriptor;
pub use event_derive::__link_package_library;

/// What a `secret` field shows in `Debug`.
pub const REDACTED: &str = "<redacted>";

/// The value of a mapped field whose `#[event(..)]` was wrong: the macro has
/// reported the mistake, and this keeps the rest of the mapping compiling so
/// that nothing more is reported. Never runs: the crate does not build.
#[doc(hidden)]
#[inline]
pub fn unset<T>() -> T {
    ::core::unreachable!("a field option of this event is wrong")
}

/// A field's name as a type, the same in the macro of the source event and
/// in that of the target: the UTF-8 bytes of the name (without a raw
/// identifier's `r#`), sixteen to a chunk, first byte highest, the last chunk
/// padded with zero bytes; longer names nest in `Rest`. No identifier
/// contains a zero byte, so two distinct names are two distinct types.
#[derive(Debug)]
pub struct Name<const CHUNK: u128, Rest = ()>(PhantomData<Rest>);

/// One field of an event, found by its [`Name`]; implemented by the event
/// macros for every `pub` field, so that the events mapping from this one can
/// see that the field exists, its type and whether it is personal or secret.
/// The impls have no bodies for the compiler to check: mappings read the
/// field directly, through [`Source::event`].
pub trait Field<N> {
    /// The field's type.
    type Type;
    /// [`Plain`], [`Pii`] or [`Secret`]: a type rather than constants, so
    /// that the impl has no body.
    type Data: DataClass;
}

/// Looks up field `N` of event `S`: `(&&&Probe::<S, N>::NEW).class()` is a
/// [`Class`] of the field's data class when `S` has the field, of
/// [`NoSuchField`] when it has not, and of [`NotAnEvent`] when `S` is no
/// event. Method lookup tries the impl of [`FieldFound`] for `&&Probe`
/// first, which exists only when `S` has the field, then that of
/// [`FieldMissing`] for `&Probe`, which exists only when `S` is an event,
/// then falls back to that of [`SourceNotAnEvent`] for `Probe`; so a
/// missing field is reported by the read, with a message about the field,
/// and never as a missing impl that would show the name's encoding.
#[derive(Debug)]
pub struct Probe<S, N>(PhantomData<fn() -> (S, N)>);

impl<S, N> Probe<S, N> {
    /// The probe.
    pub const NEW: Self = Probe(PhantomData);
}

/// A data class `D`, as a value: what a [`Probe`] found.
#[derive(Debug)]
pub struct Class<D>(PhantomData<D>);

/// The source event has the field.
pub trait FieldFound {
    /// The field's data class.
    type Data;
    /// The field's data class.
    fn class(&self) -> Class<Self::Data>;
}

impl<S: Field<N>, N> FieldFound for &&Probe<S, N> {
    type Data = S::Data;
    #[inline(always)]
    fn class(&self) -> Class<S::Data> {
        Class(PhantomData)
    }
}

/// The source event lacks the field.
pub trait FieldMissing {
    /// [`NoSuchField`].
    fn class(&self) -> Class<NoSuchField>;
}

impl<S: crate::Event, N> FieldMissing for &Probe<S, N> {
    #[inline(always)]
    fn class(&self) -> Class<NoSuchField> {
        Class(PhantomData)
    }
}

/// The source is not an event at all.
pub trait SourceNotAnEvent {
    /// [`NotAnEvent`].
    fn class(&self) -> Class<NotAnEvent>;
}

impl<S, N> SourceNotAnEvent for Probe<S, N> {
    #[inline(always)]
    fn class(&self) -> Class<NotAnEvent> {
        Class(PhantomData)
    }
}

/// What a [`Probe`] finds in a source that is not an event: the check of the
/// source's kind reports it, once, and the reads go unchecked, so that no
/// field of the mapping adds an error of its own.
#[derive(Debug)]
pub enum NotAnEvent {}

#[diagnostic::do_not_recommend]
impl<S: ?Sized> Owner<S> for NotAnEvent {
    type Event = S;
}
#[diagnostic::do_not_recommend]
impl<S: ?Sized> NotSecret<S> for NotAnEvent {}
#[diagnostic::do_not_recommend]
impl<T, S: ?Sized> FlowsInto<T, S> for NotAnEvent {}

/// What a [`Probe`] finds for a field the source event does not have (or
/// does not make `pub`).
#[derive(Debug)]
pub enum NoSuchField {}

/// `C` is `T`: lets [`Source::event`] take the class as a generic argument,
/// so that an unmet bound on the class is reported at the read rather than
/// blamed on an argument.
pub trait Is<T> {}

impl<T> Is<T> for T {}

/// Names the source event `S` through the data class `D` of the field read:
/// `<D as Owner<S>>::Event` is `S` where the field exists and unresolved
/// where it does not, so that reading the field reports nothing more.
#[diagnostic::on_unimplemented(
    message = "the source event `{S}` has no field of this name",
    label = "this field has no source in `{S}`",
    note = "give the field a source: a field of the same name in the source event, `#[event(from = field)]`, `#[event(with = function)]`, `#[event(context)]` or `#[event(default)]`; for `upcast_from`, a field new in this version is an `Option` or `#[serde(default)]`, or the conversion is written by hand (`upcast = \"manual\"`); only `pub` fields of the source can be read"
)]
pub trait Owner<S: ?Sized> {
    /// `S`.
    type Event: ?Sized;
}

#[diagnostic::do_not_recommend]
impl<S: ?Sized> Owner<S> for Plain {
    type Event = S;
}
#[diagnostic::do_not_recommend]
impl<S: ?Sized> Owner<S> for Pii {
    type Event = S;
}
#[diagnostic::do_not_recommend]
impl<S: ?Sized> Owner<S> for Secret {
    type Event = S;
}

/// The source of a mapping, read through the data class `D` of one of its
/// fields, which the [`Probe`] passed to [`Source::event`] decides. The
/// mapping reads the field from what that returns: where the field is
/// missing, the unmet bound is the one error (with the message of
/// [`Owner`]), and the field access on the unresolved type reports nothing
/// more.
#[derive(Debug)]
pub struct Source<'a, S, D>(&'a S, PhantomData<D>);

impl<'a, S, D> Source<'a, S, D> {
    /// The source.
    #[inline(always)]
    pub const fn new(source: &'a S) -> Self {
        Source(source, PhantomData)
    }

    /// The source, as the owner of the field whose data class the probe
    /// found, read into a field whose data class is `T`: a `secret` field
    /// never leaves its domain event and personal data goes only into `pii`
    /// fields.
    #[inline(always)]
    pub fn event<T, C: Is<Class<D>>>(self, _class: C) -> &'a <D as Owner<S>>::Event
    where
        D: Owner<S, Event = S> + NotSecret<S> + FlowsInto<T, S>,
    {
        self.0
    }
}

/// The older version of an event, read by the `From<Older>` that
/// `upcast_from` generates, through the data class `D` of one of its fields
/// as [`Source`] is: a field the older version lacks is reported by
/// [`InOlderVersion`], with the fix for a field new in this version.
#[derive(Debug)]
pub struct Older<'a, S, D>(&'a S, PhantomData<D>);

impl<'a, S, D> Older<'a, S, D> {
    /// The older event.
    #[inline(always)]
    pub const fn new(source: &'a S) -> Self {
        Older(source, PhantomData)
    }

    /// The older event, as the owner of the field the probe found.
    #[inline(always)]
    pub fn event<C: Is<Class<D>>>(self, _class: C) -> &'a <D as InOlderVersion<S>>::Event
    where
        D: InOlderVersion<S, Event = S>,
    {
        self.0
    }
}

/// Names the older version `S` through the data class `D` of the field read,
/// as [`Owner`] does for mappings.
#[diagnostic::on_unimplemented(
    message = "`{S}`, the version this one upcasts from, has no field of this name",
    label = "new in this version and required, so an event of `{S}` has no value for it",
    note = "make the field an `Option`, or give it `#[serde(default)]` so that it starts at its default; or write the conversion yourself with `upcast = \"manual\"`"
)]
pub trait InOlderVersion<S: ?Sized> {
    /// `S`.
    type Event: ?Sized;
}

#[diagnostic::do_not_recommend]
impl<S: ?Sized> InOlderVersion<S> for Plain {
    type Event = S;
}
#[diagnostic::do_not_recommend]
impl<S: ?Sized> InOlderVersion<S> for Pii {
    type Event = S;
}
#[diagnostic::do_not_recommend]
impl<S: ?Sized> InOlderVersion<S> for Secret {
    type Event = S;
}
// Reported by the check that `upcast_from` names an event.
#[diagnostic::do_not_recommend]
impl<S: ?Sized> InOlderVersion<S> for NotAnEvent {
    type Event = S;
}

/// The `pub` fields of an integration event, by name, for the conversions
/// generated by `upcast_from` in newer versions, which cannot know whether an
/// optional field exists in the older one.
pub trait Fields {
    /// The field of this name, if the event has one.
    fn field(&self, name: &str) -> Option<&dyn Any>;
}

/// The field `name` of `source`, whose [`Name`] is `N`.
///
/// # Panics
///
/// Only if an event's [`Fields`] and [`Field`] impls disagree, which the
/// macros, writing both from one field list, never produce.
#[inline]
fn read<'a, S, N>(source: &'a S, name: &str) -> &'a S::Type
where
    S: Field<N> + Fields,
    S::Type: Any,
{
    match source.field(name).and_then(<dyn Any>::downcast_ref) {
        Some(value) => value,
        None => panic!("an event's field accessors disagree with its field types"),
    }
}

/// Fails a compile-time check of the generated code with `message`, reported
/// where the check was placed (at the user's token). A function rather than
/// `panic!` at each check: it leaves the compiler less to check per mapping.
#[track_caller]
pub const fn fail(message: &str) -> ! {
    panic!("{}", message)
}

/// Data that may leave its domain event: not `secret`.
#[diagnostic::on_unimplemented(
    message = "this field of `{S}` is `secret`, and a `secret` field never leaves its domain event",
    label = "reads a `secret` field of `{S}`",
    note = "give the field another source, or drop it"
)]
pub trait NotSecret<S: ?Sized> {}

#[diagnostic::do_not_recommend]
impl<S: ?Sized> NotSecret<S> for Plain {}
#[diagnostic::do_not_recommend]
impl<S: ?Sized> NotSecret<S> for Pii {}
// Reported by `Owner` alone.
#[diagnostic::do_not_recommend]
impl<S: ?Sized> NotSecret<S> for NoSuchField {}

/// Data that may go into a field of data class `T`: personal data only into
/// `pii` fields, so that the contract declares it.
#[diagnostic::on_unimplemented(
    message = "this field of `{S}` is personal data (`pii`), and the field it maps into is not marked `#[event(pii)]`",
    label = "reads a `pii` field of `{S}`",
    note = "mark the field `#[event(pii)]` so the contract declares it"
)]
pub trait FlowsInto<T, S: ?Sized> {}

#[diagnostic::do_not_recommend]
impl<T, S: ?Sized> FlowsInto<T, S> for Plain {}
#[diagnostic::do_not_recommend]
impl<S: ?Sized> FlowsInto<Pii, S> for Pii {}
// Reported by `NotSecret` alone.
#[diagnostic::do_not_recommend]
impl<T, S: ?Sized> FlowsInto<T, S> for Secret {}
// Reported by `Owner` alone.
#[diagnostic::do_not_recommend]
impl<T, S: ?Sized> FlowsInto<T, S> for NoSuchField {}

/// What a field holds, for the personal-data rules of mappings ([`NotSecret`],
/// [`FlowsInto`]).
pub trait DataClass {}

/// A field that is neither personal nor secret.
#[derive(Debug)]
pub enum Plain {}

/// An `#[event(pii)]` field.
#[derive(Debug)]
pub enum Pii {}

/// An `#[event(secret)]` field.
#[derive(Debug)]
pub enum Secret {}

impl DataClass for Plain {}
impl DataClass for Pii {}
impl DataClass for Secret {}

/// A source field's value, converted into the target field's type.
#[inline]
pub fn convert<T: Clone + Into<U>, U>(value: &T) -> U {
    value.clone().into()
}

pub use crate::model::event::EventKind;

/// A `default = value` converted into the field's type.
#[inline]
pub fn into<T: Into<U>, U>(value: T) -> U {
    value.into()
}

/// A field of an older version, for a generated upcast: named `name`, whose
/// [`Name`] is `N`. Called as
/// `upcast((&&UpcastField::<Older, N>::new(&older, "name")).older())`: method
/// lookup tries the impl of [`UpcastPresent`] for `&UpcastField` first, which
/// exists only when `Older` has the field, then falls back to that of
/// [`UpcastAbsent`] for `UpcastField`.
#[derive(Debug)]
pub struct UpcastField<'a, S, N>(&'a S, &'static str, PhantomData<N>);

impl<'a, S, N> UpcastField<'a, S, N> {
    /// Field `name` of `older`.
    #[inline(always)]
    pub const fn new(older: &'a S, name: &'static str) -> Self {
        UpcastField(older, name, PhantomData)
    }
}

/// The older version has the field.
pub trait UpcastPresent<'a> {
    /// The field's type in the older version.
    type Value;
    /// The older value.
    fn older(&self) -> Present<'a, Self::Value>;
}

impl<'a, S, N> UpcastPresent<'a> for &UpcastField<'a, S, N>
where
    S: Field<N> + Fields,
    S::Type: Any,
{
    type Value = S::Type;
    #[inline]
    fn older(&self) -> Present<'a, S::Type> {
        Present(read::<S, N>(self.0, self.1))
    }
}

/// The older version lacks the field.
pub trait UpcastAbsent {
    /// Nothing.
    fn older(&self) -> Absent;
}

impl<S, N> UpcastAbsent for UpcastField<'_, S, N> {
    #[inline]
    fn older(&self) -> Absent {
        Absent
    }
}

/// The value of a field the older version has.
#[derive(Debug)]
pub struct Present<'a, V>(&'a V);

/// A field the older version lacks.
#[derive(Debug)]
pub struct Absent;

/// What an upcast field starts at: the older value converted with `Into`,
/// or the default.
pub trait Upcast<T> {
    /// The value.
    fn upcast(self) -> T;
}

impl<V: Clone + Into<T>, T> Upcast<T> for Present<'_, V> {
    #[inline]
    fn upcast(self) -> T {
        self.0.clone().into()
    }
}

impl<T: Default> Upcast<T> for Absent {
    #[inline]
    fn upcast(self) -> T {
        T::default()
    }
}

/// A field of the newer version, from what [`UpcastField`] found in the older.
#[inline]
pub fn upcast<V: Upcast<T>, T>(value: V) -> T {
    value.upcast()
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
pub use crate::model::envelope::Envelope;

/// The error of a version that no `upcast_from` chain of `E` covers.
#[must_use]
pub fn no_upcast_path<E: crate::Event>(version: u32) -> DecodeError {
    DecodeError::NoUpcastPath {
        found: format!("{}.v{version}", E::TYPE_NAME),
        target: E::FULL_TYPE,
    }
}
