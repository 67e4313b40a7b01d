//! The typed model of an event declaration, borrowing the syn input so that
//! errors can point at the user's tokens.

use syn::punctuated::Punctuated;
use syn::{Data, DeriveInput, Fields, Ident, Path, Token, Type};

use crate::attr::{FieldAttrs, Kind, MacroArgs, is_event_attr, same_source};
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
        args: MacroArgs,
        item: &'a DeriveInput,
        errors: &mut Errors,
    ) -> Option<Self> {
        let fields = struct_fields(kind, item, errors)?;
        for attr in item.attrs.iter().filter(|a| is_event_attr(a)) {
            errors.spanned(
                attr,
                format_args!(
                    "`#[event(..)]` goes on fields; options of the whole event go in the macro: `#[{}(..)]`",
                    kind.macro_name()
                ),
            );
        }
        if !item.generics.params.is_empty() {
            errors.spanned(
                &item.generics,
                "an event is a contract with one fixed schema, so it cannot be generic; declare one event per concrete type",
            );
        }
        let fields = fields
            .iter()
            .filter_map(|f| {
                // Named fields always have an ident.
                let ident = f.ident.as_ref()?;
                Some(Field {
                    ident,
                    vis: &f.vis,
                    ty: &f.ty,
                    docs: f
                        .attrs
                        .iter()
                        .filter(|a| a.path().is_ident("doc"))
                        .collect(),
                    attrs: FieldAttrs::parse(&f.attrs, errors),
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
        let unlisted = |source: &Path| !sources.iter().any(|s| same_source(s, source));
        // `from(Older) = field` names the field of the version it upcasts from.
        let upcast = |source: &Path| older.is_some_and(|older| same_source(older, source));
        a.broken
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
    pub fn source_for(&'a self, source: &Path) -> FieldSource<'a> {
        let a = &self.attrs;
        if let Some((_, from)) = a.from_source.iter().find(|(s, _)| same_source(s, source)) {
            return FieldSource::Field(&from.value);
        }
        if let Some((_, with)) = a.with_source.iter().find(|(s, _)| same_source(s, source)) {
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
