//! What generated code calls. Not public API: anything here may change in any
//! release.

use core::marker::PhantomData;

pub use crate::encoding::fields;

pub use inventory;
pub use schemars;
pub use serde;

pub use crate::registry::EventDescriptor;
pub use event_derive::__link_package_library;

/// What an event's check of its type finds when no earlier event of the
/// module declares the same type: nothing to report.
#[doc(hidden)]
#[macro_export]
macro_rules! __no_earlier_event_of_this_type {
    ($earlier:ident { $($report:tt)* }) => {
        #[allow(non_upper_case_globals)]
        const $earlier: &::core::primitive::str = "";
        $($report)*
    };
}
pub use __no_earlier_event_of_this_type as no_earlier_event_of_this_type;

/// An envelope decoded as an older version, around the newer version's
/// event: every attribute as received, but the schema, which names the
/// newer version's where it named the older one's.
#[doc(hidden)]
#[inline]
pub fn upcast_envelope<O, N: crate::Event>(
    older: crate::Envelope<O>,
    older_schema: &str,
    upcast: impl FnOnce(O) -> N,
) -> crate::Envelope<N> {
    older.upcast_data(older_schema, upcast)
}

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

/// One field of an event, found by its [`Name`] `N`, of type `T`:
/// implemented by the event macros for every field, so that the events
/// mapping from this one (and newer versions upcasting from it) can read it
/// where its visibility lets them ([`Reach`], checked by the macros'
/// constant checks). The type is a parameter, not an associated type,
/// so that the impl is no more public than the field's type: a `pub` event
/// may have a `pub(crate)` field of a `pub(crate)` type. Readers name only
/// the event and the name; the one impl of the name gives the type.
pub trait Field<N, T> {
    /// The field.
    fn get(&self) -> &T;
}

/// Reads field `N` of event `S` into a field of type `U`, without an error
/// of its own when `S` has no such field (or is no event): the inherent
/// method applies where `S: Field<N, T>` holds, the [`Unreadable`] one
/// otherwise, and a constant check ([`Mapping::field`],
/// [`check_older_field`]) reports the mistake in the user's terms.
///
/// `T`, the field's type, is left to inference (`Probe::<S, N, U, _>`):
/// the field's impl gives it, and without one it is `U`.
#[derive(Debug)]
pub struct Probe<S, N, U, T>(PhantomData<Reads<S, N, U, T>>);

/// What a [`Probe`] reads, without owning it.
type Reads<S, N, U, T> = fn() -> (S, N, U, T);

impl<S, N, U, T> Probe<S, N, U, T> {
    /// The probe.
    pub const NEW: Self = Probe(PhantomData);
}

impl<S: Field<N, T>, N, U, T> Probe<S, N, U, T> {
    /// The field.
    #[inline(always)]
    pub fn read(self, source: &S) -> &T {
        source.get()
    }

    /// The field of the older version.
    #[inline(always)]
    pub fn older(self, source: &S) -> Option<&T> {
        Some(source.get())
    }
}

/// A field [`Probe`] cannot read: the read type-checks as a value of the
/// target field's type and never runs, for the crate does not build (the
/// constant check fails) or, in [`Unreadable::older`], the field starts at
/// its default.
pub trait Unreadable<S, U> {
    /// Never returns: the constant check of the field has failed.
    fn read(&self, _source: &S) -> &U {
        unreachable!("a mapped field that the source does not have")
    }

    /// The older version has no such field.
    #[inline(always)]
    fn older(&self, _source: &S) -> Option<&U> {
        None
    }
}

impl<S, N, U> Unreadable<S, U> for Probe<S, N, U, U> {}

/// What a field holds, for the personal-data rules of mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data {
    /// Neither personal nor secret.
    Plain,
    /// `#[event(pii)]`.
    Pii,
    /// `#[event(secret)]`.
    Secret,
}

/// Who can read a field, as Rust's privacy has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// `pub`: everyone.
    Pub,
    /// `pub(crate)`: the source's crate.
    Crate,
    /// `pub(super)`: the module around the source's, and the modules in it.
    Super,
    /// Private (or `pub(in path)`, taken as narrowly): the source's module,
    /// and the modules in it.
    Module,
}

/// One field of an event, for the compile-time checks of mappings.
#[derive(Debug, Clone, Copy)]
pub struct FieldInfo {
    /// The name (without a raw identifier's `r#`).
    pub name: &'static str,
    /// What the field holds.
    pub data: Data,
    /// Who can read it.
    pub reach: Reach,
    /// The name's first sixteen bytes as [`key`] gives them, which the
    /// checks compare before the names themselves.
    pub key: u128,
    /// The name on the wire where `#[serde(rename = "..")]` gives it
    /// another; empty otherwise.
    pub wire: &'static str,
}

