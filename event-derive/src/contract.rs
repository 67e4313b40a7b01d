//! Frozen contracts: the committed schema snapshot of an integration event
//! version, and the compile-time check that the struct still matches it.

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Ident, LitStr, Token, Type};

use crate::ast::{Field, Input};
use crate::errors::Errors;
use crate::shape;
use std::collections::BTreeMap;

use event_compat::json::{self, Json};
use event_compat::{Compatibility, Direction, Rule};

/// Where an event version's snapshot is, and what it holds if it exists.
pub struct Contract {
    /// The path in messages: relative to the crate when inside it.
    pub shown: String,
    /// An expression for the path, for `include_bytes!` and the registry:
    /// `concat!(env!("CARGO_MANIFEST_DIR"), "/contracts/x.json")`.
    pub path_expr: TokenStream,
    /// The snapshot's bytes, when the version is frozen.
    pub snapshot: Option<Vec<u8>>,
}

/// Finds the snapshot of `full_type`: in `contracts = "dir"` relative to the
/// declaring file, or in the crate's `contracts/`.
pub fn locate(
    dir_arg: Option<&LitStr>,
    full_type: &str,
    source_file: Option<&Path>,
    manifest_dir: Option<&Path>,
) -> Option<Contract> {
    let dir = folder(dir_arg, source_file, manifest_dir)?;
    let file = normalize(&dir.join(format!("{full_type}.json")));
    let relative = manifest_dir.and_then(|m| file.strip_prefix(normalize(m)).ok());
    let (shown, path_expr) = match relative {
        Some(rel) => {
            let rel = rel.to_string_lossy().replace('\\', "/");
            let expr = quote!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #rel));
            (rel, expr)
        }
        None => {
            let abs = file.to_string_lossy().into_owned();
            (abs.clone(), quote!(#abs))
        }
    };
    Some(Contract {
        shown,
        path_expr,
        snapshot: std::fs::read(&file).ok(),
    })
}

/// The declaring file as a full path: rustc names files relative to its
/// working directory.
fn absolute(file: &Path) -> PathBuf {
    match std::env::current_dir() {
        Ok(cwd) if file.is_relative() => cwd.join(file),
        _ => file.to_path_buf(),
    }
}

/// The folder of the snapshots: `contracts = "dir"` relative to the
/// declaring file, or the crate's `contracts/`.
fn folder(
    dir_arg: Option<&LitStr>,
    source_file: Option<&Path>,
    manifest_dir: Option<&Path>,
) -> Option<PathBuf> {
    match (dir_arg, source_file.map(absolute), manifest_dir) {
        (Some(arg), Some(file), _) => Some(file.parent()?.join(arg.value())),
        (Some(arg), None, Some(manifest)) => Some(manifest.join(arg.value())),
        (None, _, Some(manifest)) => Some(manifest.join("contracts")),
        _ => None,
    }
}

/// A `contracts = "dir"` that names no folder where one it was likely meant
/// for exists: its frozen snapshots would not be found, and the versions
/// they froze would compile as drafts. Two likely slips: a misspelled last
/// folder (`"../contrcts"` beside `../contracts`), and a path written from
/// the crate's root (`"contracts"` in `src/events.rs`) where it is read
/// from the declaring file, as `include_str!` reads it. A folder that
/// exists nowhere near is left alone: the first freeze creates it.
pub fn check_folder(
    dir_arg: Option<&LitStr>,
    source_file: Option<&Path>,
    manifest_dir: Option<&Path>,
    errors: &mut Errors,
) {
    let Some(arg) = dir_arg else { return };
    let Some(dir) = folder(dir_arg, source_file, manifest_dir) else {
        return;
    };
    let dir = normalize(&dir);
    if dir.is_dir() {
        return;
    }
    const UNCHECKED: &str = "The frozen contracts of this event are looked for in the folder named here, and a version whose snapshot is not found compiles as a draft, unchecked (create the folder if it is meant)";
    let written = arg.value();
    if let Some(meant) = misspelled_folder(&dir, &written) {
        errors.at(
            arg.span(),
            format_args!("there is no folder `{written}`: did you mean `{meant}`? {UNCHECKED}"),
        );
    } else if let Some(meant) = written_from_the_root(&written, source_file, manifest_dir) {
        errors.at(
            arg.span(),
            format_args!(
                "there is no folder `{written}` beside this file: `contracts = \"..\"` is read from the declaring file, as `include_str!` reads paths; did you mean `{meant}`, the crate's `{written}`? {UNCHECKED}"
            ),
        );
    }
}

/// `written` with its last folder replaced by a folder beside it whose name
/// is a likely misspelling of it.
fn misspelled_folder(dir: &Path, written: &str) -> Option<String> {
    let name = dir.file_name()?.to_str()?;
    let trimmed = written.trim_end_matches('/');
    // Names with digits tell versions or dates apart (`v2`, `v3`): one
    // digit off is another folder, not a slip.
    if !trimmed.ends_with(name) || name.len() < 4 || name.contains(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let entries = std::fs::read_dir(dir.parent()?).ok()?;
    let siblings: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    let candidates: Vec<&str> = siblings.iter().map(String::as_str).collect();
    let close = crate::errors::did_you_mean(name, &candidates).filter(|close| {
        crate::errors::edit_distance(name, close) <= 2
            && !close.contains(|c: char| c.is_ascii_digit())
    })?;
    let stem = &trimmed[..trimmed.len() - name.len()];
    Some(format!("{stem}{close}"))
}

/// `written` relative to the declaring file, when it names a folder of the
/// crate's root but not one beside that file.
fn written_from_the_root(
    written: &str,
    source_file: Option<&Path>,
    manifest_dir: Option<&Path>,
) -> Option<String> {
    let manifest = normalize(manifest_dir?);
    if Path::new(written).is_absolute() || !manifest.join(written).is_dir() {
        return None;
    }
    let file = absolute(source_file?);
    let depth = normalize(file.parent()?)
        .strip_prefix(&manifest)
        .ok()?
        .components()
        .count();
    (depth > 0).then(|| format!("{}{written}", "../".repeat(depth)))
}

/// Folds `.` and `..` out of a path without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// A field as it appears on the wire.
struct Wire<'a> {
    field: &'a Field<'a>,
    name: String,
    required: bool,
    rust_type: String,
}

/// The serde attributes that decide the wire shape.
#[derive(Default)]
struct Serde {
    rename: Option<String>,
    rename_all: Option<String>,
    default: bool,
    /// The function of `default = "path"`.
    default_fn: Option<LitStr>,
    skip: bool,
    flatten: bool,
}

impl Serde {
    /// The name on the wire of the field `ident` with the field's own
    /// `rename`, under this container's `rename_all`.
    fn wire_name(&self, rename: Option<String>, ident: &Ident) -> String {
        rename.unwrap_or_else(|| {
            let rust_name = ident.unraw().to_string();
            match &self.rename_all {
                Some(rule) => apply_rename_all(rule, &rust_name),
                None => rust_name,
            }
        })
    }

    fn of(attrs: &[Attribute]) -> Self {
        let mut serde = Serde::default();
        for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
            // serde itself reports malformed attributes; an unreadable one
            // only leaves this check with less to go on.
            let _ = attr.parse_nested_meta(|meta| serde.read(&meta));
        }
        serde
    }

    fn read(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "rename" => self.rename = renamed(meta)?,
            "rename_all" => self.rename_all = renamed(meta)?,
            "default" => {
                self.default = true;
                if meta.input.peek(Token![=]) {
                    self.default_fn = Some(meta.value()?.parse()?);
                }
            }
            "skip" | "skip_deserializing" => self.skip = true,
            "flatten" => self.flatten = true,
            _ => skip_value(meta)?,
        }
        Ok(())
    }
}

