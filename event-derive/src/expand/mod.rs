//! From a checked model to the code the user gets.

mod impls;
mod item;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{DeriveInput, Path};

use crate::ast::Input;
use crate::attr::{Kind, MacroArgs};
use crate::errors::Errors;
use crate::valid;

/// Expands one event macro.
pub fn event(kind: Kind, args: TokenStream, tokens: TokenStream) -> TokenStream {
    let Ok(item) = syn::parse2::<DeriveInput>(tokens.clone()) else {
        // Not a struct, enum or union (a function, an impl block, ...): say
        // what the macro goes on and give the item back untouched.
        let error = syn::Error::new(
            Span::call_site(),
            format_args!(
                "`#[{}]` goes on a struct with named fields",
                kind.macro_name()
            ),
        )
        .into_compile_error();
        return quote!(#error #tokens);
    };

    let mut errors = Errors::default();
    let args = MacroArgs::parse(kind, args).unwrap_or_else(|e| {
        errors.push(e);
        MacroArgs::default()
    });
    let input = Input::from_syn(kind, args, &item, &mut errors);
    let Some(input) = input.filter(|_| errors.is_empty()) else {
        // The declaration itself is malformed: emit the struct alone so that
        // the rest of the crate still resolves its name.
        let mut out = item::stripped(&item);
        out.extend(errors.into_compile_errors());
        return out;
    };

    // Rule errors (naming, versions) leave the declaration usable, so the
    // full expansion goes out with them and no error cascades.
    let resolved = valid::check(&input, &mut errors);
    let krate = crate_path(&input);
    let mut out = item::emit(&input, &krate);
    out.extend(impls::emit(&input, &resolved, &krate));
    out.extend(errors.into_compile_errors());
    out
}

fn crate_path(input: &Input) -> Path {
    input
        .args
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::event_core))
}