/// The key of a field's name: its first sixteen UTF-8 bytes, first byte
/// highest, padded with zero bytes (the first chunk of its [`Name`]). No
/// identifier contains a zero byte, so two names of at most sixteen bytes
/// are equal exactly when their keys are; the compile-time checks compare
/// keys, which costs the constant evaluator one step where comparing the
/// names costs one per byte.
#[must_use]
pub const fn key(name: &str) -> u128 {
    let bytes = name.as_bytes();
    let mut key = 0u128;
    let mut i = 0;
    while i < 16 {
        key <<= 8;
        if i < bytes.len() {
            key |= bytes[i] as u128;
        }
        i += 1;
    }
    key
}

impl FieldInfo {
    /// A field from its name, a code (the data class times 4 plus the
    /// reach, each counted in declaration order: `Plain`, `Pii`, `Secret`;
    /// `Pub`, `Crate`, `Super`, `Module`), so that the generated table is
    /// short, and the name's [`key`], which the macro computes.
    #[must_use]
    pub const fn coded(name: &'static str, code: u8, key: u128) -> Self {
        FieldInfo {
            name,
            key,
            wire: "",
            data: match code / 4 {
                0 => Data::Plain,
                1 => Data::Pii,
                _ => Data::Secret,
            },
            reach: match code % 4 {
                0 => Reach::Pub,
                1 => Reach::Crate,
                2 => Reach::Super,
                _ => Reach::Module,
            },
        }
    }

    /// The field, named `wire` on the wire (`#[serde(rename = "..")]`), so
    /// that a target field named after the wire is pointed to it.
    #[must_use]
    pub const fn on_wire(mut self, wire: &'static str) -> Self {
        self.wire = wire;
        self
    }
}

/// A schema that any value meets: the field schema of a field whose
/// `#[serde(with = "module")]` was reported, so that the schema derive
/// reports nothing more.
pub fn any_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::Schema::default()
}

/// Annotates the schema of event `E` with its fields' [`FieldTable::SCHEMA`]:
/// a `#[schemars(transform = ..)]` of the struct, one call where an
/// `extend` per field would be one each.
pub fn annotate<E: FieldTable>(schema: &mut schemars::Schema) {
    annotate_fields(schema, E::SCHEMA);
}

fn annotate_fields(schema: &mut schemars::Schema, fields: &[(&str, &str, u8)]) {
    use serde_json::Value;
    let Some(Value::Object(properties)) = schema.get_mut("properties") else {
        return;
    };
    for &(name, rust_type, code) in fields {
        let Some(property) = properties.get_mut(name) else {
            continue;
        };
        // A boolean schema (`true` for any value) becomes an object first,
        // as `extend` makes it.
        let mut sub = schemars::Schema::try_from(property.take()).unwrap_or_default();
        sub.insert("x-rust-type".into(), rust_type.into());
        if code & 1 != 0 {
            sub.insert("x-pii".into(), true.into());
        }
        if code & 2 != 0 {
            sub.insert("x-secret".into(), true.into());
        }
        *property = sub.to_value();
    }
}

/// The fields of an event, written by the event macros.
pub trait FieldTable {
    /// Every field, in declaration order.
    const FIELDS: &'static [FieldInfo];
    /// `module_path!()` where the event is declared.
    const MODULE: &'static str;
    /// The schema annotations of the fields whose property name the macro
    /// knows (the others carry theirs as `extend`): the property's name,
    /// the Rust type as written (`x-rust-type`), and 1 for `pii` (`x-pii`)
    /// plus 2 for `secret` (`x-secret`).
    const SCHEMA: &'static [(&'static str, &'static str, u8)] = &[];
}

/// The [`FieldTable`] of `S`, if `S` is an event: `Table::<S>::FIELDS` is the
/// inherent constant where `S: FieldTable` holds and [`NoTable`]'s `None`
/// otherwise, so that a source that is no event is reported once, by the
/// check of its kind.
#[derive(Debug)]
pub struct Table<S>(PhantomData<S>);

impl<S: FieldTable> Table<S> {
    /// The fields of `S`.
    pub const FIELDS: Option<&'static [FieldInfo]> = Some(S::FIELDS);
    /// Where `S` is declared.
    pub const MODULE: &'static str = S::MODULE;
}

/// The fallback of [`Table`] for a type that is no event.
pub trait NoTable {
    /// No fields known.
    const FIELDS: Option<&'static [FieldInfo]> = None;
    /// No module known.
    const MODULE: &'static str = "";
}

impl<S> NoTable for Table<S> {}

