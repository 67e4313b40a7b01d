//! The outbox table, its unit of work, its relay store and its operator
//! functions.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgRow};
use sqlx::{PgConnection, PgPool, Postgres, Row, Transaction};

use super::{PgConfig, count, millis};
use crate::delivery::bus::{BoxError, TxKind};
use crate::delivery::dead_letter::DeadLetter;
use crate::delivery::relay::{Claim, ClaimedRow, OutboxStore, stored_message};
use crate::delivery::unit::{LendTx, Staged, UnitOfWork};
use crate::encoding::message::Message;

/// The statements of one schema, written once.
struct Statements {
    append: String,
    append_many: String,
    claim: String,
    renew: String,
    mark_published: String,
    retry_later: String,
    release: String,
    bury: String,
    purge: String,
    next_due: String,
    pending: String,
    published: String,
    dead_letters: String,
    dead_letter: String,
    requeue: String,
    discard: String,
    state_of: String,
}

impl Statements {
    fn new(schema: &str) -> Self {
        let outbox = format!("\"{schema}\".event_outbox");
        let dead = format!("\"{schema}\".event_outbox_dead_letters");
        let dead_letter_fields = "id, event_type, headers, payload, attempts, last_error,
            (EXTRACT(EPOCH FROM COALESCE(first_failed_at, dead_at)) * 1000)::BIGINT,
            (EXTRACT(EPOCH FROM dead_at) * 1000)::BIGINT";
        Statements {
            append: format!(
                "INSERT INTO {outbox} (id, event_type, headers, payload, partition_key)
                 VALUES ($1, $2, $3, $4, $5)"
            ),
            append_many: format!(
                "INSERT INTO {outbox} (id, event_type, headers, payload, partition_key)
                 SELECT id, event_type, headers, payload, partition_key
                 FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::BYTEA[], $5::TEXT[])
                     WITH ORDINALITY AS m(id, event_type, headers, payload, partition_key, n)
                 ORDER BY n"
            ),
            // Due rows, oldest first, skipping those another relay is
            // claiming now, and those of a key whose earlier rows are not
            // yet published or dead-lettered.
            claim: format!(
                "WITH due AS (
                     SELECT o.seq FROM {outbox} o
                     WHERE ((o.state = 'pending' AND o.next_attempt_at <= now())
                            OR (o.state = 'in_flight' AND o.claimed_until < now()))
                       AND (o.partition_key IS NULL OR NOT EXISTS (
                             SELECT 1 FROM {outbox} e
                             WHERE e.partition_key = o.partition_key AND e.seq < o.seq
                               AND e.state <> 'published'))
                     ORDER BY o.seq
                     LIMIT $3
                     FOR UPDATE SKIP LOCKED)
                 UPDATE {outbox} o
                 SET state = 'in_flight', claimed_by = $1,
                     claimed_until = now() + $2::FLOAT8 * INTERVAL '1 millisecond',
                     claim_generation = (o.claim_generation % 9223372036854775807) + 1
                 FROM due WHERE o.seq = due.seq
                 RETURNING o.seq, o.id, o.event_type, o.headers, o.payload, o.attempts,
                           o.claim_generation"
            ),
            renew: format!(
                "UPDATE {outbox} o
                 SET claimed_until = now() + $1::FLOAT8 * INTERVAL '1 millisecond'
                 FROM UNNEST($2::BIGINT[], $3::BIGINT[]) AS c(seq, generation)
                 WHERE o.seq = c.seq AND o.state = 'in_flight'
                   AND o.claim_generation = c.generation
                 RETURNING o.seq, o.claim_generation"
            ),
            mark_published: format!(
                "UPDATE {outbox}
                 SET state = 'published', published_at = now(), published_by = $1,
                     claimed_by = NULL, claimed_until = NULL
                 WHERE seq = $2 AND state = 'in_flight' AND claim_generation = $3"
            ),
            retry_later: format!(
                "UPDATE {outbox}
                 SET state = 'pending', attempts = $1, last_error = $2,
                     next_attempt_at = now() + $3::FLOAT8 * INTERVAL '1 millisecond',
                     first_failed_at = COALESCE(first_failed_at, now()), last_failed_at = now(),
                     claimed_by = NULL, claimed_until = NULL
                 WHERE seq = $4 AND state = 'in_flight' AND claim_generation = $5"
            ),
            release: format!(
                "UPDATE {outbox} o
                 SET state = 'pending', next_attempt_at = now(), claimed_by = NULL,
                     claimed_until = NULL
                 FROM UNNEST($1::BIGINT[], $2::BIGINT[]) AS c(seq, generation)
                 WHERE o.seq = c.seq AND o.state = 'in_flight'
                   AND o.claim_generation = c.generation"
            ),
            bury: format!(
                "WITH moved AS (
                     DELETE FROM {outbox}
                     WHERE seq = $1 AND state = 'in_flight' AND claim_generation = $2
                     RETURNING seq, id, event_type, headers, payload, partition_key,
                               first_failed_at, claim_generation)
                 INSERT INTO {dead}
                     (seq, id, event_type, headers, payload, partition_key, attempts,
                      last_error, first_failed_at, claim_generation, dead_at)
                 SELECT seq, id, event_type, headers, payload, partition_key, $3, $4,
                        COALESCE(first_failed_at, now()), claim_generation, now()
                 FROM moved
                 ON CONFLICT (id) DO UPDATE SET
                     seq = EXCLUDED.seq, event_type = EXCLUDED.event_type,
                     headers = EXCLUDED.headers, payload = EXCLUDED.payload,
                     partition_key = EXCLUDED.partition_key, attempts = EXCLUDED.attempts,
                     last_error = EXCLUDED.last_error,
                     first_failed_at = EXCLUDED.first_failed_at,
                     claim_generation = EXCLUDED.claim_generation, dead_at = EXCLUDED.dead_at"
            ),
            purge: format!(
                "DELETE FROM {outbox}
                 WHERE state = 'published'
                   AND published_at < now() - $1::FLOAT8 * INTERVAL '1 millisecond'"
            ),
            // Milliseconds until the next delayed retry falls due, or the
            // next lease held by another relay runs out.
            next_due: format!(
                "SELECT (EXTRACT(EPOCH FROM (MIN(due) - now())) * 1000)::FLOAT8 FROM (
                     SELECT next_attempt_at AS due FROM {outbox}
                     WHERE state = 'pending' AND next_attempt_at > now()
                     UNION ALL
                     SELECT claimed_until FROM {outbox}
                     WHERE state = 'in_flight' AND claimed_until >= now()) AS next"
            ),
            pending: format!("SELECT COUNT(*) FROM {outbox} WHERE state <> 'published'"),
            published: format!("SELECT COUNT(*) FROM {outbox} WHERE state = 'published'"),
            dead_letters: format!("SELECT {dead_letter_fields} FROM {dead} ORDER BY seq"),
            dead_letter: format!("SELECT {dead_letter_fields} FROM {dead} WHERE id = $1"),
            requeue: format!(
                "WITH moved AS (DELETE FROM {dead} WHERE id = $1
                     RETURNING seq, id, event_type, headers, payload, partition_key,
                               claim_generation)
                 INSERT INTO {outbox}
                     (seq, id, event_type, headers, payload, partition_key, claim_generation)
                 SELECT seq, id, event_type, headers, payload, partition_key, claim_generation
                 FROM moved"
            ),
            discard: format!("DELETE FROM {dead} WHERE id = $1"),
            state_of: format!("SELECT state, attempts FROM {outbox} WHERE id = $1"),
        }
    }
}