/// `rename = "x"` or `rename(deserialize = "x", serialize = "y")`: the name
/// a reader of the contract sees.
fn renamed(meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    if meta.input.peek(Token![=]) {
        let lit: LitStr = meta.value()?.parse()?;
        return Ok(Some(lit.value()));
    }
    let mut name = None;
    meta.parse_nested_meta(|inner| {
        let value: LitStr = inner.value()?.parse()?;
        if inner.path.is_ident("deserialize") {
            name = Some(value.value());
        }
        Ok(())
    })?;
    Ok(name)
}

/// Consumes `= value` or `(..)` after a key this check does not need.
pub fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let value = meta.value()?;
        while !value.is_empty() && !value.peek(Token![,]) {
            value.parse::<proc_macro2::TokenTree>()?;
        }
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// The struct's `#[serde(rename_all = "..")]`: the rule and where it is.
fn rename_all(attrs: &[Attribute]) -> Option<(String, proc_macro2::Span)> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                let span = meta.path.get_ident().map(syn::Ident::span);
                if let (Some(rule), Some(span)) = (renamed(&meta)?, span) {
                    found = Some((rule, span));
                }
                Ok(())
            } else {
                skip_value(&meta)
            }
        });
    }
    found
}

/// `a`, `a and b`, `a, b and c`.
fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A snake_case field name under serde's `rename_all` rule.
fn apply_rename_all(rule: &str, field: &str) -> String {
    let words: Vec<&str> = field.split('_').filter(|w| !w.is_empty()).collect();
    let capitalized = |w: &&str| {
        let mut chars = w.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect::<String>())
            .unwrap_or_default()
    };
    match rule {
        "lowercase" => field.to_lowercase(),
        "UPPERCASE" => field.to_uppercase(),
        "PascalCase" => words.iter().map(capitalized).collect(),
        "camelCase" => {
            let pascal: String = words.iter().map(capitalized).collect();
            let mut chars = pascal.chars();
            chars
                .next()
                .map(|c| c.to_lowercase().chain(chars).collect())
                .unwrap_or_default()
        }
        "SCREAMING_SNAKE_CASE" => field.to_uppercase(),
        "kebab-case" => field.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => field.to_uppercase().replace('_', "-"),
        _ => field.to_owned(),
    }
}

