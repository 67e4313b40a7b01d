//! Mapping one event to another: the [`MapsFrom`] trait the event macros
//! implement. The translators that run mappings on the domain bus are in the
//! delivery layer.

use crate::model::event::Event;

/// Builds `Self` from the source event `S`, with the values the source does
/// not hold in `Context`.
///
/// `#[integration_event(version = N, maps_from = Source)]` and
/// `#[notification_event(maps_from = Source)]` implement it; each field of the
/// target comes from the source field of the same name, `#[event(from = ..)]`,
/// `#[event(with = ..)]`, `#[event(context)]` or `#[event(default)]`.
///
/// ```
/// use event_core::prelude::*;
///
/// /// A product was put on sale.
/// #[domain_event]
/// pub struct ProductPutOnSale {
///     pub product_id: String,
///     pub sale_price_cents: u64,
/// }
///
/// /// The observable state of a product.
/// #[integration_event(version = 2, maps_from = ProductPutOnSale)]
/// pub struct ProductUpdatedIntegrationEvent {
///     pub product_id: String,
///     #[event(from = sale_price_cents)]
///     pub price_cents: u64,
///     #[event(context)]
///     pub title: String,
/// }
///
/// let sale = ProductPutOnSale { product_id: "p-1".into(), sale_price_cents: 1_999 };
/// let context = ProductUpdatedIntegrationEventContext { title: "Kettle".into() };
/// let public = ProductUpdatedIntegrationEvent::map_from(&sale, context);
/// assert_eq!(public.price_cents, 1_999);
/// assert_eq!(public.title, "Kettle");
/// ```
///
/// The generated mapping is plain field reads and conversions, as a
/// hand-written one would be. For the example above it is, in essence:
///
/// ```text
/// /// The values `ProductUpdatedIntegrationEvent` needs beyond its source events.
/// pub struct ProductUpdatedIntegrationEventContext {
///     pub title: String,
/// }
///
/// impl MapsFrom<ProductPutOnSale> for ProductUpdatedIntegrationEvent {
///     type Context = ProductUpdatedIntegrationEventContext;
///     fn map_from(source: &ProductPutOnSale, context: Self::Context) -> Self {
///         ProductUpdatedIntegrationEvent {
///             product_id: Into::into(Clone::clone(&source.product_id)),
///             price_cents: Into::into(Clone::clone(&source.sale_price_cents)),
///             title: context.title,
///         }
///     }
/// }
/// ```
///
/// (the source fields are read through a hidden accessor trait, so that a
/// missing field, a personal field and a secret one are reported at the
/// target's field). A target with no context field also gets
/// `From<&Source>`. `S` is an event too: the macro checks it where
/// `maps_from` names it, so that a source that is not one is a single error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not mapped from `{S}`",
    label = "`{Self}` does not list `{S}` in `maps_from`",
    note = "an integration event or a notification is mapped from the events its attribute lists in `maps_from = [..]`; a translation names the domain event first: `translate::<Domain, Integration>`"
)]
pub trait MapsFrom<S>: Event {
    /// The values the source does not hold: a generated
    /// `<Target>Context` struct, or `()` when no field is `#[event(context)]`.
    type Context;

    /// Maps `source`, taking the context values from `context`.
    fn map_from(source: &S, context: Self::Context) -> Self;
}