/// The checks of one `maps_from` source of an event, all in one constant:
/// the source's kind ([`Mapping::kind`]), then each field read from it
/// ([`Mapping::field`], placed at the user's token). The messages are put
/// together here from the names, so that the generated code holds only
/// the names.
#[derive(Debug, Clone, Copy)]
pub struct Mapping {
    /// The source's fields, `None` when it is no event (reported by
    /// [`Mapping::kind`]).
    pub fields: Option<&'static [FieldInfo]>,
    /// `module_path!()` where the source is declared.
    pub source_module: &'static str,
    /// `module_path!()` of the target event.
    pub module: &'static str,
    /// The source as written in `maps_from`.
    pub source: &'static str,
    /// The target event's name.
    pub target: &'static str,
    /// The option that names a field of this source: `from`, or
    /// `from(Source)` for an event with several sources.
    pub from_key: &'static str,
    /// The version the target upcasts from, as written in `upcast_from`;
    /// empty without one.
    pub older: &'static str,
}

impl Mapping {
    /// Checks the source's kind against the target's, `kind`: an
    /// integration event maps only from domain events, a notification from
    /// domain or integration events.
    #[track_caller]
    pub const fn kind(self, source: Option<EventKind>, kind: EventKind) {
        let name = self.source;
        let integration = matches!(kind, EventKind::Integration);
        match source {
            Some(EventKind::Domain) => return,
            Some(EventKind::Integration) if !integration => return,
            _ => {}
        }
        // Only a mistake builds its text.
        let start = Text::new()
            .push("`maps_from = ")
            .push(name)
            .push("`: `")
            .push(name);
        let text = match source {
            Some(EventKind::Domain) => return,
            Some(EventKind::Integration) if !integration => return,
            Some(EventKind::Integration) => start
                .push("` is an integration event, but an integration event maps only from domain events; map from the domain event behind `")
                .push(name)
                .push("`"),
            Some(EventKind::Notification) if integration => start.push(
                "` is a notification, but an integration event maps only from domain events",
            ),
            Some(EventKind::Notification) => start.push(
                "` is a notification, but a notification maps only from domain or integration events",
            ),
            None if integration => {
                start.push("` is not a domain event; declare it with `#[domain_event]`")
            }
            None => start.push(
                "` is not an event; declare it with `#[domain_event]`, or with `#[integration_event(version = N)]` for a contract",
            ),
        };
        text.fail()
    }

    /// Checks the source field `from` (whose [`key`] is `from_key`), read
    /// into the target's field `target` (`explicit` when named by
    /// `from = ..`, `into_pii` when the target field is `pii`): the source
    /// has it, the target's crate can read it, it is not `secret`, and not
    /// `pii` unless the target field is.
    #[track_caller]
    pub const fn field(
        self,
        from: &str,
        from_key: u128,
        target: &str,
        explicit: bool,
        into_pii: bool,
    ) {
        let Some(fields) = self.fields else { return };
        let Some(found) = find(fields, from, from_key) else {
            let text = Text::new();
            let parts = if explicit {
                let message = text
                    .push("`")
                    .push(self.from_key)
                    .push(" = ")
                    .push(from)
                    .push("`: `")
                    .push(self.source)
                    .push("` has no field `")
                    .push(from)
                    .push("`");
                // `from = id` meant for the version the target upcasts from.
                let message = if self.older.is_empty() {
                    message
                } else {
                    message
                        .push(" (a field of `")
                        .push(self.older)
                        .push("`, the version this one upcasts from, is named as `from(")
                        .push(self.older)
                        .push(") = ")
                        .push(from)
                        .push("`)")
                };
                Missing {
                    message,
                    suggest: "; did you mean `",
                    again: Text::new(),
                    suggest_end: "`?",
                    otherwise: Text::new(),
                    fields: "; its fields are ",
                }
            } else {
                Missing {
                    message: text
                        .push("`")
                        .push(target)
                        .push("` has no source: `")
                        .push(self.source)
                        .push("`, which `")
                        .push(self.target)
                        .push("` maps from, has no field `")
                        .push(target)
                        .push("`"),
                    suggest: "; if it is `",
                    again: Text::new()
                        .push("` there, map from it with `#[event(")
                        .push(self.from_key)
                        .push(" = "),
                    suggest_end: ")]`",
                    otherwise: Text::new()
                        .push("; give the field a source with `#[event(")
                        .push(self.from_key)
                        .push(" = field)]`, `#[event(with = function)]`, `#[event(context)]` or `#[event(default)]`"),
                    fields: "",
                }
            };
            missing(fields, from, parts)
        };
        // The text is built only for a mistake: the constant is evaluated
        // for every mapped field of every event at compile time.
        if !readable(found.reach, self.source_module, self.module) {
            about(from, self.source)
                .push("` cannot be seen where `")
                .push(self.target)
                .push("` is declared, so it cannot map from it; make it `pub` (or `pub(crate)` when both events are in one crate)")
                .fail()
        }
        match (found.data, into_pii) {
            (Data::Secret, _) => about(from, self.source)
                .push("` is `secret`, and a `secret` field never leaves its domain event; give `")
                .push(target)
                .push("` another source, or drop it")
                .fail(),
            (Data::Pii, false) => about(from, self.source)
                .push("` is personal data (`pii`), and `")
                .push(target)
                .push("` is not marked so; mark `")
                .push(target)
                .push("` with `#[event(pii)]` so that the contract declares it")
                .fail(),
            _ => {}
        }
    }
}

