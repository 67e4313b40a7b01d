//! The typed model of an event declaration, borrowing the syn input so that
//! errors can point at the user's tokens.

use syn::punctuated::Punctuated;
use syn::{Data, DeriveInput, Fields, Ident, Path, Token};

use crate::attr::{FieldAttrs, Kind, MacroArgs, is_event_attr};
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
