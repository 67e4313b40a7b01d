//! The typed model of an event declaration, borrowing the syn input so that
//! errors can point at the user's tokens.

use syn::ext::IdentExt as _;
use syn::punctuated::Punctuated;
use syn::{Data, DeriveInput, Fields, Ident, Path, Token, Type};

use crate::attr::{FieldAttrs, Kind, MacroArgs, is_event_attr, resolve_source, same_source};
use crate::errors::Errors;

pub struct Input<'a> {
    pub kind: Kind,
    pub args: MacroArgs,
    pub item: &'a DeriveInput,
    pub fields: Vec<Field<'a>>,
    pub derived: Derived,
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub vis: &'a syn::Visibility,
    pub ty: &'a Type,
    /// The field's doc comments, for the generated context type.
    pub docs: Vec<&'a syn::Attribute>,
    pub attrs: FieldAttrs,
}

/// Which of the traits the macros derive the user already derived.
#[derive(Default)]
pub struct Derived {
    pub serialize: bool,
    pub deserialize: bool,
    pub json_schema: bool,
    /// The `Debug` in the user's derive, for the error when a `secret` field
    /// needs the redacting `Debug`.
    pub debug: Option<Path>,
    pub clone: bool,
    pub partial_eq: bool,
}

impl<'a> Input<'a> {
    /// Builds the model, or `None` when the item's shape rules out an event
    /// (the errors say why).
    pub fn from_syn(
        kind: Kind,
        mut args: MacroArgs,
        item: &'a DeriveInput,
        errors: &mut Errors,
    ) -> Option<Self> {
        let fields = struct_fields(kind, item, errors)?;
        for attr in item.attrs.iter().filter(|a| is_event_attr(a)) {
            // `#[event(allow(non_past_tense))]` on the struct: the rules
            // still count, so that their errors do not follow this one.
            let mut allowed = Vec::new();
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("allow") {
                    meta.parse_nested_meta(|rule| {
                        allowed.push(crate::attr::path_text(&rule.path));
                        Ok(())
                    })?;
                }
                crate::contract::skip_value(&meta)
            });
            for rule in &allowed {
                args.allow.opt_out(kind, rule);
            }
            let example = if allowed.is_empty() {
                "..".to_owned()
            } else {
                format!(
                    "{}allow({})",
                    args.version_argument(kind),
                    allowed.join(", ")
                )
            };
            errors.spanned(
                attr,
                format_args!(
                    "`#[event(..)]` goes on fields; options of the whole event go in the macro: `#[{}({example})]`",
                    kind.macro_name()
                ),
            );
        }
        serde_container_options(kind, &args, item, errors);
        for packed in item.attrs.iter().filter_map(crate::attr::packed) {
            errors.spanned(
                packed,
                "an event cannot be `#[repr(packed)]`: its derives (`Debug`, `Serialize`, ..) read its fields by reference; remove `packed`",
            );
        }
        // `struct OrderPlaced<'a> { id: &'a str }`: one mistake, borrowing,
        // reported once at the lifetime, not again at each reference.
        let params = &item.generics.params;
        let lifetimes_only = !params.is_empty()
            && params
                .iter()
                .all(|param| matches!(param, syn::GenericParam::Lifetime(_)));
        if !params.is_empty() {
            errors.spanned(
                &item.generics,
                if lifetimes_only {
                    "an event owns its data, so that it can be decoded from a message and kept: it takes no lifetime; remove it, and give the fields that borrow an owned type (`String` for `&str`)"
                } else {
                    "an event is a contract with one fixed schema, so it cannot be generic; declare one event per concrete type"
                },
            );
        }
        let mut data = true;
        for field in fields {
            attribute_mistakes(kind, field, errors);
            data &= is_event_data(&field.ty, lifetimes_only, own_encoding(field), errors);
        }
        if !data {
            return None;
        }
        let mut args = args;
        not_itself(&mut args, &item.ident, errors);
        let fields = fields
            .iter()
            .filter_map(|f| {
                // Named fields always have an ident.
                let ident = f.ident.as_ref()?;
                let attrs = FieldAttrs::parse(&f.attrs, errors);
                if let Some(mark) = attrs.pii.as_ref().or(attrs.secret.as_ref()) {
                    unmarkable(mark, &f.attrs, errors);
                }
                Some(Field {
                    ident,
                    vis: &f.vis,
                    ty: &f.ty,
                    docs: f
                        .attrs
                        .iter()
                        .filter(|a| a.path().is_ident("doc"))
                        .collect(),
                    attrs,
                })
            })
            .collect();
        Some(Input {
            kind,
            args,
            item,
            fields,
            derived: Derived::find(item, errors),
        })
    }

    pub fn ident(&self) -> &'a Ident {
        &self.item.ident
    }

    /// The events this one maps from (empty without `maps_from`).
    pub fn sources(&self) -> &[Path] {
        self.args
            .maps_from
            .as_ref()
            .map_or(&[], |(_, sources)| sources.as_slice())
    }
}