/// The transactional outbox on PostgreSQL, in the schema of a [`PgConfig`]
/// (tables created by [`migrate`](super::migrate)).
///
/// It appends in the caller's transaction ([`append`](Self::append),
/// [`stage`](Self::stage), [`PgUnitOfWork`]), serves as the relay's
/// [`OutboxStore`], and holds the operator functions (dead letters, counts,
/// purge). A clone shares the pool; each relay's clone opens its own
/// `LISTEN` connection when it first waits for work, with the pool's
/// connection options, and holds it outside the pool (one connection per
/// relay beside the pool's).
///
/// ```no_run
/// use event_core::postgres::{PgConfig, PgOutbox, migrate, sqlx::PgPool};
/// use event_core::relay::{Relay, RelayConfig};
/// use event_core::transport::InMemoryTransport;
///
/// # async fn run(pool: PgPool) -> Result<(), Box<dyn std::error::Error>> {
/// let config = PgConfig::default();
/// migrate(&pool, &config).await?;
/// let outbox = PgOutbox::new(pool, &config)?;
/// let relay = Relay::new(outbox.clone(), InMemoryTransport::new(), RelayConfig::default());
/// let stats = relay.run(tokio::time::sleep(std::time::Duration::from_secs(1))).await;
/// println!("published {}", stats.published);
/// # Ok(())
/// # }
/// ```
pub struct PgOutbox {
    pool: PgPool,
    schema: Arc<str>,
    sql: Arc<Statements>,
    listener: Option<PgListener>,
}

