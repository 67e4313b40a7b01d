//! The idempotent consumer: an inbox of processed (event id, consumer)
//! pairs, written in the consumer's own transaction.

use std::sync::Arc;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{count, now_ms};
use crate::delivery::bus::BoxError;
use crate::delivery::dead_letter::{InboxDeadLetter, InboxOutcome};
use crate::delivery::host::{Inbox, Settlement};
use crate::delivery::integration::Received;
use crate::delivery::retry::RetryPolicy;
use crate::delivery::transport::{Delivery, Transport};
use crate::model::envelope::Envelope;
use crate::model::event::{Event, IntegrationEvent};

/// The inbox on SQLite. The consumer's state change and the inbox row commit
/// in one transaction, so an event is applied exactly once however often it
/// is delivered.
#[derive(Debug, Clone, Copy)]
pub struct SqliteInbox;

/// Why an inbox dead letter was not requeued.
pub type RequeueError = crate::delivery::dead_letter::RequeueError<rusqlite::Error>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS event_inbox (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at INTEGER NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE IF NOT EXISTS event_inbox_failures (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    failures INTEGER NOT NULL,
    first_failed_at INTEGER NOT NULL,
    last_failed_at INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE IF NOT EXISTS event_inbox_dead_letters (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload BLOB NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    dead_at INTEGER NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
";

/// Columns the dead letters gained after their first release, added to a
/// table created before: the headers, the first failure, and a token that
/// tells one burial of an event from the next.
const DEAD_LETTER_COLUMNS: [(&str, &str); 3] = [
    ("headers", "TEXT NOT NULL DEFAULT '[]'"),
    ("first_failed_at", "INTEGER"),
    ("token", "INTEGER NOT NULL DEFAULT 0"),
];

const DEAD_LETTER_FIELDS: &str = "consumer, event_id, event_type, headers, payload, attempts, \
     last_error, first_failed_at, dead_at";

fn read_dead_letter(row: &rusqlite::Row<'_>) -> rusqlite::Result<InboxDeadLetter> {
    let headers: String = row.get(3)?;
    let payload = match row.get_ref(4)? {
        ValueRef::Blob(bytes) | ValueRef::Text(bytes) => bytes.to_vec(),
        _ => Vec::new(),
    };
    Ok(InboxDeadLetter {
        consumer: row.get(0)?,
        event_id: row.get(1)?,
        event_type: row.get(2)?,
        // Written by this inbox from a `Message`'s headers; unreadable
        // ones are dropped, and the payload still holds the envelope.
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        payload,
        attempts: row.get(5)?,
        last_error: row.get(6)?,
        first_failed_at_ms: row.get(7)?,
        last_failed_at_ms: row.get(8)?,
    })
}

impl SqliteInbox {
    /// Creates the inbox tables if they do not exist, and adds the columns
    /// a table created by an earlier version lacks.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn install(conn: &Connection) -> rusqlite::Result<()> {
        conn.execute_batch(SCHEMA)?;
        let existing: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('event_inbox_dead_letters')")?
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for (column, definition) in DEAD_LETTER_COLUMNS {
            if !existing.iter().any(|name| name == column) {
                conn.execute_batch(&format!(
                    "ALTER TABLE event_inbox_dead_letters ADD COLUMN {column} {definition}"
                ))?;
            }
        }
        Ok(())
    }

    /// Records `event_id` as processed by `consumer` in `tx`; says whether it
    /// was processed before.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn record(
        tx: &Transaction<'_>,
        consumer: &str,
        event_id: &str,
    ) -> rusqlite::Result<InboxOutcome> {
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO event_inbox (consumer, event_id, processed_at) VALUES (?1, ?2, ?3)",
            params![consumer, event_id, now_ms()],
        )?;
        Ok(if inserted == 1 {
            InboxOutcome::Processed
        } else {
            InboxOutcome::Duplicate
        })
    }

    /// Applies `envelope` once: in one transaction, records it and runs
    /// `handler`, which makes the consumer's state change through the same
    /// transaction. A duplicate is skipped; a failed handler rolls the whole
    /// transaction back, inbox row included.
    ///
    /// # Errors
    ///
    /// The handler's error, or SQLite's.
    pub fn handle<E>(
        conn: &mut Connection,
        consumer: &str,
        envelope: &Envelope<E>,
        handler: impl FnOnce(&Transaction<'_>, &Envelope<E>) -> Result<(), BoxError>,
    ) -> Result<InboxOutcome, BoxError> {
        Self::apply(conn, consumer, envelope, false, handler)
    }

    /// [`handle`](Self::handle), also forgetting the failures recorded for
    /// the event when `failed_before`, in the same transaction.
    fn apply<E>(
        conn: &mut Connection,
        consumer: &str,
        envelope: &Envelope<E>,
        failed_before: bool,
        handler: impl FnOnce(&Transaction<'_>, &Envelope<E>) -> Result<(), BoxError>,
    ) -> Result<InboxOutcome, BoxError> {
        let (tx, outcome) = Self::begin(conn, consumer, envelope.id().as_str(), failed_before)?;
        if outcome == InboxOutcome::Processed {
            handler(&tx, envelope)?;
        }
        tx.commit()?;
        Ok(outcome)
    }

    /// Opens the transaction of one delivery: forgets the failures recorded
    /// for the event when `failed_before`, and records it (or finds it
    /// recorded: a duplicate).
    fn begin<'c>(
        conn: &'c mut Connection,
        consumer: &str,
        event_id: &str,
        failed_before: bool,
    ) -> rusqlite::Result<(Transaction<'c>, InboxOutcome)> {
        let tx = conn.transaction()?;
        if failed_before {
            tx.execute(
                "DELETE FROM event_inbox_failures WHERE consumer = ?1 AND event_id = ?2",
                params![consumer, event_id],
            )?;
        }
        let outcome = Self::record(&tx, consumer, event_id)?;
        Ok((tx, outcome))
    }

    /// [`apply`](Self::apply) with an async handler, which may hold the
    /// transaction across `.await`s.
    async fn apply_async<E, F>(
        conn: &mut Connection,
        consumer: &str,
        envelope: &Envelope<E>,
        failed_before: bool,
        handler: F,
    ) -> Result<InboxOutcome, BoxError>
    where
        F: AsyncFnOnce(&Transaction<'_>, &Envelope<E>) -> Result<(), BoxError>,
    {
        let (tx, outcome) = Self::begin(conn, consumer, envelope.id().as_str(), failed_before)?;
        if outcome == InboxOutcome::Processed {
            handler(&tx, envelope).await?;
        }
        tx.commit()?;
        Ok(outcome)
    }

    /// Handles a received envelope and settles its delivery, following
    /// `policy`: acknowledged when processed or a duplicate; when the
    /// handler fails, the failure is recorded and the delivery negatively
    /// acknowledged, for the transport to deliver it again at once or after
    /// the policy's delay; once the policy gives up, moved to the dead
    /// letters (and acknowledged), so a poison message does not block the
    /// stream.
    ///
    /// The failures counted are the delivery's attempt number (a delivery
    /// whose consumer crashed counts too) or the failures recorded here,
    /// whichever is more.
    ///
    /// # Errors
    ///
    /// The handler's error when the event will come again, or a SQLite or
    /// transport error.
    pub async fn deliver<E: Event>(
        conn: &mut Connection,
        consumer: &str,
        received: Received<E>,
        policy: &RetryPolicy,
        handler: impl FnOnce(&Transaction<'_>, &Envelope<E>) -> Result<(), BoxError>,
    ) -> Result<InboxOutcome, BoxError> {
        let failed_before = received.delivery.attempt > 1;
        let applied = Self::apply(conn, consumer, &received.envelope, failed_before, handler);
        let settlement = Self::settlement(conn, consumer, &received.delivery, policy, applied)
            .unwrap_or_else(|store| Settlement::store_failed(policy, &received.delivery, store));
        settlement.settle(received.delivery).await
    }

    /// How to settle a delivery once it was applied: acknowledged when it
    /// was, otherwise with the failure recorded and the policy's decision
    /// (the delivery buried when it gives up).
    fn settlement(
        conn: &Connection,
        consumer: &str,
        delivery: &Delivery,
        policy: &RetryPolicy,
        applied: Result<InboxOutcome, BoxError>,
    ) -> rusqlite::Result<Settlement> {
        let error = match applied {
            Ok(outcome) => return Ok(Settlement::Ack(outcome)),
            Err(error) => error,
        };
        let recorded = Self::record_failure(conn, consumer, delivery, &error.to_string())?;
        Settlement::after_failure(policy, delivery, recorded, error, |error| {
            Self::bury(conn, consumer, delivery, error)
        })
    }

    /// Records one more failure of a delivery; returns how many are recorded.
    fn record_failure(
        conn: &Connection,
        consumer: &str,
        delivery: &Delivery,
        error: &str,
    ) -> rusqlite::Result<u32> {
        conn.query_row(
            "INSERT INTO event_inbox_failures
                 (consumer, event_id, failures, first_failed_at, last_failed_at, last_error)
             VALUES (?1, ?2, 1, ?3, ?3, ?4)
             ON CONFLICT (consumer, event_id) DO UPDATE SET
                 failures = failures + 1, last_failed_at = excluded.last_failed_at,
                 last_error = excluded.last_error
             RETURNING failures",
            params![consumer, delivery.message.id(), now_ms(), error],
            |row| row.get(0),
        )
    }

    /// Moves a delivery the consumer cannot process (a poison message, or
    /// bytes that do not decode) to the inbox's dead letters, with the
    /// failures recorded for it. Burying an event again replaces its dead
    /// letter.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn bury(
        conn: &Connection,
        consumer: &str,
        delivery: &Delivery,
        error: &str,
    ) -> rusqlite::Result<()> {
        let headers = serde_json::to_string(&delivery.message.headers())
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let now = now_ms();
        let tx = conn.unchecked_transaction()?;
        let recorded: Option<i64> = tx
            .query_row(
                "DELETE FROM event_inbox_failures WHERE consumer = ?1 AND event_id = ?2
                 RETURNING first_failed_at",
                params![consumer, delivery.message.id()],
                |row| row.get(0),
            )
            .optional()?;
        // Without a record, the first failure is known only if this is the
        // first delivery.
        let first_failed_at = recorded.or((delivery.attempt <= 1).then_some(now));
        // Random, so that a requeue removes this burial and not a later one.
        let token = (crate::model::uuid7::random_u64() >> 1) as i64;
        tx.execute(
            "INSERT OR REPLACE INTO event_inbox_dead_letters
                 (consumer, event_id, event_type, headers, payload, attempts, last_error,
                  first_failed_at, dead_at, token)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                consumer,
                delivery.message.id(),
                delivery.message.event_type(),
                headers,
                delivery.message.payload(),
                delivery.attempt,
                error,
                first_failed_at,
                now,
                token
            ],
        )?;
        tx.commit()
    }

    /// The dead letters of `consumer`, oldest first.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn dead_letters(
        conn: &Connection,
        consumer: &str,
    ) -> rusqlite::Result<Vec<InboxDeadLetter>> {
        let mut statement = conn.prepare(&format!(
            "SELECT {DEAD_LETTER_FIELDS} FROM event_inbox_dead_letters
             WHERE consumer = ?1 ORDER BY dead_at, event_id"
        ))?;
        let rows = statement.query_map(params![consumer], read_dead_letter)?;
        rows.collect()
    }

    /// The dead letter of `event_id` for `consumer`, if there is one.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn dead_letter(
        conn: &Connection,
        consumer: &str,
        event_id: &str,
    ) -> rusqlite::Result<Option<InboxDeadLetter>> {
        conn.query_row(
            &format!(
                "SELECT {DEAD_LETTER_FIELDS} FROM event_inbox_dead_letters
                 WHERE consumer = ?1 AND event_id = ?2"
            ),
            params![consumer, event_id],
            read_dead_letter,
        )
        .optional()
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
        conn: &mut Connection,
        consumer: &str,
        event_id: &str,
        transport: &T,
    ) -> Result<bool, RequeueError> {
        let found = conn
            .query_row(
                &format!(
                    "SELECT {DEAD_LETTER_FIELDS}, token FROM event_inbox_dead_letters
                     WHERE consumer = ?1 AND event_id = ?2"
                ),
                params![consumer, event_id],
                |row| Ok((read_dead_letter(row)?, row.get::<_, i64>(9)?)),
            )
            .optional()?;
        let Some((dead, token)) = found else {
            return Ok(false);
        };
        transport
            .requeue(dead.message(), consumer)
            .await
            .map_err(RequeueError::Transport)?;
        // Only this burial: the requeued message may already have failed
        // and been buried again.
        conn.execute(
            "DELETE FROM event_inbox_dead_letters
             WHERE consumer = ?1 AND event_id = ?2 AND token = ?3",
            params![consumer, event_id, token],
        )?;
        Ok(true)
    }

    /// Drops a dead letter of `consumer` for good; says whether there was
    /// one. The event is not marked processed: should it be delivered again,
    /// it is handled again.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn discard(conn: &Connection, consumer: &str, event_id: &str) -> rusqlite::Result<bool> {
        let deleted = conn.execute(
            "DELETE FROM event_inbox_dead_letters WHERE consumer = ?1 AND event_id = ?2",
            params![consumer, event_id],
        )?;
        Ok(deleted > 0)
    }

    /// How many events `consumer` has processed.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn processed(conn: &Connection, consumer: &str) -> rusqlite::Result<u64> {
        count(
            conn,
            "SELECT COUNT(*) FROM event_inbox WHERE consumer = ?1",
            params![consumer],
        )
    }
}

