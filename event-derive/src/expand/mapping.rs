//! The field accessors every event gets, and the mappings of events with
//! `maps_from`.

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::{Ident, Path};

use crate::ast::{FieldSource, Input};
use crate::attr::{Kind, path_text};

/// The type a field is known by, the same in the macro of the source and in
/// that of the target: `__private::Name<C0, __private::Name<C1>>` for the
/// chunks of [`name_chunks`]. A type rather than a hash, so that two distinct
/// names never meet.
pub fn field_name_type(private: &TokenStream, name: &Ident) -> TokenStream {
    name_chunks(&name.unraw().to_string())
        .into_iter()
        .rev()
        .fold(None, |rest, chunk| {
            let chunk = Literal::u128_unsuffixed(chunk);
            Some(match rest {
                None => quote!(#private::Name<#chunk>),
                Some(rest) => quote!(#private::Name<#chunk, #rest>),
            })
        })
        .unwrap_or_else(|| quote!(#private::Name<0>))
}

/// The UTF-8 bytes of `name`, sixteen to a chunk, first byte highest, the
/// last chunk padded with zero bytes. The chunks determine the name: no
/// identifier contains a zero byte, so the padding is never part of a name.
pub fn name_chunks(name: &str) -> Vec<u128> {
    name.as_bytes()
        .chunks(16)
        .map(|chunk| {
            let mut bytes = [0; 16];
            bytes[..chunk.len()].copy_from_slice(chunk);
            u128::from_be_bytes(bytes)
        })
        .collect()
}

/// A field's name as the checks of mappings know it.
pub fn field_name(name: &Ident) -> String {
    name.unraw().to_string()
}

/// Puts every token of `tokens` at `span`, so that whatever the compiler
/// reports about the generated code (a missing field, a failed conversion, a
/// const check) points at the user's token, not at the attribute.
pub fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

/// The number types, by name.
const NUMBERS: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64",
];

/// `default = value` as a value of the field's type `ty`: converted with
/// `Into`, except a number without a suffix for a number field (or an
/// `Option` of one), which takes the field's type itself; through `Into`,
/// `default = 100` on a `u64` would be an `i32`, which does not convert.
/// Another literal for an `Option` field is converted into what the option
/// holds.
pub fn default_value(expr: &TokenStream, ty: &syn::Type, span: Span) -> TokenStream {
    // Reported by `check_default_literals`; the value meant, so that
    // nothing more is.
    if other_kind_for_a_number(expr, ty).is_some() {
        return quote_spanned!(span=> ::core::default::Default::default());
    }
    let meant = string_meant_as_value(expr, ty).map(|(_, value)| value);
    let expr = meant.as_ref().unwrap_or(expr);
    if let Some(numbers) = bare_number(expr) {
        if number_type(ty, numbers) {
            return quote_spanned!(span=> #expr);
        }
        if let Some(inner) = option_of(ty)
            && number_type(inner, numbers)
        {
            return quote_spanned!(span=> ::core::option::Option::Some(#expr));
        }
    }
    // `default = "EUR"` on an `Option<String>`: the value inside it (an
    // `Option` converts only from the very type it holds, not from `&str`).
    let literal = matches!(
        expr.clone().into_iter().collect::<Vec<_>>().as_slice(),
        [TokenTree::Literal(_)]
    );
    if literal && option_of(ty).is_some() {
        return quote_spanned!(span=> ::core::option::Option::Some(::core::convert::Into::into(#expr)));
    }
    quote_spanned!(span=> ::core::convert::Into::into(#expr))
}

/// A `default = "1"` written as a string on a number or `bool` field (or
/// an `Option` of one): the string literal and the value it was meant to be
/// (`1`), which the mapping then uses, so that the one error is the macro's.
fn string_meant_as_value(expr: &TokenStream, ty: &syn::Type) -> Option<(syn::LitStr, TokenStream)> {
    let trees: Vec<TokenTree> = expr.clone().into_iter().collect();
    let [TokenTree::Literal(literal)] = trees.as_slice() else {
        return None;
    };
    let Ok(syn::Lit::Str(text)) =
        syn::parse2::<syn::Lit>(TokenTree::Literal(literal.clone()).into())
    else {
        return None;
    };
    let ty = option_of(ty).unwrap_or(ty);
    let value = text.value().trim().to_owned();
    let fits = if number_type(ty, NUMBERS) {
        value.parse::<f64>().is_ok()
    } else {
        number_type(ty, &["bool"]) && matches!(value.as_str(), "true" | "false")
    };
    let tokens: TokenStream = value.parse().ok().filter(|_| fits)?;
    Some((text, respan(tokens, literal.span())))
}

/// Each `default = "1"` of [`string_meant_as_value`]: one error at the
/// literal, with the value to write.
pub fn check_default_literals(input: &Input, errors: &mut crate::errors::Errors) {
    for field in &input.fields {
        let Some(Some(expr)) = field.attrs.default.as_ref().map(|d| &d.value) else {
            continue;
        };
        if let Some((span, kind)) = other_kind_for_a_number(expr, field.ty) {
            errors.at(
                span,
                format_args!(
                    "`default = {}` is a {kind}, and `{}` holds `{}`: write a number, like `default = 0`",
                    expr,
                    field.ident.unraw(),
                    crate::contract::type_text(field.ty),
                ),
            );
            continue;
        }
        if let Some((text, value)) = string_meant_as_value(expr, field.ty) {
            errors.spanned(
                &text,
                format_args!(
                    "`default = {:?}` is a string, and `{}` holds `{}`: write the value itself, `default = {value}`",
                    text.value(),
                    field.ident.unraw(),
                    crate::contract::type_text(field.ty),
                ),
            );
        }
    }
}

/// A `bool` or `char` literal given to a number field (or an `Option` of
/// one), which `Into` would turn into `0`, `1` or the character's code: the
/// literal's span and what it is.
fn other_kind_for_a_number(expr: &TokenStream, ty: &syn::Type) -> Option<(Span, &'static str)> {
    if !number_type(option_of(ty).unwrap_or(ty), NUMBERS) {
        return None;
    }
    let trees: Vec<TokenTree> = expr.clone().into_iter().collect();
    match trees.as_slice() {
        [TokenTree::Ident(word)] if word == "true" || word == "false" => {
            Some((word.span(), "`bool`"))
        }
        [TokenTree::Literal(literal)] if literal.to_string().starts_with('\'') => {
            Some((literal.span(), "`char`"))
        }
        _ => None,
    }
}

/// The types a number literal without a suffix can be: the integers for
/// `100` or `-1` (an `f64` field takes it through `Into`), the floats for
/// `2.5`.
fn bare_number(expr: &TokenStream) -> Option<&'static [&'static str]> {
    const INTEGERS: &[&str] = &[
        "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    ];
    const FLOATS: &[&str] = &["f32", "f64"];
    let trees: Vec<TokenTree> = expr.clone().into_iter().collect();
    let literal = match trees.as_slice() {
        [TokenTree::Literal(literal)] => literal,
        [TokenTree::Punct(minus), TokenTree::Literal(literal)] if minus.as_char() == '-' => literal,
        _ => return None,
    };
    match syn::parse2::<syn::Lit>(TokenTree::Literal(literal.clone()).into()) {
        Ok(syn::Lit::Int(int)) if int.suffix().is_empty() => Some(INTEGERS),
        Ok(syn::Lit::Float(float)) if float.suffix().is_empty() => Some(FLOATS),
        _ => None,
    }
}

/// Whether `ty` is one of the primitive number types `numbers`.
fn number_type(ty: &syn::Type, numbers: &[&str]) -> bool {
    matches!(ty, syn::Type::Path(path) if path.qself.is_none()
        && path.path.segments.len() == 1
        && numbers.iter().any(|n| path.path.segments[0].ident == n))
}

/// `T` of `Option<T>`.
fn option_of(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => {
            match args.args.first()? {
                syn::GenericArgument::Type(inner) => Some(inner),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The span of a path's last segment: `ProductPutOnSale` in
/// `catalog::ProductPutOnSale`.
fn last_segment_span(path: &Path) -> Span {
    path.segments
        .last()
        .map_or_else(Span::call_site, |s| s.ident.span())
}

/// Who can read a field: `Pub`, `Crate` or `Private` (`pub(super)`,
/// `pub(in ..)` and private fields, which a mapping elsewhere cannot be
/// known to see).
fn reach(vis: &syn::Visibility) -> &'static str {
    match vis {
        syn::Visibility::Public(_) => "Pub",
        syn::Visibility::Restricted(r) if r.in_token.is_none() && r.path.is_ident("crate") => {
            "Crate"
        }
        syn::Visibility::Restricted(r) if r.in_token.is_none() && r.path.is_ident("super") => {
            "Super"
        }
        // Private, `pub(self)`, and `pub(in path)`, taken as narrowly: the
        // declaring module.
        _ => "Module",
    }
}

/// The code of a field's data class and reach in the field table
/// (`__private::FieldInfo::coded`): the class (plain, pii, secret) times 4
/// plus the reach (pub, crate, super, module).
fn code(field: &crate::ast::Field) -> u8 {
    let data = if field.attrs.secret.is_some() {
        2
    } else if field.attrs.pii.is_some() {
        1
    } else {
        0
    };
    let reach = match reach(field.vis) {
        "Pub" => 0,
        "Crate" => 1,
        "Super" => 2,
        _ => 3,
    };
    data * 4 + reach
}

/// The field table every event gets (each field's name, data class and
/// visibility, for the compile-time checks of the events mapping or
/// upcasting from it), and `Field<Name, Type>` for each field of a domain
/// or integration event, which those events read it through where the
/// field's visibility lets them (the checks see to it).
pub fn field_impls(input: &Input, krate: &Path, annotations: Option<TokenStream>) -> TokenStream {
    let ident = input.ident();
    let private = quote!(#krate::__private);
    let serde = crate::contract::field_serde(input);
    let infos = input.fields.iter().enumerate().map(|(i, field)| {
        let name = field_name(field.ident);
        let code = Literal::u8_unsuffixed(code(field));
        let key = name_key(&name);
        // A field renamed on the wire, so that a target field named after
        // the wire is pointed to it.
        match serde.get(i).and_then(|s| s.rename.as_deref()) {
            Some(wire) if wire != name => {
                quote!(#private::FieldInfo::coded(#name, #code, #key).on_wire(#wire),)
            }
            _ => quote!(#private::FieldInfo::coded(#name, #code, #key),),
        }
    });
    let schema = annotations.map(|entries| {
        quote!(const SCHEMA: &'static [(&'static ::core::primitive::str, &'static ::core::primitive::str, u8)] = &[#entries];)
    });
    // A notification is never read from: no event maps or upcasts from one.
    let readable = input.kind != Kind::Notification;
    let impls = input.fields.iter().filter(|_| readable).map(|field| {
        let ty = field.ty;
        let member = field.ident;
        let name = field_name_type(&private, field.ident);
        quote! {
            #[automatically_derived]
            #[allow(deprecated)]
            impl #private::Field<#name, #ty> for #ident {
                #[inline(always)]
                fn get(&self) -> &#ty {
                    &self.#member
                }
            }
        }
    });
    quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl #private::FieldTable for #ident {
            const FIELDS: &'static [#private::FieldInfo] = &[#(#infos)*];
            const MODULE: &'static ::core::primitive::str = ::core::module_path!();
            #schema
        }
        #(#impls)*
    }
}

/// The key of a field's name for the compile-time checks
/// (`__private::key`): the first chunk of its `Name`.
pub fn name_key(name: &str) -> Literal {
    Literal::u128_unsuffixed(name_chunks(name).first().copied().unwrap_or(0))
}

/// Reads `field` of `source` (an expression of type `&Source`, the event
/// `source_ty`) into a value of type `target_ty`, converted with `Into`, at
/// `span`. A field the source lacks is no error here: the check of
/// [`source_check`] reports it; a type that does not convert is reported by
/// the conversion, at `span`. Needs `Unreadable` in scope.
pub fn read_field(
    private: &TokenStream,
    source: TokenStream,
    source_ty: &Path,
    field: &Ident,
    target_ty: &syn::Type,
    span: Span,
) -> TokenStream {
    // Everything at `span` but the types, which keep their own: a type that
    // does not resolve is reported once, where it is written (at
    // `maps_from`, at the field's type), not again at each field.
    let name = respan(field_name_type(private, field), span);
    let private = respan(private.clone(), span);
    // The local `source` keeps the call site's name resolution, where it
    // is bound: an event declared by a `macro_rules!` whose field names come
    // from its caller would look for it in the caller's scope.
    quote_spanned! {span=>
        ::core::convert::Into::into(::core::clone::Clone::clone(
            #private::Probe::<#source_ty, #name, #target_ty, _>::NEW.read(#source)
        ))
    }
}

/// The check of what a mapping reads from its source for `field`, a
/// constant of its own in the mapping's block ([`mapping_checks`]) placed
/// at `span` (a call in that block for an event that upcasts): it fails
/// with a message in the user's words when the source event has no such
/// field, cannot show it, or it is `secret`, or `pii` and the target field
/// is not.
fn source_check(
    private: &TokenStream,
    field: &crate::ast::Field,
    from: &Ident,
    span: Span,
    upcasts: bool,
) -> TokenStream {
    let from_name = field_name(from);
    let from_key = name_key(&from_name);
    let target = field_name(field.ident);
    let explicit = !std::ptr::eq(from, field.ident);
    let into_pii = field.attrs.pii.is_some();
    // The call at the field; the local `mapping` resolved where it is
    // bound (see `read_field`).
    let private = respan(private.clone(), span);
    let args = respan(
        quote!(#from_name, #from_key, #target, #explicit, #into_pii),
        span,
    );
    let mapping = Ident::new("MAPPING", Span::call_site());
    // A constant of its own, so that each field's mistake is reported, not
    // only the first. (Not for an event that upcasts too, whose checks of
    // the older version follow: a `from` meant for the older version is one
    // mistake, reported here, and must not also fail there.)
    if upcasts {
        quote_spanned!(span=> #private::Mapping::field(#mapping, #args);)
    } else {
        quote_spanned!(span=> const _: () = #private::Mapping::field(#mapping, #args);)
    }
}

/// The checks of a mapping, a block of the event's check constant: the
/// source's kind, at the source in `maps_from`, then each field read, at the
/// field.
fn mapping_checks(
    input: &Input,
    krate: &Path,
    source: &Path,
    fields: &[TokenStream],
) -> TokenStream {
    let private = quote!(#krate::__private);
    let source_name = path_text(source);
    let target_event = input.ident().unraw().to_string();
    let older = input
        .args
        .upcast_from
        .as_ref()
        .map(path_text)
        .unwrap_or_default();
    let from_key = if input.sources().len() > 1 {
        format!("from({source_name})")
    } else {
        "from".to_owned()
    };
    let kind = match input.kind {
        Kind::Integration => quote!(Integration),
        Kind::Notification => quote!(Notification),
        Kind::Domain => quote!(Domain),
    };
    // At the source's name, where a source that is no event is reported;
    // the path itself keeps its spans, so that one that does not resolve is
    // reported once, where it is written.
    let at_source = last_segment_span(source);
    let private_at = respan(private.clone(), at_source);
    let mapping = Ident::new("MAPPING", Span::call_site());
    let kind_check = quote_spanned! {at_source=>
        #private_at::Mapping::kind(#mapping, #private_at::KindOf::<#source>::KIND, #private_at::EventKind::#kind);
    };
    quote! {
        {
            use #private::{NoKind as _, NoTable as _};
            const MAPPING: #private::Mapping = #private::Mapping {
                fields: #private::Table::<#source>::FIELDS,
                source_module: #private::Table::<#source>::MODULE,
                module: ::core::module_path!(),
                source: #source_name,
                target: #target_event,
                from_key: #from_key,
                older: #older,
            };
            #kind_check
            #(#fields)*
        }
    }
}

/// The context type, `MapsFrom` and `From` impls, and the compile-time checks
/// (statements of the event's one check constant) of an event with
/// `maps_from`.
pub fn mappings(input: &Input, krate: &Path) -> (TokenStream, TokenStream, TokenStream) {
    let sources = input.sources();
    if sources.is_empty() {
        return (TokenStream::new(), TokenStream::new(), TokenStream::new());
    }
    let ident = input.ident();
    let context_fields: Vec<_> = input
        .fields
        .iter()
        .filter(|f| f.attrs.context.is_some())
        .collect();
    let context_ident = format_ident!("{}Context", ident.unraw());

    let context_type = (!context_fields.is_empty()).then(|| {
        let vis = &input.item.vis;
        let doc = format!(
            "The values [`{}`] needs beyond its source events, supplied by an enrichment step.",
            ident.unraw()
        );
        let fields = context_fields.iter().map(|f| {
            let name = f.ident;
            let ty = f.ty;
            let docs = if f.docs.is_empty() {
                let doc = format!("The value of [`{}::{}`].", ident.unraw(), name.unraw());
                quote!(#[doc = #doc])
            } else {
                let docs = &f.docs;
                quote!(#(#docs)*)
            };
            // The field's own visibility where it is restricted
            // (`pub(crate)`, so that a crate-private type stays in the
            // crate), `pub` otherwise, so that the enrichment step can fill
            // it in; at the field's start, so that the whole field is the
            // user's: a derive's error about its type lands where the
            // event's own derive puts the same error, and shows once.
            let vis = match f.vis {
                syn::Visibility::Restricted(_) => f.vis.to_token_stream(),
                syn::Visibility::Inherited => quote_spanned!(name.span()=> pub),
                vis => {
                    let start = vis
                        .to_token_stream()
                        .into_iter()
                        .next()
                        .map_or_else(|| name.span(), |t| t.span());
                    quote_spanned!(start=> pub)
                }
            };
            quote!(#docs #vis #name: #ty,)
        });
        quote! {
            #[doc = #doc]
            #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
            #vis struct #context_ident {
                #(#fields)*
            }
        }
    });
    let context_ty = if context_fields.is_empty() {
        quote!(())
    } else {
        quote!(#context_ident)
    };

    let (impls, checks): (Vec<_>, Vec<_>) = sources
        .iter()
        .map(|source| mapping(input, krate, source, &context_ty, context_fields.is_empty()))
        .unzip();
    (
        quote!(#context_type),
        quote!(#(#impls)*),
        quote!(#(#checks)*),
    )
}

/// The `MapsFrom` (and `From`) impl of one source, and its checks.
fn mapping(
    input: &Input,
    krate: &Path,
    source: &Path,
    context_ty: &TokenStream,
    no_context: bool,
) -> (TokenStream, TokenStream) {
    let ident = input.ident();
    let private = quote!(#krate::__private);
    let mut reads_source = false;
    let mut reads_fields = false;
    let mut checks = Vec::new();
    let values = input
        .fields
        .iter()
        .map(|field| {
            let name = field.ident;
            let value = match field.source_for(source, input.sources()) {
                _ if field.is_broken(input.sources(), input.args.upcast_from.as_ref()) => {
                    quote!(#private::unset())
                }
                FieldSource::Field(from) => {
                    reads_source = true;
                    reads_fields = true;
                    // At the field (or its `from`), where a missing,
                    // secret, undeclared personal or unconvertible source
                    // field is reported.
                    checks.push(source_check(
                        &private,
                        field,
                        from,
                        from.span(),
                        input.args.upcast_from.is_some(),
                    ));
                    read_field(
                        &private,
                        quote!(source),
                        source,
                        from,
                        field.ty,
                        from.span(),
                    )
                }
                // Converted with `Into`, as `from` and `default = value` are.
                FieldSource::With(function) => {
                    reads_source = true;
                    respan(
                        quote!(::core::convert::Into::into(#function(source))),
                        last_segment_span(function),
                    )
                }
                FieldSource::Context => quote!(context.#name),
                // At `default`, where a type without `Default` is reported.
                FieldSource::Default(span, None) => {
                    quote_spanned!(span=> ::core::default::Default::default())
                }
                FieldSource::Default(_, Some(expr)) => {
                    let span = expr
                        .clone()
                        .into_iter()
                        .next()
                        .map_or_else(Span::call_site, |t| t.span());
                    default_value(expr, field.ty, span)
                }
            };
            quote!(#name: #value,)
        })
        .collect::<Vec<_>>();
    let source_param = if reads_source {
        quote!(source)
    } else {
        quote!(_source)
    };
    let context_param = if no_context {
        quote!(_: Self::Context)
    } else {
        quote!(context: Self::Context)
    };
    let probe = reads_fields.then(|| {
        quote! {
            #[allow(unused_imports)]
            use #private::Unreadable as _;
        }
    });
    let checks = mapping_checks(input, krate, source, &checks);
    let from_impl = no_context.then(|| {
        quote! {
            #[automatically_derived]
            #[allow(deprecated)]
            impl ::core::convert::From<&#source> for #ident {
                #[inline]
                fn from(source: &#source) -> Self {
                    <Self as #krate::MapsFrom<#source>>::map_from(source, ())
                }
            }
        }
    });
    let impls = quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl #krate::MapsFrom<#source> for #ident {
            type Context = #context_ty;
            #[inline]
            fn map_from(#source_param: &#source, #context_param) -> Self {
                #probe
                #ident { #(#values)* }
            }
        }
        #from_impl
    };
    (impls, checks)
}

/// The check that no field of an integration event or notification holds a
/// domain event (`customer: CustomerRegistered`, `Vec<OrderPlaced>`), a
/// statement of the event's check constant per type that could be one, at
/// that type. Types of the standard library and the common data crates are
/// passed over, which leaves most fields without a check.
pub fn held_checks(input: &Input, krate: &Path) -> TokenStream {
    if input.kind == Kind::Domain {
        return TokenStream::new();
    }
    let private = quote!(#krate::__private);
    let kind = match input.kind {
        Kind::Notification => quote!(Notification),
        _ => quote!(Integration),
    };
    let mut checks = Vec::new();
    for field in &input.fields {
        let mut held = Vec::new();
        user_types(field.ty, &mut held);
        let name = field_name(field.ident);
        for ty in held {
            let text = crate::contract::type_text(&syn::Type::Path(ty.clone()));
            let private_at = respan(private.clone(), last_segment_span(&ty.path));
            checks.push(respan(
                quote! {
                    #private_at::holds_no_domain_event(
                        #private_at::KindOf::<#ty>::KIND,
                        #name,
                        #text,
                        #private_at::EventKind::#kind,
                    );
                },
                last_segment_span(&ty.path),
            ));
        }
    }
    if checks.is_empty() {
        return TokenStream::new();
    }
    quote! {
        {
            use #private::NoKind as _;
            #(#checks)*
        }
    }
}

/// The types in `ty` that could be events: paths other than the standard
/// library's and the common data crates' types, inside type arguments too.
fn user_types<'t>(ty: &'t syn::Type, found: &mut Vec<&'t syn::TypePath>) {
    const DATA: &[&str] = &[
        "Arc",
        "BTreeMap",
        "BTreeSet",
        "BigDecimal",
        "Box",
        "Bytes",
        "CStr",
        "CString",
        "Cow",
        "Date",
        "DateTime",
        "Decimal",
        "Duration",
        "HashMap",
        "HashSet",
        "IndexMap",
        "IndexSet",
        "Instant",
        "IpAddr",
        "Ipv4Addr",
        "Ipv6Addr",
        "NaiveDate",
        "NaiveDateTime",
        "NaiveTime",
        "NonZeroU32",
        "NonZeroU64",
        "OffsetDateTime",
        "Option",
        "OsStr",
        "OsString",
        "Path",
        "PathBuf",
        "PhantomData",
        "PrimitiveDateTime",
        "Result",
        "Self",
        "SmallVec",
        "SocketAddr",
        "String",
        "SystemTime",
        "Time",
        "Timestamp",
        "Url",
        "Utc",
        "Uuid",
        "Value",
        "Vec",
        "VecDeque",
        "bool",
        "char",
        "f32",
        "f64",
        "i128",
        "i16",
        "i32",
        "i64",
        "i8",
        "isize",
        "str",
        "u128",
        "u16",
        "u32",
        "u64",
        "u8",
        "usize",
    ];
    match ty {
        syn::Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return;
            };
            if !DATA.iter().any(|name| last.ident == name) {
                found.push(path);
            }
            for segment in &path.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                    for arg in &args.args {
                        if let syn::GenericArgument::Type(ty) = arg {
                            user_types(ty, found);
                        }
                    }
                }
            }
        }
        syn::Type::Array(array) => user_types(&array.elem, found),
        syn::Type::Slice(slice) => user_types(&slice.elem, found),
        syn::Type::Tuple(tuple) => tuple.elems.iter().for_each(|ty| user_types(ty, found)),
        syn::Type::Paren(paren) => user_types(&paren.elem, found),
        syn::Type::Group(group) => user_types(&group.elem, found),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::Span;
    use quote::quote;
    use syn::Ident;

    use super::{field_impls, field_name, field_name_type, name_chunks};
    use crate::ast::Input;
    use crate::attr::{Kind, MacroArgs};
    use crate::errors::Errors;

    /// 64-bit FNV-1a, the hash fields were once told apart by.
    fn fnv1a(name: &str) -> u64 {
        name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    fn name_type(name: &str) -> String {
        let ident: Ident = syn::parse_str(name).expect("an identifier");
        field_name_type(&quote!(p), &ident).to_string()
    }

    #[test]
    fn a_name_is_its_bytes_sixteen_to_a_chunk() {
        assert_eq!(name_chunks("id"), [0x6964 << 112]);
        assert_eq!(
            name_chunks("abcdefghijklmnop"),
            [u128::from_be_bytes(*b"abcdefghijklmnop")]
        );
        assert_eq!(
            name_chunks("abcdefghijklmnopq"),
            [u128::from_be_bytes(*b"abcdefghijklmnop"), 0x71 << 120]
        );
        assert_eq!(
            name_type("id"),
            format!("p :: Name < {} >", 0x6964_u128 << 112)
        );
        assert_eq!(
            name_type("abcdefghijklmnopq"),
            format!(
                "p :: Name < {} , p :: Name < {} > >",
                u128::from_be_bytes(*b"abcdefghijklmnop"),
                0x71_u128 << 120
            )
        );
    }

    #[test]
    fn names_with_the_same_hash_are_distinct() {
        // A pair found by a birthday search over 64-bit FNV-1a.
        let (a, b) = ("fme1ud34ijaouo", "fkrn00qm52ag0p");
        assert_eq!(fnv1a(a), fnv1a(b));
        assert_ne!(name_type(a), name_type(b));
    }

    #[test]
    fn distinct_names_are_distinct_types() {
        let mut names = vec![
            "a".to_owned(),
            "b".to_owned(),
            "ab".to_owned(),
            "ba".to_owned(),
            "a_".to_owned(),
            "größe".to_owned(),
            "grösse".to_owned(),
        ];
        // Names around the chunk boundary, and ones that only differ past it.
        for len in 14..=34 {
            names.push("x".repeat(len));
            names.push(format!("{}y", "x".repeat(len)));
            names.push(format!("y{}", "x".repeat(len)));
        }
        let types: std::collections::BTreeSet<_> = names.iter().map(|n| name_type(n)).collect();
        assert_eq!(types.len(), names.len());
    }

    #[test]
    fn a_raw_identifier_is_its_plain_name() {
        let raw = Ident::new_raw("type", Span::call_site());
        let plain = Ident::new("type", Span::call_site());
        assert_eq!(field_name(&raw), "type");
        assert_eq!(field_name(&raw), field_name(&plain));
        assert_eq!(
            field_name_type(&quote!(p), &raw).to_string(),
            field_name_type(&quote!(p), &plain).to_string()
        );
        assert_eq!(
            field_name_type(&quote!(p), &raw).to_string(),
            format!(
                "p :: Name < {} >",
                u128::from_be_bytes(*b"type\0\0\0\0\0\0\0\0\0\0\0\0")
            )
        );
        assert_eq!(name_type("r#kind"), name_type("kind"));
    }

    #[test]
    fn the_table_lists_every_field_with_its_reach_and_each_field_has_a_reader() {
        let item: syn::DeriveInput = syn::parse_quote!(
            pub struct PriceSet {
                pub product_id: String,
                pub(crate) price_cents: u32,
                pub(super) currency: String,
                #[event(secret)]
                cost_cents: u32,
            }
        );
        let mut errors = Errors::default();
        let args = MacroArgs::parse(Kind::Domain, quote!(), &mut errors);
        let input = Input::from_syn(Kind::Domain, args, &item, &mut errors).expect("an event");
        let out = field_impls(&input, &syn::parse_quote!(::event_core), None).to_string();
        for (name, code) in [
            ("product_id", 0),
            ("price_cents", 1),
            ("currency", 2),
            ("cost_cents", 11),
        ] {
            let info = format!(
                "FieldInfo :: coded (\"{name}\" , {code} , {})",
                super::name_key(name)
            );
            assert!(out.contains(&info), "{name}: {out}");
        }
        let readers = |member: &str| out.matches(&format!("& self . {member}")).count();
        assert_eq!(readers("product_id"), 1, "{out}");
        assert_eq!(readers("price_cents"), 1, "{out}");
        // Where the reach lets a mapping read them, the checks decide.
        assert_eq!(readers("currency"), 1, "{out}");
        assert_eq!(readers("cost_cents"), 1, "{out}");
    }

    #[test]
    fn a_notification_has_a_table_but_no_readers() {
        let item: syn::DeriveInput = syn::parse_quote!(
            pub struct PriceSetNotification {
                pub product_id: String,
                pub price_cents: u32,
            }
        );
        let mut errors = Errors::default();
        let args = MacroArgs::parse(Kind::Notification, quote!(), &mut errors);
        let input =
            Input::from_syn(Kind::Notification, args, &item, &mut errors).expect("an event");
        let out = field_impls(&input, &syn::parse_quote!(::event_core), None).to_string();
        assert!(out.contains("FieldInfo :: coded (\"product_id\""), "{out}");
        assert!(!out.contains("& self ."), "{out}");
    }
}