impl Clone for PgOutbox {
    /// Another handle on the same outbox, without a `LISTEN` connection of
    /// its own until it first waits for work.
    fn clone(&self) -> Self {
        PgOutbox {
            pool: self.pool.clone(),
            schema: self.schema.clone(),
            sql: self.sql.clone(),
            listener: None,
        }
    }
}

impl fmt::Debug for PgOutbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgOutbox")
            .field("schema", &self.schema)
            .field("listening", &self.listener.is_some())
            .finish_non_exhaustive()
    }
}

fn read_dead_letter(row: &PgRow) -> Result<DeadLetter, sqlx::Error> {
    let headers: String = row.try_get(2)?;
    Ok(DeadLetter {
        id: row.try_get(0)?,
        event_type: row.try_get(1)?,
        // Written as JSON by `append`; a row written by other means shows
        // none, and its payload still holds the envelope.
        headers: serde_json::from_str(&headers).unwrap_or_default(),
        payload: row.try_get(3)?,
        attempts: u32::try_from(row.try_get::<i32, _>(4)?).unwrap_or_default(),
        last_error: row.try_get(5)?,
        first_failure_ms: row.try_get(6)?,
        last_failure_ms: row.try_get(7)?,
    })
}

/// The attempts as the `INTEGER` column stores them, saturating.
fn attempts_column(attempts: u32) -> i32 {
    i32::try_from(attempts).unwrap_or(i32::MAX)
}

/// A claim generation as the `BIGINT` column stores it: the same 64 bits.
fn generation(claim: Claim) -> i64 {
    claim.generation as i64
}