/// The start of a message about field `from` of event `source`.
const fn about(from: &str, source: &str) -> Text {
    Text::new()
        .push("the field `")
        .push(from)
        .push("` of `")
        .push(source)
}

/// The message of a missing field: `message`, then, with a field of a close
/// name, `suggest`, the name, `again` and the name once more when `again` is
/// not empty, and `suggest_end`; without one, `otherwise`, and the fields
/// of the event after `fields` when that is not empty.
struct Missing {
    message: Text,
    suggest: &'static str,
    again: Text,
    suggest_end: &'static str,
    otherwise: Text,
    fields: &'static str,
}

/// Checks that the field `name` (whose [`key`] is `name_key`) of the older
/// version of an upcast (`fields`) is not personal data, for a newer field
/// that is not marked `pii`: the contract goes on declaring it, with
/// `message` otherwise.
#[track_caller]
pub const fn check_older_pii(
    fields: Option<&[FieldInfo]>,
    name: &str,
    name_key: u128,
    message: &str,
) {
    let Some(fields) = fields else { return };
    if let Some(found) = find(fields, name, name_key)
        && matches!(found.data, Data::Pii)
    {
        fail(message)
    }
}

/// Checks that the older version of an upcast (`fields`) has no field
/// `name` (whose [`key`] is `name_key`): a `default` for a field it has
/// would never be used; `message` otherwise.
#[track_caller]
pub const fn check_older_lacks(
    fields: Option<&[FieldInfo]>,
    name: &str,
    name_key: u128,
    message: &str,
) {
    let Some(fields) = fields else { return };
    if find(fields, name, name_key).is_some() {
        fail(message)
    }
}

/// Checks that the older version of an upcast (`fields`) has the required
/// field `name` (whose [`key`] is `name_key`), readable from the newer one.
/// With `named` (the user wrote the name, in `from = name`), a missing one
/// is followed by a close name of the older version's, or by its fields.
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub const fn check_older_field(
    fields: Option<&[FieldInfo]>,
    source_module: &str,
    module: &str,
    name: &str,
    name_key: u128,
    missing: &str,
    hidden: &str,
    named: bool,
) {
    let Some(fields) = fields else { return };
    let Some(found) = find(fields, name, name_key) else {
        if !named {
            fail(missing)
        }
        self::missing(
            fields,
            name,
            Missing {
                message: Text::new().push(missing),
                suggest: "; did you mean `",
                again: Text::new(),
                suggest_end: "`?",
                otherwise: Text::new(),
                fields: "; its fields are ",
            },
        )
    };
    if !readable(found.reach, source_module, module) {
        fail(hidden)
    }
}

/// The field of `fields` named `name`, whose [`key`] is `key`.
const fn find(fields: &[FieldInfo], name: &str, key: u128) -> Option<FieldInfo> {
    // Names of at most sixteen bytes are equal when their keys are.
    let short = name.len() <= 16;
    let mut i = 0;
    while i < fields.len() {
        let field = fields[i];
        if field.key == key && ((short && field.name.len() <= 16) || str_eq(field.name, name)) {
            return Some(field);
        }
        i += 1;
    }
    None
}

/// Whether a field of `reach`, of an event declared in `source_module`, can
/// be read from `module`.
const fn readable(reach: Reach, source_module: &str, module: &str) -> bool {
    match reach {
        Reach::Pub => true,
        Reach::Crate => str_eq(crate_of(source_module), crate_of(module)),
        Reach::Super => match parent_of(source_module) {
            Some(parent) => within(module, parent),
            None => false,
        },
        Reach::Module => within(module, source_module),
    }
}

/// Whether `module` is `scope` or a module inside it.
const fn within(module: &str, scope: &str) -> bool {
    let (m, s) = (module.as_bytes(), scope.as_bytes());
    if m.len() < s.len() {
        return false;
    }
    let mut i = 0;
    while i < s.len() {
        if m[i] != s[i] {
            return false;
        }
        i += 1;
    }
    m.len() == s.len() || (m.len() > s.len() + 1 && m[s.len()] == b':' && m[s.len() + 1] == b':')
}

