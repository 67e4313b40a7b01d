//! The macros' arguments and the `#[event(..)]` field attribute.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Attribute, Ident, Lit, LitStr, Path, Token};

use crate::errors::Errors;

/// Which macro is expanding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Domain,
    Integration,
    Notification,
}

impl Kind {
    pub fn macro_name(self) -> &'static str {
        match self {
            Kind::Domain => "domain_event",
            Kind::Integration => "integration_event",
            Kind::Notification => "notification_event",
        }
    }

    /// The kind as written in schema ids and `x-event-kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Domain => "domain",
            Kind::Integration => "integration",
            Kind::Notification => "notification",
        }
    }

    /// The arguments each macro takes, for "unknown argument" messages.
    fn arguments(self) -> &'static str {
        match self {
            Kind::Integration => {
                "`version = N`, `name = \"..\"`, `schema_base = \"..\"`, `allow(..)` and `crate = path`"
            }
            Kind::Domain | Kind::Notification => {
                "`name = \"..\"`, `version = N`, `schema_base = \"..\"`, `allow(..)` and `crate = path`"
            }
        }
    }

    /// The rules each macro lets the user opt out of.
    fn opt_outs(self) -> &'static [&'static str] {
        match self {
            Kind::Domain => &["non_past_tense", "generic_name", "reserved_suffix"],
            Kind::Integration | Kind::Notification => &["missing_suffix"],
        }
    }
}

/// A version number.
pub struct Version {
    pub value: u32,
}

/// `#[domain_event(..)]`, `#[integration_event(..)]`, `#[notification_event(..)]`.
#[derive(Default)]
pub struct MacroArgs {
    pub name: Option<LitStr>,
    pub version: Option<Version>,
    pub schema_base: Option<LitStr>,
    pub krate: Option<Path>,
    pub allow: Allow,
}

/// The opt-outs given with `allow(..)`.
#[derive(Default)]
pub struct Allow {
    pub non_past_tense: bool,
    pub generic_name: bool,
    pub reserved_suffix: bool,
    pub missing_suffix: bool,
}

/// Fails with "duplicate `key`" at the second occurrence of a key.
fn once<T>(slot: &Option<T>, meta: &ParseNestedMeta, key: &str) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format_args!("duplicate `{key}`; give it once")));
    }
    Ok(())
}

impl MacroArgs {
    pub fn parse(kind: Kind, tokens: TokenStream) -> syn::Result<Self> {
        let mut args = MacroArgs::default();
        let parser = syn::meta::parser(|meta| args.parse_one(kind, &meta));
        parser.parse2(tokens)?;
        Ok(args)
    }

    fn parse_one(&mut self, kind: Kind, meta: &ParseNestedMeta) -> syn::Result<()> {
        let path = &meta.path;
        if path.is_ident("version") {
            // #[integration_event(version = 2)]
            once(&self.version, meta, "version")?;
            self.version = Some(parse_version(meta)?);
        } else if path.is_ident("name") {
            // #[integration_event(name = "catalog.product.updated")]
            once(&self.name, meta, "name")?;
            self.name = Some(parse_str(meta, "name", "catalog.product.updated")?);
        } else if path.is_ident("schema_base") {
            // #[integration_event(schema_base = "https://schemas.example.com/events/")]
            once(&self.schema_base, meta, "schema_base")?;
            self.schema_base = Some(parse_str(
                meta,
                "schema_base",
                "https://schemas.example.com/events/",
            )?);
        } else if path.is_ident("crate") {
            // #[domain_event(crate = ::my_reexport::event_core)]
            once(&self.krate, meta, "crate")?;
            self.krate = Some(meta.value()?.parse()?);
        } else if path.is_ident("allow") {
            // #[domain_event(allow(non_past_tense, generic_name))]
            meta.parse_nested_meta(|inner| self.allow.parse_one(kind, &inner))?;
        } else {
            return Err(meta.error(format_args!(
                "unknown argument `{}`; `#[{}]` takes {}",
                path_text(path),
                kind.macro_name(),
                kind.arguments()
            )));
        }
        Ok(())
    }
}

