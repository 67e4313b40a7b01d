//! The user's struct as it is emitted: derives added, `#[event]` helpers
//! stripped, schema annotations on personal fields.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Attribute, Data, DeriveInput, Path, parse_quote};

use crate::ast::Input;
use crate::attr::{is_event_attr, path_text};

/// The item with every `#[event(..)]` removed, as the fallback emits it.
pub fn stripped(item: &DeriveInput) -> TokenStream {
    let mut item = item.clone();
    strip(&mut item);
    item.into_token_stream()
}

fn strip(item: &mut DeriveInput) {
    item.attrs.retain(|a| !is_event_attr(a));
    let fields: Vec<&mut syn::Field> = match &mut item.data {
        Data::Struct(data) => data.fields.iter_mut().collect(),
        Data::Enum(data) => data
            .variants
            .iter_mut()
            .flat_map(|v| v.fields.iter_mut())
            .collect(),
        Data::Union(data) => data.fields.named.iter_mut().collect(),
    };
    for field in fields {
        field.attrs.retain(|a| !is_event_attr(a));
    }
}

pub fn emit(input: &Input, krate: &Path) -> TokenStream {
    let mut item = input.item.clone();
    strip(&mut item);

    if let Data::Struct(data) = &mut item.data {
        for (field, model) in data.fields.iter_mut().zip(&input.fields) {
            // The type as written, so that a frozen contract can tell a
            // changed type even where the JSON type is the same (u32, u64).
            let rust_type = crate::contract::type_text(model.ty);
            field
                .attrs
                .push(parse_quote!(#[schemars(extend("x-rust-type" = #rust_type))]));
            if model.attrs.pii.is_some() {
                field
                    .attrs
                    .push(parse_quote!(#[schemars(extend("x-pii" = true))]));
            }
            if model.attrs.secret.is_some() {
                field
                    .attrs
                    .push(parse_quote!(#[schemars(extend("x-secret" = true))]));
            }
        }
    }

    let derived = &input.derived;
    let private = quote!(#krate::__private);
    let mut derives: Vec<TokenStream> = Vec::new();
    if !derived.serialize {
        derives.push(quote!(#private::serde::Serialize));
    }
    if !derived.deserialize {
        derives.push(quote!(#private::serde::Deserialize));
    }
    if !derived.json_schema {
        derives.push(quote!(#private::schemars::JsonSchema));
    }
    // A struct with `secret` fields gets a hand-written, redacting `Debug`.
    if derived.debug.is_none() && !input.fields.iter().any(|f| f.attrs.secret.is_some()) {
        derives.push(quote!(::core::fmt::Debug));
    }
    if !derived.clone {
        derives.push(quote!(::core::clone::Clone));
    }
    if !derived.partial_eq {
        derives.push(quote!(::core::cmp::PartialEq));
    }

    let mut attrs: Vec<Attribute> = Vec::with_capacity(item.attrs.len() + 3);
    if !derives.is_empty() {
        attrs.push(parse_quote!(#[derive(#(#derives),*)]));
    }
    attrs.append(&mut item.attrs);
    // The crate paths go after the user's attributes: a helper attribute
    // placed before the user's own `#[derive(Serialize)]` would be a
    // `legacy_derive_helpers` warning.
    let serde_path = format!("{}::__private::serde", path_text(krate));
    let schemars_path = format!("{}::__private::schemars", path_text(krate));
    attrs.push(parse_quote!(#[serde(crate = #serde_path)]));
    attrs.push(parse_quote!(#[schemars(crate = #schemars_path)]));
    item.attrs = attrs;
    item.into_token_stream()
}
