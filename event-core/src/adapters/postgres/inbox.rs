//! The idempotent consumer on PostgreSQL: an inbox of processed (event id,
//! consumer) pairs, written in the consumer's own transaction.

use core::fmt;
use std::sync::Arc;

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use super::{PgConfig, count};
use crate::delivery::bus::BoxError;
use crate::delivery::dead_letter::{InboxDeadLetter, InboxOutcome};
use crate::delivery::host::{Inbox, Settlement};
use crate::delivery::integration::Received;
use crate::delivery::retry::{RetryDecision, RetryPolicy};
use crate::delivery::transport::{Delivery, Transport};
use crate::model::envelope::Envelope;
use crate::model::event::{Event, IntegrationEvent};

/// Why an inbox dead letter was not requeued.
pub type RequeueError = crate::delivery::dead_letter::RequeueError<sqlx::Error>;

/// The statements of one schema, written once.
#[derive(Debug)]
struct Statements {
    record: String,
    forget_failures: String,
    record_failure: String,
    bury: String,
    dead_letters: String,
    dead_letter: String,
    dead_letter_token: String,
    remove_burial: String,
    discard: String,
    processed: String,
}

const DEAD_LETTER_FIELDS: &str = "consumer, event_id, event_type, headers, payload, attempts,
    last_error, (EXTRACT(EPOCH FROM first_failed_at) * 1000)::BIGINT,
    (EXTRACT(EPOCH FROM dead_at) * 1000)::BIGINT";

impl Statements {
    fn new(schema: &str) -> Self {
        let inbox = format!("\"{schema}\".event_inbox");
        let failures = format!("\"{schema}\".event_inbox_failures");
        let dead = format!("\"{schema}\".event_inbox_dead_letters");
        Statements {
            record: format!(
                "INSERT INTO {inbox} (consumer, event_id) VALUES ($1, $2)
                 ON CONFLICT (consumer, event_id) DO NOTHING"
            ),
            forget_failures: format!(
                "DELETE FROM {failures} WHERE consumer = $1 AND event_id = $2"
            ),
            record_failure: format!(
                "INSERT INTO {failures}
                     (consumer, event_id, failures, first_failed_at, last_failed_at, last_error)
                 VALUES ($1, $2, 1, now(), now(), $3)
                 ON CONFLICT (consumer, event_id) DO UPDATE SET
                     failures = LEAST({failures}.failures::BIGINT + 1, 2147483647)::INTEGER,
                     last_failed_at = EXCLUDED.last_failed_at,
                     last_error = EXCLUDED.last_error
                 RETURNING failures"
            ),
            bury: format!(
                "WITH taken AS (
                     DELETE FROM {failures} WHERE consumer = $1 AND event_id = $2
                     RETURNING first_failed_at)
                 INSERT INTO {dead}
                     (consumer, event_id, event_type, headers, payload, attempts, last_error,
                      first_failed_at, dead_at, token)
                 VALUES ($1, $2, $3, $4, $5, $6, $7,
                     COALESCE((SELECT first_failed_at FROM taken),
                              CASE WHEN $6 <= 1 THEN now() END),
                     now(), $8)
                 ON CONFLICT (consumer, event_id) DO UPDATE SET
                     event_type = EXCLUDED.event_type, headers = EXCLUDED.headers,
                     payload = EXCLUDED.payload, attempts = EXCLUDED.attempts,
                     last_error = EXCLUDED.last_error,
                     first_failed_at = EXCLUDED.first_failed_at,
                     dead_at = EXCLUDED.dead_at, token = EXCLUDED.token"
            ),
            dead_letters: format!(
                "SELECT {DEAD_LETTER_FIELDS} FROM {dead} WHERE consumer = $1
                 ORDER BY dead_at, event_id"
            ),
            dead_letter: format!(
                "SELECT {DEAD_LETTER_FIELDS} FROM {dead} WHERE consumer = $1 AND event_id = $2"
            ),
            dead_letter_token: format!(
                "SELECT {DEAD_LETTER_FIELDS}, token FROM {dead}
                 WHERE consumer = $1 AND event_id = $2"
            ),
            remove_burial: format!(
                "DELETE FROM {dead} WHERE consumer = $1 AND event_id = $2 AND token = $3"
            ),
            discard: format!("DELETE FROM {dead} WHERE consumer = $1 AND event_id = $2"),
            processed: format!("SELECT COUNT(*) FROM {inbox} WHERE consumer = $1"),
        }
    }
}

