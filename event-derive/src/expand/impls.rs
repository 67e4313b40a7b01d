//! The trait impls, the registration and the compile-time checks of an event.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::{Ident, Path};

use crate::ast::Input;
use crate::attr::Kind;
use crate::contract::{self, Contract};
use crate::valid::{Resolved, SCHEMA_BASE_ENV};

/// The event's trait impls and registration, and the statement of its
/// check constant that no earlier event declares its type.
pub fn emit(
    input: &Input,
    resolved: &Resolved,
    krate: &Path,
    contract: Option<&Contract>,
) -> (TokenStream, TokenStream) {
    let ident = input.ident();
    let Resolved {
        type_name,
        version,
        full_type,
        schema_id,
        ..
    } = resolved;
    let (kind_variant, kind_trait) = match input.kind {
        Kind::Domain => (quote!(Domain), quote!(DomainEvent)),
        Kind::Integration => (quote!(Integration), quote!(IntegrationEvent)),
        Kind::Notification => (quote!(Notification), quote!(NotificationEvent)),
    };
    let rust_name = ident.unraw().to_string();
    let debug = redacting_debug(input, krate);
    let (unique, unique_check) = uniqueness_guard(input, resolved, krate);
    let generic_warning = resolved.generic_name.as_ref().map(|note| {
        // A deprecated constant used at the struct's name: a real warning on
        // stable Rust, pointing where the fix goes. The constant takes the
        // event's own name (a struct with named fields is a type only, so the
        // value namespace has room for it), and the warning names what the
        // user wrote: "use of deprecated constant `ProductUpdated`: ...".
        let name = ident.unraw().to_string();
        let shadow = Ident::new(&name, Span::call_site());
        let used = Ident::new(&name, ident.span());
        let use_site = quote_spanned!(ident.span()=> let _ = #used;);
        quote! {
            #[deprecated(note = #note)]
            #[allow(non_upper_case_globals, dead_code)]
            #[doc(hidden)]
            const #shadow: () = ();
            const _: () = {
                #use_site
            };
        }
    });
    // Reading the variable in the generated code makes cargo rebuild the
    // crate, and so redo this expansion, when it changes.
    let track_env = resolved
        .base_from_env
        .then(|| quote!(let _ = ::core::option_env!(#SCHEMA_BASE_ENV);));
    // The domain verbs of the build decide a domain event's naming rules.
    let track_verbs = (input.kind == Kind::Domain).then(|| {
        let verbs_env = crate::naming::VERBS_ENV;
        quote!(let _ = ::core::option_env!(#verbs_env);)
    });

    let upcast_decoder = super::upcast::decoder(input, krate);
    let with_contract = contract.map(|contract| {
        let path = &contract.path_expr;
        let compat = match input
            .args
            .compat
            .as_ref()
            .map(syn::LitStr::value)
            .as_deref()
        {
            Some("forward") => quote!(Forward),
            Some("full") => quote!(Full),
            Some("backward-transitive") => quote!(BackwardTransitive),
            Some("forward-transitive") => quote!(ForwardTransitive),
            Some("full-transitive") => quote!(FullTransitive),
            Some("none") => quote!(None),
            _ => quote!(Backward),
        };
        quote!(.with_contract(#path, #krate::compat::Compatibility::#compat))
    });
    let track_contract = contract.and_then(contract::track);
    // The package, for `check_contracts!()` in any crate of it; read by
    // `env!` only where cargo set the variables for this expansion.
    let in_package = (std::env::var_os("CARGO_PKG_NAME").is_some()
        && std::env::var_os("CARGO_MANIFEST_DIR").is_some())
    .then(|| {
        quote!(.in_package(
            ::core::env!("CARGO_PKG_NAME"),
            ::core::env!("CARGO_MANIFEST_DIR"),
        ))
    });

    // What the catalog shows of the event's links: the events it maps from
    // and the version it upcasts from. A source that is no event is `None`
    // here, its error being the mapping check's.
    let sources = input.sources();
    let mapping_from = (!sources.is_empty()).then(|| {
        quote!(.mapping_from({
            #[allow(unused_imports)]
            use #krate::__private::NoRef as _;
            const SOURCES: &[::core::option::Option<#krate::registry::EventRef>] =
                &[#(#krate::__private::RefOf::<#sources>::REF),*];
            SOURCES
        }))
    });
    let upcasting_from = (input.kind == Kind::Integration)
        .then_some(input.args.upcast_from.as_ref())
        .flatten()
        .map(|older| {
            quote!(.upcasting_from({
                #[allow(unused_imports)]
                use #krate::__private::NoRef as _;
                #krate::__private::RefOf::<#older>::REF
            }))
        });

    // Each item allows `deprecated` itself, so that an old version marked
    // `#[deprecated]` does not make its own generated code warn.
    let items = quote! {
        #unique
        #generic_warning

        // Not offered as an example of an event when some other type is
        // not one: the note names the macros instead.
        #[automatically_derived]
        #[allow(deprecated)]
        #[diagnostic::do_not_recommend]
        impl #krate::Event for #ident {
            const TYPE_NAME: &'static str = #type_name;
            const VERSION: u32 = #version;
            const KIND: #krate::EventKind = #krate::EventKind::#kind_variant;
            const FULL_TYPE: &'static str = #full_type;
            const SCHEMA_ID: &'static str = #schema_id;
        }

        #[automatically_derived]
        #[allow(deprecated)]
        impl #krate::#kind_trait for #ident {
            #upcast_decoder
        }

        #debug

        // The files and variables the expansion read are read here too, so
        // that cargo rebuilds when they change; no item of their own.
        #krate::__private::inventory::submit! {{
            #[allow(deprecated)]
            let descriptor = #krate::__private::EventDescriptor::of::<#ident>(
                ::core::module_path!(),
                #rust_name,
            ) #in_package #with_contract #mapping_from #upcasting_from;
            #track_contract
            #track_env
            #track_verbs
            descriptor
        }}
    };
    (items, unique_check)
}

/// `Debug` that shows `secret` fields as `"<redacted>"`; only for events that
/// have one (the others derive `Debug`).
fn redacting_debug(input: &Input, krate: &Path) -> Option<TokenStream> {
    if input.derived.debug.is_some() || input.fields.iter().all(|f| f.attrs.secret.is_none()) {
        return None;
    }
    let ident = input.ident();
    let name = ident.unraw().to_string();
    let fields = input.fields.iter().map(|f| {
        let member = f.ident;
        let label = member.unraw().to_string();
        if f.attrs.secret.is_some() {
            quote!(.field(#label, &#krate::__private::REDACTED))
        } else {
            quote!(.field(#label, &self.#member))
        }
    });
    Some(quote! {
        #[automatically_derived]
        #[allow(deprecated)]
        impl ::core::fmt::Debug for #ident {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#name) #(#fields)* .finish()
            }
        }
    })
}

/// A hash of the names of the declaration's fields, which tells two
/// structs of one name apart (FNV-1a: stable from build to build, unlike
/// std's hasher).
fn declaration_hash(input: &Input) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for field in &input.fields {
        for byte in field.ident.to_string().bytes().chain([b',']) {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    hash
}

/// The check that no earlier event of this module (or of a module around
/// it, before it) declares the same kind, type name and version, reported
/// at this event's name in one sentence that names both events.
///
/// Each event invokes the macro named after its type
/// (`integration_event_type_product_updated_v1`) and then defines it. The
/// invocation finds, by `macro_rules!` scoping, the definition of an earlier
/// event of the type, which defines a constant holding that event's name;
/// without one it finds the fallback glob-imported from the event's own
/// hidden module, which defines the constant empty. A constant check at the
/// event's name fails when it is not; returned apart, as a statement of the
/// event's check constant.
fn uniqueness_guard(
    input: &Input,
    resolved: &Resolved,
    krate: &Path,
) -> (TokenStream, TokenStream) {
    let kind = input.kind.as_str();
    let mut encoded = String::new();
    // A valid type name is ASCII letters, digits and dots, which map one to
    // one; anything else (in an invalid `name = ".."`, reported elsewhere)
    // is spelled out, so the name is always a valid identifier.
    for c in resolved.type_name.chars() {
        match c {
            '.' => encoded.push('_'),
            c if c.is_ascii_alphanumeric() => encoded.push(c.to_ascii_lowercase()),
            c => {
                let _ =
                    std::fmt::Write::write_fmt(&mut encoded, format_args!("_x{:x}_", u32::from(c)));
            }
        }
    }
    let ident = input.ident();
    let key = Ident::new(
        &format!("{kind}_event_type_{encoded}_v{}", resolved.version),
        Span::call_site(),
    );
    let module = Ident::new(
        &format!(
            "{}_event_type_fallback_{:x}",
            ident.unraw(),
            declaration_hash(input)
        ),
        Span::call_site(),
    );
    let name = ident.unraw().to_string();
    let earlier = Ident::new(
        &format!("{name}_event_type_declared_before"),
        Span::call_site(),
    );
    let message_start = format!(
        "`{name}` declares the {kind} event type `{type_name}` version {version}, which `",
        type_name = resolved.type_name,
        version = resolved.version
    );
    let message_end = "` declares already; give one of them another `name = \"..\"` or `version`";
    let dollar = proc_macro2::Punct::new('$', proc_macro2::Spacing::Alone);
    // At this event's name, where a duplicate is reported. The constant
    // lives in the check's block, and the fallback's module is named after
    // the declaration too, so that two structs of one name in a module
    // (rustc's own error) do not also clash on them.
    let report = super::mapping::respan(
        quote! {
            #krate::__private::check_first_of_type(#earlier, #message_start, #message_end);
        },
        ident.span(),
    );
    // The report goes through the macro with the constant it reads, so that
    // an invocation rustc cannot resolve (an unknown attribute above the
    // event stalls resolution) leaves no use of the constant behind.
    let check = quote! {
        #key! { #earlier { #report } }
    };
    let items = quote! {
        #[doc(hidden)]
        #[allow(non_snake_case)]
        mod #module {
            #[allow(unused_imports)]
            pub(super) use #krate::__private::no_earlier_event_of_this_type as #key;
        }
        #[allow(unused_imports)]
        use #module::*;
        #[allow(unused_macros)]
        macro_rules! #key {
            (#dollar earlier:ident { #dollar (#dollar report:tt)* }) => {
                #[allow(non_upper_case_globals)]
                const #dollar earlier: &::core::primitive::str = #name;
                #dollar (#dollar report)*
            };
        }
    };
    (items, check)
}