/// A type as written, without the spaces tokens print with: `Option<u64>`.
pub fn type_text(ty: &Type) -> String {
    let text = ty.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
            if word(chars.get(i.wrapping_sub(1))) && word(chars.get(i + 1)) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Option"),
        _ => false,
    }
}

/// For each field: whether documents may lack it (an `Option`, or a serde
/// default on the field or the struct).
pub fn optional_fields(input: &Input) -> Vec<bool> {
    let container = Serde::of(&input.item.attrs);
    let syn::Data::Struct(data) = &input.item.data else {
        return Vec::new();
    };
    input
        .fields
        .iter()
        .zip(data.fields.iter())
        .map(|(field, syn_field)| {
            is_option(field.ty) || container.default || Serde::of(&syn_field.attrs).default
        })
        .collect()
}

/// What serde's attributes say of a field, for an upcast.
pub struct FieldSerde {
    /// The `#[serde(default = "path")]` function, which gives a field an
    /// older version lacks its value in an upcast as serde gives it to a
    /// document that lacks it.
    pub default_fn: Option<syn::Path>,
    /// The `#[serde(rename = "..")]` name on the wire.
    pub rename: Option<String>,
}

/// [`FieldSerde`] of each field.
pub fn field_serde(input: &Input) -> Vec<FieldSerde> {
    let syn::Data::Struct(data) = &input.item.data else {
        return Vec::new();
    };
    data.fields
        .iter()
        .map(|field| {
            let serde = Serde::of(&field.attrs);
            FieldSerde {
                default_fn: serde.default_fn.and_then(|f| f.parse().ok()),
                rename: serde.rename,
            }
        })
        .collect()
}

/// The wire shape of the struct, or `None` when a `flatten` makes it
/// unknowable here (the schema test still compares the whole schema).
fn wire_shape<'a>(input: &'a Input<'a>) -> Option<Vec<Wire<'a>>> {
    let container = Serde::of(&input.item.attrs);
    let syn::Data::Struct(data) = &input.item.data else {
        return None;
    };
    let mut out = Vec::new();
    for (field, syn_field) in input.fields.iter().zip(data.fields.iter()) {
        let serde = Serde::of(&syn_field.attrs);
        if serde.flatten {
            return None;
        }
        if serde.skip {
            continue;
        }
        let name = container.wire_name(serde.rename, field.ident);
        out.push(Wire {
            field,
            name,
            required: !(is_option(field.ty) || serde.default || container.default),
            rust_type: type_text(field.ty),
        });
    }
    Some(out)
}

/// The field serde leaves out (`skip`, `skip_deserializing`) whose wire
/// name would be `name`.
fn skipped_field<'a>(input: &'a Input<'a>, name: &str) -> Option<&'a Ident> {
    let container = Serde::of(&input.item.attrs);
    let syn::Data::Struct(data) = &input.item.data else {
        return None;
    };
    input
        .fields
        .iter()
        .zip(data.fields.iter())
        .find_map(|(field, syn_field)| {
            let serde = Serde::of(&syn_field.attrs);
            (serde.skip && container.wire_name(serde.rename, field.ident) == name)
                .then_some(field.ident)
        })
}