fn read_dead_letter(row: &PgRow) -> Result<InboxDeadLetter, sqlx::Error> {
    let headers: String = row.try_get(3)?;
    Ok(InboxDeadLetter {
        consumer: row.try_get(0)?,
        event_id: row.try_get(1)?,
        event_type: row.try_get(2)?,
        // Written by this inbox from a `Message`'s headers; unreadable ones
        // are dropped, and the payload still holds the envelope.
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        payload: row.try_get(4)?,
        attempts: u32::try_from(row.try_get::<i32, _>(5)?).unwrap_or_default(),
        last_error: row.try_get(6)?,
        first_failed_at_ms: row.try_get(7)?,
        last_failed_at_ms: row.try_get(8)?,
    })
}

/// The inbox on PostgreSQL, in the schema of a [`PgConfig`] (tables created
/// by [`migrate`](super::migrate)). The consumer's state change and the
/// inbox row commit in one transaction, so an event is applied once however
/// often it is delivered.
///
/// Handlers are async closures that take the transaction's connection and
/// the envelope:
///
/// ```no_run
/// use event_core::postgres::{InboxOutcome, PgConfig, PgInbox, sqlx};
/// use event_core::prelude::*;
///
/// /// A payment was captured.
/// #[integration_event(version = 1)]
/// pub struct PaymentCapturedIntegrationEvent { pub payment_id: String }
///
/// # async fn run(pool: sqlx::PgPool, envelope: Envelope<PaymentCapturedIntegrationEvent>)
/// #     -> Result<(), event_core::BoxError> {
/// let inbox = PgInbox::new(pool, &PgConfig::default())?;
/// let outcome = inbox
///     .handle("ledger", &envelope, async |tx, e| {
///         sqlx::query("INSERT INTO payments (id) VALUES ($1)")
///             .bind(&e.data().payment_id)
///             .execute(&mut *tx)
///             .await?;
///         Ok(())
///     })
///     .await?;
/// assert_eq!(outcome, InboxOutcome::Processed);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PgInbox {
    pool: PgPool,
    schema: Arc<str>,
    sql: Arc<Statements>,
}

