//! The outbox table and its operator functions.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{count, now_ms};
use crate::message::Message;

/// The transactional outbox on SQLite. Every function takes the connection
/// or transaction to work in; the outbox holds no state of its own.
#[derive(Debug, Clone, Copy)]
pub struct SqliteOutbox;

/// A message the relay gave up on, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The event id.
    pub id: String,
    /// The full event type.
    pub event_type: String,
    /// How many times publishing was tried.
    pub attempts: u32,
    /// The last error.
    pub last_error: String,
    /// When it was dead-lettered, in milliseconds since the Unix epoch.
    pub dead_at_ms: i64,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS event_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    headers TEXT NOT NULL,
    payload BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'in_flight', 'published')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX IF NOT EXISTS event_outbox_due ON event_outbox (state, next_attempt_at, seq);
CREATE TABLE IF NOT EXISTS event_outbox_dead_letters (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    headers TEXT NOT NULL,
    payload BLOB NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    dead_at INTEGER NOT NULL
);
";

impl SqliteOutbox {
    /// Creates the outbox tables if they do not exist.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn install(conn: &Connection) -> rusqlite::Result<()> {
        conn.execute_batch(SCHEMA)
    }

    /// Appends a message in the caller's transaction: it is stored if and
    /// only if the transaction commits. Appending an id twice is an error.
    ///
    /// # Errors
    ///
    /// SQLite's error; the caller's transaction decides what happens then.
    pub fn append(tx: &Transaction<'_>, message: &Message) -> rusqlite::Result<()> {
        let headers = serde_json::to_string(&message.headers)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        // Cached: a use case appending a batch prepares the statement once.
        tx.prepare_cached(
            "INSERT INTO event_outbox (id, event_type, headers, payload, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            message.id,
            message.event_type,
            headers,
            message.payload,
            now_ms()
        ])?;
        Ok(())
    }

    /// Appends every message, in order, in the caller's transaction: the
    /// messages a translator left in
    /// [`PendingMessages`](crate::PendingMessages), before the use case
    /// commits.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn append_all(
        tx: &Transaction<'_>,
        messages: impl IntoIterator<Item = Message>,
    ) -> rusqlite::Result<usize> {
        let mut count = 0;
        for message in messages {
            Self::append(tx, &message)?;
            count += 1;
        }
        Ok(count)
    }

    /// How many messages wait to be published (pending or in flight).
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn pending(conn: &Connection) -> rusqlite::Result<u64> {
        count(
            conn,
            "SELECT COUNT(*) FROM event_outbox WHERE state != 'published'",
            [],
        )
    }

    /// How many messages were published and are kept until purged.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn published(conn: &Connection) -> rusqlite::Result<u64> {
        count(
            conn,
            "SELECT COUNT(*) FROM event_outbox WHERE state = 'published'",
            [],
        )
    }

    /// Deletes published messages older than `older_than_ms` milliseconds;
    /// returns how many.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn purge_published(conn: &Connection, older_than_ms: i64) -> rusqlite::Result<usize> {
        conn.execute(
            "DELETE FROM event_outbox WHERE state = 'published' AND published_at < ?1",
            params![now_ms() - older_than_ms],
        )
    }

    /// The dead letters, oldest first.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn dead_letters(conn: &Connection) -> rusqlite::Result<Vec<DeadLetter>> {
        let mut statement = conn.prepare(
            "SELECT id, event_type, attempts, last_error, dead_at
             FROM event_outbox_dead_letters ORDER BY seq",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(DeadLetter {
                id: row.get(0)?,
                event_type: row.get(1)?,
                attempts: row.get(2)?,
                last_error: row.get(3)?,
                dead_at_ms: row.get(4)?,
            })
        })?;
        rows.collect()
    }

    /// Puts a dead letter back in the outbox, in its original place in the
    /// order, with its attempts reset. Returns whether it was found.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn requeue(conn: &mut Connection, id: &str) -> rusqlite::Result<bool> {
        let tx = conn.transaction()?;
        let moved = tx.execute(
            "INSERT INTO event_outbox (seq, id, event_type, headers, payload, created_at)
             SELECT seq, id, event_type, headers, payload, ?2
             FROM event_outbox_dead_letters WHERE id = ?1",
            params![id, now_ms()],
        )?;
        tx.execute(
            "DELETE FROM event_outbox_dead_letters WHERE id = ?1",
            params![id],
        )?;
        tx.commit()?;
        Ok(moved == 1)
    }

    /// Moves a row to the dead letters, in the given transaction.
    pub(crate) fn bury(tx: &Transaction<'_>, seq: i64, error: &str) -> rusqlite::Result<()> {
        tx.execute(
            "INSERT INTO event_outbox_dead_letters
                 (seq, id, event_type, headers, payload, attempts, last_error, dead_at)
             SELECT seq, id, event_type, headers, payload, attempts, ?2, ?3
             FROM event_outbox WHERE seq = ?1",
            params![seq, error, now_ms()],
        )?;
        tx.execute("DELETE FROM event_outbox WHERE seq = ?1", params![seq])?;
        Ok(())
    }

    /// The state of one message, for tests and operators.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn state_of(conn: &Connection, id: &str) -> rusqlite::Result<Option<(String, u32)>> {
        conn.query_row(
            "SELECT state, attempts FROM event_outbox WHERE id = ?1",
            params![id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
    }
}