/// A field's serde options that write what the event cannot read back, each
/// one error at its key: an event is decoded from what it encodes, by this
/// service and by every reader of its contract.
///
/// - `rename(serialize = "a")` (or two different names per direction):
///   written under one name, read under another.
/// - `skip_serializing`, on a field without a default: never written, and a
///   document without it cannot be read.
/// - `skip_serializing_if = ".."`, on a field that is no `Option` and has no
///   default: left out when the condition holds, and then not readable.
pub fn check_one_sided_options(input: &Input, errors: &mut Errors) {
    let syn::Data::Struct(data) = &input.item.data else {
        return;
    };
    let container = Serde::of(&input.item.attrs);
    // The struct's `rename_all`, per direction.
    let (all, write_rule, read_rule) = one_sided(&input.item.attrs, "rename_all");
    let write_rule = write_rule.or_else(|| all.clone());
    let read_rule = read_rule.or(all);
    let mut container_reported = false;
    let shape = wire_shape(input);
    for (field, syn_field) in input.fields.iter().zip(data.fields.iter()) {
        let serde = Serde::of(&syn_field.attrs);
        let defaulted = container.default || serde.default || serde.skip;
        let name = field.ident.unraw().to_string();
        // The names it is written and read under, over all its attributes.
        let (plain, written, read) = one_sided(&syn_field.attrs, "rename");
        let plain = plain.as_ref().map(LitStr::value);
        let by_rule = |rule: &Option<LitStr>| match rule {
            Some(rule) => apply_rename_all(&rule.value(), &name),
            None => name.clone(),
        };
        let written_name = written
            .as_ref()
            .map(LitStr::value)
            .or_else(|| plain.clone())
            .unwrap_or_else(|| by_rule(&write_rule));
        let read_name = read
            .as_ref()
            .map(LitStr::value)
            .or_else(|| plain.clone())
            .unwrap_or_else(|| by_rule(&read_rule));
        // An `alias` reads the written name too.
        let aliases = field_aliases(&syn_field.attrs);
        if written_name != read_name
            && !serde.skip
            && !aliases.iter().any(|a| a.value() == written_name)
        {
            let at = written
                .as_ref()
                .or(read.as_ref())
                .or(write_rule.as_ref())
                .or(read_rule.as_ref());
            let own = written.is_some() || read.is_some();
            if let Some(at) = at.filter(|_| own || !container_reported) {
                container_reported |= !own;
                errors.spanned(
                    at,
                    format_args!(
                        "`{name}` would be written as `{written_name}` and read as `{read_name}`, so the event could not read back what it writes; give it one name for both directions, like `#[serde(rename = {written_name:?})]`"
                    ),
                );
            }
        }
        // An alias that is another field's name on the wire: that field's
        // value would be read into this one.
        if let Some(shape) = &shape {
            for alias in &aliases {
                if let Some(other) = shape
                    .iter()
                    .find(|w| w.name == alias.value() && w.field.ident != field.ident)
                {
                    errors.spanned(
                        alias,
                        format_args!(
                            "the alias `{}` of `{name}` is the name of `{}` on the wire, so a document would give `{name}` that field's value; choose another alias",
                            alias.value(),
                            other.field.ident.unraw()
                        ),
                    );
                }
            }
        }
        if let Some(module) = module_with(&syn_field.attrs) {
            errors.spanned(
                &module,
                format_args!(
                    "`#[serde(with = {:?})]` gives `{name}` a form of its own on the wire, which the event's contract cannot read from a module: say what it is written as with `#[schemars(with = \"Type\")]`, like `#[schemars(with = \"String\")]`",
                    module.value()
                ),
            );
        }
        for attr in syn_field
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("serde"))
        {
            // serde reports a malformed attribute itself.
            let _ = attr.parse_nested_meta(|meta| {
                // An `Option` never written reads back as `None`.
                if meta.path.is_ident("skip_serializing") && !defaulted && !is_option(field.ty) {
                    errors.spanned(
                        &meta.path,
                        format_args!(
                            "`skip_serializing` would leave `{name}` out of every document, and a document without it cannot be read back; leave it out of the event, or write `#[serde(skip)]` with a `Default` value"
                        ),
                    );
                    return Ok(());
                }
                if meta.path.is_ident("skip_deserializing") {
                    errors.spanned(
                        &meta.path,
                        format_args!(
                            "`skip_deserializing` would write `{name}` in every document and never read it back: a received event would not be the one sent, and its contract leaves `{name}` out; leave it out of the event, or write `#[serde(skip)]` with a `Default` value"
                        ),
                    );
                    return Ok(());
                }
                if meta.path.is_ident("skip_serializing_if") && !defaulted && !is_option(field.ty) {
                    errors.spanned(
                        &meta.path,
                        format_args!(
                            "`skip_serializing_if` would leave `{name}` out of a document when the condition holds, and such a document cannot be read back; add `#[serde(default)]` to the field, or make it an `Option`"
                        ),
                    );
                }
                skip_value(&meta)
            });
        }
    }
}

