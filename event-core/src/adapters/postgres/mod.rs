//! The transactional outbox, its relay store and the idempotent inbox on
//! PostgreSQL (feature `postgres`), through [`sqlx`].
//!
//! The tables live in a schema of their own, created and upgraded by
//! [`migrate`]; the outbox is appended to in the use case's own
//! transaction, so a state change and its integration events commit or roll
//! back together:
//!
//! ```no_run
//! use event_core::Message;
//! use event_core::postgres::{PgConfig, PgOutbox, migrate, sqlx};
//!
//! # async fn run() -> Result<(), sqlx::Error> {
//! let pool = sqlx::PgPool::connect("postgres://postgres@127.0.0.1/shop").await?;
//! let config = PgConfig::default(); // the schema `event_core`
//! migrate(&pool, &config).await?;
//! let outbox = PgOutbox::new(pool.clone(), &config)?;
//!
//! let mut tx = pool.begin().await?;
//! sqlx::query("INSERT INTO orders (id) VALUES ('o-1')").execute(&mut *tx).await?;
//! let message = Message::new("evt-1", "order.placed.v1", br#"{"specversion":"1.0"}"#.to_vec());
//! outbox.append(&mut tx, &message).await?;
//! tx.commit().await?;
//!
//! assert_eq!(outbox.pending().await?, 1);
//! # Ok(())
//! # }
//! ```
//!
//! A [`Relay`] forwards the outbox to a transport:
//! `Relay::new(outbox.clone(), transport, RelayConfig::default())`. Any
//! number of relays may share one outbox: rows are claimed with
//! `FOR UPDATE SKIP LOCKED`, each claim starts a new claim generation that
//! fences every later write, and a row with a partition key is claimed only
//! once the earlier rows of its key are published or dead-lettered, so
//! messages of one key leave in order whichever relay carries them. An idle
//! relay waits on `LISTEN`, woken by the rows the outbox's trigger announces
//! when their transaction commits, and looks again after
//! [`RelayConfig::idle_wait`](crate::delivery::relay::RelayConfig::idle_wait) or when a
//! delayed retry falls due, whichever comes first.
//!
//! [`sqlx`] is re-exported, so that a service uses the version this crate
//! was built with. It is built without a TLS backend; a service that needs
//! one enables it on its own `sqlx` dependency of the same version
//! (`features = ["tls-rustls"]`), and Cargo builds one `sqlx` with both.

mod inbox;
mod outbox;

pub use sqlx;

pub use crate::delivery::dead_letter::{DeadLetter, InboxDeadLetter, InboxOutcome};
pub use crate::delivery::relay::{Relay, RelayConfig, RelayStats};
pub use inbox::{PgInbox, RequeueError};
pub use outbox::{PgOutbox, PgTx, PgUnitOfWork};

use std::sync::Arc;
use std::time::Duration;

use sqlx::{Executor, PgPool};

/// Where the adapter's tables live.
///
/// ```
/// use event_core::postgres::PgConfig;
///
/// assert_eq!(PgConfig::default().schema, "event_core");
/// let billing = PgConfig { schema: "billing_events".into() };
/// assert_eq!(billing.channel(), "billing_events_outbox");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PgConfig {
    /// The schema of the tables, created by [`migrate`] if missing: 1 to 50
    /// lowercase ASCII letters, digits and `_`, not starting with a digit.
    /// `event_core` by default.
    pub schema: String,
}

impl Default for PgConfig {
    fn default() -> Self {
        PgConfig {
            schema: "event_core".to_owned(),
        }
    }
}

impl PgConfig {
    /// The tables in `schema`.
    #[must_use]
    pub fn new(schema: impl Into<String>) -> Self {
        PgConfig {
            schema: schema.into(),
        }
    }

    /// The `LISTEN`/`NOTIFY` channel on which new outbox rows are announced:
    /// the schema's name followed by `_outbox`.
    #[must_use]
    pub fn channel(&self) -> String {
        format!("{}_outbox", self.schema)
    }