impl fmt::Debug for PgInbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgInbox")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl PgInbox {
    /// The inbox in the schema of `config`, on `pool`.
    ///
    /// # Errors
    ///
    /// [`sqlx::Error::Configuration`] when the schema name is not accepted
    /// (see [`PgConfig::schema`]).
    pub fn new(pool: PgPool, config: &PgConfig) -> Result<Self, sqlx::Error> {
        let schema = config.checked_schema()?;
        Ok(PgInbox {
            pool,
            sql: Arc::new(Statements::new(&schema)),
            schema,
        })
    }

    /// The pool the inbox reads and writes through.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Records `event_id` as processed by `consumer` in the caller's
    /// transaction; says whether it was processed before. While another
    /// transaction that recorded the same pair is open, this waits for it:
    /// two deliveries of one event never both proceed.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn record(
        &self,
        conn: &mut PgConnection,
        consumer: &str,
        event_id: &str,
    ) -> Result<InboxOutcome, sqlx::Error> {
        let inserted = sqlx::query(&self.sql.record)
            .bind(consumer)
            .bind(event_id)
            .execute(conn)
            .await?;
        Ok(if inserted.rows_affected() == 1 {
            InboxOutcome::Processed
        } else {
            InboxOutcome::Duplicate
        })
    }

    /// Applies `envelope` once: in one transaction, records it and runs
    /// `handler`, which makes the consumer's state change through the same
    /// transaction's connection. A duplicate is skipped; a failed handler
    /// rolls the whole transaction back, inbox row included.
    ///
    /// # Errors
    ///
    /// The handler's error, or the database's.
    pub async fn handle<E, F>(
        &self,
        consumer: &str,
        envelope: &Envelope<E>,
        handler: F,
    ) -> Result<InboxOutcome, BoxError>
    where
        F: AsyncFnOnce(&mut PgConnection, &Envelope<E>) -> Result<(), BoxError>,
    {
        self.apply(consumer, envelope, false, handler).await
    }

    /// [`handle`](Self::handle), also forgetting the failures recorded for
    /// the event when `failed_before`, in the same transaction.
    async fn apply<E, F>(
        &self,
        consumer: &str,
        envelope: &Envelope<E>,
        failed_before: bool,
        handler: F,
    ) -> Result<InboxOutcome, BoxError>
    where
        F: AsyncFnOnce(&mut PgConnection, &Envelope<E>) -> Result<(), BoxError>,
    {
        let mut tx = self.pool.begin().await?;
        let event_id = envelope.id().as_str();
        if failed_before {
            sqlx::query(&self.sql.forget_failures)
                .bind(consumer)
                .bind(event_id)
                .execute(&mut *tx)
                .await?;
        }
        let outcome = self.record(&mut tx, consumer, event_id).await?;
        if outcome == InboxOutcome::Processed {
            handler(&mut tx, envelope).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Handles a received envelope and settles its delivery, following
    /// `policy`: acknowledged once the transaction committed, when processed
    /// or a duplicate; when the handler (or the commit) fails, the failure
    /// is recorded and the delivery negatively acknowledged, for the
    /// transport to deliver it again at once or after the policy's delay;
    /// once the policy gives up, moved to the dead letters (and
    /// acknowledged), so a poison message does not block the stream.
    ///
    /// The failures counted are the delivery's attempt number (a delivery
    /// whose consumer crashed counts too) or the failures recorded here,
    /// whichever is more.
    ///
    /// ```no_run
    /// use event_core::integration::Consumer;
    /// use event_core::postgres::{PgInbox, sqlx};
    /// use event_core::prelude::*;
    /// use event_core::retry::RetryPolicy;
    /// use event_core::transport::InMemoryTransport;
    ///
    /// /// A payment was captured.
    /// #[integration_event(version = 1)]
    /// pub struct PaymentCapturedIntegrationEvent { pub payment_id: String }
    ///
    /// # async fn run(inbox: PgInbox, transport: InMemoryTransport) -> Result<(), event_core::BoxError> {
    /// let mut payments =
    ///     Consumer::<PaymentCapturedIntegrationEvent, _>::subscribe(&transport, "ledger").await?;
    /// while let Some(received) = payments.next().await {
    ///     let outcome = inbox
    ///         .deliver("ledger", received?, &RetryPolicy::default(), async |tx, e| {
    ///             sqlx::query("INSERT INTO payments (id) VALUES ($1)")
    ///                 .bind(&e.data().payment_id)
    ///                 .execute(&mut *tx)
    ///                 .await?;
    ///             Ok(())
    ///         })
    ///         .await;
    ///     if let Err(error) = outcome {
    ///         eprintln!("will come again: {error}");
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The handler's error when the event will come again, or a database or
    /// transport error (with the delivery unsettled when the database
    /// failed: the transport delivers it again).
    pub async fn deliver<E: Event, F>(
        &self,
        consumer: &str,
        received: Received<E>,
        policy: &RetryPolicy,
        handler: F,
    ) -> Result<InboxOutcome, BoxError>
    where
        F: AsyncFnOnce(&mut PgConnection, &Envelope<E>) -> Result<(), BoxError>,
    {
        let failed_before = received.delivery.attempt > 1;
        let error = match self
            .apply(consumer, &received.envelope, failed_before, handler)
            .await
        {
            Ok(outcome) => {
                received.ack().await?;
                return Ok(outcome);
            }
            Err(error) => error,
        };
        let text = error.to_string();
        let recorded: Result<i32, sqlx::Error> = sqlx::query_scalar(&self.sql.record_failure)
            .bind(consumer)
            .bind(received.delivery.message.id())
            .bind(&text)
            .fetch_one(&self.pool)
            .await;
        let recorded = match recorded {
            Ok(recorded) => u32::try_from(recorded).unwrap_or_default(),
            // The database is down: released after a pause, not dropped.
            Err(store) => {
                return Settlement::store_failed(policy, &received.delivery, store)
                    .settle(received.delivery)
                    .await;
            }
        };
        match policy.decide(received.delivery.attempt.max(recorded)) {
            RetryDecision::DeadLetter => {
                if let Err(store) = self.bury(consumer, &received.delivery, &text).await {
                    return Settlement::store_failed(policy, &received.delivery, store)
                        .settle(received.delivery)
                        .await;
                }
                received.ack().await?;
                Ok(InboxOutcome::DeadLettered)
            }
            RetryDecision::Immediately => {
                received.nack().await?;
                Err(error)
            }
            RetryDecision::After(delay) => {
                received.nack_after(delay).await?;
                Err(error)
            }
        }
    }

    /// Moves a delivery the consumer cannot process (a poison message, or
    /// bytes that do not decode) to the inbox's dead letters, with the
    /// failures recorded for it. Burying an event again replaces its dead
    /// letter.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn bury(
        &self,
        consumer: &str,
        delivery: &Delivery,
        error: &str,
    ) -> Result<(), sqlx::Error> {
        let headers = serde_json::to_string(&delivery.message.headers())
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        // Random, so that a requeue removes this burial and not a later one.
        let token = (crate::model::uuid7::random_u64() >> 1) as i64;
        sqlx::query(&self.sql.bury)
            .bind(consumer)
            .bind(delivery.message.id())
            .bind(delivery.message.event_type())
            .bind(headers)
            .bind(delivery.message.payload())
            .bind(i32::try_from(delivery.attempt).unwrap_or(i32::MAX))
            .bind(error)
            .bind(token)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The dead letters of `consumer`, oldest first.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn dead_letters(&self, consumer: &str) -> Result<Vec<InboxDeadLetter>, sqlx::Error> {
        let rows = sqlx::query(&self.sql.dead_letters)
            .bind(consumer)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(read_dead_letter).collect()
    }

    /// The dead letter of `event_id` for `consumer`, if there is one.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn dead_letter(
        &self,
        consumer: &str,
        event_id: &str,
    ) -> Result<Option<InboxDeadLetter>, sqlx::Error> {
        let row = sqlx::query(&self.sql.dead_letter)
            .bind(consumer)
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(read_dead_letter).transpose()
    }

    /// Gives a dead letter of `consumer` back to `transport`, for that
    /// consumer alone ([`Transport::requeue`]), as a new delivery (attempt
    /// 1), and removes it from the dead letters once the transport has it.
    /// Says whether there was such a dead letter.
    ///
    /// At least once: if this stops between the transport taking the message
    /// and the removal, the dead letter stays, and requeueing it again
    /// delivers a duplicate, which the inbox skips once the first is
    /// processed.
    ///
    /// # Errors
    ///
    /// [`RequeueError::Transport`] when the transport did not take the
    /// message (the dead letter is kept), or [`RequeueError::Storage`].
    pub async fn requeue<T: Transport>(
        &self,
        consumer: &str,
        event_id: &str,
        transport: &T,
    ) -> Result<bool, RequeueError> {
        let row = sqlx::query(&self.sql.dead_letter_token)
            .bind(consumer)
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let dead = read_dead_letter(&row)?;
        let token: i64 = row.try_get(9)?;
        transport
            .requeue(dead.message(), consumer)
            .await
            .map_err(RequeueError::Transport)?;
        // Only this burial: the requeued message may already have failed
        // and been buried again.
        sqlx::query(&self.sql.remove_burial)
            .bind(consumer)
            .bind(event_id)
            .bind(token)
            .execute(&self.pool)
            .await?;
        Ok(true)
    }

    /// Drops a dead letter of `consumer` for good; says whether there was
    /// one. The event is not marked processed: should it be delivered again,
    /// it is handled again.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn discard(&self, consumer: &str, event_id: &str) -> Result<bool, sqlx::Error> {
        let deleted = sqlx::query(&self.sql.discard)
            .bind(consumer)
            .bind(event_id)
            .execute(&self.pool)
            .await?;
        Ok(deleted.rows_affected() > 0)
    }

    /// How many events `consumer` has processed.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn processed(&self, consumer: &str) -> Result<u64, sqlx::Error> {
        let n: i64 = sqlx::query_scalar(&self.sql.processed)
            .bind(consumer)
            .fetch_one(&self.pool)
            .await?;
        Ok(count(n))
    }
}

