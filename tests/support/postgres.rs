//! A schema of its own for each PostgreSQL test: created and migrated before
//! the test's body, dropped after it, whether the body passed or panicked.
//! Included with `#[path = "support/postgres.rs"] mod pg;` beside
//! `#[path = "support/services.rs"] mod services;`.

#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use event_core::postgres::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use event_core::postgres::sqlx::{self, PgPool};
use event_core::postgres::{PgConfig, PgInbox, PgOutbox, migrate};

use crate::services;

/// One test's schema on the test server.
#[derive(Clone)]
pub struct TestDb {
    /// A pool for the test's own statements.
    pub pool: PgPool,
    /// The test's schema.
    pub config: PgConfig,
}

impl TestDb {
    /// The outbox in the test's schema.
    pub fn outbox(&self) -> PgOutbox {
        PgOutbox::new(self.pool.clone(), &self.config).unwrap()
    }

    /// The outbox in the test's schema, on a pool of its own whose
    /// connections carry `application_name`, so that the test can find and
    /// end them.
    pub async fn outbox_named(&self, application_name: &str) -> PgOutbox {
        let options: PgConnectOptions = services::database_url().parse().unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.application_name(application_name))
            .await
            .unwrap();
        PgOutbox::new(pool, &self.config).unwrap()
    }

    /// The inbox in the test's schema.
    pub fn inbox(&self) -> PgInbox {
        PgInbox::new(self.pool.clone(), &self.config).unwrap()
    }

    /// A table name in the test's schema.
    pub fn table(&self, name: &str) -> String {
        format!("\"{}\".{name}", self.config.schema)
    }

    /// Runs one statement of the test's own.
    pub async fn execute(&self, sql: &str) {
        sqlx::raw_sql(sql).execute(&self.pool).await.unwrap();
    }

    /// A number a query returns.
    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
}

/// Connects to the test server, or says why not (within five seconds: a
/// server that is not there is retried until then).
pub async fn connect() -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&services::database_url())
        .await
}

/// Runs `body` with a fresh, migrated schema of its own, and drops the
/// schema afterwards; skips the test with a notice when the server cannot
/// be reached (fails instead with `EVENT_CORE_REQUIRE_SERVICES=1`).
pub fn run<F, Fut>(test: &str, body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pool = match connect().await {
            Ok(pool) => pool,
            Err(error) => {
                let url = services::database_url();
                return services::unreachable::<()>(test, "PostgreSQL", &url, error)
                    .unwrap_or_default();
            }
        };
        let config = PgConfig::new(services::unique_name("event_core_test"));
        migrate(&pool, &config).await.unwrap();
        let db = TestDb {
            pool: pool.clone(),
            config: config.clone(),
        };
        let outcome = tokio::spawn(body(db)).await;
        sqlx::raw_sql(&format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            config.schema
        ))
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
        if let Err(error) = outcome {
            if error.is_panic() {
                std::panic::resume_unwind(error.into_panic());
            }
            panic!("{test}: {error}");
        }
    });
}