impl Allow {
    fn parse_one(&mut self, kind: Kind, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = path_text(&meta.path);
        let allowed = kind.opt_outs();
        let slot = match key.as_str() {
            "non_past_tense" => &mut self.non_past_tense,
            "generic_name" => &mut self.generic_name,
            "reserved_suffix" => &mut self.reserved_suffix,
            "missing_suffix" => &mut self.missing_suffix,
            _ => &mut false,
        };
        if !allowed.contains(&key.as_str()) {
            let list = allowed
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(meta.error(format_args!(
                "`{key}` is not a rule of `#[{}]`; it can allow {list}",
                kind.macro_name()
            )));
        }
        if *slot {
            return Err(meta.error(format_args!("duplicate `{key}`; allow it once")));
        }
        expect_flag(meta, &key)?;
        *slot = true;
        Ok(())
    }
}

/// The literal after `key =`, or an error at whatever stands there instead.
fn parse_lit(meta: &ParseNestedMeta, hint: &str) -> syn::Result<Lit> {
    let value = meta.value()?;
    if value.peek(Lit) {
        value.parse()
    } else {
        let found: proc_macro2::TokenTree = value.parse()?;
        Err(syn::Error::new(found.span(), hint))
    }
}

fn parse_version(meta: &ParseNestedMeta) -> syn::Result<Version> {
    let hint = "the version is a whole number from 1 up, like `version = 2`";
    let lit = parse_lit(meta, hint)?;
    match lit {
        Lit::Int(lit) => match lit.base10_parse::<u32>() {
            Ok(0) | Err(_) => Err(syn::Error::new(lit.span(), hint)),
            Ok(value) => Ok(Version { value }),
        },
        other => Err(syn::Error::new(other.span(), hint)),
    }
}

fn parse_str(meta: &ParseNestedMeta, key: &str, example: &str) -> syn::Result<LitStr> {
    let hint = format!("`{key}` takes a string, like `{key} = \"{example}\"`");
    match parse_lit(meta, &hint)? {
        Lit::Str(lit) => Ok(lit),
        other => Err(syn::Error::new(other.span(), hint)),
    }
}

/// A key that takes no value: `pii`, not `pii = true`.
fn expect_flag(meta: &ParseNestedMeta, key: &str) -> syn::Result<()> {
    if meta.input.is_empty() || meta.input.peek(Token![,]) {
        Ok(())
    } else {
        Err(meta.error(format_args!(
            "`{key}` takes no value; write it alone, as `{key}`"
        )))
    }
}

fn path_text(path: &Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// `#[event(..)]` on a field.
#[derive(Default)]
pub struct FieldAttrs {
    /// `#[event(pii)]`: the field holds personal data.
    pub pii: Option<Ident>,
    /// `#[event(secret)]`: the field never leaves its domain event.
    pub secret: Option<Ident>,
}

impl FieldAttrs {
    /// Parses every `#[event(..)]` of a field, reporting each mistake.
    pub fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = FieldAttrs::default();
        for attr in attrs.iter().filter(|a| is_event_attr(a)) {
            let parsed = match &attr.meta {
                syn::Meta::List(list) => list.parse_nested_meta(|meta| out.parse_one(&meta)),
                _ => Err(syn::Error::new_spanned(
                    attr,
                    "`#[event]` takes a list of options, like `#[event(pii)]` or `#[event(secret)]`",
                )),
            };
            if let Err(e) = parsed {
                errors.push(e);
            }
        }
        out
    }

    fn parse_one(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = path_text(&meta.path);
        let slot = match key.as_str() {
            // #[event(pii)]
            "pii" => &mut self.pii,
            // #[event(secret)]
            "secret" => &mut self.secret,
            _ => {
                return Err(meta.error(format_args!(
                    "unknown field option `{key}`; `#[event(..)]` takes `pii` (personal data) or `secret` (never leaves its domain event)"
                )));
            }
        };
        once(slot, meta, &key)?;
        expect_flag(meta, &key)?;
        *slot = meta.path.get_ident().cloned();
        Ok(())
    }
}

/// Whether an attribute is the macros' own `#[event(..)]` helper.
pub fn is_event_attr(attr: &Attribute) -> bool {
    attr.path().is_ident("event")
}
