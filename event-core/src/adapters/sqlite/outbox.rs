//! The outbox table and its operator functions.

use core::future::Future;
use core::pin::Pin;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{count, now_ms};
use crate::delivery::bus::{BoxError, TxKind};
use crate::delivery::dead_letter::DeadLetter;
use crate::delivery::unit::{LendTx, Staged, UnitOfWork};
use crate::encoding::message::Message;

/// A use case's unit of work on SQLite: its transaction, and the integration
/// messages the domain bus staged in it.
///
/// [`commit`](SqliteUnitOfWork::commit) stores the staged messages in the
/// outbox and commits, so the state change and its events are stored
/// together or not at all. Dropping the unit of work without committing (an
/// error returned with `?`, a panic) rolls the transaction back and discards
/// what was staged; no other unit of work ever sees it.
///
/// ```
/// use event_core::prelude::*;
/// use event_core::DomainBus;
/// use event_core::sqlite::{SqliteOutbox, SqliteUnitOfWork};
///
/// /// An order was placed.
/// #[domain_event]
/// pub struct OrderPlaced { pub order_id: String }
///
/// /// An order was placed, for other contexts.
/// #[integration_event(version = 1, maps_from = OrderPlaced)]
/// pub struct OrderPlacedIntegrationEvent { pub order_id: String }
///
/// let mut bus = DomainBus::new();
/// bus.translate::<OrderPlaced, OrderPlacedIntegrationEvent>(|_| Ok(()));
///
/// let mut conn = rusqlite::Connection::open_in_memory()?;
/// SqliteOutbox::install(&conn)?;
/// conn.execute("CREATE TABLE orders (id TEXT PRIMARY KEY)", [])?;
///
/// let mut work = SqliteUnitOfWork::begin(&mut conn)?;
/// work.transaction().execute("INSERT INTO orders (id) VALUES ('o-1')", [])?;
/// bus.publish(&mut work, &Envelope::new("/shop", OrderPlaced { order_id: "o-1".into() }))?;
/// assert_eq!(work.commit()?, 1);
///
/// assert_eq!(SqliteOutbox::pending(&conn)?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "a unit of work that is not committed rolls back"]
pub struct SqliteUnitOfWork<'c> {
    tx: Transaction<'c>,
    staged: Staged,
}

impl<'c> SqliteUnitOfWork<'c> {
    /// Begins a unit of work: a transaction on `conn`, and nothing staged.
    ///
    /// # Errors
    ///
    /// SQLite's error beginning the transaction.
    pub fn begin(conn: &'c mut Connection) -> rusqlite::Result<Self> {
        Ok(SqliteUnitOfWork {
            tx: conn.transaction()?,
            staged: Staged::new(),
        })
    }

    /// Begins a unit of work whose transaction takes the database's write
    /// lock at once (`BEGIN IMMEDIATE`): for a use case that reads before it
    /// writes on a database in WAL mode, where a deferred transaction that
    /// read a snapshot another writer has since changed fails when it
    /// writes, instead of waiting.
    ///
    /// # Errors
    ///
    /// SQLite's error beginning the transaction.
    pub fn begin_immediate(conn: &'c mut Connection) -> rusqlite::Result<Self> {
        Ok(SqliteUnitOfWork {
            tx: conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?,
            staged: Staged::new(),
        })
    }

    /// The transaction, for the use case's own reads and writes.
    #[must_use]
    pub fn transaction(&self) -> &Transaction<'c> {
        &self.tx
    }

    /// Stores the staged messages in the outbox and commits; returns how many
    /// messages were stored.
    ///
    /// # Errors
    ///
    /// SQLite's error; the transaction is rolled back and nothing is stored.
    pub fn commit(self) -> rusqlite::Result<usize> {
        let stored = SqliteOutbox::append_all(&self.tx, self.staged.into_messages())?;
        self.tx.commit()?;
        Ok(stored)
    }

    /// Rolls the transaction back and discards what was staged.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn rollback(self) -> rusqlite::Result<()> {
        self.tx.rollback()
    }
}

impl UnitOfWork for SqliteUnitOfWork<'_> {
    fn staged(&mut self) -> &mut Staged {
        &mut self.staged
    }
}

impl LendTx<SqliteTx> for SqliteUnitOfWork<'_> {
    fn lend_tx(&mut self) -> (&Transaction<'_>, &mut Staged) {
        (&self.tx, &mut self.staged)
    }
}

