//! The translators on the domain bus: domain events to integration events
//! and notifications.

use core::fmt;

use crate::delivery::bus::{BoxError, DomainBus, HandlerFailure, TxKind};
use crate::delivery::unit::Staged;
use crate::model::envelope::Envelope;
use crate::model::event::{DomainEvent, IntegrationEvent};
use crate::model::mapping::MapsFrom;

/// Why a translator built no integration event.
#[derive(Debug)]
#[non_exhaustive]
pub enum TranslateError {
    /// The enrichment step failed (a query, a lookup).
    Enrich(BoxError),
    /// The integration event could not be encoded.
    Encode(serde_json::Error),
}

impl fmt::Display for TranslateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TranslateError::Enrich(e) => write!(f, "enrichment failed: {e}"),
            TranslateError::Encode(e) => {
                write!(f, "the integration event could not be encoded: {e}")
            }
        }
    }
}

impl std::error::Error for TranslateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TranslateError::Enrich(e) => Some(&**e),
            TranslateError::Encode(e) => Some(e),
        }
    }
}

impl<K: TxKind> DomainBus<K> {
    /// Registers a translator from the domain event `D` to the integration
    /// event `I`: on each `D`, `enrich` supplies `I`'s context (it may query,
    /// and may fail), the mapping builds `I`, and `I` is staged, in an
    /// envelope caused by the domain event, in the unit of work the use case
    /// passed to [`publish`](DomainBus::publish). An error at any step
    /// reaches the publisher of `D` as a [`TranslateError`] inside the
    /// [`DispatchError`](crate::DispatchError), and nothing is staged.
    pub fn translate<D, I>(
        &mut self,
        enrich: impl Fn(&Envelope<D>) -> Result<I::Context, BoxError> + Send + Sync + 'static,
    ) -> &mut Self
    where
        D: DomainEvent,
        I: IntegrationEvent + MapsFrom<D>,
    {
        self.translate_with::<D, I>(move |envelope| {
            let context = enrich(envelope)?;
            Ok(I::map_from(envelope.data(), context))
        })
    }

    /// Registers a translator whose mapping is written by hand: on each `D`,
    /// `translate` builds the `I` to stage (or fails, as an enrichment does),
    /// in an envelope caused by the domain event.
    pub fn translate_with<D, I>(
        &mut self,
        translate: impl Fn(&Envelope<D>) -> Result<I, BoxError> + Send + Sync + 'static,
    ) -> &mut Self
    where
        D: DomainEvent,
        I: IntegrationEvent,
    {
        self.subscribe_staging::<D, _>(move |envelope, staged| {
            stage::<D, I>(envelope, translate(envelope), staged).map_err(|error| {
                Box::new(HandlerFailure {
                    handler: translator_name::<D, I>(),
                    error: Box::new(error),
                })
            })
        })
    }

    /// Registers a translator whose enrichment is async and borrows what the
    /// bus's [`TxKind`] lends: on each `D`, `enrich(envelope, tx)` returns
    /// `Box::pin(async move { .. })` that supplies `I`'s context, reading
    /// in the use case's transaction (and seeing what it has not committed
    /// yet); the mapping builds `I`, and `I` is staged in the unit of work, to
    /// be stored in the outbox in that same transaction. Events of `D` are
    /// published with [`publish_async`](DomainBus::publish_async); errors
    /// are those of [`translate`](DomainBus::translate).
    ///
    /// ```
    /// use event_core::prelude::*;
    /// use event_core::{BoxError, DomainBus, Staged};
    ///
    /// /// A book was lent.
    /// #[domain_event]
    /// pub struct BookLent { pub book_id: String }
    ///
    /// /// A book was lent, for other contexts.
    /// #[integration_event(version = 1, maps_from = BookLent)]
    /// pub struct BookLentIntegrationEvent {
    ///     pub book_id: String,
    ///     #[event(context)]
    ///     pub title: String,
    /// }
    ///
    /// async fn title_of(book_id: &str) -> Result<String, BoxError> {
    ///     Ok(format!("book {book_id}")) // a query, a call to the catalog
    /// }
    ///
    /// // `DomainBus::<SqliteTx>::default()` or `DomainBus::<PgTx>::default()`
    /// // lend the use case's transaction as the second argument.
    /// let mut bus = DomainBus::new();
    /// bus.translate_async::<BookLent, BookLentIntegrationEvent>(|e, ()| {
    ///     Box::pin(async move {
    ///         let title = title_of(&e.data().book_id).await?;
    ///         Ok(BookLentIntegrationEventContext { title })
    ///     })
    /// });
    ///
    /// let lent = Envelope::new("/library", BookLent { book_id: "b-1".into() });
    /// let mut work = Staged::new();
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     let mut f = std::pin::pin!(f);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(out) = f.as_mut().poll(&mut cx) {
    /// #             return out;
    /// #         }
    /// #     }
    /// # }
    /// block_on(bus.publish_async(&mut work, &lent)).unwrap();
    /// let public = Envelope::<BookLentIntegrationEvent>::from_json(work.messages()[0].payload()).unwrap();
    /// assert_eq!(public.data().title, "book b-1");
    /// ```
    pub fn translate_async<D, I>(
        &mut self,
        enrich: impl for<'t> Fn(&'t Envelope<D>, K::Borrow<'t>) -> K::Enrich<'t, I::Context>
        + Send
        + Sync
        + 'static,
    ) -> &mut Self
    where
        D: DomainEvent,
        I: IntegrationEvent + MapsFrom<D>,
    {
        self.subscribe_async_staging::<D, _>(
            translator_name::<D, I>(),
            move |envelope, borrow, staged| {
                K::then(enrich(envelope, borrow), move |context| {
                    let event = context.map(|context| I::map_from(envelope.data(), context));
                    stage::<D, I>(envelope, event, staged).map_err(BoxError::from)
                })
            },
        )
    }

    /// Registers a translator whose mapping is written by hand and async:
    /// on each `D`, `translate(envelope, tx)` returns
    /// `Box::pin(async move { .. })` that builds the `I` to stage, as
    /// [`translate_async`](DomainBus::translate_async) does.
    pub fn translate_with_async<D, I>(
        &mut self,
        translate: impl for<'t> Fn(&'t Envelope<D>, K::Borrow<'t>) -> K::Enrich<'t, I>
        + Send
        + Sync
        + 'static,
    ) -> &mut Self
    where
        D: DomainEvent,
        I: IntegrationEvent,
    {
        self.subscribe_async_staging::<D, _>(
            translator_name::<D, I>(),
            move |envelope, borrow, staged| {
                K::then(translate(envelope, borrow), move |event| {
                    stage::<D, I>(envelope, event, staged).map_err(BoxError::from)
                })
            },
        )
    }
}

/// Stages what a translator built, in an envelope caused by the domain
/// event.
fn stage<D: DomainEvent, I: IntegrationEvent>(
    envelope: &Envelope<D>,
    event: Result<I, BoxError>,
    staged: &mut Staged,
) -> Result<(), TranslateError> {
    let event = event.map_err(TranslateError::Enrich)?;
    staged
        .stage(&Envelope::caused_by(envelope, event))
        .map_err(TranslateError::Encode)
}

/// A translator's name in errors.
fn translator_name<D: DomainEvent, I: IntegrationEvent>() -> String {
    format!("translator from `{}` to `{}`", D::FULL_TYPE, I::FULL_TYPE)
}