/// Where a target field's value comes from, for one source event.
pub enum FieldSource<'a> {
    /// A field of the source: the one of the same name, or `from = name`.
    Field(&'a Ident),
    /// `with = function`, called with the source event.
    With(&'a Path),
    /// `context`: the generated context type.
    Context,
    /// `default` (at the key's span) or `default = expr`.
    Default(proc_macro2::Span, Option<&'a proc_macro2::TokenStream>),
}

impl<'a> Field<'a> {
    /// Whether an `#[event(..)]` of the field was wrong, or names a source
    /// the event does not list: its value in a mapping is then left to that
    /// error, so nothing cascades from it.
    pub fn is_broken(&self, sources: &[Path], older: Option<&Path>) -> bool {
        let a = &self.attrs;
        // Listed once: not missing, nor naming two sources of one name.
        let unlisted = |source: &Path| resolve_source(sources, source).len() != 1;
        // `from(Older) = field` names the field of the version it upcasts from.
        let upcast = |source: &Path| older.is_some_and(|older| same_source(older, source));
        // Two keys without a source (`from` and `with`) are reported as a
        // conflict; which one was meant is the user's to say.
        let unkeyed = [
            a.from.is_some(),
            a.with.is_some(),
            a.context.is_some(),
            a.default.is_some(),
        ];
        a.broken
            || unkeyed.iter().filter(|&&given| given).count() > 1
            || a.from_source.iter().any(|(s, _)| unlisted(s) && !upcast(s))
            || a.with_source.iter().any(|(s, _)| unlisted(s))
    }

    /// The field of the older version `older` this field is upcast from:
    /// `from(Older) = field`, or `from = field` on an event that maps from
    /// no other event, else its own name.
    pub fn upcast_source(&'a self, older: &Path, maps_from: bool) -> &'a Ident {
        let a = &self.attrs;
        a.from_source
            .iter()
            .find(|(s, _)| same_source(s, older))
            .map(|(_, from)| &from.value)
            .or_else(|| {
                a.from
                    .as_ref()
                    .filter(|_| !maps_from)
                    .map(|from| &from.value)
            })
            .unwrap_or(self.ident)
    }

    /// The source of this field's value when mapping from `source`.
    pub fn source_for(&'a self, source: &Path, sources: &[Path]) -> FieldSource<'a> {
        let a = &self.attrs;
        // `from(S) = ..` when `S` names this source and no other.
        let names = |written: &Path| matches!(resolve_source(sources, written).as_slice(), [only] if std::ptr::eq(*only, source));
        if let Some((_, from)) = a.from_source.iter().find(|(s, _)| names(s)) {
            return FieldSource::Field(&from.value);
        }
        if let Some((_, with)) = a.with_source.iter().find(|(s, _)| names(s)) {
            return FieldSource::With(&with.value);
        }
        if let Some(from) = &a.from {
            return FieldSource::Field(&from.value);
        }
        if let Some(with) = &a.with {
            return FieldSource::With(&with.value);
        }
        if a.context.is_some() {
            return FieldSource::Context;
        }
        if let Some(default) = &a.default {
            return FieldSource::Default(default.key.span(), default.value.as_ref());
        }
        FieldSource::Field(self.ident)
    }
}

/// The mistakes in a field's other attributes: `#[cfg(..)]` on it,
/// `#[event(..)]` or a `#[serde(..)]` that changes the wire inside
/// `#[cfg_attr(..)]` (the macro reads the fields
/// before any `cfg` is applied, and an event's schema is the same in every
/// build), an option written without `event(..)` (`#[pii]`), or a
/// misspelled `#[evnet(..)]`. The expansion leaves each of them out.
fn attribute_mistakes(kind: Kind, field: &syn::Field, errors: &mut Errors) {
    for attr in &field.attrs {
        if attr.path().is_ident("cfg") {
            errors.spanned(
                attr,
                format_args!(
                    "a field of `#[{}]` cannot be under `#[cfg(..)]`: an event's fields are its schema, the same in every build; remove the `#[cfg]`, or make the field an `Option` that is `None` where it does not apply",
                    kind.macro_name()
                ),
            );
        } else if let Some(option) = crate::attr::bare_option(attr) {
            let written = quote::ToTokens::to_token_stream(&attr.meta).to_string();
            errors.spanned(
                attr,
                format_args!(
                    "`{option}` is a field option of `#[{}]`: write it inside `#[event(..)]`, as `#[event({written})]`",
                    kind.macro_name()
                ),
            );
        } else if crate::attr::misspelled_event(attr) {
            errors.spanned(
                attr.path(),
                format_args!(
                    "unknown attribute `{}`; did you mean `#[event(..)]`, the field options of `#[{}]`?",
                    crate::attr::path_text(attr.path()),
                    kind.macro_name()
                ),
            );
        } else if let Some(helper) = crate::attr::conditional_event(attr) {
            errors.spanned(
                helper,
                "`#[event(..)]` cannot be conditional: the macro reads it before `cfg_attr` applies; write it as its own attribute, like `#[event(pii)]`",
            );
        } else if let Some(serde) = crate::attr::conditional_serde(attr) {
            errors.spanned(
                serde,
                "serde's options of an event's field cannot be conditional: the macro reads them before `cfg_attr` applies, and an event's contract (its wire names and JSON Schema) is the same in every build; write `#[serde(..)]` as its own attribute, or leave it out",
            );
        }
    }
}

/// A `pii` or `secret` field (`mark`) that serde flattens into the event's
/// own properties, or that schemars leaves out of the schema: its mark is
/// an `x-pii` (`x-secret`) on the field's property, and redaction finds
/// the field by it, so such a field would go out unmarked and in clear.
fn unmarkable(mark: &Ident, attrs: &[syn::Attribute], errors: &mut Errors) {
    for attr in attrs {
        let tool = if attr.path().is_ident("serde") {
            "serde"
        } else if attr.path().is_ident("schemars") {
            "schemars"
        } else {
            continue;
        };
        // serde and schemars report malformed attributes themselves.
        let _ = attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string);
            match (tool, key.as_deref()) {
                (_, Some("flatten")) => errors.spanned(
                    &meta.path,
                    format_args!(
                        "a `{mark}` field cannot be flattened: its properties would join the event's own, where no `x-{mark}` marks them and redaction cannot find them; keep it a nested object (remove `flatten`)"
                    ),
                ),
                ("schemars", Some("skip")) => errors.spanned(
                    &meta.path,
                    format_args!(
                        "a `{mark}` field is in the schema, where `x-{mark}` marks it for its readers and for redaction; remove `#[schemars(skip)]`"
                    ),
                ),
                _ => {}
            }
            crate::contract::skip_value(&meta)
        });
    }
}

/// The struct's `#[serde(..)]` options that change what an event is on the
/// wire, each one error at its key:
///
/// - `rename = "shop.order.placed"`, meant as the event's type name: serde
///   renames only its own name for the struct (and schemars the schema's
///   title), so the event would keep its type. A rename that reads as a
///   type name is reported with the argument to write; one that is not
///   dotted (`OrderPlacedV1`, `order`) is left alone.
/// - `transparent`: the data would be the one field's value, not an object
///   of the fields that the contract, the `pii` marks and the mappings read.
/// - `tag = ".."`: a property holding the Rust struct's name, which the
///   schema does not declare, beside the type the envelope already carries.
/// - `into`, `from`, `try_from`: the data would be another type's form.
fn serde_container_options(kind: Kind, args: &MacroArgs, item: &DeriveInput, errors: &mut Errors) {
    for attr in item.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        // serde reports a malformed attribute itself.
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("transparent") {
                errors.spanned(
                    &meta.path,
                    "`#[serde(transparent)]` would make the event's data its one field's value; an event's data is an object of its fields, which its contract, `pii` marks and mappings describe: remove `transparent`",
                );
                return Ok(());
            }
            // A conversion through another type: the data would be that
            // type's form (a string, a number), not an object of the fields.
            if let Some(key) = ["into", "from", "try_from"]
                .into_iter()
                .find(|key| meta.path.is_ident(key))
                && meta.input.peek(Token![=])
            {
                let (verb, what) = match key {
                    "into" => ("written as", "written"),
                    _ => ("read from", "read"),
                };
                errors.spanned(
                    &meta.path,
                    format_args!(
                        "`#[serde({key} = \"..\")]` would have the event's data {verb} another type, not as an object of its fields, which its contract, `pii` marks and mappings describe: remove `{key}`; the event is {what} as it is declared"
                    ),
                );
                return crate::contract::skip_value(&meta);
            }
            if meta.path.is_ident("tag") {
                errors.spanned(
                    &meta.path,
                    format_args!(
                        "`#[serde(tag = \"..\")]` would add a property holding the Rust struct's name, which the contract does not declare; the envelope already carries the event's type: remove `tag`, or name the type with `#[{}(name = \"..\")]`",
                        kind.macro_name()
                    ),
                );
                return crate::contract::skip_value(&meta);
            }
            // `rename(serialize = ..)`, a name per direction, and the other
            // keys are passed over.
            if !meta.path.is_ident("rename") || !meta.input.peek(Token![=]) {
                return crate::contract::skip_value(&meta);
            }
            let value: syn::Expr = meta.value()?.parse()?;
            // Dotted like a type name: `shop.order.placed`, not `order`
            // (an XML root's name, a schema title).
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(lit),
                ..
            }) = &value
                && lit.value().contains('.')
                && crate::naming::check_type_name(&lit.value()).is_ok()
            {
                let version = args.version_argument(kind);
                errors.spanned(
                    lit,
                    format_args!(
                        "`#[serde(rename)]` renames the struct inside serde, not the event's type; the type name goes in the attribute: write `#[{}({version}name = {})]`",
                        kind.macro_name(),
                        lit.token()
                    ),
                );
            }
            Ok(())
        });
    }
}