/// The module around `module`: what comes before its last `::`; `None` for
/// a crate's root.
const fn parent_of(module: &str) -> Option<&str> {
    let bytes = module.as_bytes();
    let mut i = bytes.len();
    while i >= 2 {
        if bytes[i - 1] == b':' && bytes[i - 2] == b':' {
            return match core::str::from_utf8(bytes.split_at(i - 2).0) {
                Ok(parent) => Some(parent),
                Err(_) => None,
            };
        }
        i -= 1;
    }
    None
}

/// The crate of a `module_path!()`: what comes before the first `::`.
const fn crate_of(module: &str) -> &str {
    let bytes = module.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b':' && bytes[i + 1] == b':' {
            return match core::str::from_utf8(bytes.split_at(i).0) {
                Ok(name) => name,
                Err(_) => module,
            };
        }
        i += 1;
    }
    module
}

/// Fails with the message of a field `name` that `fields` lack.
#[track_caller]
const fn missing(fields: &[FieldInfo], name: &str, parts: Missing) -> ! {
    let mut text = parts.message;
    let by_wire = named_on_the_wire(fields, name);
    let close = match by_wire {
        Some(field) => Some(field),
        None => closest(fields, name),
    };
    if let Some(close) = close {
        text = text.push(parts.suggest).push(close);
        if parts.again.len > 0 {
            text = text.push(parts.again.as_str()).push(close);
        }
        text = text.push(parts.suggest_end);
        if by_wire.is_some() {
            text = text
                .push(" (its `#[serde(rename)]` names it `")
                .push(name)
                .push("` on the wire only)");
        }
    } else {
        text = text.push(parts.otherwise.as_str());
        if !parts.fields.is_empty() && !fields.is_empty() {
            text = text.push(parts.fields);
            let mut i = 0;
            while i < fields.len() {
                if i > 0 {
                    text = text.push(if i + 1 == fields.len() { " and " } else { ", " });
                }
                text = text.push("`").push(fields[i].name).push("`");
                i += 1;
            }
        }
    }
    text.fail()
}

/// A message assembled at compile time; cut at a character boundary when
/// it would not fit.
struct Text {
    bytes: [u8; 2048],
    len: usize,
}

impl Text {
    const fn new() -> Self {
        Text {
            bytes: [0; 2048],
            len: 0,
        }
    }

    /// The text so far.
    const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(text) => text,
            Err(_) => "",
        }
    }

    /// Fails the build with the text, at the caller's span.
    #[track_caller]
    const fn fail(&self) -> ! {
        fail(self.as_str())
    }

    const fn push(mut self, part: &str) -> Self {
        let part = part.as_bytes();
        if self.len + part.len() > self.bytes.len() {
            return self;
        }
        let mut i = 0;
        while i < part.len() {
            self.bytes[self.len + i] = part[i];
            i += 1;
        }
        self.len += part.len();
        self
    }
}

/// The field of `fields` that `#[serde(rename = "..")]` names `name` on
/// the wire.
const fn named_on_the_wire(fields: &[FieldInfo], name: &str) -> Option<&'static str> {
    let mut i = 0;
    while i < fields.len() {
        if !fields[i].wire.is_empty() && str_eq(fields[i].wire, name) {
            return Some(fields[i].name);
        }
        i += 1;
    }
    None
}

/// The name in `fields` closest to `name` by edit distance (adjacent
/// transpositions count as one edit), if within a third of the longer
/// name's length (at least 1), as the macros' own suggestions are; else one
/// that `name` begins, or that begins `name`, whole words at a time
/// (`sale_price` for `sale_price_cents`).
const fn closest(fields: &[FieldInfo], name: &str) -> Option<&'static str> {
    match closest_by_distance(fields, name) {
        Some(close) => Some(close),
        None => word_prefix(fields, name),
    }
}

/// A name in `fields` that `name` is the first words of, or that is the
/// first words of `name`.
const fn word_prefix(fields: &[FieldInfo], name: &str) -> Option<&'static str> {
    let mut i = 0;
    while i < fields.len() {
        let candidate = fields[i].name;
        if !name.is_empty() && (begins_words(candidate, name) || begins_words(name, candidate)) {
            return Some(candidate);
        }
        i += 1;
    }
    None
}