/// The headers of a message as the outbox stores them: a JSON array of
/// `[name, value]` pairs.
fn headers_json(message: &Message) -> Result<String, sqlx::Error> {
    serde_json::to_string(&message.headers()).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

impl PgOutbox {
    /// The outbox in the schema of `config`, on `pool`. Nothing is read or
    /// written until it is used; [`migrate`](super::migrate) creates its
    /// tables.
    ///
    /// # Errors
    ///
    /// [`sqlx::Error::Configuration`] when the schema name is not accepted
    /// (see [`PgConfig::schema`]).
    pub fn new(pool: PgPool, config: &PgConfig) -> Result<Self, sqlx::Error> {
        let schema = config.checked_schema()?;
        Ok(PgOutbox {
            pool,
            sql: Arc::new(Statements::new(&schema)),
            schema,
            listener: None,
        })
    }

    /// The pool the outbox reads and writes through.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The schema of its tables.
    #[must_use]
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Begins a unit of work: a transaction on the outbox's pool, and
    /// nothing staged.
    ///
    /// # Errors
    ///
    /// The database's error beginning the transaction.
    pub async fn begin(&self) -> Result<PgUnitOfWork<'static>, sqlx::Error> {
        Ok(PgUnitOfWork::new(self.pool.begin().await?, self))
    }

    /// Appends a message in the caller's transaction (`&mut tx` of a
    /// `sqlx::Transaction`, or the connection an inbox handler is given): it
    /// is stored if and only if the transaction commits, and relays waiting
    /// on the outbox are woken when it does. Appending an id the outbox
    /// holds already is an error. On a connection outside a transaction the
    /// append commits at once.
    ///
    /// ```no_run
    /// # use event_core::postgres::{PgOutbox, sqlx};
    /// # async fn run(outbox: PgOutbox, message: event_core::Message) -> Result<(), sqlx::Error> {
    /// let mut tx = outbox.pool().begin().await?;
    /// sqlx::query("UPDATE orders SET state = 'placed' WHERE id = 'o-1'")
    ///     .execute(&mut *tx)
    ///     .await?;
    /// outbox.append(&mut tx, &message).await?;
    /// tx.commit().await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The database's error (a unique violation for an id appended twice);
    /// the caller's transaction decides what happens then.
    pub async fn append(
        &self,
        conn: &mut PgConnection,
        message: &Message,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(&self.sql.append)
            .bind(message.id())
            .bind(message.event_type())
            .bind(headers_json(message)?)
            .bind(message.payload())
            .bind(message.partition_key().as_deref())
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Appends every message, in order, in the caller's transaction, with
    /// one statement; returns how many. [`PgUnitOfWork::commit`] does this
    /// with what the use case staged.
    ///
    /// # Errors
    ///
    /// The database's error; none of the messages is stored then.
    pub async fn append_all(
        &self,
        conn: &mut PgConnection,
        messages: impl IntoIterator<Item = Message>,
    ) -> Result<usize, sqlx::Error> {
        let messages: Vec<Message> = messages.into_iter().collect();
        match messages.as_slice() {
            [] => return Ok(0),
            [message] => {
                self.append(conn, message).await?;
                return Ok(1);
            }
            _ => {}
        }
        let count = messages.len();
        let mut ids = Vec::with_capacity(count);
        let mut types = Vec::with_capacity(count);
        let mut headers = Vec::with_capacity(count);
        let mut keys = Vec::with_capacity(count);
        for message in &messages {
            headers.push(headers_json(message)?);
            keys.push(message.partition_key().map(std::borrow::Cow::into_owned));
        }
        let mut payloads = Vec::with_capacity(count);
        for message in &messages {
            ids.push(message.id());
            types.push(message.event_type());
            payloads.push(message.payload());
        }
        sqlx::query(&self.sql.append_many)
            .bind(ids)
            .bind(types)
            .bind(headers)
            .bind(payloads)
            .bind(keys)
            .execute(conn)
            .await?;
        Ok(count)
    }

    /// Appends what a use case staged, in order, in the caller's
    /// transaction; returns how many messages.
    ///
    /// # Errors
    ///
    /// The database's error; none of the messages is stored then.
    pub async fn stage(
        &self,
        conn: &mut PgConnection,
        staged: Staged,
    ) -> Result<usize, sqlx::Error> {
        self.append_all(conn, staged.into_messages()).await
    }

    async fn count(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&self.pool).await?;
        Ok(count(n))
    }

    /// How many messages wait to be published (pending or in flight).
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn pending(&self) -> Result<u64, sqlx::Error> {
        self.count(&self.sql.pending).await
    }

    /// How many messages were published and are kept until purged.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn published(&self) -> Result<u64, sqlx::Error> {
        self.count(&self.sql.published).await
    }

    /// Deletes published messages older than `older_than`; returns how many.
    /// A relay does this every minute with its
    /// [`retention`](crate::delivery::relay::RelayConfig::retention).
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn purge(&self, older_than: Duration) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query(&self.sql.purge)
            .bind(millis(older_than))
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// The dead letters, oldest first.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn dead_letters(&self) -> Result<Vec<DeadLetter>, sqlx::Error> {
        let rows = sqlx::query(&self.sql.dead_letters)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(read_dead_letter).collect()
    }

    /// One dead letter, with its payload, by event id.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn dead_letter(&self, id: &str) -> Result<Option<DeadLetter>, sqlx::Error> {
        let row = sqlx::query(&self.sql.dead_letter)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(read_dead_letter).transpose()
    }

    /// Puts a dead letter back in the outbox, in its original place in the
    /// order, with its attempts reset, to be published by the next relay
    /// pass (it holds back the later messages of its partition key again).
    /// Its claim generation carries on from where it was, so a relay that
    /// held the row before it was buried can still write nothing about it.
    /// Returns whether it was found.
    ///
    /// # Errors
    ///
    /// The database's error, among them a unique violation if the outbox
    /// holds a message with the same id again; the dead letter stays where
    /// it was.
    pub async fn requeue(&self, id: &str) -> Result<bool, sqlx::Error> {
        let moved = sqlx::query(&self.sql.requeue)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(moved.rows_affected() == 1)
    }

    /// Deletes a dead letter for good. Returns whether it was found.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn discard(&self, id: &str) -> Result<bool, sqlx::Error> {
        let deleted = sqlx::query(&self.sql.discard)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(deleted.rows_affected() == 1)
    }

    /// The state (`pending`, `in_flight` or `published`) and the rejected
    /// attempts of one message, for tests and operators.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn state_of(&self, id: &str) -> Result<Option<(String, u32)>, sqlx::Error> {
        let row: Option<(String, i32)> = sqlx::query_as(&self.sql.state_of)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(state, attempts)| (state, u32::try_from(attempts).unwrap_or_default())))
    }

    /// How long until a row this relay could claim falls due without being
    /// announced: a delayed retry, or another relay's lease running out.
    async fn next_due(&self) -> Result<Option<Duration>, sqlx::Error> {
        let ms: Option<f64> = sqlx::query_scalar(&self.sql.next_due)
            .fetch_one(&self.pool)
            .await?;
        // A lease runs out strictly after its end: one millisecond more.
        Ok(ms.map(|ms| Duration::from_secs_f64((ms.max(0.0) + 1.0) / 1000.0)))
    }
}

