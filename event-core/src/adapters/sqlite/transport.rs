//! A durable transport in a SQLite file: a queue per consumer, with leases.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};

use super::now_ms;
use crate::delivery::transport::{
    Acknowledge, BoxFuture, Delivery, Subscription, Transport, TransportError,
};
use crate::encoding::message::Message;

/// A broker in a SQLite file, for single-node services and for tests that
/// must survive a crashed process.
///
/// A consumer group is declared in the file ([`Transport::declare`], or the
/// first [`Transport::subscribe`] of its consumer name) and stays declared:
/// publishing stores, in one statement, a copy of the message for every group
/// of its type declared by then, whether any of its subscriptions is open or
/// not, so a consumer that starts later or restarts receives everything
/// published for it since its group was declared. A consumer takes its
/// oldest visible copy under a lease; an acknowledged copy is deleted, a
/// negatively acknowledged one is visible again at once or after its delay
/// (stored with the copy, so it survives a restart), and one whose consumer
/// died becomes visible when the lease ends: at-least-once delivery. Several
/// processes may share the file.
#[derive(Debug, Clone)]
pub struct SqliteTransport {
    conn: Arc<Mutex<Connection>>,
    lease: Duration,
    poll: Duration,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS broker_subscriptions (
    event_type TEXT NOT NULL,
    consumer TEXT NOT NULL,
    PRIMARY KEY (event_type, consumer)
);
CREATE TABLE IF NOT EXISTS broker_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    consumer TEXT NOT NULL,
    event_type TEXT NOT NULL,
    id TEXT NOT NULL,
    headers TEXT NOT NULL,
    payload BLOB NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    visible_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS broker_messages_next ON broker_messages (consumer, event_type, visible_at, seq);
";

fn unavailable(error: &rusqlite::Error) -> TransportError {
    TransportError::Unavailable(error.to_string())
}

/// Milliseconds of a duration, rounded up and saturating.
fn millis_up(duration: Duration) -> i64 {
    i64::try_from(duration.as_nanos().div_ceil(1_000_000)).unwrap_or(i64::MAX)
}

/// When a copy negatively acknowledged now with `delay` may be taken again:
/// at once for no delay; otherwise not before the delay has passed, although
/// the clock is read in whole milliseconds.
fn visible_after(delay: Duration) -> i64 {
    if delay.is_zero() {
        0
    } else {
        now_ms().saturating_add(millis_up(delay)).saturating_add(1)
    }
}

impl SqliteTransport {
    /// Opens (or creates) the broker file at `path`.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn open(path: impl AsRef<Path>) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteTransport {
            conn: Arc::new(Mutex::new(conn)),
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(10),
        })
    }

    /// How long a taken message stays invisible to other takers.
    #[must_use]
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How often an idle subscription looks for messages.
    #[must_use]
    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn declare_group(&self, event_type: &str, consumer: &str) -> Result<(), TransportError> {
        self.lock()
            .execute(
                "INSERT OR IGNORE INTO broker_subscriptions (event_type, consumer) VALUES (?1, ?2)",
                params![event_type, consumer],
            )
            .map(drop)
            .map_err(|e| unavailable(&e))
    }

    /// The consumer groups declared for `event_type`, by name.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn groups(&self, event_type: &str) -> rusqlite::Result<Vec<String>> {
        let conn = self.lock();
        let mut statement = conn.prepare(
            "SELECT consumer FROM broker_subscriptions WHERE event_type = ?1 ORDER BY consumer",
        )?;
        let names = statement.query_map(params![event_type], |row| row.get(0))?;
        names.collect()
    }

    /// How many copies wait for `consumer`, taken or not.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn waiting(&self, consumer: &str) -> rusqlite::Result<u64> {
        let conn = self.lock();
        super::count(
            &conn,
            "SELECT COUNT(*) FROM broker_messages WHERE consumer = ?1",
            params![consumer],
        )
    }
}

impl Transport for SqliteTransport {
    type Subscription = SqliteSubscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        let headers = serde_json::to_string(&message.headers())
            .map_err(|e| TransportError::Rejected(e.to_string()))?;
        // One statement: a copy for every group declared when it runs, or
        // none at all.
        let copies = self
            .lock()
            .execute(
                "INSERT INTO broker_messages (consumer, event_type, id, headers, payload)
                 SELECT consumer, event_type, ?2, ?3, ?4 FROM broker_subscriptions
                 WHERE event_type = ?1",
                params![
                    message.event_type(),
                    message.id(),
                    headers,
                    message.payload()
                ],
            )
            .map_err(|e| unavailable(&e))?;
        if copies == 0 {
            trace_debug!(
                event_id = message.id(),
                event_type = message.event_type(),
                "published a message no consumer group is declared for"
            );
        }
        Ok(())
    }

    async fn subscribe(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<SqliteSubscription, TransportError> {
        self.declare_group(event_type, consumer)?;
        Ok(SqliteSubscription {
            transport: self.clone(),
            event_type: event_type.to_owned(),
            consumer: consumer.to_owned(),
            lag: None,
        })
    }

    async fn declare(&self, event_type: &str, consumer: &str) -> Result<(), TransportError> {
        self.declare_group(event_type, consumer)
    }

    async fn requeue(&self, message: Message, consumer: &str) -> Result<(), TransportError> {
        let headers = serde_json::to_string(&message.headers())
            .map_err(|e| TransportError::Rejected(e.to_string()))?;
        let mut conn = self.lock();
        let stored = (|| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT OR IGNORE INTO broker_subscriptions (event_type, consumer) VALUES (?1, ?2)",
                params![message.event_type(), consumer],
            )?;
            tx.execute(
                "INSERT INTO broker_messages (consumer, event_type, id, headers, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    consumer,
                    message.event_type(),
                    message.id(),
                    headers,
                    message.payload()
                ],
            )?;
            tx.commit()
        })();
        stored.map_err(|e| unavailable(&e))
    }
}