/// Whether `whole` is `part` followed by `_` and more.
const fn begins_words(whole: &str, part: &str) -> bool {
    let (whole, part) = (whole.as_bytes(), part.as_bytes());
    if part.is_empty() || whole.len() <= part.len() || whole[part.len()] != b'_' {
        return false;
    }
    let mut i = 0;
    while i < part.len() {
        if !whole[i].eq_ignore_ascii_case(&part[i]) {
            return false;
        }
        i += 1;
    }
    true
}

const fn closest_by_distance(fields: &[FieldInfo], name: &str) -> Option<&'static str> {
    let mut best: Option<(&'static str, usize)> = None;
    let mut i = 0;
    while i < fields.len() {
        let candidate = fields[i].name;
        let longer = if candidate.len() > name.len() {
            candidate.len()
        } else {
            name.len()
        };
        let limit = if longer / 3 > 1 { longer / 3 } else { 1 };
        if let Some(distance) = edit_distance(candidate.as_bytes(), name.as_bytes()) {
            let better = match best {
                Some((_, d)) => distance < d,
                None => true,
            };
            if distance <= limit && better {
                best = Some((candidate, distance));
            }
        }
        i += 1;
    }
    match best {
        Some((candidate, _)) => Some(candidate),
        None => None,
    }
}

/// The optimal-string-alignment distance of `a` and `b`, ASCII letters
/// compared without case; `None` for names of more than 63 bytes.
const fn edit_distance(a: &[u8], b: &[u8]) -> Option<usize> {
    const MAX: usize = 64;
    if a.len() >= MAX || b.len() >= MAX {
        return None;
    }
    let mut before = [0usize; MAX];
    let mut last = [0usize; MAX];
    let mut row = [0usize; MAX];
    let mut j = 0;
    while j <= b.len() {
        last[j] = j;
        j += 1;
    }
    let mut i = 1;
    while i <= a.len() {
        row[0] = i;
        let mut j = 1;
        while j <= b.len() {
            let cost = if a[i - 1].eq_ignore_ascii_case(&b[j - 1]) {
                0
            } else {
                1
            };
            let mut best = last[j] + 1;
            if row[j - 1] + 1 < best {
                best = row[j - 1] + 1;
            }
            if last[j - 1] + cost < best {
                best = last[j - 1] + cost;
            }
            if i > 1
                && j > 1
                && a[i - 1].eq_ignore_ascii_case(&b[j - 2])
                && a[i - 2].eq_ignore_ascii_case(&b[j - 1])
                && before[j - 2] + 1 < best
            {
                best = before[j - 2] + 1;
            }
            row[j] = best;
            j += 1;
        }
        before = last;
        last = row;
        i += 1;
    }
    Some(last[b.len()])
}

/// Fails a compile-time check of the generated code with `message`, reported
/// where the check was placed (at the user's token). A function rather than
/// `panic!` at each check: it leaves the compiler less to check per mapping.
#[track_caller]
pub const fn fail(message: &str) -> ! {
    panic!("{}", message)
}

pub use crate::model::event::EventKind;

/// Fails with `start`, `earlier` and `end` when `earlier`, the event of the
/// module that declares the same type before this one, is not empty.
#[track_caller]
pub const fn check_first_of_type(earlier: &str, start: &str, end: &str) {
    if earlier.is_empty() {
        return;
    }
    Text::new().push(start).push(earlier).push(end).fail()
}

/// Checks that the field `field` of an integration event or notification
/// (`kind`) does not hold the domain event `held` (`held_kind` is its kind,
/// if it is an event): a domain event stays inside its bounded context, and
/// its `secret` and `pii` fields would leave it undeclared.
#[track_caller]
pub const fn holds_no_domain_event(
    held_kind: Option<EventKind>,
    field: &str,
    held: &str,
    kind: EventKind,
) {
    if !matches!(held_kind, Some(EventKind::Domain)) {
        return;
    }
    let what = match kind {
        EventKind::Notification => "the notification",
        _ => "the integration event",
    };
    Text::new()
        .push("`")
        .push(field)
        .push("` holds the domain event `")
        .push(held)
        .push("`, which stays inside its bounded context: its fields would become a published contract, and a `secret` or `pii` field in it would leave undeclared; give ")
        .push(what)
        .push(" the fields its readers need, mapped with `maps_from = ")
        .push(held)
        .push("`")
        .fail()
}

/// The kind of `S`, if `S` is an event: `KindOf::<S>::KIND` is the inherent
/// constant where `S: Event` holds and [`NoKind`]'s `None` otherwise, so
/// that a source that is no event is reported by a message of the macro
/// that names it.
#[derive(Debug)]
pub struct KindOf<S: ?Sized>(PhantomData<S>);

impl<S: crate::Event> KindOf<S> {
    /// The kind of `S`.
    pub const KIND: Option<EventKind> = Some(S::KIND);
}