/// The message of a claimed row, or why the row cannot be one.
fn read_claimed(row: &PgRow) -> Result<ClaimedRow, sqlx::Error> {
    let seq: i64 = row.try_get(0)?;
    let id: String = row.try_get(1)?;
    let event_type: String = row.try_get(2)?;
    let headers: String = row.try_get(3)?;
    let payload: Vec<u8> = row.try_get(4)?;
    let attempts: i32 = row.try_get(5)?;
    let generation: i64 = row.try_get(6)?;
    Ok(ClaimedRow {
        claim: Claim {
            seq,
            generation: generation as u64,
        },
        message: stored_message(id, event_type, &headers, payload),
        attempts: u32::try_from(attempts).unwrap_or_default(),
    })
}

/// The claims' rows and generations, as the arrays the statements unnest.
fn claim_arrays(claims: &[Claim]) -> (Vec<i64>, Vec<i64>) {
    claims.iter().map(|c| (c.seq, generation(*c))).unzip()
}

/// The outbox as a [`Relay`](crate::delivery::relay::Relay)'s store. A claim is one
/// statement that locks due rows with `FOR UPDATE SKIP LOCKED`, so any
/// number of relays claim disjoint rows at once; it skips a row with a
/// partition key while an earlier row of that key is neither published nor
/// dead-lettered, so each key's messages are published in order across
/// relays (a rejected message holds its key back until it is published or
/// buried). Every claim moves the row's `claim_generation` on and every later
/// write is conditional on it, so a relay that lost its lease writes nothing.
/// A relay whose connection drops backs off and carries on once the pool
/// reconnects; its claimed rows go back after the lease.
impl OutboxStore for PgOutbox {
    async fn claim(
        &mut self,
        relay: &str,
        batch: usize,
        lease: Duration,
    ) -> Result<Vec<ClaimedRow>, BoxError> {
        let rows = sqlx::query(&self.sql.claim)
            .bind(relay)
            .bind(millis(lease))
            .bind(i64::try_from(batch).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        let mut claimed = rows
            .iter()
            .map(read_claimed)
            .collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|row| row.claim.seq);
        Ok(claimed)
    }

    async fn renew(&mut self, claims: &[Claim], lease: Duration) -> Result<Vec<Claim>, BoxError> {
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        let (seqs, generations) = claim_arrays(claims);
        let held: Vec<(i64, i64)> = sqlx::query_as(&self.sql.renew)
            .bind(millis(lease))
            .bind(seqs)
            .bind(generations)
            .fetch_all(&self.pool)
            .await?;
        Ok(claims
            .iter()
            .filter(|c| held.contains(&(c.seq, generation(**c))))
            .copied()
            .collect())
    }

    async fn mark_published(&mut self, relay: &str, claim: Claim) -> Result<bool, BoxError> {
        let marked = sqlx::query(&self.sql.mark_published)
            .bind(relay)
            .bind(claim.seq)
            .bind(generation(claim))
            .execute(&self.pool)
            .await?;
        Ok(marked.rows_affected() == 1)
    }

    async fn retry_later(
        &mut self,
        claim: Claim,
        attempts: u32,
        error: &str,
        delay: Duration,
    ) -> Result<bool, BoxError> {
        let updated = sqlx::query(&self.sql.retry_later)
            .bind(attempts_column(attempts))
            .bind(error)
            .bind(millis(delay))
            .bind(claim.seq)
            .bind(generation(claim))
            .execute(&self.pool)
            .await?;
        Ok(updated.rows_affected() == 1)
    }