/// A SQLite connection holding a consumer's inbox (and, usually, the
/// consumer's own tables), for the [`Host`](crate::host::Host): its
/// handlers take turns on it, each in a transaction that also records the
/// event, as [`SqliteInbox::deliver`] does. Clones share the connection.
///
/// ```
/// use event_core::host::Host;
/// use event_core::prelude::*;
/// use event_core::sqlite::InboxConnection;
/// use event_core::transport::InMemoryTransport;
///
/// /// A loan was returned.
/// #[integration_event(version = 1)]
/// pub struct LoanReturnedIntegrationEvent { pub loan_id: String }
///
/// let conn = rusqlite::Connection::open_in_memory()?;
/// conn.execute("CREATE TABLE returns (loan_id TEXT PRIMARY KEY)", [])?;
/// let inbox = InboxConnection::new(conn)?;
/// let host = Host::new(InMemoryTransport::new())
///     .consumer("shelf", inbox.clone())
///     .handle::<LoanReturnedIntegrationEvent>(async |tx, envelope| {
///         tx.execute("INSERT INTO returns (loan_id) VALUES (?1)", [&envelope.data().loan_id])?;
///         Ok(())
///     });
/// # drop(host);
/// # Ok::<(), event_core::BoxError>(())
/// ```
#[derive(Debug, Clone)]
pub struct InboxConnection {
    conn: Arc<tokio::sync::Mutex<Connection>>,
}

