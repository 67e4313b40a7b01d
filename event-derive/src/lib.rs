//! The attribute macros of [event-core](https://docs.rs/event-core). Depend on
//! `event-core`, which re-exports them; this crate is not meant to be used
//! alone.

#![forbid(unsafe_code)]

mod ast;
mod attr;
mod contract;
mod errors;
mod expand;
mod json;
mod naming;
mod valid;

use proc_macro::TokenStream;

use attr::Kind;

/// Declares a domain event. See the `event-core` documentation.
#[proc_macro_attribute]
pub fn domain_event(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::event(Kind::Domain, args.into(), item.into(), source_file()).into()
}

/// Declares an integration event. See the `event-core` documentation.
#[proc_macro_attribute]
pub fn integration_event(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::event(Kind::Integration, args.into(), item.into(), source_file()).into()
}

/// Declares a notification event. See the `event-core` documentation.
#[proc_macro_attribute]
pub fn notification_event(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::event(Kind::Notification, args.into(), item.into(), source_file()).into()
}

/// The file being expanded, for `contracts = ".."` paths relative to it.
fn source_file() -> Option<std::path::PathBuf> {
    proc_macro::Span::call_site().local_file()
}