/// The hosted consumer's inbox: each handler runs in a transaction of the
/// pool that also records the event, as [`PgInbox::deliver`] does.
///
/// ```no_run
/// use event_core::host::Host;
/// use event_core::postgres::{PgConfig, PgInbox, sqlx};
/// use event_core::prelude::*;
/// use event_core::transport::InMemoryTransport;
///
/// /// A payment was captured.
/// #[integration_event(version = 1)]
/// pub struct PaymentCapturedIntegrationEvent { pub payment_id: String }
///
/// # async fn run(
/// #     pool: sqlx::PgPool,
/// #     transport: InMemoryTransport,
/// #     shutdown: impl Future<Output = ()>,
/// # ) -> Result<(), event_core::BoxError> {
/// let inbox = PgInbox::new(pool, &PgConfig::default())?;
/// Host::new(transport)
///     .consumer("ledger", inbox)
///     .handle::<PaymentCapturedIntegrationEvent>(async |tx, envelope| {
///         sqlx::query("INSERT INTO payments (id) VALUES ($1)")
///             .bind(&envelope.data().payment_id)
///             .execute(&mut *tx)
///             .await?;
///         Ok(())
///     })
///     .run(shutdown)
///     .await?;
/// # Ok(())
/// # }
/// ```
impl Inbox for PgInbox {
    type Tx<'t> = &'t mut PgConnection;

    async fn deliver<E, F>(
        &self,
        consumer: &str,
        received: Received<E>,
        policy: &RetryPolicy,
        handler: &F,
    ) -> Result<InboxOutcome, BoxError>
    where
        E: IntegrationEvent,
        F: AsyncFn(Self::Tx<'_>, &Envelope<E>) -> Result<(), BoxError>,
    {
        PgInbox::deliver(self, consumer, received, policy, async |tx, envelope| {
            handler(tx, envelope).await
        })
        .await
    }

    async fn bury(&self, consumer: &str, delivery: &Delivery, error: &str) -> Result<(), BoxError> {
        Ok(PgInbox::bury(self, consumer, delivery, error).await?)
    }
}
