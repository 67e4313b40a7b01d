//! Decoding older versions of an integration event, and the conversion from
//! the previous version.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Path;

use super::mapping::{field_name, field_name_type, respan};
use crate::ast::Input;
use crate::attr::{Kind, path_text};
use crate::contract::{is_option, optional_fields};
use crate::valid::Resolved;

/// The `decode_version` override of an event with `upcast_from`: older
/// versions go to the previous version's decoder and are converted with
/// `From<Older>`. Events without `upcast_from` keep the trait's provided
/// method, which costs nothing unless called.
pub fn decoder(input: &Input, krate: &Path) -> Option<TokenStream> {
    let older = input.args.upcast_from.as_ref()?;
    let private = quote!(#krate::__private);
    // With `upcast = "manual"`, a missing `From<Older>` is reported at
    // `"manual"`.
    // The whole conversion, so that the call that needs it is reported
    // there too, as the same one error.
    let mut convert = quote!(#private::upcast_envelope(
        older,
        #private::OlderOf::<#older>::SCHEMA_ID,
        <Self as ::core::convert::From<#older>>::from
    ));
    if let Some(manual) = &input.args.upcast_manual {
        convert = respan(convert, manual.span());
    }
    Some(quote! {
        // Inline, so that the typed decode path is compiled only for events
        // something actually decodes.
        #[inline]
        fn decode_version(
            bytes: &[u8],
            version: u32,
        ) -> ::core::result::Result<#private::Envelope<Self>, #private::DecodeError> {
            if version == <Self as #krate::Event>::VERSION {
                return #private::decode::<Self>(bytes);
            }
            // An older version that is no integration event is reported by
            // the check of `upcast_from`, not again here.
            #[allow(unused_imports)]
            use #private::NoOlder as _;
            #private::OlderOf::<#older>::decode_version(bytes, version)
                .map(|older| #convert)
        }
    })
}

