//! The user's struct as it is emitted: derives added, `#[event]` helpers
//! stripped, schema annotations on personal fields.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Ident, Path, parse_quote};

use crate::ast::Input;
use crate::attr::{
    bare_option, conditional_event, is_event_attr, misspelled_event, packed, path_text,
};

/// The item with every `#[event(..)]` removed, as the fallback emits it.
pub fn stripped(item: &DeriveInput) -> TokenStream {
    let mut item = item.clone();
    strip(&mut item);
    item.into_token_stream()
}

fn strip(item: &mut DeriveInput) {
    // `#[repr(packed)]` is an error; without it nothing else is reported.
    item.attrs
        .retain(|a| !is_event_attr(a) && packed(a).is_none());
    // So are serde's conversions of the whole struct through another type:
    // without them serde's derive needs no conversion the user may not
    // have written.
    for attr in &mut item.attrs {
        without_conversions(attr);
    }
    let fields: Vec<&mut syn::Field> = match &mut item.data {
        Data::Struct(data) => data.fields.iter_mut().collect(),
        Data::Enum(data) => data
            .variants
            .iter_mut()
            .flat_map(|v| v.fields.iter_mut())
            .collect(),
        Data::Union(data) => data.fields.named.iter_mut().collect(),
    };
    // A `#[cfg]` on a field, or an `#[event]` inside `#[cfg_attr]`, is an
    // error; the field stays and the helper goes, so that the expansion
    // agrees with the struct and nothing else is reported.
    for field in fields {
        field.attrs.retain(|a| {
            !is_event_attr(a)
                && !misspelled_event(a)
                && bare_option(a).is_none()
                && !a.path().is_ident("cfg")
                && conditional_event(a).is_none()
                && crate::attr::conditional_serde(a).is_none()
        });
    }
}

/// The options of a `#[serde(..)]`, when each is a path, a list or
/// `name = value`.
fn serde_options(attr: &Attribute) -> Option<Punctuated<syn::Meta, syn::Token![,]>> {
    if !attr.path().is_ident("serde") {
        return None;
    }
    attr.parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
        .ok()
}

/// `attr` without `into`, `from` and `try_from` when it is a `#[serde(..)]`
/// that gives one of them.
fn without_conversions(attr: &mut Attribute) {
    let Some(metas) = serde_options(attr) else {
        return;
    };
    let conversion = |meta: &syn::Meta| {
        matches!(meta, syn::Meta::NameValue(value)
            if ["into", "from", "try_from"].iter().any(|key| value.path.is_ident(key)))
    };
    if !metas.iter().any(conversion) {
        return;
    }
    let kept = metas.into_iter().filter(|meta| !conversion(meta));
    *attr = parse_quote!(#[serde(#(#kept),*)]);
}

/// Whether a `#[tool(..)]` of `attrs` gives `crate = ".."`.
fn names_crate(attrs: &[Attribute], tool: &str) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident(tool))
        .any(|attr| {
            let mut found = false;
            // The derive reports a malformed attribute; here it names no crate.
            let _ = attr.parse_nested_meta(|meta| {
                found |= meta.path.is_ident("crate");
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::Expr>()?;
                } else if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                    meta.input.parse::<proc_macro2::Group>()?;
                }
                Ok(())
            });
            found
        })
}

/// serde's name for `field` under the container's `rename_all` rule
/// (`None` without one), as serde's derive spells it; `None` for a rule it
/// does not know, or a field name that is not ASCII.
fn wire_name(rule: Option<&str>, field: &str) -> Option<String> {
    if !field.is_ascii() {
        return None;
    }
    let pascal = || {
        let mut out = String::with_capacity(field.len());
        let mut capitalize = true;
        for c in field.chars() {
            if c == '_' {
                capitalize = true;
            } else if capitalize {
                out.push(c.to_ascii_uppercase());
                capitalize = false;
            } else {
                out.push(c);
            }
        }
        out
    };
    Some(match rule {
        None | Some("lowercase" | "snake_case") => field.to_owned(),
        Some("UPPERCASE" | "SCREAMING_SNAKE_CASE") => field.to_ascii_uppercase(),
        Some("PascalCase") => pascal(),
        Some("camelCase") => {
            let pascal = pascal();
            let mut chars = pascal.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_lowercase().to_string() + chars.as_str()
            })
        }
        Some("kebab-case") => field.replace('_', "-"),
        Some("SCREAMING-KEBAB-CASE") => field.to_ascii_uppercase().replace('_', "-"),
        Some(_) => return None,
    })
}

