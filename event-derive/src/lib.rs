//! The attribute macros of [event-core](https://docs.rs/event-core). Depend on
//! `event-core`, which re-exports them; this crate is not meant to be used
//! alone.
//!
//! Each macro's documentation lists its arguments and field options, with an
//! example that is compiled and run as a test:
//! [`domain_event`](macro@domain_event),
//! [`integration_event`](macro@integration_event),
//! [`notification_event`](macro@notification_event).

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

/// Declares a domain event: a fact of one bounded context, in the past tense
/// (`ProductPutOnSale`), handled inside it.
///
/// The struct gets `Serialize`, `Deserialize`, `JsonSchema`, `Debug`,
/// `Clone` and `PartialEq` (each unless a `#[derive(..)]` below the macro
/// already has it; its `#[serde(..)]` and `#[schemars(..)]` attributes keep
/// working; without any `#[serde(..)]`, `Serialize` and `Deserialize` are
/// one call each of a generic writer and reader of event-core that write
/// and read what serde's derive does),
/// the `Event` trait (`TYPE_NAME`, `VERSION`, `KIND`, `FULL_TYPE`,
/// `SCHEMA_ID`, `schema()`), its kind trait, a JSON Schema (2020-12) with the
/// doc comment as `description`, and an entry in `event_core::registry`.
/// Write the macro above the struct's other attributes.
///
/// The struct has named fields (an empty `{}` is fine) and no generic
/// parameters. A misspelled argument or option is a compile error with the
/// closest spelling.
///
/// # Arguments
///
/// `#[domain_event]`, or `#[domain_event(key = value, ..)]` with:
///
/// | argument | meaning |
/// |---|---|
/// | `name = "a.b.c"` | the stable type name: dot-separated lower-case ASCII words. Default: the struct's name without its kind suffix and `V<N>`, in dotted lower case (`ProductPutOnSale` is `product.put.on.sale`); a struct whose name is not ASCII must give one |
/// | `version = N` | the version, a decimal number from 1 without a suffix (`2`, not `2u8`). Default: 1, or the `N` of a name ending in `V<N>` (`OrderPlacedV2`) |
/// | `schema_base = "https://schemas.example.com/events/"` | where the schema's `$id` starts: an absolute URI ending in `/`, `:` or `#`. Default: the `EVENT_CORE_SCHEMA_BASE` environment variable of the build, else `urn:event:` |
/// | `crate = path::to::event_core` | the path of `event_core` for a crate that reaches it through a re-export; also as a string, as serde writes it (`crate = "path::to::event_core"`). Default: `::event_core` |
/// | `allow(non_past_tense)` | opts out of the rule that the name is a past-tense fact (a past participle in predicate position: `OrderPlaced`, not `PlaceOrder`) |
/// | `allow(reserved_suffix)` | opts out of the rule that the name does not end in `Event`, `Command`, `IntegrationEvent` or `Notification` (with or without `V<N>`), nor in `Message`, `Dto`, `EventHandler`, `EventArgs`, … after a fact |
/// | `allow(generic_name)` | silences the warning about a generic participle (`Updated`, `Changed`, `Saved`, ..) |
///
/// Verbs of a team's own domain are added for every event of a build with
/// the `EVENT_CORE_VERBS` environment variable (`"onboard, resit:resat"`).
///
/// # Field options
///
/// `#[event(option, ..)]` on a field:
///
/// | option | meaning |
/// |---|---|
/// | `#[event(pii)]` | personal data: `"x-pii": true` in the schema, redacted in an envelope's `Debug` and `to_redacted_json` |
/// | `#[event(secret)]` | never leaves the domain event: `"x-secret": true` in the schema, `"<redacted>"` in the struct's `Debug`; an integration event or notification mapping from it cannot take the field |
///
/// # Example
///
/// Every argument and field option of `#[domain_event]`:
///
/// ```
/// use event_core::prelude::*;
///
/// /// A customer signed up.
/// #[domain_event(
///     name = "accounts.customer.signed.up",
///     version = 2,
///     schema_base = "https://schemas.example.com/events/",
///     crate = ::event_core,
/// )]
/// pub struct CustomerSignedUp {
///     pub customer_id: String,
///     #[event(pii)]
///     pub email: String,
///     #[event(secret)]
///     pub password_hash: String,
/// }
///
/// // Names the rules would refuse (or warn about), kept on purpose.
/// #[domain_event(allow(non_past_tense))]
/// pub struct CheckOutCart {
///     pub cart_id: String,
/// }
/// #[domain_event(allow(reserved_suffix))]
/// pub struct OrderPlacedEvent {
///     pub order_id: String,
/// }
/// #[domain_event(allow(generic_name))]
/// pub struct ProductUpdated {
///     pub product_id: String,
/// }
///
/// assert_eq!(CustomerSignedUp::FULL_TYPE, "accounts.customer.signed.up.v2");
/// assert_eq!(
///     CustomerSignedUp::SCHEMA_ID,
///     "https://schemas.example.com/events/domain/accounts.customer.signed.up.v2"
/// );
/// let schema = CustomerSignedUp::schema();
/// assert_eq!(schema["properties"]["email"]["x-pii"], true);
/// assert_eq!(schema["properties"]["password_hash"]["x-secret"], true);
///
/// let event = CustomerSignedUp {
///     customer_id: "c-1".into(),
///     email: "ada@example.com".into(),
///     password_hash: "$argon2id$v=19$abc".into(),
/// };
/// assert!(!format!("{event:?}").contains("argon2id"));
/// assert_eq!(CheckOutCart::FULL_TYPE, "check.out.cart.v1");
/// assert_eq!(OrderPlacedEvent::TYPE_NAME, "order.placed.event");
/// assert_eq!(ProductUpdated::VERSION, 1);
/// ```
#[proc_macro_attribute]
pub fn domain_event(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::event(Kind::Domain, args.into(), item.into(), source_file()).into()
}