/// Whether `ty` is data an event can hold: owned (a borrowed `&str` cannot
/// be decoded from a message into an event that outlives it), safe to hand
/// to another thread (not `Rc`), without interior mutability (`Cell`,
/// `RefCell`: an event is a fact that does not change) and encodable (no
/// trait object or function). Each such type is one error at the type, and
/// the struct is then emitted without the event's impls, where rustc would
/// otherwise report every missing trait of every impl at the struct's name.
fn is_event_data(
    ty: &Type,
    lifetime_reported: bool,
    own_encoding: bool,
    errors: &mut Errors,
) -> bool {
    struct Found<'e> {
        errors: &'e mut Errors,
        data: bool,
        lifetime_reported: bool,
        own_encoding: bool,
    }
    impl Found<'_> {
        fn not_data(&mut self, at: &dyn quote::ToTokens, message: std::fmt::Arguments) {
            self.errors.spanned(at, message);
            self.data = false;
        }
    }
    fn owned(ty: &Type) -> String {
        match ty {
            Type::Path(path) if path.path.is_ident("str") => "`String`".to_owned(),
            Type::Slice(slice) => format!("`Vec<{}>`", crate::contract::type_text(&slice.elem)),
            other => format!("`{}`", crate::contract::type_text(other)),
        }
    }
    fn visit(ty: &Type, found: &mut Found) {
        match ty {
            // The struct's lifetime has been reported: the same mistake.
            Type::Reference(_) if found.lifetime_reported => found.data = false,
            Type::Reference(reference) => found.not_data(
                reference,
                format_args!(
                    "an event owns its data, so that it can be decoded from a message and kept; write {} instead of a reference",
                    owned(&reference.elem)
                ),
            ),
            Type::Ptr(pointer) => found.not_data(
                pointer,
                format_args!(
                    "an event owns its data, so that it can be encoded, decoded and sent to another thread; write {} instead of a pointer",
                    owned(&pointer.elem)
                ),
            ),
            Type::TraitObject(object) => found.not_data(
                object,
                format_args!(
                    "a trait object cannot be decoded from a message: an event's fields are data of known types; use a concrete type, or an enum of the cases"
                ),
            ),
            Type::FnPtr(function) => found.not_data(
                function,
                format_args!(
                    "a function cannot be sent in a message: an event's fields are data; hold the value the function would give, or a name to look it up by"
                ),
            ),
            Type::Path(path) => {
                if let Some(message) = not_thread_safe(path, found.own_encoding) {
                    found.not_data(path, format_args!("{message}"));
                    return;
                }
                // `Envelope<OrderPlaced>`: an envelope is not data of its
                // own (no schema), and its event is held by the message.
                let envelope = path.path.segments.last().is_some_and(|last| {
                    last.ident == "Envelope"
                        && matches!(last.arguments, syn::PathArguments::AngleBracketed(_))
                });
                if envelope && !found.own_encoding {
                    found.not_data(
                        path,
                        format_args!(
                            "an envelope is the frame of one message, not data an event holds: give the event the fields its readers need, and what it needs of the other message (its id as a `String`, its time)"
                        ),
                    );
                    return;
                }
                // The map has serde's and schemars' impls (its encoding
                // fails at run time), so the event keeps its own: the
                // code that uses it reports nothing more.
                if let Some(key) = map_key(path).filter(|_| !found.own_encoding)
                    && !text_key(key)
                {
                    found.errors.spanned(
                        key,
                        format_args!(
                            "`{}` cannot be the key of an event's map: JSON writes a map as an object, whose keys are text (numbers, `char`, `bool` and enums of unit variants are written as text); hold a `Vec` of pairs, or key the map by text",
                            crate::contract::type_text(key)
                        ),
                    );
                }
                // The key and the value are looked into too: a map of
                // `Rc`s is reported whatever its key.
                for segment in &path.path.segments {
                    if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                        for arg in &args.args {
                            if let syn::GenericArgument::Type(ty) = arg {
                                visit(ty, found);
                            }
                        }
                    }
                }
            }
            Type::Array(array) => {
                // serde reads and writes arrays of at most 32 elements.
                match crate::shape::array_length(array) {
                    Some(length) if length > 32 && !found.own_encoding => found.not_data(
                        &array.len,
                        format_args!(
                            "an array of {length} elements cannot be encoded: serde reads and writes arrays of at most 32; write `Vec<{}>`",
                            crate::contract::type_text(&array.elem)
                        ),
                    ),
                    _ => visit(&array.elem, found),
                }
            }
            Type::Slice(slice) => visit(&slice.elem, found),
            Type::Tuple(tuple) => tuple.elems.iter().for_each(|ty| visit(ty, found)),
            Type::Paren(paren) => visit(&paren.elem, found),
            Type::Group(group) => visit(&group.elem, found),
            _ => {}
        }
    }
    let mut found = Found {
        errors,
        data: true,
        lifetime_reported,
        own_encoding,
    };
    visit(ty, &mut found);
    found.data
}

