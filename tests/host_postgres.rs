//! The hosted consumer with the PostgreSQL inbox (on the in-memory
//! transport): each handler's change commits with the inbox row in one
//! transaction, redeliveries are skipped, older versions arrive upcast, and
//! a handler that keeps failing is dead-lettered with its changes rolled
//! back.
//!
//! The test has a schema of its own, dropped at the end, also when it
//! fails. Without a reachable server it prints a notice and passes, unless
//! `EVENT_CORE_REQUIRE_SERVICES=1`.

#[path = "support/postgres.rs"]
mod pg;
#[path = "support/services.rs"]
mod services;

use std::time::{Duration, Instant};

use event_core::host::{Host, Metrics, MetricsSnapshot};
use event_core::integration::{IntegrationPublisher, encode};
use event_core::postgres::sqlx::{self, PgPool};
use event_core::postgres::{PgConfig, PgInbox, migrate};
use event_core::prelude::*;
use event_core::retry::RetryPolicy;
use event_core::transport::{InMemoryTransport, Transport};

/// A fine was charged (first version).
#[integration_event(version = 1)]
pub struct FineChargedIntegrationEvent {
    pub member_id: String,
    pub cents: u32,
}

/// A fine was charged, in a currency.
#[integration_event(version = 2, upcast_from = FineChargedIntegrationEvent)]
pub struct FineChargedIntegrationEventV2 {
    pub member_id: String,
    pub cents: u64,
    #[serde(default)]
    pub currency: Option<String>,
}

/// Drops the test's schema when the test ends, passed or failed.
struct Schema<'a> {
    runtime: &'a tokio::runtime::Runtime,
    pool: PgPool,
    config: PgConfig,
}

impl Drop for Schema<'_> {
    fn drop(&mut self) {
        let drop_schema = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.config.schema);
        self.runtime.block_on(async {
            let _ = sqlx::raw_sql(&drop_schema).execute(&self.pool).await;
            self.pool.close().await;
        });
    }
}

async fn until(metrics: Metrics, done: impl Fn(&MetricsSnapshot) -> bool) {
    let start = Instant::now();
    while !done(&metrics.snapshot()) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "gave up waiting: {:?}",
            metrics.snapshot()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn handlers_commit_with_the_inbox_row_and_failures_roll_back() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let Some(pool) = runtime.block_on(async {
        match pg::connect().await {
            Ok(pool) => Some(pool),
            Err(error) => services::unreachable(
                "handlers_commit_with_the_inbox_row_and_failures_roll_back",
                "PostgreSQL",
                &services::database_url(),
                error,
            ),
        }
    }) else {
        return;
    };
    let config = PgConfig::new(services::unique_name("event_core_host"));
    let schema = Schema {
        runtime: &runtime,
        pool: pool.clone(),
        config: config.clone(),
    };
    runtime.block_on(async {
        migrate(&pool, &config).await.unwrap();
        let fines = format!("\"{}\".fines", config.schema);
        sqlx::raw_sql(&format!(
            "CREATE TABLE {fines} (member_id TEXT NOT NULL, cents BIGINT NOT NULL)"
        ))
        .execute(&pool)
        .await
        .unwrap();
        let insert = format!("INSERT INTO {fines} (member_id, cents) VALUES ($1, $2)");

        let transport = InMemoryTransport::new();
        let inbox = PgInbox::new(pool.clone(), &config).unwrap();
        let policy = RetryPolicy {
            immediate_retries: 1,
            delayed_retries: 0,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        };
        let host = Host::new(transport.clone())
            .consumer("accounts", inbox.clone())
            .concurrency(4)
            .retry(policy)
            .handle::<FineChargedIntegrationEventV2>(async move |tx, envelope| {
                let fine = envelope.data();
                sqlx::query(&insert)
                    .bind(&fine.member_id)
                    .bind(i64::try_from(fine.cents)?)
                    .execute(&mut *tx)
                    .await?;
                if fine.member_id == "m-banned" {
                    return Err("the member is banned".into());
                }
                Ok(())
            });
        let metrics = host.metrics();
        host.declare().await.unwrap();

        let publisher = IntegrationPublisher::new(transport.clone());
        let new = Envelope::new(
            "/desk",
            FineChargedIntegrationEventV2 {
                member_id: "m-1".into(),
                cents: 150,
                currency: Some("EUR".into()),
            },
        );
        publisher.publish(&new).await.unwrap();
        let old = Envelope::new(
            "/desk",
            FineChargedIntegrationEvent {
                member_id: "m-2".into(),
                cents: 50,
            },
        );
        publisher.publish(&old).await.unwrap();
        transport
            .requeue(encode(&new).unwrap(), "accounts")
            .await
            .unwrap();
        let banned = Envelope::new(
            "/desk",
            FineChargedIntegrationEventV2 {
                member_id: "m-banned".into(),
                cents: 10,
                currency: None,
            },
        );
        publisher.publish(&banned).await.unwrap();

        let summary = host
            .run(until(metrics, |m| {
                m.handled == 2 && m.duplicates == 1 && m.dead_lettered == 1
            }))
            .await
            .unwrap();

        let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT member_id, cents FROM {fines} ORDER BY member_id"
        ))
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(rows, [("m-1".to_owned(), 150), ("m-2".to_owned(), 50)]);
        assert_eq!(inbox.processed("accounts").await.unwrap(), 2);
        let dead = inbox.dead_letters("accounts").await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].event_id, banned.id().as_str());
        assert_eq!(dead[0].last_error, "the member is banned");
        let m = summary.consumers[0].metrics;
        assert_eq!(
            (m.handled, m.duplicates, m.retried, m.dead_lettered),
            (2, 1, 1, 1),
            "{m:?}"
        );
    });
    drop(schema);
}