/// The `with = ".."` of a field's `#[serde(..)]` when it names a module
/// (its last segment in lowercase, `weight` or `chrono::serde::ts_seconds`)
/// and no `#[schemars(with = ..)]` or `schema_with` says what the field is
/// on the wire: the schema derive would take the module for a type.
pub fn module_with(attrs: &[Attribute]) -> Option<LitStr> {
    let described = attrs
        .iter()
        .filter(|a| a.path().is_ident("schemars"))
        .any(|attr| {
            let mut found = false;
            let _ = attr.parse_nested_meta(|meta| {
                found |= meta.path.is_ident("with") || meta.path.is_ident("schema_with");
                skip_value(&meta)
            });
            found
        });
    if described {
        return None;
    }
    let mut module = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("with") && meta.input.peek(Token![=]) {
                let value: LitStr = meta.value()?.parse()?;
                let last = value
                    .value()
                    .rsplit("::")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if last.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
                    module = Some(value);
                }
                return Ok(());
            }
            skip_value(&meta)
        });
    }
    module
}

/// The field's `#[serde(alias = "..")]` names.
fn field_aliases(attrs: &[Attribute]) -> Vec<LitStr> {
    let mut aliases = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("alias") && meta.input.peek(Token![=]) {
                aliases.push(meta.value()?.parse()?);
                return Ok(());
            }
            skip_value(&meta)
        });
    }
    aliases
}

/// The value of `key = ".."`, and those `key(serialize = "..",
/// deserialize = "..")` gives each direction, over all the `#[serde(..)]`
/// attributes of `attrs`.
fn one_sided(attrs: &[Attribute], key: &str) -> (Option<LitStr>, Option<LitStr>, Option<LitStr>) {
    let (mut both, mut written, mut read) = (None, None, None);
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(key) && meta.input.peek(Token![=]) {
                both = Some(meta.value()?.parse()?);
                return Ok(());
            }
            if meta.path.is_ident(key) && meta.input.peek(syn::token::Paren) {
                meta.parse_nested_meta(|inner| {
                    let value: LitStr = inner.value()?.parse()?;
                    if inner.path.is_ident("serialize") {
                        written = Some(value);
                    } else if inner.path.is_ident("deserialize") {
                        read = Some(value);
                    }
                    Ok(())
                })?;
                return Ok(());
            }
            skip_value(&meta)
        });
    }
    (both, written, read)
}

/// Two fields with one name on the wire (`id`, and `order_id` renamed
/// `id`): serde writes the name twice, and no document decodes. One error
/// at the second field; returns the second fields, whose `#[serde(..)]`
/// the expansion leaves out so that serde's derive reports nothing more.
pub fn check_wire_names<'a>(input: &'a Input<'a>, errors: &mut Errors) -> Vec<&'a Ident> {
    let mut clashing = Vec::new();
    let Some(shape) = wire_shape(input) else {
        return clashing;
    };
    for (i, wire) in shape.iter().enumerate() {
        if let Some(first) = shape[..i].iter().find(|w| w.name == wire.name) {
            clashing.push(wire.field.ident);
            errors.spanned(
                wire.field.ident,
                format_args!(
                    "`{}` is `{}` on the wire, as `{}` is: a document would hold the name twice and never decode; give one of them another `#[serde(rename = \"..\")]`",
                    wire.field.ident.unraw(),
                    wire.name,
                    first.field.ident.unraw()
                ),
            );
        }
    }
    clashing
}