    async fn release(&mut self, claims: &[Claim]) -> Result<(), BoxError> {
        if claims.is_empty() {
            return Ok(());
        }
        let (seqs, generations) = claim_arrays(claims);
        sqlx::query(&self.sql.release)
            .bind(seqs)
            .bind(generations)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn bury(&mut self, claim: Claim, attempts: u32, error: &str) -> Result<bool, BoxError> {
        let moved = sqlx::query(&self.sql.bury)
            .bind(claim.seq)
            .bind(generation(claim))
            .bind(attempts_column(attempts))
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(moved.rows_affected() == 1)
    }

    async fn purge_published(&mut self, older_than: Duration) -> Result<(), BoxError> {
        self.purge(older_than).await?;
        Ok(())
    }

    /// Waits on `LISTEN` for a new row, at most `timeout`, and no longer
    /// than until a delayed retry falls due. Once its `LISTEN` connection is
    /// (re)established it returns at once, so that rows announced while it
    /// was not listening are looked for. A `LISTEN` connection that fails is
    /// dropped, and the wait sleeps out up to a second of what is left
    /// (`RETRY_LISTEN`) before the relay looks again: a database that is
    /// down costs no busy loop, and one that is back is noticed soon.
    async fn wait_for_work(&mut self, timeout: Duration) {
        let timeout = match self.next_due().await {
            Ok(Some(due)) => due.min(timeout),
            _ => timeout,
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let Some(listener) = self.listener.as_mut() else {
            let listen = async {
                let mut listener = PgListener::connect_with(&self.pool).await?;
                listener.listen(&format!("{}_outbox", self.schema)).await?;
                Ok::<_, sqlx::Error>(listener)
            };
            match tokio::time::timeout_at(deadline, listen).await {
                Ok(Ok(listener)) => self.listener = Some(listener),
                Ok(Err(_)) => sleep_after_failure(deadline).await,
                Err(_) => {}
            }
            return;
        };
        match tokio::time::timeout_at(deadline, listener.try_recv()).await {
            Ok(Ok(Some(_))) => {
                // One pass serves every row announced so far.
                while listener.next_buffered().is_some() {}
            }
            Ok(Ok(None) | Err(_)) => {
                self.listener = None;
                sleep_after_failure(deadline).await;
            }
            Err(_) => {}
        }
    }
}

/// The longest pause after a failure of the `LISTEN` connection.
const RETRY_LISTEN: Duration = Duration::from_secs(1);

/// Sleeps until `deadline`, or for [`RETRY_LISTEN`] if that comes first.
async fn sleep_after_failure(deadline: tokio::time::Instant) {
    let soon = tokio::time::Instant::now() + RETRY_LISTEN;
    tokio::time::sleep_until(deadline.min(soon)).await;
}

/// A use case's unit of work on PostgreSQL: its transaction, and the
/// integration messages the domain bus staged in it.
///
/// [`commit`](PgUnitOfWork::commit) appends the staged messages to the
/// outbox and commits, so the state change and its events are stored
/// together or not at all. Dropping the unit of work without committing (an
/// error returned with `?`, a panic) rolls the transaction back and discards
/// what was staged.
///
/// ```no_run
/// use event_core::prelude::*;
/// use event_core::DomainBus;
/// use event_core::postgres::{PgOutbox, sqlx};
///
/// /// An order was placed.
/// #[domain_event]
/// pub struct OrderPlaced { pub order_id: String }
///
/// /// An order was placed, for other contexts.
/// #[integration_event(version = 1, maps_from = OrderPlaced)]
/// pub struct OrderPlacedIntegrationEvent { pub order_id: String }
///
/// # async fn run(outbox: PgOutbox) -> Result<(), Box<dyn std::error::Error>> {
/// let mut bus = DomainBus::new();
/// bus.translate::<OrderPlaced, OrderPlacedIntegrationEvent>(|_| Ok(()));
///
/// let mut work = outbox.begin().await?;
/// sqlx::query("INSERT INTO orders (id) VALUES ('o-1')")
///     .execute(work.connection())
///     .await?;
/// bus.publish(&mut work, &Envelope::new("/shop", OrderPlaced { order_id: "o-1".into() }))?;
/// assert_eq!(work.commit().await?, 1);
/// # Ok(())
/// # }
/// ```
#[must_use = "a unit of work that is not committed rolls back"]
pub struct PgUnitOfWork<'c> {
    tx: Transaction<'c, Postgres>,
    staged: Staged,
    outbox: PgOutbox,
}

impl fmt::Debug for PgUnitOfWork<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgUnitOfWork")
            .field("staged", &self.staged)
            .field("outbox", &self.outbox)
            .finish_non_exhaustive()
    }
}