/// The fallback of [`KindOf`] for a type that is no event.
pub trait NoKind {
    /// No kind.
    const KIND: Option<EventKind> = None;
}

impl<S: ?Sized> NoKind for KindOf<S> {}

/// The registry's reference to `S`, if `S` is an event: `RefOf::<S>::REF`
/// is the inherent constant where `S: Event` holds and [`NoRef`]'s `None`
/// otherwise, so that a `maps_from` or `upcast_from` that names no event is
/// reported once, by the check that names it.
#[derive(Debug)]
pub struct RefOf<S>(PhantomData<S>);

impl<S: crate::Event> RefOf<S> {
    /// The reference to `S`.
    pub const REF: Option<crate::registry::EventRef> = Some(crate::registry::EventRef::of::<S>());
}

/// The fallback of [`RefOf`] for a type that is no event.
pub trait NoRef {
    /// No reference.
    const REF: Option<crate::registry::EventRef> = None;
}

impl<S> NoRef for RefOf<S> {}

use crate::model::rules::str_eq;

pub use crate::decode::{DecodeError, decode};
pub use crate::model::envelope::Envelope;

/// The error of a version that no `upcast_from` chain of `E` covers.
#[must_use]
pub fn no_upcast_path<E: crate::Event>(version: u32) -> DecodeError {
    DecodeError::no_upcast_path::<E>(version)
}

#[cfg(test)]
mod tests {
    use super::{
        Data, FieldInfo, Reach, closest, crate_of, edit_distance, find, key, parent_of, readable,
    };

    const fn field(name: &'static str) -> FieldInfo {
        FieldInfo {
            name,
            key: key(name),
            data: Data::Plain,
            reach: Reach::Pub,
            wire: "",
        }
    }

    const FIELDS: &[FieldInfo] = &[
        field("product_id"),
        field("sale_price_cents"),
        field("merchant_email"),
    ];

    #[test]
    fn fields_are_found_by_key_and_long_names_by_every_byte() {
        const LONG: &[FieldInfo] = &[
            field("shipping_address_line_1"),
            field("shipping_address_line_2"),
            field("shipping_address"),
            field("id"),
        ];
        let found = |name: &str| find(LONG, name, key(name)).map(|f| f.name);
        assert_eq!(found("id"), Some("id"));
        assert_eq!(found("shipping_address"), Some("shipping_address"));
        // Same first sixteen bytes, hence the same key: told apart by the rest.
        assert_eq!(key("shipping_address_line_2"), key("shipping_address"));
        assert_eq!(
            found("shipping_address_line_2"),
            Some("shipping_address_line_2")
        );
        assert_eq!(found("shipping_address_line_3"), None);
        assert_eq!(found("shipping_addres"), None);
        assert_eq!(found("i"), None);
        assert_eq!(found(""), None);
        assert_ne!(key("ab"), key("ba"));
    }

    #[test]
    fn a_close_name_is_suggested_and_a_distant_one_is_not() {
        assert_eq!(
            closest(FIELDS, "sale_prcie_cents"),
            Some("sale_price_cents")
        );
        assert_eq!(closest(FIELDS, "product_di"), Some("product_id"));
        assert_eq!(closest(FIELDS, "Merchant_Email"), Some("merchant_email"));
        assert_eq!(closest(FIELDS, "title"), None);
        assert_eq!(closest(&[], "title"), None);
    }

    #[test]
    fn the_first_words_of_a_name_suggest_it() {
        assert_eq!(closest(FIELDS, "sale_price"), Some("sale_price_cents"));
        assert_eq!(
            closest(FIELDS, "merchant_email_address"),
            Some("merchant_email")
        );
        assert_eq!(closest(FIELDS, "sale"), Some("sale_price_cents"));
        assert_eq!(closest(FIELDS, "sal"), None);
    }

    #[test]
    fn edit_distance_counts_a_swap_as_one() {
        assert_eq!(edit_distance(b"pii", b"pli"), Some(1));
        assert_eq!(edit_distance(b"ab", b"ba"), Some(1));
        assert_eq!(edit_distance(b"", b"abc"), Some(3));
        assert_eq!(edit_distance(b"kitten", b"sitting"), Some(3));
        assert_eq!(edit_distance(&[b'a'; 64], b"a"), None);
    }

    #[test]
    fn crate_fields_are_read_within_their_crate_only() {
        assert_eq!(crate_of("shop::catalog::events"), "shop");
        assert_eq!(crate_of("shop"), "shop");
        assert!(readable(Reach::Pub, "shop::catalog", "billing"));
        assert!(readable(Reach::Crate, "shop::catalog", "shop::public"));
        assert!(!readable(Reach::Crate, "shop::catalog", "billing::public"));
        assert!(!readable(Reach::Crate, "shop::catalog", "shopping::public"));
    }