/// Compares the struct with its frozen snapshot under the frozen-version
/// rule, with the checker `check_contracts!` uses: a change must be
/// compatible both ways (full). Each violation is reported at its field (or
/// the struct, for a field that is gone).
pub fn check(input: &Input, contract: &Contract, version: u32, errors: &mut Errors) {
    let Some(bytes) = &contract.snapshot else {
        return;
    };
    let shown = &contract.shown;
    let ident = input.ident();
    let new_version = format!(
        "or declare the change as a new version (`version = {}`)",
        version.saturating_add(1)
    );
    let snapshot = match json::parse(bytes) {
        Ok(value) => value,
        Err(e) => {
            errors.at(
                ident.span(),
                format_args!("the frozen contract `{shown}` is not valid JSON ({e}); restore it from version control"),
            );
            return;
        }
    };
    let Some(current) = wire_shape(input) else {
        return;
    };
    let empty = BTreeMap::new();
    let properties = snapshot
        .get("properties")
        .and_then(Json::as_object)
        .unwrap_or(&empty);
    let frozen_type = |name: &str| {
        properties
            .get(name)
            .and_then(|p| p.get("x-rust-type"))
            .and_then(Json::as_str)
    };
    // `core::option::Option<String>` is the `Option<String>` frozen.
    let same_type = |name: &str, rust_type: &str| {
        frozen_type(name).is_some_and(|frozen| last_segments(frozen) == last_segments(rust_type))
    };

    // A frozen field's `pii` mark is part of the contract: consumers learn
    // from it what personal data they hold, and redaction follows it.
    for wire in &current {
        let personal = properties
            .get(&wire.name)
            .and_then(|p| p.get("x-pii"))
            .and_then(Json::as_bool)
            == Some(true);
        if personal && wire.field.attrs.pii.is_none() {
            errors.at(
                wire.field.ident.span(),
                format_args!(
                    "`{}` is personal data (`pii`) in the frozen contract `{shown}`, and consumers rely on the contract to say so: mark it `#[event(pii)]` again",
                    wire.name
                ),
            );
        }
    }

    let added: Vec<&Wire> = current
        .iter()
        .filter(|w| !properties.contains_key(&w.name))
        .collect();
    let removed: Vec<&str> = properties
        .keys()
        .map(String::as_str)
        .filter(|name| !current.iter().any(|w| w.name == *name))
        .collect();

    // A `rename_all` that renames fields of the snapshot: one error at it,
    // naming them, rather than one per field that is gone and one per field
    // that is new.
    if let Some((rule, span)) = rename_all(&input.item.attrs) {
        let renamed: Vec<String> = current
            .iter()
            .filter_map(|w| {
                let rust_name = w.field.ident.unraw().to_string();
                (w.name != rust_name
                    && w.name == apply_rename_all(&rule, &rust_name)
                    && !properties.contains_key(&w.name)
                    && properties.contains_key(&rust_name))
                .then(|| format!("`{rust_name}` to `{}`", w.name))
            })
            .collect();
        if !renamed.is_empty() {
            errors.at(
                span,
                format_args!(
                    "`rename_all = \"{rule}\"` renames fields of the frozen contract `{shown}` on the wire ({}), and consumers still read the old names: drop `rename_all`, {new_version}",
                    list(&renamed)
                ),
            );
            return;
        }
    }

    // One field gone and one new of the same type: a rename.
    if let ([gone], [new]) = (removed.as_slice(), added.as_slice())
        && same_type(gone, &new.rust_type)
    {
        errors.at(
            new.field.ident.span(),
            format_args!(
                "`{}` renames `{gone}` of the frozen contract `{shown}`, which consumers still read: keep the old name on the wire with `#[serde(rename = \"{gone}\")]`, {new_version}",
                new.name
            ),
        );
        return;
    }

    // The struct's schema as far as the macro sees it: the snapshot's own
    // schema for fields whose type is unchanged, and the shape of the new
    // type (opaque where it names a type declared elsewhere) for the others.
    let mut new_properties = BTreeMap::new();
    for wire in &current {
        let unchanged = same_type(&wire.name, &wire.rust_type);
        let schema = match properties.get(&wire.name) {
            Some(frozen) if unchanged => {
                let mut schema = frozen.clone();
                // A required field has no default on the wire any more.
                if let (true, Json::Object(map)) = (wire.required, &mut schema) {
                    map.remove("default");
                }
                schema
            }
            _ => {
                let mut schema = shape::of(wire.field.ty);
                if let Json::Object(map) = &mut schema {
                    map.insert(
                        "x-rust-type".to_owned(),
                        Json::String(wire.rust_type.clone()),
                    );
                }
                // A type declared elsewhere (`Cents`, an alias of the
                // frozen `u64`, or a struct): its schema is not known here;
                // `check_contracts!` compares it.
                if let (Some(frozen), true) =
                    (properties.get(&wire.name), shape::has_opaque(&schema))
                {
                    frozen.clone()
                } else {
                    schema
                }
            }
        };
        new_properties.insert(wire.name.clone(), schema);
    }
    let mut new_schema = snapshot.clone();
    if let Json::Object(map) = &mut new_schema {
        let required = current
            .iter()
            .filter(|w| w.required)
            .map(|w| Json::String(w.name.clone()))
            .collect();
        map.insert("properties".to_owned(), Json::Object(new_properties));
        map.insert("required".to_owned(), Json::Array(required));
    }

    let violations = event_compat::check(&snapshot, &new_schema, Compatibility::Full);
    let mut seen = std::collections::BTreeSet::new();
    for violation in violations {
        let name = violation
            .path
            .split(['.', '['])
            .next()
            .unwrap_or_default()
            .to_owned();
        let wire = current.iter().find(|w| w.name == name);
        // One error per field: both directions, and a change of type
        // with the change of optionality it brings, are one mistake.
        if !seen.insert(name.clone()) {
            continue;
        }
        let message = match (violation.rule, wire) {
            (Rule::RequiredPropertyAdded, Some(w)) if !properties.contains_key(&w.name) => format!(
                "`{}` is new and required, but documents of the frozen contract `{shown}` lack it: make it an `Option` or give it `#[serde(default)]`, {new_version}",
                w.name
            ),
            (Rule::RequiredPropertyAdded, Some(w)) => format!(
                "`{}` was optional in the frozen contract `{shown}` and is now required: keep it optional (an `Option`, or `#[serde(default)]`), {new_version}",
                w.name
            ),
            (_, None)
                if properties.contains_key(&name) && skipped_field(input, &name).is_some() =>
            {
                format!(
                    "`{name}` of the frozen contract `{shown}` is now left out on the wire (`#[serde(skip)]`), and consumers still read it: write it again, {new_version}"
                )
            }
            (_, None) if properties.contains_key(&name) => format!(
                "field `{name}` of the frozen contract `{shown}` was removed or renamed, and consumers still read it: put it back, {new_version}"
            ),
            (_, Some(w)) if frozen_type(&w.name).is_some() && !same_type(&w.name, &w.rust_type) => {
                format!(
                    "the type of `{}` was `{}` in the frozen contract `{shown}` and is now `{}`, which {}: restore the type, {new_version}",
                    w.name,
                    frozen_type(&w.name).unwrap_or_default(),
                    w.rust_type,
                    reason(&violation)
                )
            }
            _ => format!(
                "this change breaks the frozen contract `{shown}`: {}; undo it, {new_version}",
                violation.message
            ),
        };
        match wire {
            Some(w) if violation.rule == Rule::RequiredPropertyAdded => {
                errors.at(w.field.ident.span(), message);
            }
            Some(w) => errors.spanned(w.field.ty, message),
            None => match skipped_field(input, &name) {
                Some(skipped) => errors.at(skipped.span(), message),
                None => errors.at(ident.span(), message),
            },
        }
    }
}