impl InboxConnection {
    /// The inbox on `conn`, its tables created if they do not exist
    /// ([`SqliteInbox::install`]).
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn new(conn: Connection) -> rusqlite::Result<Self> {
        SqliteInbox::install(&conn)?;
        Ok(InboxConnection {
            conn: Arc::new(tokio::sync::Mutex::new(conn)),
        })
    }

    /// The connection, once no handler is using it: to read the consumer's
    /// state, or the inbox's ([`SqliteInbox::processed`],
    /// [`SqliteInbox::dead_letters`]).
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, Connection> {
        self.conn.lock().await
    }
}

impl Inbox for InboxConnection {
    type Tx<'t> = &'t Transaction<'t>;

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
        let settlement = {
            // Released before the transport is told, so the next handler
            // need not wait for the broker.
            let mut conn = self.conn.lock().await;
            let failed_before = received.delivery.attempt > 1;
            let applied = SqliteInbox::apply_async(
                &mut conn,
                consumer,
                &received.envelope,
                failed_before,
                async |tx, envelope| handler(tx, envelope).await,
            )
            .await;
            SqliteInbox::settlement(&conn, consumer, &received.delivery, policy, applied)
                .unwrap_or_else(|store| Settlement::store_failed(policy, &received.delivery, store))
        };
        settlement.settle(received.delivery).await
    }

    async fn bury(&self, consumer: &str, delivery: &Delivery, error: &str) -> Result<(), BoxError> {
        let conn = self.conn.lock().await;
        Ok(SqliteInbox::bury(&conn, consumer, delivery, error)?)
    }
}