    #[test]
    fn private_and_super_fields_are_read_where_rust_lets_them_be() {
        // Private: the source's module and the modules inside it.
        assert!(readable(Reach::Module, "shop::catalog", "shop::catalog"));
        assert!(readable(
            Reach::Module,
            "shop::catalog",
            "shop::catalog::public"
        ));
        assert!(!readable(Reach::Module, "shop::catalog", "shop"));
        assert!(!readable(Reach::Module, "shop::catalog", "shop::billing"));
        assert!(!readable(Reach::Module, "shop::catalog", "shop::catalogue"));
        // `pub(super)`: the module around the source's, and the modules in it.
        assert!(readable(
            Reach::Super,
            "shop::catalog::events",
            "shop::catalog"
        ));
        assert!(readable(
            Reach::Super,
            "shop::catalog::events",
            "shop::catalog::public"
        ));
        assert!(!readable(Reach::Super, "shop::catalog::events", "shop"));
        assert!(!readable(
            Reach::Super,
            "shop::catalog::events",
            "shop::billing"
        ));
        assert!(!readable(Reach::Super, "shop", "shop"));
        assert_eq!(parent_of("shop::catalog::events"), Some("shop::catalog"));
        assert_eq!(parent_of("shop"), None);
    }
}

/// The version an `upcast_from` names, if it is an integration event:
/// `OlderOf::<O>` has `O`'s type name, version and decoder where
/// `O: IntegrationEvent` holds and [`NoOlder`]'s otherwise, so that an
/// older version that is a domain event, a notification or no event is
/// reported once, by [`check_older_version`], in the words of the mistake.
#[derive(Debug)]
pub struct OlderOf<O>(PhantomData<O>);

impl<O: crate::IntegrationEvent> OlderOf<O> {
    /// The older version's type name.
    pub const TYPE_NAME: &'static str = O::TYPE_NAME;
    /// The older version's version.
    pub const VERSION: u32 = O::VERSION;
    /// The older version's schema id.
    pub const SCHEMA_ID: &'static str = O::SCHEMA_ID;

    /// Decodes `bytes` of `version` (this one or older) into `O`.
    ///
    /// # Errors
    ///
    /// Those of `O`'s decoder.
    #[inline]
    pub fn decode_version(bytes: &[u8], version: u32) -> Result<Envelope<O>, DecodeError> {
        O::decode_version(bytes, version)
    }
}

/// The fallback of [`OlderOf`] for a type that is no integration event,
/// which does not compile past [`check_older_version`].
pub trait NoOlder<O> {
    /// No type name.
    const TYPE_NAME: &'static str = "";
    /// No version.
    const VERSION: u32 = 0;
    /// No schema.
    const SCHEMA_ID: &'static str = "";

    /// Decodes nothing: the declaration fails to compile.
    ///
    /// # Errors
    ///
    /// Always [`DecodeError::UnknownVersion`].
    fn decode_version(_: &[u8], version: u32) -> Result<Envelope<O>, DecodeError> {
        Err(DecodeError::UnknownVersion {
            type_name: String::new(),
            version,
            known: Vec::new(),
        })
    }
}

impl<O> NoOlder<O> for OlderOf<O> {}

/// Checks the older version `name` an `upcast_from` names (its kind
/// `kind`, type name `older_type` and version `older_version`) against the
/// event's `type_name` and `version`: an integration event of the same
/// type and an older version, else `other_type` or `not_older`.
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub const fn check_older_version(
    kind: Option<EventKind>,
    older_type: &str,
    older_version: u32,
    type_name: &str,
    version: u32,
    name: &str,
    other_type: &str,
    not_older: &str,
) {
    let start = Text::new()
        .push("`upcast_from = ")
        .push(name)
        .push("`: `")
        .push(name);
    match kind {
        Some(EventKind::Integration) => {}
        Some(EventKind::Domain) => start
            .push("` is a domain event; `upcast_from` names the previous version of this integration event, and a domain event is mapped from: write `maps_from = ")
            .push(name)
            .push("`")
            .fail(),
        Some(EventKind::Notification) => start
            .push("` is a notification; `upcast_from` names the previous version of this integration event, declared with `#[integration_event(version = N)]`")
            .fail(),
        None => start
            .push("` is not an event; `upcast_from` names the previous version of this integration event, declared with `#[integration_event(version = N)]`")
            .fail(),
    }
    if !str_eq(older_type, type_name) {
        fail(other_type)
    }
    if older_version >= version {
        fail(not_older)
    }
}
