//! The transactional outbox and the idempotent inbox on SQLite (feature
//! `sqlite`), with a relay that forwards the outbox to a transport.
//!
//! The outbox is appended to in the use case's own transaction, so a state
//! change and its integration events commit or roll back together:
//!
//! ```
//! use event_core::sqlite::SqliteOutbox;
//! use event_core::Message;
//!
//! let mut conn = rusqlite::Connection::open_in_memory()?;
//! SqliteOutbox::install(&conn)?;
//! conn.execute("CREATE TABLE orders (id TEXT PRIMARY KEY)", [])?;
//!
//! let tx = conn.transaction()?;
//! tx.execute("INSERT INTO orders (id) VALUES ('o-1')", [])?;
//! let message = Message::new("evt-1", "order.placed.v1", br#"{"specversion":"1.0"}"#.to_vec());
//! SqliteOutbox::append(&tx, &message)?;
//! tx.commit()?;
//!
//! assert_eq!(SqliteOutbox::pending(&conn)?, 1);
//! # Ok::<(), rusqlite::Error>(())
//! ```
//!
//! [`rusqlite`] is re-exported: the `Connection` and `Transaction` these
//! functions take are `event_core::sqlite::rusqlite`'s, so a service names
//! them from there and needs no `rusqlite` dependency of its own (one of its
//! own must be the same version, 0.41, for the types to match).

mod inbox;
mod outbox;
mod relay;
mod transport;

// Shown in the docs as `relay`'s, as before the layers.
pub use crate::delivery::dead_letter::{DeadLetter, InboxDeadLetter, InboxOutcome};
/// The inbox in memory, here since before the hosted consumer runtime.
#[doc(no_inline)]
pub use crate::delivery::host::MemoryInbox;
#[doc(no_inline)]
pub use crate::delivery::relay::{Relay, RelayConfig, RelayStats};
pub use inbox::{InboxConnection, RequeueError, SqliteInbox};
pub use outbox::{SqliteOutbox, SqliteTx, SqliteUnitOfWork};
pub use transport::{SqliteSubscription, SqliteTransport};

pub use rusqlite;

/// Milliseconds since the Unix epoch, the time unit of every table here.
pub(crate) fn now_ms() -> i64 {
    let now = crate::model::time::Timestamp::now();
    now.unix_seconds() * 1000 + i64::from(now.subsec_nanos() / 1_000_000)
}

/// The number a `SELECT COUNT(*) ..` returns.
pub(crate) fn count(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<u64> {
    let n: i64 = conn.query_row(sql, params, |row| row.get(0))?;
    Ok(u64::try_from(n).unwrap_or_default())
}