/// The [`TxKind`] of a `DomainBus<SqliteTx>`, whose async handlers and
/// translators borrow the use case's `&rusqlite::Transaction`: they read
/// and write in the unit of work's transaction, see what it has not
/// committed yet, and what they stage is stored in the outbox when it
/// commits. Their futures are not `Send` (a SQLite connection stays on one
/// thread): `publish_async` runs on the use case's thread, on a
/// current-thread runtime or inside `block_on`.
///
/// ```
/// use event_core::prelude::*;
/// use event_core::sqlite::{SqliteOutbox, SqliteTx, SqliteUnitOfWork};
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
/// let mut bus = DomainBus::<SqliteTx>::default();
/// bus.translate_async::<BookLent, BookLentIntegrationEvent>(|e, tx| {
///     Box::pin(async move {
///         let title = tx.query_row(
///             "SELECT title FROM books WHERE id = ?1",
///             [&e.data().book_id],
///             |row| row.get(0),
///         )?;
///         Ok::<_, BoxError>(BookLentIntegrationEventContext { title })
///     })
/// });
///
/// let mut conn = rusqlite::Connection::open_in_memory()?;
/// SqliteOutbox::install(&conn)?;
/// conn.execute("CREATE TABLE books (id TEXT PRIMARY KEY, title TEXT)", [])?;
///
/// let mut work = SqliteUnitOfWork::begin(&mut conn)?;
/// // Not committed yet, and read by the translator all the same.
/// work.transaction().execute("INSERT INTO books VALUES ('b-1', 'Dune')", [])?;
/// let lent = Envelope::new("/library", BookLent { book_id: "b-1".into() });
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// runtime.block_on(bus.publish_async(&mut work, &lent))?;
/// assert_eq!(work.commit()?, 1);
/// assert_eq!(SqliteOutbox::pending(&conn)?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub enum SqliteTx {}

impl TxKind for SqliteTx {
    type Borrow<'t> = &'t Transaction<'t>;
    type Future<'t> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + 't>>;
    type Enrich<'t, T: 't> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + 't>>;

    fn reborrow<'s>(borrow: &'s mut &Transaction<'_>) -> &'s Transaction<'s> {
        borrow
    }

    fn then<'t, T: 't>(
        future: Self::Enrich<'t, T>,
        f: impl FnOnce(Result<T, BoxError>) -> Result<(), BoxError> + Send + 't,
    ) -> Self::Future<'t> {
        Box::pin(async move { f(future.await) })
    }
}

/// The transactional outbox on SQLite. Every function takes the connection
/// or transaction to work in; the outbox holds no state of its own.
#[derive(Debug, Clone, Copy)]
pub struct SqliteOutbox;

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
    claim_generation INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    first_failed_at INTEGER,
    last_failed_at INTEGER,
    created_at INTEGER NOT NULL,
    published_at INTEGER,
    published_by TEXT
);
CREATE INDEX IF NOT EXISTS event_outbox_due ON event_outbox (state, next_attempt_at, seq);
CREATE INDEX IF NOT EXISTS event_outbox_unpublished ON event_outbox (seq)
    WHERE state != 'published';
CREATE INDEX IF NOT EXISTS event_outbox_published ON event_outbox (state, published_at);
CREATE TABLE IF NOT EXISTS event_outbox_dead_letters (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    headers TEXT NOT NULL,
    payload BLOB NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    first_failed_at INTEGER,
    claim_generation INTEGER NOT NULL DEFAULT 0,
    dead_at INTEGER NOT NULL
);
";

/// Columns added after the first release of the tables, for databases
/// installed before them: table, column, definition.
const ADDED_COLUMNS: [(&str, &str, &str); 6] = [
    ("event_outbox", "first_failed_at", "INTEGER"),
    ("event_outbox", "last_failed_at", "INTEGER"),
    (
        "event_outbox",
        "claim_generation",
        "INTEGER NOT NULL DEFAULT 0",
    ),
    ("event_outbox", "published_by", "TEXT"),
    ("event_outbox_dead_letters", "first_failed_at", "INTEGER"),
    (
        "event_outbox_dead_letters",
        "claim_generation",
        "INTEGER NOT NULL DEFAULT 0",
    ),
];

/// Moves a row to the dead letters, in `tx`; with a claim generation, only
/// while that claim still holds the row. Burying an id already among the
/// dead letters replaces that dead letter, so burying is idempotent. Returns
/// whether the row was moved.
pub(crate) fn bury(
    tx: &Transaction<'_>,
    claim: Option<u64>,
    seq: i64,
    attempts: u32,
    error: &str,
) -> rusqlite::Result<bool> {
    let now = now_ms();
    // Stored as i64, carried as the same 64 bits.
    let claim = claim.map(|generation| generation as i64);
    let moved = tx.execute(
        "INSERT OR REPLACE INTO event_outbox_dead_letters
             (seq, id, event_type, headers, payload, attempts, last_error, first_failed_at,
              claim_generation, dead_at)
         SELECT seq, id, event_type, headers, payload, ?2, ?3, COALESCE(first_failed_at, ?4),
                claim_generation, ?4
         FROM event_outbox
         WHERE seq = ?1 AND (?5 IS NULL OR (state = 'in_flight' AND claim_generation = ?5))",
        params![seq, attempts, error, now, claim],
    )?;
    if moved == 1 {
        tx.execute("DELETE FROM event_outbox WHERE seq = ?1", params![seq])?;
    }
    Ok(moved == 1)
}