/// A subscription of [`SqliteTransport`].
#[derive(Debug)]
pub struct SqliteSubscription {
    transport: SqliteTransport,
    event_type: String,
    consumer: String,
    /// The copies of the group visible when the last one was taken.
    lag: Option<u64>,
}

impl SqliteSubscription {
    /// Takes the oldest visible copy, if there is one.
    fn take(&mut self) -> Result<Option<Delivery>, TransportError> {
        let conn = self
            .transport
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = now_ms();
        let lease = i64::try_from(self.transport.lease.as_millis()).unwrap_or(i64::MAX);
        let row = conn
            .query_row(
                "UPDATE broker_messages SET attempt = attempt + 1, visible_at = ?1
                 WHERE seq = (SELECT seq FROM broker_messages
                              WHERE consumer = ?2 AND event_type = ?3 AND visible_at <= ?4
                              ORDER BY seq LIMIT 1)
                 RETURNING seq, id, headers, payload, attempt",
                params![
                    now.saturating_add(lease),
                    self.consumer,
                    self.event_type,
                    now
                ],
                |row| {
                    let payload = match row.get_ref(3)? {
                        ValueRef::Blob(bytes) | ValueRef::Text(bytes) => bytes.to_vec(),
                        _ => Vec::new(),
                    };
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        payload,
                        row.get::<_, u32>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| unavailable(&e))?;
        // Counted under the same lock, so no other subscription's take
        // comes in between.
        let waiting: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM broker_messages
                 WHERE consumer = ?1 AND event_type = ?2 AND visible_at <= ?3",
                params![self.consumer, self.event_type, now],
                |row| row.get(0),
            )
            .map_err(|e| unavailable(&e))?;
        self.lag = u64::try_from(waiting).ok();
        Ok(row.map(|(seq, id, headers, payload, attempt)| {
            let settle = Settle {
                conn: Arc::clone(&self.transport.conn),
                seq,
                attempt,
                settled: false,
            };
            // Headers are a copy of what is in the payload; unreadable ones
            // are dropped, and the payload still decodes.
            let headers: Vec<(String, String)> = serde_json::from_str(&headers).unwrap_or_default();
            let message = Message::from_parts(&id, &self.event_type, headers, payload);
            Delivery::new(message, attempt, settle)
        }))
    }
}

impl Subscription for SqliteSubscription {
    /// Takes the next visible copy, looking again every poll interval while
    /// there is none. Cancel-safe: a copy is taken only when the future
    /// completes.
    async fn next(&mut self) -> Result<Option<Delivery>, TransportError> {
        loop {
            if let Some(delivery) = self.take()? {
                return Ok(Some(delivery));
            }
            tokio::time::sleep(self.transport.poll).await;
        }
    }

    /// Exact when it was counted: the copies of the group that were visible
    /// (neither taken by a subscription nor waiting for a retry delay) when
    /// this subscription last looked for one, which it does on each
    /// delivery and each poll while there is none.
    fn lag(&self) -> Option<u64> {
        self.lag
    }
}

/// Deletes a copy on ack, makes it visible again on nack. Both touch the copy
/// only while it is still this delivery's: once its lease ended and another
/// subscription took it, settling belongs to that one. A delivery dropped
/// unsettled (its consumer gave up on it, at a shutdown deadline say) makes
/// its copy visible again at once rather than when the lease ends, so it
/// comes again before the later messages of its key released after it.
struct Settle {
    conn: Arc<Mutex<Connection>>,
    seq: i64,
    attempt: u32,
    settled: bool,
}

impl Settle {
    /// Deletes this delivery's copy (`None`), or makes it visible at the
    /// given time; either way the delivery is settled.
    fn settle(&mut self, visible_at: Option<i64>) -> Result<(), TransportError> {
        self.settled = true;
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        match visible_at {
            None => conn.execute(
                "DELETE FROM broker_messages WHERE seq = ?1 AND attempt = ?2",
                params![self.seq, self.attempt],
            ),
            Some(at) => conn.execute(
                "UPDATE broker_messages SET visible_at = ?1 WHERE seq = ?2 AND attempt = ?3",
                params![at, self.seq, self.attempt],
            ),
        }
        .map(drop)
        .map_err(|e| unavailable(&e))
    }
}

impl Acknowledge for Settle {
    fn ack(mut self: Box<Self>) -> BoxFuture<Result<(), TransportError>> {
        let result = self.settle(None);
        Box::pin(async move { result })
    }

    fn nack(mut self: Box<Self>, delay: Duration) -> BoxFuture<Result<(), TransportError>> {
        let result = self.settle(Some(visible_after(delay)));
        Box::pin(async move { result })
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        if !self.settled {
            // Best effort: if it fails, the lease still ends.
            let _ = self.settle(Some(0));
        }
    }
}
