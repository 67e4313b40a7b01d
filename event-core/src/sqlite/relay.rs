//! The outbox store of the relay on SQLite.

use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, TransactionBehavior, params};

use super::now_ms;
use crate::bus::BoxError;
use crate::message::Message;
use crate::relay::{ClaimedRow, OutboxStore};

/// Milliseconds of a duration, saturating.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The outbox in a SQLite database, for a [`Relay`](crate::relay::Relay):
/// `Relay::new(conn, transport, config)`. Claims run in an `IMMEDIATE`
/// transaction, so relays sharing a database never claim a row at once;
/// every later write names the relay and touches the row only while that
/// relay holds it.
impl OutboxStore for Connection {
    async fn claim(
        &mut self,
        relay: &str,
        batch: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedRow>, BoxError> {
        let now = now_ms();
        let tx = self.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut rows = {
            let mut statement = tx.prepare_cached(
                "UPDATE event_outbox
                 SET state = 'in_flight', claimed_by = ?1, claimed_until = ?2
                 WHERE seq IN (
                     SELECT seq FROM event_outbox
                     WHERE (state = 'pending' AND next_attempt_at <= ?3)
                        OR (state = 'in_flight' AND claimed_until < ?3)
                     ORDER BY seq LIMIT ?4)
                 RETURNING seq, id, event_type, headers, payload, attempts",
            )?;
            let rows = statement.query_map(
                params![
                    relay,
                    now.saturating_add(millis(lease)),
                    now,
                    i64::try_from(batch).unwrap_or(i64::MAX)
                ],
                |row| {
                    let seq: i64 = row.get(0)?;
                    // Columns are read as whatever they hold: a row written
                    // wrong is dead-lettered, and must not stop the relay.
                    let attempts = match row.get_ref(5)? {
                        ValueRef::Integer(n) => u32::try_from(n).unwrap_or(u32::MAX),
                        _ => u32::MAX,
                    };
                    Ok(ClaimedRow {
                        seq,
                        message: read_message(row)?,
                        attempts,
                    })
                },
            )?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        tx.commit()?;
        rows.sort_by_key(|row| row.seq);
        Ok(rows)
    }

    async fn mark_published(&mut self, relay: &str, seq: i64) -> Result<(), BoxError> {
        self.prepare_cached(
            "UPDATE event_outbox
             SET state = 'published', published_at = ?1, claimed_by = NULL, claimed_until = NULL
             WHERE seq = ?2 AND claimed_by = ?3",
        )?
        .execute(params![now_ms(), seq, relay])?;
        Ok(())
    }

    async fn retry_later(
        &mut self,
        relay: &str,
        seq: i64,
        attempts: u32,
        error: &str,
        delay: Duration,
    ) -> Result<(), BoxError> {
        let now = now_ms();
        self.execute(
            "UPDATE event_outbox
             SET state = 'pending', attempts = ?1, last_error = ?2, next_attempt_at = ?3,
                 first_failed_at = COALESCE(first_failed_at, ?4), last_failed_at = ?4,
                 claimed_by = NULL, claimed_until = NULL
             WHERE seq = ?5 AND claimed_by = ?6",
            params![
                attempts,
                error,
                now.saturating_add(millis(delay)),
                now,
                seq,
                relay
            ],
        )?;
        Ok(())
    }

    async fn release(&mut self, relay: &str, seqs: &[i64]) -> Result<(), BoxError> {
        let tx = self.transaction()?;
        {
            let mut statement = tx.prepare_cached(
                "UPDATE event_outbox
                 SET state = 'pending', next_attempt_at = 0, claimed_by = NULL, claimed_until = NULL
                 WHERE seq = ?1 AND claimed_by = ?2",
            )?;
            for seq in seqs {
                statement.execute(params![seq, relay])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    async fn bury(
        &mut self,
        relay: &str,
        seq: i64,
        attempts: u32,
        error: &str,
    ) -> Result<(), BoxError> {
        let tx = self.transaction()?;
        super::outbox::bury(&tx, Some(relay), seq, attempts, error)?;
        tx.commit()?;
        Ok(())
    }

    async fn purge_published(&mut self, older_than: Duration) -> Result<(), BoxError> {
        super::SqliteOutbox::purge_published(self, millis(older_than))?;
        Ok(())
    }
}

/// The message of a claimed row, or why the row is corrupt.
fn read_message(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Message, String>> {
    let id = text(row.get_ref(1)?, "id")?;
    let event_type = text(row.get_ref(2)?, "event_type")?;
    let headers = text(row.get_ref(3)?, "headers")?;
    let payload = match row.get_ref(4)? {
        ValueRef::Blob(bytes) | ValueRef::Text(bytes) => Ok(bytes.to_vec()),
        _ => Err("payload is not bytes".to_owned()),
    };
    Ok(match (id, event_type, headers, payload) {
        (Ok(id), Ok(event_type), Ok(headers), Ok(payload)) => {
            validate(id, event_type, &headers, payload)
        }
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => Err(e),
    })
}

/// A text column, or why it is not one.
fn text(value: ValueRef<'_>, column: &str) -> rusqlite::Result<Result<String, String>> {
    Ok(match value {
        ValueRef::Text(bytes) => {
            String::from_utf8(bytes.to_vec()).map_err(|_| format!("{column} is not UTF-8"))
        }
        _ => Err(format!("{column} is not text")),
    })
}

/// A row is published only if its payload is an envelope of its own id and
/// type: bytes that were written wrong are not passed on.
fn validate(
    id: String,
    event_type: String,
    headers: &str,
    payload: Vec<u8>,
) -> Result<Message, String> {
    let headers: Vec<(String, String)> =
        serde_json::from_str(headers).map_err(|e| format!("headers are not valid: {e}"))?;
    let envelope: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|e| format!("payload is not JSON: {e}"))?;
    if envelope.get("id").and_then(serde_json::Value::as_str) != Some(id.as_str()) {
        return Err(format!("payload is not the envelope of event `{id}`"));
    }
    if envelope.get("type").and_then(serde_json::Value::as_str) != Some(event_type.as_str()) {
        return Err(format!("payload is not an envelope of type `{event_type}`"));
    }
    Ok(Message {
        id,
        event_type,
        headers,
        payload,
    })
}