impl SqliteOutbox {
    /// Creates the outbox tables if they do not exist.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn install(conn: &Connection) -> rusqlite::Result<()> {
        // One writer at a time: two processes upgrading an older database
        // must not both add a column.
        let tx = Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        for (table, column, definition) in ADDED_COLUMNS {
            let present = super::count(
                &tx,
                "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2",
                params![table, column],
            )?;
            if present == 0 {
                tx.execute_batch(&format!(
                    "ALTER TABLE {table} ADD COLUMN {column} {definition}"
                ))?;
            }
        }
        tx.commit()
    }

    /// Appends a message in the caller's transaction: it is stored if and
    /// only if the transaction commits. Appending an id twice is an error.
    ///
    /// # Errors
    ///
    /// SQLite's error; the caller's transaction decides what happens then.
    pub fn append(tx: &Transaction<'_>, message: &Message) -> rusqlite::Result<()> {
        let headers = serde_json::to_string(&message.headers())
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        // Cached: a use case appending a batch prepares the statement once.
        tx.prepare_cached(
            "INSERT INTO event_outbox (id, event_type, headers, payload, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            message.id(),
            message.event_type(),
            headers,
            message.payload(),
            now_ms()
        ])?;
        Ok(())
    }

    /// Appends every message, in order, in the caller's transaction.
    /// [`SqliteUnitOfWork::commit`] does this with what the use case staged.
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
            params![now_ms().saturating_sub(older_than_ms)],
        )
    }

    /// The dead letters, oldest first.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn dead_letters(conn: &Connection) -> rusqlite::Result<Vec<DeadLetter>> {
        let mut statement = conn.prepare(&format!("{DEAD_LETTER} ORDER BY seq"))?;
        let rows = statement.query_map([], read_dead_letter)?;
        rows.collect()
    }

    /// One dead letter, with its payload, by event id.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn dead_letter(conn: &Connection, id: &str) -> rusqlite::Result<Option<DeadLetter>> {
        conn.query_row(
            &format!("{DEAD_LETTER} WHERE id = ?1"),
            params![id],
            read_dead_letter,
        )
        .optional()
    }

    /// Puts a dead letter back in the outbox, in its original place in the
    /// order, with its attempts reset, to be published by the next relay
    /// pass. Its claim generation carries on from where it was, so a relay
    /// that held the row before it was buried can still write nothing about
    /// it. Returns whether it was found.
    ///
    /// # Errors
    ///
    /// SQLite's error, among them a constraint error if the outbox holds a
    /// message with the same id again; the dead letter stays where it was.
    pub fn requeue(conn: &mut Connection, id: &str) -> rusqlite::Result<bool> {
        let tx = conn.transaction()?;
        let moved = tx.execute(
            "INSERT INTO event_outbox
                 (seq, id, event_type, headers, payload, claim_generation, created_at)
             SELECT seq, id, event_type, headers, payload, claim_generation, ?2
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

    /// Deletes a dead letter for good. Returns whether it was found.
    ///
    /// # Errors
    ///
    /// SQLite's error.
    pub fn discard(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
        Ok(conn.execute(
            "DELETE FROM event_outbox_dead_letters WHERE id = ?1",
            params![id],
        )? == 1)
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

const DEAD_LETTER: &str = "SELECT id, event_type, headers, payload, attempts, last_error,
    COALESCE(first_failed_at, dead_at), dead_at FROM event_outbox_dead_letters";

/// A dead letter, read leniently: corrupt rows are dead-lettered too, and one
/// of them must not fail the whole listing.
fn read_dead_letter(row: &rusqlite::Row<'_>) -> rusqlite::Result<DeadLetter> {
    let text = |i| -> rusqlite::Result<String> {
        Ok(match row.get_ref(i)? {
            ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
                String::from_utf8_lossy(bytes).into_owned()
            }
            ValueRef::Integer(n) => n.to_string(),
            ValueRef::Real(x) => x.to_string(),
            ValueRef::Null => String::new(),
        })
    };
    let integer = |i| -> rusqlite::Result<i64> {
        Ok(match row.get_ref(i)? {
            ValueRef::Integer(n) => n,
            _ => 0,
        })
    };
    let payload = match row.get_ref(3)? {
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => bytes.to_vec(),
        _ => Vec::new(),
    };
    Ok(DeadLetter {
        id: text(0)?,
        event_type: text(1)?,
        // Headers were stored as JSON by `append`; a row written by other
        // means shows none.
        headers: serde_json::from_str(&text(2)?).unwrap_or_default(),
        payload,
        attempts: u32::try_from(integer(4)?.max(0)).unwrap_or(u32::MAX),
        last_error: text(5)?,
        first_failure_ms: integer(6)?,
        last_failure_ms: integer(7)?,
    })
}
