//! Forwards the outbox to a transport.

use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, params};

use super::now_ms;
use super::outbox::SqliteOutbox;
use crate::message::Message;
use crate::transport::Transport;

/// How a [`Relay`] claims, retries and keeps rows.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// This relay's name in the rows it claims; unique per running relay.
    pub name: String,
    /// How many rows one pass claims at most.
    pub batch_size: usize,
    /// How many failed publishes move a row to the dead letters.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles with each one.
    pub base_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// How long a claimed row stays reserved for this relay. A relay that
    /// dies holding rows leaves them to others after this long: at least
    /// once, never lost.
    pub lease: Duration,
    /// The pause when there is nothing to do.
    pub idle_wait: Duration,
    /// How long published rows are kept; `None` keeps them.
    pub retention: Option<Duration>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            name: format!("relay-{}", crate::uuid7::new_v7()),
            batch_size: 100,
            max_attempts: 10,
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(60),
            lease: Duration::from_secs(30),
            idle_wait: Duration::from_millis(50),
            retention: Some(Duration::from_secs(7 * 24 * 3600)),
        }
    }
}

/// What a relay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayStats {
    /// Rows the transport acknowledged.
    pub published: u64,
    /// Failed publishes that will be retried.
    pub retried: u64,
    /// Rows moved to the dead letters.
    pub dead: u64,
}

impl std::ops::AddAssign for RelayStats {
    fn add_assign(&mut self, other: Self) {
        self.published += other.published;
        self.retried += other.retried;
        self.dead += other.dead;
    }
}

/// Reads due rows of the outbox in order, publishes them through a
/// transport, and marks them published once the transport acknowledged them.
///
/// A failed publish is retried with exponential backoff and jitter, up to
/// `max_attempts`; then the row moves to the dead letters with its last error.
/// A row whose payload is not an envelope of its type is dead-lettered at
/// once. Rows are claimed under a lease, so several relays on one database
/// never publish the same row at the same time, and the rows of a relay that
/// crashed are published again after the lease: delivery is at least once.
#[derive(Debug)]
pub struct Relay<T> {
    conn: Connection,
    transport: T,
    config: RelayConfig,
}

struct Claimed {
    seq: i64,
    message: Result<Message, String>,
    attempts: u32,
}

impl<T: Transport> Relay<T> {
    /// A relay over an open connection to the database holding the outbox.
    ///
    /// # Errors
    ///
    /// SQLite's error while configuring the connection.
    pub fn new(conn: Connection, transport: T, config: RelayConfig) -> rusqlite::Result<Self> {
        // Relays and use cases share the database: wait for locks rather
        // than fail.
        conn.busy_timeout(Duration::from_secs(10))?;
        Ok(Relay {
            conn,
            transport,
            config,
        })
    }

    /// The connection, for operator functions.
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Claims one batch of due rows and publishes it.
    ///
    /// # Errors
    ///
    /// SQLite's error; rows claimed and not settled are published again after
    /// the lease.
    pub async fn run_once(&mut self) -> rusqlite::Result<RelayStats> {
        let claimed = self.claim()?;
        let mut stats = RelayStats::default();
        for row in claimed {
            let message = match row.message {
                Ok(message) => message,
                Err(corrupt) => {
                    self.bury(row.seq, &format!("corrupt row: {corrupt}"))?;
                    stats.dead += 1;
                    continue;
                }
            };
            match self.transport.publish(message).await {
                Ok(()) => {
                    self.conn.execute(
                        "UPDATE event_outbox
                         SET state = 'published', published_at = ?1, claimed_by = NULL,
                             claimed_until = NULL
                         WHERE seq = ?2 AND claimed_by = ?3",
                        params![now_ms(), row.seq, self.config.name],
                    )?;
                    stats.published += 1;
                }
                Err(error) => {
                    let attempts = row.attempts + 1;
                    let error = error.to_string();
                    trace_warn!(seq = row.seq, attempts, %error, "publish failed");
                    if attempts >= self.config.max_attempts {
                        self.conn.execute(
                            "UPDATE event_outbox SET attempts = ?1 WHERE seq = ?2",
                            params![attempts, row.seq],
                        )?;
                        self.bury(row.seq, &error)?;
                        stats.dead += 1;
                    } else {
                        let wait =
                            i64::try_from(self.backoff(attempts).as_millis()).unwrap_or(i64::MAX);
                        self.conn.execute(
                            "UPDATE event_outbox
                             SET state = 'pending', attempts = ?1, last_error = ?2,
                                 next_attempt_at = ?3, claimed_by = NULL, claimed_until = NULL
                             WHERE seq = ?4 AND claimed_by = ?5",
                            params![
                                attempts,
                                error,
                                now_ms().saturating_add(wait),
                                row.seq,
                                self.config.name
                            ],
                        )?;
                        stats.retried += 1;
                    }
                }
            }
        }
        Ok(stats)
    }