/// The container's `rename_all` rule (`Some(None)` without one), when the
/// container attributes leave the schema an object whose properties are
/// the fields under that rule; `None` otherwise (a `tag`, `transparent`,
/// `from`, a rule per direction, the user's own `#[schemars(..)]`).
fn plain_container(attrs: &[Attribute]) -> Option<Option<String>> {
    let mut rule = None;
    for attr in attrs {
        if attr.path().is_ident("schemars") {
            return None;
        }
        if !attr.path().is_ident("serde") {
            continue;
        }
        let mut plain = true;
        let read = attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string);
            match key.as_deref() {
                Some("rename_all") if meta.input.peek(syn::Token![=]) => {
                    let value: syn::LitStr = meta.value()?.parse()?;
                    rule = Some(value.value());
                }
                Some("deny_unknown_fields") => {}
                Some("default" | "rename" | "bound" | "crate" | "expecting")
                    if meta.input.peek(syn::Token![=]) =>
                {
                    meta.value()?.parse::<syn::Expr>()?;
                }
                Some("default") => {}
                _ => plain = false,
            }
            Ok(())
        });
        if read.is_err() || !plain {
            return None;
        }
    }
    Some(rule)
}

/// The struct, and the entries of its schema annotations table
/// (`FieldTable::SCHEMA`) when it has one. The fields `clashing` on the
/// wire with another, reported already, go out without their
/// `#[serde(..)]`.
pub fn emit(
    input: &Input,
    krate: &Path,
    clashing: &[&Ident],
) -> (TokenStream, Option<TokenStream>) {
    let mut item = input.item.clone();
    strip(&mut item);
    if let Data::Struct(data) = &mut item.data {
        for (at, field) in data.fields.iter_mut().enumerate() {
            if field
                .ident
                .as_ref()
                .is_some_and(|ident| clashing.contains(&ident))
            {
                field.attrs.retain(|attr| !attr.path().is_ident("serde"));
                // A name of its own, which no field has on the wire (it
                // holds a space): under the struct's `rename_all` the field
                // would clash again, and serde's derive would warn of the
                // clash the error already reports.
                let unique = format!(
                    "{} {at}",
                    field
                        .ident
                        .as_ref()
                        .map_or(String::new(), |i| i.unraw().to_string())
                );
                field.attrs.push(parse_quote!(#[serde(rename = #unique)]));
            }
        }
    }
    let private = quote!(#krate::__private);

    // The fields' schema annotations: one transform of the struct's schema
    // for the fields whose property name is known here, which leaves the
    // schema derive one call to write; `extend` on the others.
    let container = plain_container(&item.attrs);
    let mut annotations = Vec::new();
    if let Data::Struct(data) = &mut item.data {
        for (field, model) in data.fields.iter_mut().zip(&input.fields) {
            // The type as written, so that a frozen contract can tell a
            // changed type even where the JSON type is the same (u32, u64).
            let rust_type = crate::contract::type_text(model.ty);
            // A `with` module, reported: any schema, so that the schema
            // derive does not take the module for a type.
            if crate::contract::module_with(&field.attrs).is_some() {
                let any = format!("{}::__private::any_schema", path_text(krate));
                field
                    .attrs
                    .push(parse_quote!(#[schemars(schema_with = #any)]));
            }
            let own_attrs = field
                .attrs
                .iter()
                .any(|a| a.path().is_ident("serde") || a.path().is_ident("schemars"));
            let name = container
                .as_ref()
                .filter(|_| !own_attrs)
                .and_then(|rule| wire_name(rule.as_deref(), &model.ident.unraw().to_string()));
            if let Some(name) = name {
                let code = u8::from(model.attrs.pii.is_some())
                    | u8::from(model.attrs.secret.is_some()) << 1;
                annotations.push(quote!((#name, #rust_type, #code),));
                continue;
            }
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
    let mut derives: Vec<TokenStream> = Vec::new();
    let plain_serde = plain_serde(input, &item);
    if !derived.serialize && !plain_serde {
        derives.push(quote!(#krate::serde::Serialize));
    }
    if !derived.deserialize && !plain_serde {
        derives.push(quote!(#krate::serde::Deserialize));
    }
    let own_serde =
        plain_serde.then(|| own_serde(&item, &private, !derived.serialize, !derived.deserialize));
    if !derived.json_schema {
        derives.push(quote!(#krate::schemars::JsonSchema));
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
    let default = own_default(&mut item);
    attrs.append(&mut item.attrs);
    // The crate paths go after the user's attributes: a helper attribute
    // placed before the user's own `#[derive(Serialize)]` would be a
    // `legacy_derive_helpers` warning.
    // The public paths: a diagnostic of a derive names the path it was
    // derived through.
    // A `crate = ".."` of the user's own (copied from their other types) is
    // kept instead: the derive takes one.
    let serde_path = format!("{}::serde", path_text(krate));
    let schemars_path = format!("{}::schemars", path_text(krate));
    if !names_crate(&attrs, "serde") {
        attrs.push(parse_quote!(#[serde(crate = #serde_path)]));
    }
    if !names_crate(&attrs, "schemars") {
        attrs.push(parse_quote!(#[schemars(crate = #schemars_path)]));
    }
    let annotations = (!annotations.is_empty()).then(|| {
        // A path: the schema derive reads only simple expressions. `Self`,
        // not the struct's name, which would be one more use of a
        // `#[deprecated]` version in code without `allow(deprecated)`.
        attrs.push(parse_quote!(#[schemars(transform = #private::annotate::<Self>)]));
        quote!(#(#annotations)*)
    });
    item.attrs = attrs;
    let mut tokens = item.into_token_stream();
    tokens.extend(default);
    tokens.extend(own_serde);
    (tokens, annotations)
}

/// The most fields of a struct the runtime's generic writer and reader
/// take (the longest tuple they are implemented for).
const MOST_FIELDS: usize = 32;

/// Whether serde's derive would write and read `item` the plain way (named
/// fields, as many as the runtime's generic writer and reader take, no
/// serde attributes, no generics), so that [`own_serde`] does the same.
fn plain_serde(input: &Input, item: &DeriveInput) -> bool {
    let Data::Struct(data) = &item.data else {
        return false;
    };
    let syn::Fields::Named(named) = &data.fields else {
        return false;
    };
    // A `cfg_attr` may hold a serde attribute.
    let serde = |attrs: &[Attribute]| {
        attrs
            .iter()
            .any(|a| a.path().is_ident("serde") || a.path().is_ident("cfg_attr"))
    };
    let own_fields = match &input.item.data {
        Data::Struct(data) => data.fields.iter().any(|f| serde(&f.attrs)),
        _ => true,
    };
    (1..=MOST_FIELDS).contains(&named.named.len())
        && item.generics.params.is_empty()
        && item.generics.where_clause.is_none()
        && !serde(&input.item.attrs)
        && !own_fields
        && !named.named.iter().any(|f| serde(&f.attrs))
}

/// The `Serialize` and `Deserialize` impls (those asked for) of a struct
/// that [`plain_serde`] accepts: one call each of the runtime's generic
/// writer and reader, where the derive writes a field enum, two visitors
/// and their methods for each struct.
fn own_serde(
    item: &DeriveInput,
    private: &TokenStream,
    serialize: bool,
    deserialize: bool,
) -> TokenStream {
    let fields: Vec<&syn::Field> = match &item.data {
        Data::Struct(data) => data.fields.iter().collect(),
        _ => Vec::new(),
    };
    let name = &item.ident;
    let name_text = name.unraw().to_string();
    let idents: Vec<&Ident> = fields.iter().filter_map(|f| f.ident.as_ref()).collect();
    let wire = idents.iter().map(|i| i.unraw().to_string());
    let fields_module = quote!(#private::fields);
    // Each field's check, spanned at its type: a type without the trait is
    // one error there, in serde's words, and its writer or reader one that
    // never runs.
    let check = |trait_name: TokenStream, method: TokenStream| {
        let checks = fields.iter().map(move |f| {
            let ty = &f.ty;
            quote::quote_spanned! {ty.span()=>
                let _ = <#ty as #trait_name>::#method;
            }
        });
        quote!(#(#checks)*)
    };
    let serialize = serialize.then(|| {
        let checks = check(quote!(#private::serde::Serialize), quote!(serialize::<__S>));
        quote! {
            #[automatically_derived]
            #[allow(deprecated)]
            impl #private::serde::Serialize for #name {
                fn serialize<__S: #private::serde::Serializer>(
                    &self,
                    __serializer: __S,
                ) -> ::core::result::Result<__S::Ok, __S::Error> {
                    #checks
                    #[allow(unused_imports)]
                    use #fields_module::Unwritable as _;
                    #fields_module::write(
                        __serializer,
                        &__EVENT_CORE_SHAPE,
                        (#(#fields_module::Out(&self.#idents).writer(),)*),
                    )
                }
            }
        }
    });
    let deserialize = deserialize.then(|| {
        let checks = check(
            quote!(#private::serde::Deserialize<'de>),
            quote!(deserialize::<__D>),
        );
        let readers = fields
            .iter()
            .map(|f| &f.ty)
            .map(|ty| quote!(#fields_module::Pick::<'de, #ty>::NEW.reader()));
        let locals: Vec<Ident> = (0..fields.len())
            .map(|i| Ident::new(&format!("__field{i}"), proc_macro2::Span::mixed_site()))
            .collect();
        quote! {
            #[automatically_derived]
            #[allow(deprecated)]
            impl<'de> #private::serde::Deserialize<'de> for #name {
                fn deserialize<__D: #private::serde::Deserializer<'de>>(
                    __deserializer: __D,
                ) -> ::core::result::Result<Self, __D::Error> {
                    #checks
                    #[allow(unused_imports)]
                    use #fields_module::Unreadable as _;
                    let (#(#locals,)*) = #fields_module::read(
                        __deserializer,
                        &__EVENT_CORE_SHAPE,
                        (#(#readers,)*),
                    )?;
                    ::core::result::Result::Ok(#name { #(#idents: #locals),* })
                }
            }
        }
    });
    quote! {
        const _: () = {
            const __EVENT_CORE_SHAPE: #fields_module::Shape = #fields_module::Shape {
                name: #name_text,
                fields: &[#(#wire),*],
            };
            #serialize
            #deserialize
        };
    }
}

/// Turns a bare `#[serde(default)]` on the struct into a call of a function
/// of its own that calls `Default::default()`, and returns that function.
/// Without a `Default` impl serde's derive puts the bound on its impls,
/// which then do not exist and every use of the event fails too; the call
/// fails once, at `default`, saying to derive or write `Default`.
fn own_default(item: &mut DeriveInput) -> Option<TokenStream> {
    // A free function, which serde's impls can name without naming the
    // struct (a use of it, when it is `#[deprecated]`).
    let function = Ident::new(
        &format!("__event_core_default_of_{}", item.ident.unraw()),
        item.ident.span(),
    );
    let mut span = None;
    for attr in &mut item.attrs {
        let Some(mut metas) = serde_options(attr) else {
            continue;
        };
        let mut changed = false;
        for meta in &mut metas {
            if let syn::Meta::Path(path) = meta
                && path.is_ident("default")
                && span.is_none()
            {
                let at = path.segments[0].ident.span();
                let name = syn::LitStr::new(&function.to_string(), at);
                *meta = parse_quote!(default = #name);
                span = Some(at);
                changed = true;
            }
        }
        if changed {
            *attr = parse_quote!(#[serde(#metas)]);
        }
    }
    let span = span?;
    let name = &item.ident;
    let (_, type_generics, _) = item.generics.split_for_impl();
    // Spanned at `default`, the struct's name too, where the error is.
    let at_default = Ident::new(&name.to_string(), span);
    let call = quote::quote_spanned!(span=> <#at_default #type_generics as ::core::default::Default>::default());
    Some(quote! {
        #[doc(hidden)]
        #[allow(deprecated, non_snake_case, dead_code)]
        fn #function() -> #name #type_generics {
            #call
        }
    })
}
