//! From a checked model to the code the user gets.

mod impls;
mod item;
mod mapping;
mod order;
mod upcast;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{DeriveInput, Path};

use crate::ast::Input;
use crate::attr::{Kind, MacroArgs};
use crate::contract;
use crate::errors::Errors;
use crate::valid;

/// Reports and removes an event attribute written again below this one
/// (`#[domain_event]` twice, or `#[domain_event]` with
/// `#[integration_event]`): expanded again, it would declare everything
/// twice.
fn repeated_event_attributes(kind: Kind, item: &mut DeriveInput, errors: &mut Errors) {
    const MACROS: [&str; 3] = ["domain_event", "integration_event", "notification_event"];
    item.attrs.retain(|attr| {
        let Some(last) = attr.path().segments.last() else {
            return true;
        };
        let Some(&other) = MACROS.iter().find(|name| last.ident == **name) else {
            return true;
        };
        let this = kind.macro_name();
        let span = last.ident.span();
        if other == this {
            errors.at(
                span,
                format_args!("`#[{this}]` is written twice on this struct; remove this one"),
            );
        } else {
            errors.at(
                span,
                format_args!(
                    "a struct is one kind of event, and this one is already `#[{this}]`; remove `#[{other}]`, or declare {} as a struct of its own",
                    match other {
                        "domain_event" => "the domain event",
                        "integration_event" => "the integration event",
                        _ => "the notification",
                    }
                ),
            );
        }
        false
    });
}

