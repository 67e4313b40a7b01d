//! The idempotent consumer: an inbox of processed (event id, consumer)
//! pairs, written in the consumer's own transaction.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, Transaction, params};

use super::{count, now_ms};
use crate::bus::BoxError;
use crate::integration::Received;
use crate::transport::Delivery;
use crate::{Envelope, Event};

/// What became of one delivered event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxOutcome {
    /// Handled now, for the first time.
    Processed,
    /// Handled before: skipped.
    Duplicate,
    /// Failed too often: moved to the inbox's dead letters.
    DeadLettered,
}

/// The inbox on SQLite. The consumer's state change and the inbox row commit
/// in one transaction, so an event is applied exactly once however often it
/// is delivered.
#[derive(Debug, Clone, Copy)]
pub struct SqliteInbox;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS event_inbox (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at INTEGER NOT NULL,
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

impl SqliteInbox {
    /// Creates the inbox tables if they do not exist.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn install(conn: &Connection) -> rusqlite::Result<()> {
        conn.execute_batch(SCHEMA)
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
        let tx = conn.transaction()?;
        if Self::record(&tx, consumer, envelope.id().as_str())? == InboxOutcome::Duplicate {
            return Ok(InboxOutcome::Duplicate);
        }
        handler(&tx, envelope)?;
        tx.commit()?;
        Ok(InboxOutcome::Processed)
    }

    /// Handles a received envelope and settles its delivery: acknowledged
    /// when processed or a duplicate; negatively acknowledged when the
    /// handler fails, for the transport to deliver it again; moved to the
    /// dead letters (and acknowledged) once it failed `max_attempts` times,
    /// so a poison message does not block the stream.
    ///
    /// # Errors
    ///
    /// The handler's error when the event will come again, or a SQLite or
    /// transport error.
    pub async fn deliver<E: Event>(
        conn: &mut Connection,
        consumer: &str,
        received: Received<E>,
        max_attempts: u32,
        handler: impl FnOnce(&Transaction<'_>, &Envelope<E>) -> Result<(), BoxError>,
    ) -> Result<InboxOutcome, BoxError> {
        match Self::handle(conn, consumer, &received.envelope, handler) {
            Ok(outcome) => {
                received.ack().await?;
                Ok(outcome)
            }
            Err(error) if received.delivery.attempt >= max_attempts => {
                Self::bury(conn, consumer, &received.delivery, &error.to_string())?;
                received.ack().await?;
                Ok(InboxOutcome::DeadLettered)
            }
            Err(error) => {
                received.nack().await?;
                Err(error)
            }
        }
    }

    /// Moves a delivery the consumer cannot process (a poison message, or
    /// bytes that do not decode) to the inbox's dead letters.
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
        conn.execute(
            "INSERT OR REPLACE INTO event_inbox_dead_letters
                 (consumer, event_id, event_type, payload, attempts, last_error, dead_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                consumer,
                delivery.message.id,
                delivery.message.event_type,
                delivery.message.payload,
                delivery.attempt,
                error,
                now_ms()
            ],
        )?;
        Ok(())
    }

    /// The ids of the dead letters of `consumer`, oldest first.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn dead_letters(
        conn: &Connection,
        consumer: &str,
    ) -> rusqlite::Result<Vec<(String, String)>> {
        let mut statement = conn.prepare(
            "SELECT event_id, last_error FROM event_inbox_dead_letters
             WHERE consumer = ?1 ORDER BY dead_at, event_id",
        )?;
        let rows = statement.query_map(params![consumer], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect()
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

/// An inbox in memory, for tests and consumers whose state is in memory too.
#[derive(Debug, Default)]
pub struct MemoryInbox {
    seen: Mutex<HashSet<(String, String)>>,
}

impl MemoryInbox {
    /// An empty inbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `handler` unless `consumer` processed this event before; the
    /// event counts as processed only if the handler succeeds.
    ///
    /// # Errors
    ///
    /// The handler's error.
    pub fn handle<E>(
        &self,
        consumer: &str,
        envelope: &Envelope<E>,
        handler: impl FnOnce(&Envelope<E>) -> Result<(), BoxError>,
    ) -> Result<InboxOutcome, BoxError> {
        let key = (consumer.to_owned(), envelope.id().to_string());
        // The lock is held across the handler, so two deliveries of one
        // event cannot both run it.
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.contains(&key) {
            return Ok(InboxOutcome::Duplicate);
        }
        handler(envelope)?;
        seen.insert(key);
        Ok(InboxOutcome::Processed)
    }
}