impl<'c> PgUnitOfWork<'c> {
    /// A unit of work around a transaction the caller began (on the
    /// outbox's pool or any connection to the same database), with nothing
    /// staged.
    pub fn new(tx: Transaction<'c, Postgres>, outbox: &PgOutbox) -> Self {
        PgUnitOfWork {
            tx,
            staged: Staged::new(),
            outbox: outbox.clone(),
        }
    }

    /// The transaction's connection, for the use case's own statements:
    /// `query.execute(work.connection())`.
    pub fn connection(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// The transaction itself (for savepoints: `work.transaction().begin()`).
    pub fn transaction(&mut self) -> &mut Transaction<'c, Postgres> {
        &mut self.tx
    }

    /// Appends the staged messages to the outbox and commits; returns how
    /// many messages were stored.
    ///
    /// # Errors
    ///
    /// The database's error; the transaction is rolled back and nothing is
    /// stored.
    pub async fn commit(mut self) -> Result<usize, sqlx::Error> {
        let staged = core::mem::take(&mut self.staged);
        let stored = self.outbox.stage(&mut self.tx, staged).await?;
        self.tx.commit().await?;
        Ok(stored)
    }

    /// Rolls the transaction back and discards what was staged.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl UnitOfWork for PgUnitOfWork<'_> {
    fn staged(&mut self) -> &mut Staged {
        &mut self.staged
    }
}

impl LendTx<PgTx> for PgUnitOfWork<'_> {
    fn lend_tx(&mut self) -> (&mut PgConnection, &mut Staged) {
        (&mut *self.tx, &mut self.staged)
    }
}

/// The [`TxKind`] of a `DomainBus<PgTx>`, whose async handlers and
/// translators borrow the use case's transaction as a `&mut PgConnection`:
/// they query in the unit of work's transaction, see what it has not
/// committed yet, and what they stage is appended to the outbox when it
/// commits. Their futures are `Send`, and so is `publish_async`'s on a
/// [`PgUnitOfWork`]: a use case may run in a spawned task.
///
/// ```no_run
/// use event_core::prelude::*;
/// use event_core::postgres::{PgOutbox, PgTx, sqlx};
/// use event_core::{BoxError, DomainBus};
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
/// # async fn run(outbox: PgOutbox) -> Result<(), Box<dyn std::error::Error>> {
/// let mut bus = DomainBus::<PgTx>::default();
/// bus.translate_async::<BookLent, BookLentIntegrationEvent>(|e, conn| {
///     Box::pin(async move {
///         let title: String = sqlx::query_scalar("SELECT title FROM books WHERE id = $1")
///             .bind(&e.data().book_id)
///             .fetch_one(conn)
///             .await?;
///         Ok::<_, BoxError>(BookLentIntegrationEventContext { title })
///     })
/// });
///
/// let mut work = outbox.begin().await?;
/// sqlx::query("INSERT INTO books (id, title) VALUES ('b-1', 'Dune')")
///     .execute(work.connection())
///     .await?;
/// let lent = Envelope::new("/library", BookLent { book_id: "b-1".into() });
/// bus.publish_async(&mut work, &lent).await?;
/// assert_eq!(work.commit().await?, 1);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub enum PgTx {}

impl TxKind for PgTx {
    type Borrow<'t> = &'t mut PgConnection;
    type Future<'t> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 't>>;
    type Enrich<'t, T: 't> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send + 't>>;

    fn reborrow<'s>(borrow: &'s mut &mut PgConnection) -> &'s mut PgConnection {
        borrow
    }

    fn then<'t, T: 't>(
        future: Self::Enrich<'t, T>,
        f: impl FnOnce(Result<T, BoxError>) -> Result<(), BoxError> + Send + 't,
    ) -> Self::Future<'t> {
        Box::pin(async move { f(future.await) })
    }
}