    /// The schema, checked: a name that would need quoting, or is too long
    /// to leave room for the channel's suffix, is refused.
    fn checked_schema(&self) -> Result<Arc<str>, sqlx::Error> {
        let name = self.schema.as_str();
        let valid = (1..=50).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !name.as_bytes()[0].is_ascii_digit();
        if valid {
            Ok(Arc::from(name))
        } else {
            Err(sqlx::Error::Configuration(
                format!(
                    "`{}` is not a schema name event-core accepts: 1 to 50 lowercase ASCII \
                     letters, digits and `_`, not starting with a digit",
                    name.escape_debug()
                )
                .into(),
            ))
        }
    }
}

/// The migrations, in order: version, description, SQL.
const MIGRATIONS: [(i32, &str, &str); 1] = [(
    1,
    "outbox, inbox and their dead letters",
    include_str!("migrations/0001_tables.sql"),
)];

/// Creates the schema named in `config` and the adapter's tables in it, or
/// brings them up to date: idempotent, and safe when several processes run
/// it at once (they take turns under a transaction-level advisory lock).
///
/// It records what it applied in `event_core_migrations` (version,
/// description, time) in the same schema, and creates:
///
/// | table | what it holds |
/// |---|---|
/// | `event_outbox` | messages to publish, in order (`seq`), with their claims and attempts, and the published ones until the retention purge |
/// | `event_outbox_dead_letters` | messages the relay gave up on |
/// | `event_inbox` | the (consumer, event id) pairs processed |
/// | `event_inbox_failures` | failures counted for deliveries not yet processed |
/// | `event_inbox_dead_letters` | deliveries a consumer gave up on |
///
/// and the function and trigger `event_outbox_notify`, which announce new
/// outbox rows on [`PgConfig::channel`]. The SQL is plain, shipped with the
/// crate under `src/postgres/migrations/`.
///
/// ```no_run
/// use event_core::postgres::{PgConfig, migrate, sqlx::PgPool};
///
/// # async fn run(pool: PgPool) -> Result<(), event_core::postgres::sqlx::Error> {
/// migrate(&pool, &PgConfig::default()).await?;
/// // Again: nothing to do.
/// migrate(&pool, &PgConfig::default()).await?;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// [`sqlx::Error::Configuration`] for a schema name that is not accepted
/// (see [`PgConfig::schema`]); the database's error otherwise, with nothing
/// applied (each run is one transaction).
pub async fn migrate(pool: &PgPool, config: &PgConfig) -> Result<(), sqlx::Error> {
    let schema = config.checked_schema()?;
    // Every statement is written before the first `.await`, so that the
    // future holds no temporary across one, and is `Send`.
    let create = format!(
        "CREATE SCHEMA IF NOT EXISTS \"{schema}\";
         CREATE TABLE IF NOT EXISTS \"{schema}\".event_core_migrations (
             version INTEGER PRIMARY KEY,
             description TEXT NOT NULL,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         );"
    );
    let read = format!("SELECT version FROM \"{schema}\".event_core_migrations");
    let record = format!(
        "INSERT INTO \"{schema}\".event_core_migrations (version, description) VALUES ($1, $2)"
    );
    let migrations: Vec<(i32, &str, String)> = MIGRATIONS
        .iter()
        .map(|(version, description, sql)| {
            let sql = sql
                .replace("__SCHEMA__", &format!("\"{schema}\""))
                .replace("__CHANNEL__", &format!("'{schema}_outbox'"));
            (*version, *description, sql)
        })
        .collect();
    let mut tx = pool.begin().await?;
    // Held until the transaction ends; the key is the schema's, so that two
    // schemas migrate independently.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('event-core migrate ' || $1, 0))")
        .bind(&*schema)
        .execute(&mut *tx)
        .await?;
    tx.execute(create.as_str()).await?;
    let applied: Vec<i32> = sqlx::query_scalar(&read).fetch_all(&mut *tx).await?;
    for (version, description, sql) in &migrations {
        if applied.contains(version) {
            continue;
        }
        tx.execute(sql.as_str()).await?;
        sqlx::query(&record)
            .bind(version)
            .bind(description)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// The longest duration passed to the database (100 years): longer ones are
/// cut to it, so that no timestamp leaves PostgreSQL's range.
const LONGEST: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A duration in milliseconds, for `$n * interval '1 millisecond'`.
fn millis(duration: Duration) -> f64 {
    duration.min(LONGEST).as_secs_f64() * 1000.0
}

/// A count the database returned, as `u64`.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}
