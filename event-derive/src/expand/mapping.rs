//! The field accessors every event gets, and the mappings of events with
//! `maps_from`.

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{Ident, Path};

use crate::ast::{FieldSource, Input};
use crate::attr::{Kind, path_text};

/// The key a field is read by: the FNV-1a hash of its name, the same in the
/// macro of the source and in that of the target.
pub fn field_key(name: &Ident) -> Literal {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.unraw().to_string().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Literal::u64_suffixed(hash)
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

/// The span of a path's last segment: `ProductPutOnSale` in
/// `catalog::ProductPutOnSale`.
fn last_segment_span(path: &Path) -> Span {
    path.segments
        .last()
        .map_or_else(Span::call_site, |s| s.ident.span())
}

/// `Field<KEY>` for each `pub` field: its type and whether it is personal or
/// secret, for the events mapping from this one. The impls have no bodies:
/// mappings read fields directly. Integration events, which newer versions
/// upcast from, also get `Fields`, one accessor by key for all their fields.
pub fn field_impls(input: &Input, krate: &Path) -> TokenStream {
    let ident = input.ident();
    let private = quote!(#krate::__private);
    // Only `pub` fields: a trait impl may not name a less visible type
    // (E0446), and only public fields are part of what other events map from.
    let public: Vec<_> = input
        .fields
        .iter()
        .filter(|f| matches!(f.vis, syn::Visibility::Public(_)))
        .collect();
    let impls = public.iter().map(|field| {
        let ty = field.ty;
        let key = field_key(field.ident);
        let data = data_class(field);
        quote! {
            // The other fields' impls are no help when one is missing.
            #[diagnostic::do_not_recommend]
            #[automatically_derived]
            #[allow(deprecated)]
            impl #private::Field<#key> for #ident {
                type Type = #ty;
                type Data = #private::#data;
            }
        }
    });
    let accessor = (input.kind == Kind::Integration).then(|| {
        let arms = public.iter().map(|field| {
            let member = field.ident;
            let key = field_key(member);
            quote!(#key => ::core::option::Option::Some(&self.#member),)
        });
        quote! {
            #[automatically_derived]
            #[allow(deprecated)]
            impl #private::Fields for #ident {
                #[inline]
                fn field(
                    &self,
                    key: ::core::primitive::u64,
                ) -> ::core::option::Option<&dyn ::core::any::Any> {
                    match key {
                        #(#arms)*
                        _ => ::core::option::Option::None,
                    }
                }
            }
        }
    });
    quote! {
        #(#impls)*
        #accessor
    }
}

/// Reads `field` of `source` (an expression of type `&Source`) through
/// `__private::Source::event`, at `span`: a missing field is one error, with our
/// message, and a type that does not convert is reported there too.
pub fn read_field(
    private: &TokenStream,
    source: TokenStream,
    field: &Ident,
    target_data: &TokenStream,
    span: Span,
) -> TokenStream {
    let key = field_key(field);
    respan(
        quote!(#private::convert(&#private::Source(#source).event::<#key, #private::#target_data>().#field)),
        span,
    )
}

/// The data class of a field: `Secret`, `Pii` or `Plain`.
pub fn data_class(field: &crate::ast::Field) -> TokenStream {
    if field.attrs.secret.is_some() {
        quote!(Secret)
    } else if field.attrs.pii.is_some() {
        quote!(Pii)
    } else {
        quote!(Plain)
    }
}

/// The context type, `MapsFrom` and `From` impls, and the compile-time checks
/// of an event with `maps_from`.
pub fn mappings(input: &Input, krate: &Path) -> (TokenStream, TokenStream) {
    let sources = input.sources();
    if sources.is_empty() {
        return (TokenStream::new(), TokenStream::new());
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
            quote!(#docs pub #name: #ty,)
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

    let impls = sources
        .iter()
        .map(|source| mapping(input, krate, source, &context_ty, context_fields.is_empty()));
    (quote!(#context_type), quote!(#(#impls)*))
}

fn mapping(
    input: &Input,
    krate: &Path,
    source: &Path,
    context_ty: &TokenStream,
    no_context: bool,
) -> TokenStream {
    let ident = input.ident();
    let private = quote!(#krate::__private);
    let mut reads_source = false;
    let values = input
        .fields
        .iter()
        .map(|field| {
            let name = field.ident;
            let value = match field.source_for(source) {
                FieldSource::Field(from) => {
                    reads_source = true;
                    // At the field (or its `from`), where a missing,
                    // secret, undeclared personal or unconvertible source
                    // field is reported.
                    read_field(
                        &private,
                        quote!(source),
                        from,
                        &data_class(field),
                        from.span(),
                    )
                }
                FieldSource::With(function) => {
                    reads_source = true;
                    respan(quote!(#function(source)), last_segment_span(function))
                }
                FieldSource::Context => quote!(context.#name),
                FieldSource::Default(None) => quote!(::core::default::Default::default()),
                FieldSource::Default(Some(expr)) => quote!(#private::into(#expr)),
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
    let kind_check = kind_check(input, krate, source);
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
    quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl #krate::MapsFrom<#source> for #ident {
            type Context = #context_ty;
            #[inline]
            fn map_from(#source_param: &#source, #context_param) -> Self {
                #ident { #(#values)* }
            }
        }
        #from_impl
        // The source's kind: a constant, evaluated even by `cargo check`.
        #[allow(deprecated)]
        const _: () = #kind_check;
    }
}

/// An integration event maps only from domain events; a notification from
/// domain or integration events. The message names the kind it was given.
fn kind_check(input: &Input, krate: &Path, source: &Path) -> TokenStream {
    let name = path_text(source);
    let (integration, notification) = match input.kind {
        Kind::Integration => (
            Some(format!(
                "`maps_from = {name}`: `{name}` is an integration event, but an integration event maps only from domain events; map from the domain event behind `{name}`"
            )),
            format!(
                "`maps_from = {name}`: `{name}` is a notification, but an integration event maps only from domain events"
            ),
        ),
        Kind::Notification | Kind::Domain => (
            None,
            format!(
                "`maps_from = {name}`: `{name}` is a notification, but a notification maps only from domain or integration events"
            ),
        ),
    };
    let integration_arm = match integration {
        Some(message) => {
            quote!(#krate::__private::EventKind::Integration => #krate::__private::fail(#message),)
        }
        None => quote!(#krate::__private::EventKind::Integration => {}),
    };
    respan(
        quote! {
            match <#source as #krate::Event>::KIND {
                #krate::__private::EventKind::Domain => {}
                #integration_arm
                #krate::__private::EventKind::Notification => #krate::__private::fail(#notification),
            }
        },
        last_segment_span(source),
    )
}