/// Expands one event macro.
pub fn event(
    kind: Kind,
    args: TokenStream,
    tokens: TokenStream,
    source_file: Option<std::path::PathBuf>,
) -> TokenStream {
    let Ok(item) = syn::parse2::<DeriveInput>(tokens.clone()) else {
        // Not a struct, enum or union (a function, an impl block, ...): say
        // what the macro goes on and give the item back untouched.
        let (span, what) = not_a_type(&tokens);
        let error = syn::Error::new(
            span,
            format_args!(
                "`#[{}]` goes on a struct with named fields, not {what}",
                kind.macro_name()
            ),
        )
        .into_compile_error();
        return quote!(#error #tokens);
    };

    let mut errors = Errors::default();
    let mut item = item;
    repeated_event_attributes(kind, &mut item, &mut errors);
    let mut args = MacroArgs::parse(kind, args, &mut errors);
    crate::attr::lints_that_are_rules(kind, &mut item.attrs, &mut args.allow, &mut errors);
    let mut input = Input::from_syn(kind, args, &item, &mut errors);
    let above = order::derives_above_call_site(source_file.as_deref());
    if !above.is_empty() {
        let list = crate::errors::backticked(&above);
        errors.at(
            Span::call_site(),
            format_args!(
                "`#[derive({})]` is written above `#[{}]`, which derives {list} itself and cannot see a derive written before it; put `#[{}]` first, above the derive, or drop {list} from the derive",
                above.join(", "),
                kind.macro_name(),
                kind.macro_name()
            ),
        );
        // The user's derive stays: ours would only conflict with it.
        if let Some(input) = &mut input {
            input.derived.mark(&above);
        }
    }
    // A wrong argument or field option is reported and left out, and the
    // event is expanded without it: its derives and impls still go out, so
    // the code that uses the event reports nothing more. Only a shape no
    // event can have (an enum, a tuple struct, generics) falls back.
    let Some(input) = input.filter(|_| item.generics.params.is_empty()) else {
        // The declaration itself is malformed: emit the struct alone so that
        // the rest of the crate still resolves its name.
        let mut out = item::stripped(&item);
        out.extend(errors.into_compile_errors());
        return out;
    };

    // Rule errors (naming, versions) leave the declaration usable, so the
    // full expansion goes out with them and no error cascades.
    let resolved = valid::check(&input, &mut errors);
    let clashing = contract::check_wire_names(&input, &mut errors);
    contract::check_one_sided_options(&input, &mut errors);
    mapping::check_default_literals(&input, &mut errors);
    let krate = crate_path(&input);
    let contract = (kind == Kind::Integration)
        .then(|| {
            let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(std::path::PathBuf::from);
            contract::check_folder(
                input.args.contracts.as_ref(),
                source_file.as_deref(),
                manifest_dir.as_deref(),
                &mut errors,
            );
            contract::locate(
                input.args.contracts.as_ref(),
                &resolved.full_type,
                source_file.as_deref(),
                manifest_dir.as_deref(),
            )
        })
        .flatten();
    if let Some(contract) = &contract {
        contract::check(&input, contract, resolved.version, &mut errors);
    }
    let (event_impls, unique_check) = impls::emit(&input, &resolved, &krate, contract.as_ref());
    let (context_type, mapping_impls, mapping_checks) = mapping::mappings(&input, &krate);
    let (struct_item, annotations) = item::emit(&input, &krate, &clashing);
    let field_impls = mapping::field_impls(&input, &krate, annotations);
    let (upcast_impls, upcast_checks) = upcast::emit(&input, &resolved, &krate);
    let held_checks = mapping::held_checks(&input, &krate);
    let errors = errors.into_compile_errors();
    quote! {
        #struct_item
        // Every compile-time check of the event in one constant, which even
        // `cargo check` evaluates: one item, where a constant per check
        // costs the compiler an item each. Before the event's impls, whose
        // `macro_rules!` the uniqueness check must not see.
        #[allow(deprecated, unused_imports)]
        const _: () = {
            #unique_check
            #mapping_checks
            #upcast_checks
            #held_checks
        };
        #context_type
        #event_impls
        #field_impls
        #mapping_impls
        #upcast_impls
        #errors
    }
}

/// Where an item that is not a struct, enum or union starts (its keyword),
/// and what it is.
fn not_a_type(tokens: &TokenStream) -> (Span, &'static str) {
    use proc_macro2::TokenTree;
    // Without syn's `full` feature: the first word that is not part of an
    // attribute, the visibility or a qualifier is the item's keyword.
    let mut trees = tokens.clone().into_iter().peekable();
    while let Some(tree) = trees.next() {
        match &tree {
            // `#[attr]` and `pub(crate)`: what follows is passed over.
            TokenTree::Punct(p) if p.as_char() == '#' => {
                trees.next();
            }
            TokenTree::Ident(word) => {
                let word_text = word.to_string();
                // `const fn` qualifies a function; `const NAME` is a constant.
                let mut qualifies = || {
                    matches!(trees.peek(), Some(TokenTree::Ident(next))
                        if ["fn", "unsafe", "async", "extern"].iter().any(|w| next == w))
                };
                let what = match word_text.as_str() {
                    "const" if !qualifies() => "a constant",
                    "pub" | "async" | "const" | "unsafe" | "extern" | "default" | "safe" => {
                        continue;
                    }
                    "fn" => "a function",
                    "impl" => "an impl block",
                    "trait" => "a trait",
                    "mod" => "a module",
                    "type" => "a type alias",
                    "static" => "a static",
                    "use" => "a `use` item",
                    _ => "this item",
                };
                return (word.span(), what);
            }
            _ => {}
        }
    }
    (Span::call_site(), "this item")
}

fn crate_path(input: &Input) -> Path {
    input
        .args
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::event_core))
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::event;
    use crate::attr::Kind;

    fn expand(
        kind: Kind,
        args: proc_macro2::TokenStream,
        item: proc_macro2::TokenStream,
    ) -> String {
        event(kind, args, item, None).to_string()
    }

    #[test]
    fn a_malformed_declaration_still_emits_the_struct_without_helpers() {
        let out = expand(
            Kind::Domain,
            quote!(),
            quote!(
                pub struct OrderPlaced<T> {
                    #[event(pii)]
                    pub email: T,
                }
            ),
        );
        assert!(out.contains("pub struct OrderPlaced"), "{out}");
        assert!(out.contains("compile_error"), "{out}");
        assert!(!out.contains("event (pii)"), "{out}");
        assert!(!out.contains("impl :: event_core :: Event"), "{out}");
    }

    #[test]
    fn a_wrong_argument_or_option_is_left_out_and_the_event_still_expands() {
        let out = expand(
            Kind::Domain,
            quote!(bogus = 1, version = 3),
            quote!(
                pub struct OrderPlaced {
                    #[event(pli)]
                    pub email: String,
                }
            ),
        );
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("did you mean `pii`"), "{out}");
        assert!(!out.contains("event (pli)"), "{out}");
        assert!(
            out.contains("impl :: event_core :: Event for OrderPlaced"),
            "{out}"
        );
        assert!(out.contains("VERSION : u32 = 3u32"), "{out}");
    }

    #[test]
    fn derives_the_user_wrote_are_left_out() {
        let out = expand(
            Kind::Domain,
            quote!(),
            quote!(
                #[derive(Clone, serde::Serialize)]
                pub struct OrderPlaced {}
            ),
        );
        let ours = out.split("# [derive").nth(1).unwrap_or_default();
        let ours = &ours[..ours.find(']').unwrap_or(ours.len())];
        assert!(!ours.contains("Clone"), "{ours}");
        assert!(!ours.contains("Serialize"), "{ours}");
        assert!(ours.contains("Deserialize"), "{ours}");
        assert!(ours.contains("JsonSchema"), "{ours}");
    }

    /// The derive list the macro adds.
    fn derived(out: &str) -> &str {
        let ours = out.split("# [derive").nth(1).unwrap_or_default();
        &ours[..ours.find(']').unwrap_or(ours.len())]
    }

    #[test]
    fn a_struct_without_serde_attributes_is_read_by_the_generic_reader() {
        let out = expand(
            Kind::Domain,
            quote!(),
            quote!(
                pub struct OrderPlaced {
                    pub r#type: String,
                    pub total: u64,
                }
            ),
        );
        assert!(!derived(&out).contains("Deserialize"), "{out}");
        assert!(out.contains("Deserialize < 'de > for OrderPlaced"), "{out}");
        assert!(out.contains("fields : & [\"type\" , \"total\"]"), "{out}");
        // Any serde attribute, on the struct or a field, and the derive
        // reads the struct, honouring it.
        for item in [
            quote!(
                #[serde(deny_unknown_fields)]
                pub struct OrderPlaced {
                    pub total: u64,
                }
            ),
            quote!(
                pub struct OrderPlaced {
                    #[serde(default)]
                    pub total: u64,
                }
            ),
            quote!(
                #[cfg_attr(test, serde(deny_unknown_fields))]
                pub struct OrderPlaced {
                    pub total: u64,
                }
            ),
        ] {
            let out = expand(Kind::Domain, quote!(), item);
            assert!(derived(&out).contains("Deserialize"), "{out}");
            assert!(
                !out.contains("Deserialize < 'de > for OrderPlaced"),
                "{out}"
            );
        }
    }

    #[test]
    fn a_rule_error_keeps_the_full_expansion() {
        let out = expand(
            Kind::Domain,
            quote!(),
            quote!(
                pub struct PlaceOrder {
                    pub id: u64,
                }
            ),
        );
        assert!(out.contains("compile_error"), "{out}");
        assert!(
            out.contains("impl :: event_core :: Event for PlaceOrder"),
            "{out}"
        );
    }

    #[test]
    fn secret_fields_get_a_redacting_debug_instead_of_the_derive() {
        let out = expand(
            Kind::Domain,
            quote!(),
            quote!(
                pub struct PinChanged {
                    #[event(secret)]
                    pub pin: u16,
                }
            ),
        );
        assert!(!out.contains(":: core :: fmt :: Debug ,"), "{out}");
        assert!(
            out.contains("impl :: core :: fmt :: Debug for PinChanged"),
            "{out}"
        );
        assert!(out.contains("REDACTED"), "{out}");
    }
}

