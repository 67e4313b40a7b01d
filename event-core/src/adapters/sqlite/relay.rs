//! The outbox store of the relay on SQLite.

use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, TransactionBehavior, params};

use super::now_ms;
use crate::delivery::bus::BoxError;
use crate::delivery::relay::{Claim, ClaimedRow, OutboxStore, stored_message};
use crate::encoding::message::Message;

/// Milliseconds of a duration, saturating.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A claim generation as SQLite stores it: the same 64 bits.
fn generation(claim: Claim) -> i64 {
    claim.generation as i64
}

/// The outbox in a SQLite database, for a [`Relay`](crate::relay::Relay):
/// `Relay::new(conn, transport, config)`. Claims run in an `IMMEDIATE`
/// transaction, so relays sharing a database never claim a row at once; each
/// claim moves the row's `claim_generation` on, and every later write is
/// conditional on it, so a relay that lost its lease writes nothing.
///
/// SQLite's calls block the task that makes them (up to the connection's
/// busy timeout when the database is locked): give the relay a runtime or a
/// thread of its own in a service that runs other work beside it.
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
                 SET state = 'in_flight', claimed_by = ?1, claimed_until = ?2,
                     claim_generation =
                         (CAST(claim_generation AS INTEGER) % 9223372036854775807) + 1
                 WHERE seq IN (
                     SELECT seq FROM event_outbox
                     WHERE (state = 'pending' AND next_attempt_at <= ?3)
                        OR (state = 'in_flight' AND claimed_until < ?3)
                     ORDER BY seq LIMIT ?4)
                 RETURNING seq, id, event_type, headers, payload, attempts, claim_generation",
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
                    // Any integer is a generation (stored as i64, carried as
                    // the same 64 bits); anything else makes the row corrupt.
                    let (generation, valid) = match row.get_ref(6)? {
                        ValueRef::Integer(n) => (n, true),
                        _ => (0, false),
                    };
                    let message = read_message(row)?.and_then(|message| {
                        if valid {
                            Ok(message)
                        } else {
                            Err("claim_generation is not an integer".to_owned())
                        }
                    });
                    Ok(ClaimedRow {
                        claim: Claim {
                            seq,
                            generation: generation as u64,
                        },
                        message,
                        attempts,
                    })
                },
            )?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        };
        tx.commit()?;
        rows.sort_by_key(|row| row.claim.seq);
        Ok(rows)
    }

    async fn renew(&mut self, claims: &[Claim], lease: Duration) -> Result<Vec<Claim>, BoxError> {
        let until = now_ms().saturating_add(millis(lease));
        let tx = self.transaction()?;
        let mut held = Vec::with_capacity(claims.len());
        {
            let mut statement = tx.prepare_cached(
                "UPDATE event_outbox SET claimed_until = ?1
                 WHERE seq = ?2 AND state = 'in_flight' AND claim_generation = ?3",
            )?;
            for claim in claims {
                if statement.execute(params![until, claim.seq, generation(*claim)])? == 1 {
                    held.push(*claim);
                }
            }
        }
        tx.commit()?;
        Ok(held)
    }

    async fn mark_published(&mut self, relay: &str, claim: Claim) -> Result<bool, BoxError> {
        let marked = self
            .prepare_cached(
                "UPDATE event_outbox
                 SET state = 'published', published_at = ?1, published_by = ?2,
                     claimed_by = NULL, claimed_until = NULL
                 WHERE seq = ?3 AND state = 'in_flight' AND claim_generation = ?4",
            )?
            .execute(params![now_ms(), relay, claim.seq, generation(claim)])?;
        Ok(marked == 1)
    }

    async fn retry_later(
        &mut self,
        claim: Claim,
        attempts: u32,
        error: &str,
        delay: Duration,
    ) -> Result<bool, BoxError> {
        let now = now_ms();
        let updated = self.execute(
            "UPDATE event_outbox
             SET state = 'pending', attempts = ?1, last_error = ?2, next_attempt_at = ?3,
                 first_failed_at = COALESCE(first_failed_at, ?4), last_failed_at = ?4,
                 claimed_by = NULL, claimed_until = NULL
             WHERE seq = ?5 AND state = 'in_flight' AND claim_generation = ?6",
            params![
                attempts,
                error,
                now.saturating_add(millis(delay)),
                now,
                claim.seq,
                generation(claim)
            ],
        )?;
        Ok(updated == 1)
    }

    async fn release(&mut self, claims: &[Claim]) -> Result<(), BoxError> {
        let tx = self.transaction()?;
        {
            let mut statement = tx.prepare_cached(
                "UPDATE event_outbox
                 SET state = 'pending', next_attempt_at = 0, claimed_by = NULL, claimed_until = NULL
                 WHERE seq = ?1 AND state = 'in_flight' AND claim_generation = ?2",
            )?;
            for claim in claims {
                statement.execute(params![claim.seq, generation(*claim)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    async fn bury(&mut self, claim: Claim, attempts: u32, error: &str) -> Result<bool, BoxError> {
        let tx = self.transaction()?;
        let buried = super::outbox::bury(&tx, Some(claim.generation), claim.seq, attempts, error)?;
        tx.commit()?;
        Ok(buried)
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
            stored_message(id, event_type, &headers, payload)
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
