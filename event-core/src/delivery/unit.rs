//! The unit of work: what one use case stages to publish once its
//! transaction has committed.

use core::fmt;

use crate::delivery::bus::TxKind;
use crate::encoding::message::{Message, encode};
use crate::model::envelope::Envelope;
use crate::model::event::IntegrationEvent;

/// The integration messages staged by one use case.
///
/// A `Staged` belongs to one unit of work: it is created with it, its
/// messages reach the outbox when the unit's transaction commits, and they
/// are discarded with it when it rolls back or is dropped. Nothing else can
/// see it: it is neither `Clone` nor shared, and the domain bus and its
/// translators write to the one the use case passes to
/// [`DomainBus::publish`](crate::DomainBus::publish).
///
/// On its own (without a database) it is the unit of work of a use case
/// whose messages are published straight to a transport, as in tests:
///
/// ```
/// use event_core::prelude::*;
/// use event_core::{DomainBus, Staged};
///
/// /// A product was put on sale.
/// #[domain_event]
/// pub struct ProductPutOnSale { pub product_id: String }
///
/// /// A product changed.
/// #[integration_event(version = 1, maps_from = ProductPutOnSale)]
/// pub struct ProductUpdatedIntegrationEvent { pub product_id: String }
///
/// let mut bus = DomainBus::new();
/// bus.translate::<ProductPutOnSale, ProductUpdatedIntegrationEvent>(|_| Ok(()));
///
/// let mut work = Staged::new();
/// let sale = Envelope::new("/catalog", ProductPutOnSale { product_id: "p-7".into() });
/// bus.publish(&mut work, &sale).unwrap();
/// assert_eq!(work.messages()[0].event_type(), "product.updated.v1");
/// ```
#[derive(Default)]
#[must_use = "staged messages are published only when their unit of work commits"]
pub struct Staged {
    messages: Vec<Message>,
}

impl fmt::Debug for Staged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Staged")
            .field("messages", &self.messages.len())
            .finish()
    }
}

impl Staged {
    /// An empty unit of work.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stages an integration event: it leaves when the unit of work commits.
    ///
    /// # Errors
    ///
    /// The event's `Serialize` failed; nothing is staged.
    pub fn stage<E: IntegrationEvent>(
        &mut self,
        envelope: &Envelope<E>,
    ) -> Result<(), serde_json::Error> {
        self.messages.push(encode(envelope)?);
        Ok(())
    }

    /// Stages an already encoded message.
    pub fn stage_message(&mut self, message: Message) {
        self.messages.push(message);
    }

    /// The staged messages, oldest first.
    #[must_use]
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// How many messages are staged.
    #[must_use]
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether nothing is staged.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The staged messages, for an outbox to store in the unit's transaction.
    #[must_use]
    pub fn into_messages(self) -> Vec<Message> {
        self.messages
    }

    /// Publishes the staged messages through `transport`, oldest first, for
    /// a unit of work without a database. Each message is removed once the
    /// transport has stored it.
    ///
    /// # Errors
    ///
    /// The transport's error; the refused message and those after it stay
    /// staged, in order, so that a later call can publish them.
    #[cfg(feature = "tokio")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    pub async fn publish<T: crate::delivery::transport::Transport>(
        &mut self,
        transport: &T,
    ) -> Result<usize, crate::delivery::transport::TransportError> {
        let mut sent = 0;
        while let Some(message) = self.messages.first() {
            transport.publish(message.clone()).await?;
            // Removed at once, so that a cancelled call re-sends nothing.
            self.messages.remove(0);
            sent += 1;
        }
        Ok(sent)
    }

    /// The length to go back to if what follows fails.
    pub(crate) fn mark(&self) -> usize {
        self.messages.len()
    }

    /// Discards what was staged since `mark`.
    pub(crate) fn discard_since(&mut self, mark: usize) {
        self.messages.truncate(mark);
    }
}

/// A use case's unit of work: a transaction (or none) and the messages it
/// staged. [`Staged`] is the unit of work without a database;
/// the SQLite adapter's `SqliteUnitOfWork` holds a transaction too and stores
/// the staged messages in its outbox when it commits.
pub trait UnitOfWork {
    /// Where the domain bus stages the unit's messages.
    fn staged(&mut self) -> &mut Staged;
}

impl UnitOfWork for Staged {
    #[inline]
    fn staged(&mut self) -> &mut Staged {
        self
    }
}

/// A unit of work that lends what the [`TxKind`] `K` borrows (its
/// transaction) to the async handlers of a `DomainBus<K>`, beside the
/// messages they stage. [`DomainBus::publish_async`](crate::DomainBus::publish_async)
/// takes one.
///
/// Every unit of work lends `()`, for a bus that lends nothing; the SQLite
/// adapter's `SqliteUnitOfWork` lends its `&rusqlite::Transaction` for
/// `SqliteTx`, the PostgreSQL adapter's `PgUnitOfWork` its
/// `&mut PgConnection` for `PgTx`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not lend what the async handlers of a `DomainBus<{K}>` borrow",
    label = "not a unit of work with that transaction",
    note = "publish a `DomainBus<SqliteTx>` into a `SqliteUnitOfWork` and a `DomainBus<PgTx>` into a `PgUnitOfWork`; a `DomainBus` lends nothing and takes any unit of work"
)]
pub trait LendTx<K: TxKind>: UnitOfWork {
    /// The borrow and where the handlers stage, for one dispatch.
    fn lend_tx(&mut self) -> (K::Borrow<'_>, &mut Staged);
}

impl<U: UnitOfWork + ?Sized> LendTx<()> for U {
    #[inline]
    fn lend_tx(&mut self) -> ((), &mut Staged) {
        ((), self.staged())
    }
}