/// Declares an integration event: the public, versioned contract of a bounded
/// context for the others (`ProductUpdatedIntegrationEvent`), carried by a
/// transport in a CloudEvents envelope.
///
/// The struct gets `Serialize`, `Deserialize`, `JsonSchema`, `Debug`,
/// `Clone` and `PartialEq` (each unless a `#[derive(..)]` below the macro
/// already has it; its `#[serde(..)]` and `#[schemars(..)]` attributes keep
/// working; without any `#[serde(..)]`, `Serialize` and `Deserialize` are
/// one call each of a generic writer and reader of event-core that write
/// and read what serde's derive does),
/// the `Event` trait (`TYPE_NAME`, `VERSION`, `KIND`, `FULL_TYPE`,
/// `SCHEMA_ID`, `schema()`), its kind trait, a JSON Schema (2020-12) with the
/// doc comment as `description`, and an entry in `event_core::registry`.
/// Write the macro above the struct's other attributes.
///
/// The struct has named fields (an empty `{}` is fine) and no generic
/// parameters. A misspelled argument or option is a compile error with the
/// closest spelling.
///
/// # Arguments
///
/// `#[integration_event(version = N, ..)]`; `version` is required. The name
/// ends in `IntegrationEvent`, optionally followed by a `V<N>` that agrees
/// with `version`.
///
/// | argument | meaning |
/// |---|---|
/// | `name = "a.b.c"` | the stable type name: dot-separated lower-case ASCII words. Default: the struct's name without its kind suffix and `V<N>`, in dotted lower case (`ProductPutOnSale` is `product.put.on.sale`); a struct whose name is not ASCII must give one |
/// | `version = N` | the contract's version, a decimal number from 1 without a suffix (`2`, not `2u8`); required |
/// | `schema_base = "https://schemas.example.com/events/"` | where the schema's `$id` starts: an absolute URI ending in `/`, `:` or `#`. Default: the `EVENT_CORE_SCHEMA_BASE` environment variable of the build, else `urn:event:` |
/// | `crate = path::to::event_core` | the path of `event_core` for a crate that reaches it through a re-export; also as a string, as serde writes it (`crate = "path::to::event_core"`). Default: `::event_core` |
/// | `maps_from = Source` or `maps_from = [A, B]` | the domain events it is built from: implements `MapsFrom<Source>` for each (and `From<&Source>` when no field needs context), filling each field as its field options say; see "Field options" |
/// | `compat = "backward"` | how this version must be compatible with the one before: `"backward"` (the default), `"forward"`, `"full"`, one of them with `-transitive` (against every earlier version), or `"none"` to break on purpose |
/// | `contracts = "dir"` | the folder of the frozen schema snapshots, relative to the declaring file as in `include_str!`. Default: `contracts/` in the declaring crate. A frozen version's struct must still match its snapshot, or it does not compile |
/// | `upcast_from = Older` | the previous version: generates `From<Older>` (fields carried over with `Into`, by name or as `from = field` says, new `Option` or defaulted fields at their default), so that `event_core::decode::decode_upcasting` reads envelopes of the older versions as this one |
/// | `upcast = "manual"` | with `upcast_from`: you write `From<Older>` yourself (needed when this version adds a required field) |
/// | `allow(missing_suffix)` | opts out of the `IntegrationEvent` suffix rule |
///
/// # Field options
///
/// `#[event(option, ..)]` on a field:
///
/// | option | meaning |
/// |---|---|
/// | `#[event(pii)]` | personal data: `"x-pii": true` in the schema, redacted in an envelope's `Debug` and `to_redacted_json`. A field filled from a `pii` field of its source must be `pii` itself |
/// | `#[event(from = field)]` | with `maps_from`: the value of the source's `field` (converted with `Into`), instead of the field of the same name. With `upcast_from` and no `maps_from`: the older version's `field`, for a field renamed between versions |
/// | `#[event(from(Source) = field)]` | the same, for one source of several; `from(Older) = field` names the older version's field where the event has `maps_from` too |
/// | `#[event(with = path::to::function)]` | with `maps_from`: `function(&source)`, converted into the field's type with `Into` |
/// | `#[event(with(Source) = function)]` | the same, for one source of several |
/// | `#[event(context)]` | with `maps_from`: supplied by an enrichment step, through the generated `<Name>Context` struct that holds every such field |
/// | `#[event(default)]`, `#[event(default = value)]` | with `maps_from`: `Default::default()`, or `value` converted with `Into` (a literal for an `Option` field: into what it holds, `Some(..)`). With `upcast_from`: the value of a field the older version does not have |
///
/// Without an option, a mapped field takes the source field of the same
/// name. A source field marked `secret` cannot be mapped.
///
/// # Example
///
/// Versions, an upcast between them, and a mapping from a domain event with
/// every field option of a single source (`from(Source) = ..` and
/// `with(Source) = ..` are in the example of
/// [`notification_event`](macro@notification_event)):
///
/// ```
/// use event_core::decode::decode_upcasting;
/// use event_core::prelude::*;
///
/// /// A product was put on sale.
/// #[domain_event]
/// pub struct ProductPutOnSale {
///     pub product_id: String,
///     pub sale_price_cents: u32,
///     #[event(pii)]
///     pub merchant_email: String,
/// }
///
/// /// The product's public state, version 1.
/// #[integration_event(version = 1, name = "catalog.product.updated")]
/// pub struct ProductUpdatedIntegrationEvent {
///     pub product_id: String,
///     pub price_cents: u64,
/// }
///
/// fn on_sale(_: &ProductPutOnSale) -> Option<bool> {
///     Some(true)
/// }
///
/// /// Version 2: what version 1 had, and more.
/// #[integration_event(
///     version = 2,
///     name = "catalog.product.updated",
///     compat = "backward",
///     upcast_from = ProductUpdatedIntegrationEvent,
///     maps_from = ProductPutOnSale,
///     schema_base = "https://schemas.example.com/events/",
/// )]
/// pub struct ProductUpdatedIntegrationEventV2 {
///     pub product_id: String,                 // the source field of the same name
///     #[event(from = sale_price_cents)]
///     pub price_cents: u64,                   // another field, converted with `Into`
///     #[event(context)]
///     pub title: Option<String>,              // supplied by an enrichment step
///     #[event(pii, from = merchant_email)]
///     pub merchant: Option<String>,           // personal data stays marked
///     #[event(with = on_sale)]
///     pub on_sale: Option<bool>,              // computed by a function
///     #[event(default)]
///     #[serde(default)]
///     pub tags: Vec<String>,                  // `Default::default()`
/// }
///
/// /// A name without the suffix, kept on purpose.
/// #[integration_event(version = 1, allow(missing_suffix))]
/// pub struct StockLevel {
///     pub product_id: String,
/// }
///
/// let sale = ProductPutOnSale {
///     product_id: "p-7".into(),
///     sale_price_cents: 2_900,
///     merchant_email: "kettles@example.com".into(),
/// };
/// let context = ProductUpdatedIntegrationEventV2Context { title: Some("Stovetop kettle".into()) };
/// let public = ProductUpdatedIntegrationEventV2::map_from(&sale, context);
/// assert_eq!(public.price_cents, 2_900);
/// assert_eq!(public.on_sale, Some(true));
/// assert_eq!(ProductUpdatedIntegrationEventV2::schema()["properties"]["merchant"]["x-pii"], true);
///
/// // A consumer of version 2 reads envelopes of version 1.
/// let old = Envelope::new(
///     "/catalog",
///     ProductUpdatedIntegrationEvent { product_id: "p-7".into(), price_cents: 2_900 },
/// );
/// let read = decode_upcasting::<ProductUpdatedIntegrationEventV2>(old.to_json()?.as_bytes())?;
/// assert_eq!(read.data().price_cents, 2_900);
/// assert_eq!(read.data().title, None);
/// assert_eq!(ProductUpdatedIntegrationEventV2::FULL_TYPE, "catalog.product.updated.v2");
/// assert_eq!(StockLevel::TYPE_NAME, "stock.level");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `contracts = "dir"` and `upcast = "manual"` are shown in the README's
/// "Published contracts".
#[proc_macro_attribute]
pub fn integration_event(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::event(Kind::Integration, args.into(), item.into(), source_file()).into()
}