/// The conversion from the previous version, and the checks (statements of
/// the event's check constant) that it is one and that the conversion's
/// fields are there.
pub fn emit(input: &Input, resolved: &Resolved, krate: &Path) -> (TokenStream, TokenStream) {
    if input.kind != Kind::Integration {
        return (TokenStream::new(), TokenStream::new());
    }
    let Some(older) = &input.args.upcast_from else {
        return (TokenStream::new(), TokenStream::new());
    };
    let check = older_version_check(krate, older, resolved);
    let (conversion, field_checks) = if input.args.upcast_manual.is_none() {
        conversion(input, krate, resolved, older)
    } else {
        (TokenStream::new(), TokenStream::new())
    };
    (conversion, quote!(#check #field_checks))
}

/// `From<Older>`: fields the older version has are converted with `Into`;
/// fields new in this version must be optional and start empty (or at their
/// default). A new required field fails to compile at the field, by a
/// constant check: its value must come from a hand-written conversion
/// (`upcast = "manual"`).
fn conversion(
    input: &Input,
    krate: &Path,
    resolved: &Resolved,
    older: &Path,
) -> (TokenStream, TokenStream) {
    let private = quote!(#krate::__private);
    let ident = input.ident();
    let optional = optional_fields(input);
    let older_name = path_text(older);
    // A `maps_from` that did not parse still owns the mapping keys.
    let maps_from =
        !input.sources().is_empty() || input.args.failed.iter().any(|k| k == "maps_from");
    let mut checks = Vec::new();
    let serde = crate::contract::field_serde(input);
    let fields = input.fields.iter().zip(optional).zip(serde).map(|((field, optional), serde)| {
        let name = field.ident;
        let ty = field.ty;
        // The older version's field: its own name, or `from = field`.
        let source = field.upcast_source(older, maps_from);
        let renamed = source != name;
        // Everything at the field (or its `from`) but the types, which keep
        // their own spans: an `upcast_from` or a field type that does not
        // resolve is reported once, where it is written, not again at each
        // field.
        let span = source.span();
        // The local `older` resolved where it is bound (see
        // `mapping::read_field`).
        let older_local = Ident::new("older", Span::call_site());
        let at = |tokens: TokenStream| respan(tokens, span);
        let private = at(private.clone());
        let name_type = at(field_name_type(&private, source));
        let probe = quote_spanned!(span=> #private::Probe::<#older, #name_type, #ty, _>::NEW);
        // `default` gives the value where the older version has none.
        let default = field.attrs.default.as_ref().map(|default| match &default.value {
            None => quote_spanned!(default.key.span()=> ::core::default::Default::default()),
            Some(expr) => {
                let span = expr.clone().into_iter().next().map_or(span, |t| t.span());
                super::mapping::default_value(expr, ty, span)
            }
        });
        // Versions of one event carry the same data: a field personal in
        // the older version stays marked (checked below), and integration
        // events have no secrets. At the field, where an older value that
        // does not convert is reported.
        // A key an upcast cannot use (`context`, `with`, reported by the
        // checks of the keys) or a wrong option: the value is left to that
        // error, so nothing more is reported about the field.
        let a = &field.attrs;
        let unusable = !maps_from
            && (a.context.is_some() || a.with.is_some() || !a.with_source.is_empty());
        if field.is_broken(input.sources(), Some(older)) || unusable {
            return quote!(#name: #private::unset(),);
        }
        let has_fallback = optional || default.is_some();
        // A field the older version must have: one it is read from by
        // name (`from = field`), or a required one with no fallback.
        if renamed || !has_fallback {
            let field_name = field_name(source);
            let missing = if renamed {
                format!(
                    "`from = {field_name}`: `{older_name}`, the version `{}` upcasts from, has no field `{field_name}`",
                    super::mapping::field_name(name)
                )
            } else {
                // `#[serde(rename = "id")] order_id`: the wire name may be
                // the older version's field.
                let wire = serde.rename.as_ref().filter(|wire| **wire != field_name && syn::parse_str::<Ident>(wire).is_ok()).map_or_else(String::new, |wire| {
                    format!(" (on the wire it is `{wire}`: if that is the older field, write `#[event(from = {wire})]`)")
                });
                // A `context` field takes neither `default` nor `from`.
                let fixes = if a.context.is_some() {
                    "make it an `Option`, give it `#[serde(default)]`"
                } else {
                    "make it an `Option`, give it `#[event(default)]` or `#[serde(default)]`, name the older field it comes from with `#[event(from = field)]`"
                };
                format!(
                    "`{field_name}` is new in version {} and required, and `{older_name}`, the version it upcasts from, has no such field, so an upcast event would have no value for it{wire}; {fixes}, or write the conversion yourself with `upcast = \"manual\"`",
                    resolved.version
                )
            };
            let hidden = format!(
                "the field `{field_name}` of `{older_name}` cannot be seen where version {} is declared, so it cannot be upcast; make it `pub` (or declare both versions in one module)",
                resolved.version
            );
            let key = super::mapping::name_key(&field_name);
            let texts = at(quote!(#field_name, #key, #missing, #hidden, #renamed));
            // The item at the attribute, the check at the field, where its
            // failure is reported.
            let check = quote_spanned! {span=>
                #private::check_older_field(
                    #private::Table::<#older>::FIELDS,
                    #private::Table::<#older>::MODULE,
                    ::core::module_path!(),
                    #texts
                )
            };
            checks.push(quote! {
                {
                    use #private::NoTable as _;
                    #check;
                }
            });
        }
        // A `default` is for an older version without the field; one that
        // has it gives its value, and the default would never be used
        // (unless the event maps from other events too, which it serves).
        if let Some(default) = field.attrs.default.as_ref().filter(|_| !maps_from && !renamed) {
            let field_name = field_name(source);
            let key = super::mapping::name_key(&field_name);
            let message = format!(
                "`default` has no effect: `{older_name}`, the version this one upcasts from, has `{field_name}`, whose value the upcast keeps; remove `default` (`#[serde(default)]` fills documents that lack the field)"
            );
            let at_default = default.key.span();
            let texts = respan(quote!(#field_name, #key, #message), at_default);
            let private = respan(private.clone(), at_default);
            let check = quote_spanned! {at_default=>
                #private::check_older_lacks(#private::Table::<#older>::FIELDS, #texts)
            };
            checks.push(quote! {
                {
                    use #private::NoTable as _;
                    #check;
                }
            });
        }
        // Personal data stays declared from one version to the next.
        if field.attrs.pii.is_none() {
            let field_name = field_name(source);
            let key = super::mapping::name_key(&field_name);
            let message = format!(
                "`{field_name}` is personal data (`pii`) in `{older_name}`, the version this one upcasts from; mark `{}` with `#[event(pii)]` too, so that the contract goes on declaring it",
                super::mapping::field_name(name)
            );
            let texts = at(quote!(#field_name, #key, #message));
            let check = quote_spanned! {span=>
                #private::check_older_pii(#private::Table::<#older>::FIELDS, #texts)
            };
            checks.push(quote! {
                {
                    use #private::NoTable as _;
                    #check;
                }
            });
        }
        let value = if has_fallback {
            // serde's `default = "path"`, as serde fills a document that
            // lacks the field.
            let empty = default.unwrap_or_else(|| if let Some(function) = &serde.default_fn {
                quote_spanned!(span=> #function())
            } else if is_option(field.ty) {
                quote_spanned!(span=> ::core::option::Option::None)
            } else {
                quote_spanned!(span=> ::core::default::Default::default())
            });
            quote_spanned!(span=> match #probe.older(&#older_local) {
                ::core::option::Option::Some(value) => ::core::convert::Into::into(::core::clone::Clone::clone(value)),
                ::core::option::Option::None => #empty,
            })
        } else {
            quote_spanned!(span=> ::core::convert::Into::into(::core::clone::Clone::clone(#probe.read(&#older_local))))
        };
        quote!(#name: #value,)
    }).collect::<Vec<_>>();
    let conversion = quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl ::core::convert::From<#older> for #ident {
            fn from(older: #older) -> Self {
                #[allow(unused_imports)]
                use #private::Unreadable as _;
                #ident { #(#fields)* }
            }
        }
    };
    (conversion, quote!(#(#checks)*))
}

/// `upcast_from` names an older version of the same type.
fn older_version_check(krate: &Path, older: &Path, resolved: &Resolved) -> TokenStream {
    let name = path_text(older);
    let other_type = format!(
        "`upcast_from = {name}`: `{name}` is another event type; upcast from an older version of `{}`",
        resolved.type_name
    );
    let not_older = format!(
        "`upcast_from = {name}`: `{name}` is not older than version {}; name the version before it",
        resolved.version
    );
    let span = older
        .segments
        .last()
        .map_or_else(proc_macro2::Span::call_site, |s| s.ident.span());
    let type_name = &resolved.type_name;
    let version = resolved.version;
    respan(
        quote! {
            {
                use #krate::__private::{NoKind as _, NoOlder as _};
                #krate::__private::check_older_version(
                    #krate::__private::KindOf::<#older>::KIND,
                    #krate::__private::OlderOf::<#older>::TYPE_NAME,
                    #krate::__private::OlderOf::<#older>::VERSION,
                    #type_name,
                    #version,
                    #name,
                    #other_type,
                    #not_older,
                );
            }
        },
        span,
    )
}
