//! The field accessors every event gets, and the mappings of events with
//! `maps_from`.

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
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

/// The name a field is found by at run time, in `__private::Fields`.
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

/// The span of a path's last segment: `ProductPutOnSale` in
/// `catalog::ProductPutOnSale`.
fn last_segment_span(path: &Path) -> Span {
    path.segments
        .last()
        .map_or_else(Span::call_site, |s| s.ident.span())
}

/// `Field<Name>` for each `pub` field: its type and whether it is personal
/// or secret, for the events mapping from this one. The impls have no
/// bodies: mappings read fields directly. Integration events, which newer
/// versions upcast from, also get `Fields`, one accessor by name for all
/// their fields.
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
        let name = field_name_type(&private, field.ident);
        let data = data_class(field);
        quote! {
            #[automatically_derived]
            #[allow(deprecated)]
            impl #private::Field<#name> for #ident {
                type Type = #ty;
                type Data = #private::#data;
            }
        }
    });
    let accessor = (input.kind == Kind::Integration).then(|| {
        let arms = public.iter().map(|field| {
            let member = field.ident;
            let name = field_name(member);
            quote!(#name => ::core::option::Option::Some(&self.#member),)
        });
        quote! {
            #[automatically_derived]
            #[allow(deprecated)]
            impl #private::Fields for #ident {
                #[inline]
                fn field(
                    &self,
                    name: &::core::primitive::str,
                ) -> ::core::option::Option<&dyn ::core::any::Any> {
                    match name {
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

/// Reads `field` of `source` (an expression of type `&Source`, the event
/// `source_ty`) through `__private::Source::event`, at `span`: a missing field
/// is one error, with our message, and a type that does not convert is
/// reported there too. Needs the probe's traits in scope
/// ([`probe_traits`]).
pub fn read_field(
    private: &TokenStream,
    source: TokenStream,
    source_ty: &Path,
    field: &Ident,
    target_data: &TokenStream,
    span: Span,
) -> TokenStream {
    let name = field_name_type(private, field);
    respan(
        quote!(#private::convert(&#private::Source::new(#source).event::<#private::#target_data, _>((&&&#private::Probe::<#source_ty, #name>::NEW).class()).#field)),
        span,
    )
}

/// Brings the methods of the field probe into scope, for [`read_field`].
pub fn probe_traits(private: &TokenStream) -> TokenStream {
    quote! {
        // Only one of them is used where every field is found, or none is.
        #[allow(unused_imports)]
        use #private::{FieldFound as _, FieldMissing as _, SourceNotAnEvent as _};
    }
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
    let mut reads_fields = false;
    let values = input
        .fields
        .iter()
        .map(|field| {
            let name = field.ident;
            let value = match field.source_for(source) {
                _ if field.is_broken(input.sources()) => quote!(#private::unset()),
                FieldSource::Field(from) => {
                    reads_source = true;
                    reads_fields = true;
                    // At the field (or its `from`), where a missing,
                    // secret, undeclared personal or unconvertible source
                    // field is reported.
                    read_field(
                        &private,
                        quote!(source),
                        source,
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
    let probe = reads_fields.then(|| probe_traits(&private));
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
                #probe
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

#[cfg(test)]
mod tests {
    use proc_macro2::Span;
    use quote::quote;
    use syn::Ident;

    use super::{field_name, field_name_type, name_chunks};

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
}