/// Declares a notification event: a message to people or outside systems
/// (`OrderShippedNotification`), delivered best effort by
/// `event_core::notify`.
///
/// The struct gets `Serialize`, `Deserialize`, `JsonSchema`, `Debug`,
/// `Clone` and `PartialEq` (each unless a `#[derive(..)]` below the macro
/// already has it; its `#[serde(..)]` and `#[schemars(..)]` attributes keep
/// working; without any `#[serde(..)]`, `Serialize` and `Deserialize` are
/// one call each of a generic writer and reader of event-core that write
/// and read what serde's derive does),
/// the `Event` trait (`TYPE_NAME`, `VERSION`, `KIND`, `FULL_TYPE`,
/// `SCHEMA_ID`, `schema()`), its kind trait, a JSON Schema (2020-12) with the
/// doc comment as `description`, and an entry in `event_core::registry`.
/// Write the macro above the struct's other attributes.
///
/// The struct has named fields (an empty `{}` is fine) and no generic
/// parameters. A misspelled argument or option is a compile error with the
/// closest spelling.
///
/// # Arguments
///
/// `#[notification_event]`, or `#[notification_event(key = value, ..)]` with:
///
/// | argument | meaning |
/// |---|---|
/// | `name = "a.b.c"` | the stable type name: dot-separated lower-case ASCII words. Default: the struct's name without its kind suffix and `V<N>`, in dotted lower case (`ProductPutOnSale` is `product.put.on.sale`); a struct whose name is not ASCII must give one |
/// | `version = N` | the version, a decimal number from 1 without a suffix (`2`, not `2u8`). Default: 1, or the `N` of a name ending in `V<N>` (`OrderPlacedV2`) |
/// | `schema_base = "https://schemas.example.com/events/"` | where the schema's `$id` starts: an absolute URI ending in `/`, `:` or `#`. Default: the `EVENT_CORE_SCHEMA_BASE` environment variable of the build, else `urn:event:` |
/// | `crate = path::to::event_core` | the path of `event_core` for a crate that reaches it through a re-export; also as a string, as serde writes it (`crate = "path::to::event_core"`). Default: `::event_core` |
/// | `maps_from = Source` or `maps_from = [A, B]` | the domain or integration events it is built from, as for `#[integration_event]` |
/// | `allow(missing_suffix)` | opts out of the rule that the name ends in `Notification` |
///
/// # Field options
///
/// The same as `#[integration_event]`'s: `pii`, and with `maps_from`
/// `from = field`, `from(Source) = field`, `with = function`,
/// `with(Source) = function`, `context`, `default` and `default = value`.
///
/// # Example
///
/// A notification built from two events, with per-source field options:
///
/// ```
/// use event_core::prelude::*;
///
/// /// A product was put on sale.
/// #[domain_event]
/// pub struct ProductPutOnSale {
///     pub product_id: String,
///     #[event(pii)]
///     pub merchant_email: String,
/// }
///
/// /// A product came back in stock.
/// #[domain_event]
/// pub struct ProductRestocked {
///     pub product_id: String,
///     pub merchant_id: String,
/// }
///
/// fn merchant_address(restocked: &ProductRestocked) -> String {
///     format!("{}@merchants.example.com", restocked.merchant_id)
/// }
///
/// /// Tells the merchant about their product.
/// #[notification_event(
///     name = "merchant.product.news",
///     version = 1,
///     maps_from = [ProductPutOnSale, ProductRestocked],
/// )]
/// pub struct ProductNewsNotification {
///     pub product_id: String,
///     #[event(pii, from(ProductPutOnSale) = merchant_email, with(ProductRestocked) = merchant_address)]
///     pub to: String,
///     #[event(default = "News about your product")]
///     pub subject: String,
/// }
///
/// /// A name without the suffix, kept on purpose.
/// #[notification_event(allow(missing_suffix))]
/// pub struct PasswordResetEmail {
///     #[event(pii)]
///     pub to: String,
/// }
///
/// let restocked = ProductRestocked { product_id: "p-7".into(), merchant_id: "m-3".into() };
/// let news = ProductNewsNotification::from(&restocked);
/// assert_eq!(news.to, "m-3@merchants.example.com");
/// assert_eq!(news.subject, "News about your product");
/// assert_eq!(ProductNewsNotification::FULL_TYPE, "merchant.product.news.v1");
/// assert_eq!(PasswordResetEmail::KIND, EventKind::Notification);
/// ```
#[proc_macro_attribute]
pub fn notification_event(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::event(Kind::Notification, args.into(), item.into(), source_file()).into()
}