/// A type as written, each path cut to its last segment:
/// `core::option::Option<std::string::String>` -> `Option<String>`.
fn last_segments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            word.clear();
        } else if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            out.push_str(&word);
            word.clear();
            if !c.is_whitespace() {
                out.push(c);
            }
        }
    }
    out.push_str(&word);
    out
}

/// Why a type change breaks, for the message: which readers lose.
fn reason(violation: &event_compat::Violation) -> &'static str {
    match violation.direction {
        Direction::Backward => "cannot hold every value documents of the frozen contract carry",
        Direction::Forward => "writes values that readers of the frozen contract reject",
    }
}

/// `include_bytes!` of the snapshot, so that editing or deleting it makes
/// cargo redo this expansion.
pub fn track(contract: &Contract) -> Option<TokenStream> {
    contract.snapshot.as_ref()?;
    let path = &contract.path_expr;
    Some(quote!(
        let _: &[u8] = ::core::include_bytes!(#path);
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rename_all_rules() {
        assert_eq!(
            apply_rename_all("camelCase", "sale_price_cents"),
            "salePriceCents"
        );
        assert_eq!(
            apply_rename_all("PascalCase", "sale_price_cents"),
            "SalePriceCents"
        );
        assert_eq!(apply_rename_all("SCREAMING_SNAKE_CASE", "price"), "PRICE");
        assert_eq!(apply_rename_all("kebab-case", "sale_price"), "sale-price");
        assert_eq!(
            apply_rename_all("SCREAMING-KEBAB-CASE", "sale_price"),
            "SALE-PRICE"
        );
        assert_eq!(apply_rename_all("lowercase", "sale_price"), "sale_price");
    }

    /// What `check_folder` says of `contracts = written` in `src/events.rs`
    /// of a crate holding the folders `dirs`.
    fn folder_message(dirs: &[&str], written: &str) -> Option<String> {
        let root = std::env::temp_dir().join(format!(
            "event-derive-folder-{}-{}",
            std::process::id(),
            written.replace(['/', '.'], "_")
        ));
        for dir in dirs {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        let arg = LitStr::new(written, proc_macro2::Span::call_site());
        let mut errors = Errors::default();
        let file = root.join("src/events.rs");
        check_folder(Some(&arg), Some(&file), Some(&root), &mut errors);
        std::fs::remove_dir_all(&root).unwrap();
        let errors = errors.into_compile_errors().to_string();
        (!errors.is_empty()).then_some(errors)
    }

    #[test]
    fn a_contracts_folder_that_is_not_there_is_reported_when_one_close_is() {
        let misspelled = folder_message(&["src", "contracts"], "../contrcts").unwrap();
        assert!(
            misspelled.contains("there is no folder `../contrcts`: did you mean `../contracts`?"),
            "{misspelled}"
        );
        let from_root = folder_message(&["src", "contracts"], "contracts").unwrap();
        assert!(
            from_root.contains("did you mean `../contracts`, the crate's `contracts`?"),
            "{from_root}"
        );
        // Written right, and a folder the first freeze will create.
        assert_eq!(folder_message(&["src", "contracts"], "../contracts/"), None);
        assert_eq!(folder_message(&["src"], "../contracts"), None);
        // One digit off is another version's folder, not a slip.
        assert_eq!(
            folder_message(&["src", "schemas/v2"], "../schemas/v3"),
            None
        );
    }

    #[test]
    fn types_print_without_token_spaces() {
        let ty: Type = syn::parse_quote!(Option<Vec<u64>>);
        assert_eq!(type_text(&ty), "Option<Vec<u64>>");
        let ty: Type = syn::parse_quote!(std::collections::BTreeMap<String, [u8; 4]>);
        assert_eq!(type_text(&ty), "std::collections::BTreeMap<String,[u8;4]>");
    }

    #[test]
    fn the_struct_rename_all_is_found_among_other_serde_options() {
        let item: syn::DeriveInput = syn::parse_quote!(
            #[serde(deny_unknown_fields)]
            #[serde(default, rename_all = "camelCase", tag = "t")]
            struct S {}
        );
        let (rule, _) = rename_all(&item.attrs).expect("rename_all");
        assert_eq!(rule, "camelCase");
        let item: syn::DeriveInput = syn::parse_quote!(
            #[serde(rename_all(serialize = "UPPERCASE", deserialize = "kebab-case"))]
            struct S {}
        );
        assert_eq!(
            rename_all(&item.attrs).map(|(r, _)| r).as_deref(),
            Some("kebab-case")
        );
        let item: syn::DeriveInput = syn::parse_quote!(
            #[serde(rename = "s")]
            struct S {}
        );
        assert!(rename_all(&item.attrs).is_none());
    }

    #[test]
    fn lists_read_as_a_sentence() {
        let items = |xs: &[&str]| xs.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(list(&items(&["a"])), "a");
        assert_eq!(list(&items(&["a", "b"])), "a and b");
        assert_eq!(list(&items(&["a", "b", "c"])), "a, b and c");
    }

    #[test]
    fn paths_are_folded() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
    }
}