#[cfg(test)]
mod cost {
    use quote::quote;

    use super::event;
    use crate::attr::Kind;

    /// The time and size of the expansion of the compile-time benchmark's
    /// events: `cargo test -p event-derive --lib expansion_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn expansion_cost() {
        let start = std::time::Instant::now();
        let (mut tokens, mut bytes) = (0, 0);
        fn count(stream: proc_macro2::TokenStream) -> usize {
            stream
                .into_iter()
                .map(|t| match t {
                    proc_macro2::TokenTree::Group(g) => 1 + count(g.stream()),
                    _ => 1,
                })
                .sum()
        }
        for i in 0..200 {
            let domain = quote::format_ident!("Thing{i}Placed");
            let integration = quote::format_ident!("Thing{i}PlacedIntegrationEvent");
            let a = event(
                Kind::Domain,
                quote!(),
                quote!(
                    pub struct #domain {
                        pub id: String,
                        pub amount_cents: u32,
                        #[event(pii)]
                        pub email: String,
                        pub note: Option<String>,
                        pub quantity: u16,
                        pub tags: Vec<String>,
                    }
                ),
                None,
            );
            let b = event(
                Kind::Integration,
                quote!(version = 1, maps_from = #domain),
                quote!(
                    pub struct #integration {
                        pub id: String,
                        #[event(from = amount_cents)]
                        pub total_cents: u64,
                        #[event(pii)]
                        pub email: String,
                        #[event(context)]
                        pub title: String,
                        pub quantity: u32,
                        pub tags: Vec<String>,
                    }
                ),
                None,
            );
            if i == 0 {
                println!("{a}\n\n{b}");
            }
            tokens += count(a.clone()) + count(b.clone());
            bytes += a.to_string().len() + b.to_string().len();
        }
        println!(
            "400 events: {:?}, {tokens} tokens, {bytes} bytes of text",
            start.elapsed()
        );
    }
}