/// `#[derive(DomainEvent)]`, written for `#[domain_event]`: one error that
/// says which attribute declares the event. `event` is its inert helper, so
/// that the fields' `#[event(..)]` add nothing to it.
#[doc(hidden)]
#[proc_macro_derive(DomainEvent, attributes(event))]
pub fn derive_domain_event(_item: TokenStream) -> TokenStream {
    derive_instead("DomainEvent", "`#[domain_event]`")
}

/// `#[derive(IntegrationEvent)]`, written for `#[integration_event(..)]`.
#[doc(hidden)]
#[proc_macro_derive(IntegrationEvent, attributes(event))]
pub fn derive_integration_event(_item: TokenStream) -> TokenStream {
    derive_instead("IntegrationEvent", "`#[integration_event(version = 1)]`")
}

/// `#[derive(NotificationEvent)]`, written for `#[notification_event]`.
#[doc(hidden)]
#[proc_macro_derive(NotificationEvent, attributes(event))]
pub fn derive_notification_event(_item: TokenStream) -> TokenStream {
    derive_instead("NotificationEvent", "`#[notification_event]`")
}

/// `#[derive(Event)]`, written for one of the three attributes.
#[doc(hidden)]
#[proc_macro_derive(Event, attributes(event))]
pub fn derive_event(_item: TokenStream) -> TokenStream {
    derive_instead(
        "Event",
        "`#[domain_event]`, `#[integration_event(version = 1)]` or `#[notification_event]`",
    )
}

/// The error of a derive named after an event trait, at the derive.
fn derive_instead(derive: &str, attribute: &str) -> TokenStream {
    let message = format!(
        "an event is declared with an attribute, not a derive: remove `{derive}` from the derive and write {attribute} above the struct, which implements `{derive}` and derives serde's and schemars' traits"
    );
    syn::Error::new(proc_macro2::Span::call_site(), message)
        .into_compile_error()
        .into()
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
