//! The attribute macros of [event-core](https://docs.rs/event-core). Depend on
//! `event-core`, which re-exports them; this crate is not meant to be used
//! alone.

#![forbid(unsafe_code)]

mod ast;
mod attr;
mod contract;
mod errors;
mod expand;
mod naming;
mod package;
mod shape;
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

/// `{ extern crate <library> as _; <input> }` for the package's library,
/// when the calling crate is another crate of the package, else
/// `{ <input> }`: `check_contracts!()` runs its check in it so that the
/// registry sees the library's events. Not public API.
#[doc(hidden)]
#[proc_macro]
pub fn __link_package_library(input: TokenStream) -> TokenStream {
    package::link_library(input.into()).into()
}

/// The file being expanded, for `contracts = ".."` paths relative to it.
fn source_file() -> Option<std::path::PathBuf> {
    proc_macro::Span::call_site().local_file()
}