/// The key type of a `HashMap<K, V>` or `BTreeMap<K, V>` (of `std`, or
/// written bare).
fn map_key(ty: &syn::TypePath) -> Option<&Type> {
    let path = &ty.path;
    let last = path.segments.last()?;
    let std_path = path.segments.iter().rev().skip(1).all(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "std" | "alloc" | "collections"
        )
    });
    if !std_path || !(last.ident == "HashMap" || last.ident == "BTreeMap") {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// Whether a map key of type `ty` may be written as text, as far as its
/// spelling tells: tuples, arrays, slices and the standard collections and
/// `Option` cannot; a type of the user's (a newtype of a `String`) may.
fn text_key(ty: &Type) -> bool {
    match ty {
        Type::Tuple(_) | Type::Array(_) | Type::Slice(_) => false,
        Type::Paren(paren) => text_key(&paren.elem),
        Type::Group(group) => text_key(&group.elem),
        Type::Path(path) => path.path.segments.last().is_none_or(|last| {
            !matches!(
                last.ident.to_string().as_str(),
                "Vec" | "VecDeque" | "HashMap" | "BTreeMap" | "HashSet" | "BTreeSet" | "Option"
            ) || matches!(last.arguments, syn::PathArguments::None)
        }),
        _ => true,
    }
}

/// What is wrong with a field of the standard library's single-threaded or
/// mutable types, `Rc<T>`, `rc::Weak<T>`, `Cell<T>`, `RefCell<T>` and
/// `UnsafeCell<T>`: `None` for any other path (a user's own `Cell` or
/// `Cell<T>` written bare, `other_crate::Rc<T>`).
fn not_thread_safe(ty: &syn::TypePath, own_encoding: bool) -> Option<String> {
    let path = &ty.path;
    let last = path.segments.last()?;
    let name = last.ident.to_string();
    let std_path = path.segments.iter().rev().skip(1).all(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "std" | "core" | "sync" | "atomic"
        )
    });
    // `AtomicU64` holds a `u64` that can change behind a shared reference.
    if let (syn::PathArguments::None, Some(value), true, false) = (
        &last.arguments,
        name.strip_prefix("Atomic"),
        std_path,
        own_encoding,
    ) {
        let value = value.to_ascii_lowercase();
        let known = matches!(
            value.as_str(),
            "bool"
                | "u8"
                | "u16"
                | "u32"
                | "u64"
                | "usize"
                | "i8"
                | "i16"
                | "i32"
                | "i64"
                | "isize"
        );
        return known.then(|| {
            format!(
                "`{name}` makes a field mutable behind a shared reference; an event is a fact that does not change once it happened: write `{value}`"
            )
        });
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let module: Vec<String> = path
        .segments
        .iter()
        .rev()
        .skip(1)
        .map(|s| s.ident.to_string())
        .collect();
    let std_module = |inner: &str| {
        module
            .iter()
            .all(|m| matches!(m.as_str(), "std" | "core" | "alloc") || m == inner)
    };
    let inner = args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::Type(ty) => Some(crate::contract::type_text(ty)),
        _ => None,
    })?;
    let written = crate::contract::type_text(&Type::Path(ty.clone()));
    match name.as_str() {
        "Rc" if std_module("rc") => Some(format!(
            "`{written}` cannot be sent to another thread, and an event is: the bus, the outbox and the transports hand it on; write `Arc<{inner}>`, or the owned `{inner}`"
        )),
        "Weak" if !module.is_empty() && module[0] == "rc" && std_module("rc") => Some(format!(
            "`{written}` cannot be sent to another thread or encoded, and an event is both; write the owned `{inner}`"
        )),
        // A bare `Cell<T>` may be the crate's own (a spreadsheet's cell).
        "Cell" if module.is_empty() => None,
        "Cell" | "RefCell" | "UnsafeCell" if std_module("cell") => Some(format!(
            "`{written}` makes a field mutable behind a shared reference, and cannot be shared between threads; an event is a fact that does not change once it happened: write `{inner}`"
        )),
        // A lock is mutable state, neither `Clone` nor data on the wire.
        "Mutex" | "RwLock" | "OnceLock" | "OnceCell"
            if !own_encoding && (std_module("sync") || std_module("cell")) =>
        {
            Some(format!(
                "`{written}` makes a field mutable behind a shared reference; an event is a fact that does not change once it happened: write `{inner}`"
            ))
        }
        _ => None,
    }
}