    /// Runs until `stop` resolves: passes back to back while there is work,
    /// a pause of `idle_wait` when there is none, and the retention purge.
    ///
    /// # Errors
    ///
    /// The first SQLite error; what was claimed and not settled is published
    /// again after the lease.
    pub async fn run(
        mut self,
        stop: impl core::future::Future<Output = ()>,
    ) -> rusqlite::Result<RelayStats> {
        let mut stop = core::pin::pin!(stop);
        let mut total = RelayStats::default();
        loop {
            let stats = self.run_once().await?;
            total += stats;
            if let Some(retention) = self.config.retention {
                SqliteOutbox::purge_published(
                    &self.conn,
                    i64::try_from(retention.as_millis()).unwrap_or(i64::MAX),
                )?;
            }
            let busy = stats.published + stats.retried + stats.dead > 0;
            let pause = if busy {
                Duration::ZERO
            } else {
                self.config.idle_wait
            };
            let mut sleep = core::pin::pin!(tokio::time::sleep(pause));
            let stopped = core::future::poll_fn(|cx| {
                if stop.as_mut().poll(cx).is_ready() {
                    core::task::Poll::Ready(true)
                } else {
                    sleep.as_mut().poll(cx).map(|()| false)
                }
            })
            .await;
            if stopped {
                return Ok(total);
            }
        }
    }

    /// The wait before attempt `attempts + 1`: `base * 2^(attempts - 1)`, at
    /// most `max_backoff`, scaled by a random factor between 0.5 and 1.
    fn backoff(&self, attempts: u32) -> Duration {
        let doubled = self
            .config
            .base_backoff
            .saturating_mul(1 << attempts.saturating_sub(1).min(20));
        let capped = doubled.min(self.config.max_backoff);
        // The random bits of a UUID v7 serve as jitter.
        let random = (crate::uuid7::random_u64() & 0xffff) as u32;
        capped.mul_f64(0.5 + f64::from(random) / f64::from(0xffff_u32) / 2.0)
    }

    fn claim(&mut self) -> rusqlite::Result<Vec<Claimed>> {
        let now = now_ms();
        let lease = i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut rows = {
            let mut statement = tx.prepare(
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
                    self.config.name,
                    now.saturating_add(lease),
                    now,
                    i64::try_from(self.config.batch_size).unwrap_or(i64::MAX)
                ],
                |row| {
                    let seq: i64 = row.get(0)?;
                    // Columns are read as whatever they hold: a row written
                    // wrong is dead-lettered, and must not stop the relay.
                    let attempts = match row.get_ref(5)? {
                        ValueRef::Integer(n) => u32::try_from(n).unwrap_or(u32::MAX),
                        _ => u32::MAX,
                    };
                    let message = read_message(row)?;
                    Ok(Claimed {
                        seq,
                        message,
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

    fn bury(&mut self, seq: i64, error: &str) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        SqliteOutbox::bury(&tx, seq, error)?;
        tx.commit()
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