/// Whether serde skips the field or encodes it with functions of the
/// user's (`skip`, `with`, `serialize_with`): its type is then not read by
/// serde's own impls, and a lock, an atomic or a long array may be meant
/// (a cache, `serde-big-array`).
fn own_encoding(field: &syn::Field) -> bool {
    let mut own = false;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if ["skip", "with", "serialize_with"]
                .iter()
                .any(|key| meta.path.is_ident(key))
            {
                own = true;
            }
            crate::contract::skip_value(&meta)
        });
    }
    own
}

/// Whether `path` names the struct being declared: `Self`, its own name,
/// or `self::` and its name. (`v1::OrderPlacedIntegrationEvent` is another
/// struct of the same name.)
pub fn names_itself(path: &Path, own: &Ident) -> bool {
    let segments: Vec<&Ident> = path.segments.iter().map(|s| &s.ident).collect();
    match segments.as_slice() {
        [one] => *one == "Self" || *one == own,
        [first, one] => *first == "self" && *one == own,
        _ => false,
    }
}

/// A `maps_from` or `upcast_from` naming the event being declared is
/// reported and left out.
fn not_itself(args: &mut crate::attr::MacroArgs, own: &Ident, errors: &mut Errors) {
    let own_name = own.unraw();
    if let Some((_, sources)) = &mut args.maps_from {
        sources.retain(|source| {
            if !names_itself(source, own) {
                return true;
            }
            errors.spanned(
                source,
                format_args!(
                    "`maps_from` names the event `{own_name}` is mapped from, not `{own_name}` itself; name its source, like `maps_from = ProductPutOnSale`"
                ),
            );
            false
        });
        if sources.is_empty() {
            args.maps_from = None;
            args.failed.push("maps_from".to_owned());
        }
    }
    if let Some(older) = &args.upcast_from
        && names_itself(older, own)
    {
        // `ProductListedV2` upcasts from `ProductListed`, `ProductListedV3`
        // from `ProductListedV2`; a name without a version from a module of
        // versions.
        let own_text = own_name.to_string();
        let example = match crate::naming::trailing_version(&own_text) {
            (base, Some(2)) => base.to_owned(),
            (base, Some(n)) if n > 2 => format!("{base}V{}", n - 1),
            _ => format!("v1::{own_name}"),
        };
        errors.spanned(
            older,
            format_args!(
                "`upcast_from` names the older version `{own_name}` is converted from, not `{own_name}` itself; name the previous version's struct, like `upcast_from = {example}`"
            ),
        );
        args.upcast_from = None;
        args.failed.push("upcast_from".to_owned());
    }
}

fn struct_fields<'a>(
    kind: Kind,
    item: &'a DeriveInput,
    errors: &mut Errors,
) -> Option<&'a Punctuated<syn::Field, Token![,]>> {
    let macro_name = kind.macro_name();
    match &item.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => return Some(&named.named),
            Fields::Unnamed(unnamed) => errors.spanned(
                unnamed,
                format_args!(
                    "`#[{macro_name}]` needs named fields: each becomes a property of the event's schema; write `struct {} {{ name: Type }}`",
                    item.ident
                ),
            ),
            Fields::Unit => errors.spanned(
                &item.ident,
                format_args!(
                    "`#[{macro_name}]` needs a struct with braces; an event with no data is written `struct {} {{}}`",
                    item.ident
                ),
            ),
        },
        Data::Enum(data) => errors.at(
            data.enum_token.span,
            format_args!(
                "`#[{macro_name}]` goes on a struct with named fields, not an enum: declare each variant as its own event"
            ),
        ),
        Data::Union(data) => errors.at(
            data.union_token.span,
            format_args!("`#[{macro_name}]` goes on a struct with named fields, not a union"),
        ),
    }
    None
}

impl Derived {
    /// Counts `names` as derived by the user.
    pub fn mark(&mut self, names: &[&str]) {
        for name in names {
            match *name {
                "Serialize" => self.serialize = true,
                "Deserialize" => self.deserialize = true,
                "JsonSchema" => self.json_schema = true,
                "Debug" => self.debug = Some(syn::parse_quote!(Debug)),
                "Clone" => self.clone = true,
                "PartialEq" => self.partial_eq = true,
                _ => {}
            }
        }
    }

    fn find(item: &DeriveInput, errors: &mut Errors) -> Self {
        let mut derived = Derived::default();
        for attr in item.attrs.iter().filter(|a| a.path().is_ident("derive")) {
            let paths = match attr.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
            {
                Ok(paths) => paths,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            for path in paths {
                let Some(last) = path.segments.last() else {
                    continue;
                };
                match last.ident.to_string().as_str() {
                    "Serialize" => derived.serialize = true,
                    "Deserialize" => derived.deserialize = true,
                    "JsonSchema" => derived.json_schema = true,
                    "Debug" => derived.debug = Some(path.clone()),
                    "Clone" => derived.clone = true,
                    "PartialEq" => derived.partial_eq = true,
                    _ => {}
                }
            }
        }
        derived
    }
}
