//! The PostgreSQL outbox on a real server: migrations, atomicity with the
//! user's transaction, dead letters, fencing of stale claims.
//!
//! Each test works in a schema of its own, dropped at its end; without a
//! server at `DATABASE_URL` the tests are skipped with a notice (they fail
//! instead with `EVENT_CORE_REQUIRE_SERVICES=1`).

#[path = "support/postgres.rs"]
mod pg;
#[path = "support/services.rs"]
mod services;

use std::time::Duration;

use event_core::integration::encode;
use event_core::postgres::sqlx;
use event_core::postgres::{PgConfig, PgOutbox, PgUnitOfWork, migrate};
use event_core::prelude::*;
use event_core::relay::{Claim, OutboxStore, Relay, RelayConfig};
use event_core::retry::RetryPolicy;
use event_core::transport::{InMemoryTransport, Message, Transport, TransportError};
use event_core::{DomainBus, Envelope, UnitOfWork};

/// An order was placed.
#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

/// An order was placed, for other contexts.
#[integration_event(version = 1, maps_from = OrderPlaced)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
}

fn message(n: u64) -> Message {
    encode(&Envelope::new(
        "/orders",
        OrderPlacedIntegrationEvent {
            order_id: format!("o-{n}"),
        },
    ))
    .unwrap()
}

fn config(name: &str) -> RelayConfig {
    RelayConfig {
        name: name.to_owned(),
        batch_size: 10,
        retry: RetryPolicy::none(),
        ..RelayConfig::default()
    }
}

/// Rejects every message.
#[derive(Clone)]
struct Rejecting;

impl Transport for Rejecting {
    type Subscription = <InMemoryTransport as Transport>::Subscription;

    async fn publish(&self, _: Message) -> Result<(), TransportError> {
        Err(TransportError::Rejected("no such subject".into()))
    }

    async fn subscribe(&self, _: &str, _: &str) -> Result<Self::Subscription, TransportError> {
        Err(TransportError::Closed)
    }
}

#[test]
fn migrations_are_idempotent_and_safe_when_run_at_once() {
    pg::run("migrations", |db| async move {
        // A schema of its own, migrated by four processes at once.
        let config = PgConfig::new(format!("{}_m", db.config.schema));
        let mut runs = Vec::new();
        for _ in 0..4 {
            let pool = pg::connect().await.unwrap();
            let config = config.clone();
            runs.push(tokio::spawn(async move {
                migrate(&pool, &config).await.map(|()| pool)
            }));
        }
        for run in runs {
            run.await.unwrap().unwrap().close().await;
        }
        migrate(&db.pool, &config).await.unwrap();
        let applied = db
            .scalar(&format!(
                "SELECT COUNT(*) FROM \"{}\".event_core_migrations",
                config.schema
            ))
            .await;
        assert_eq!(applied, 1);
        let tables = db
            .scalar(&format!(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{}'",
                config.schema
            ))
            .await;
        assert_eq!(tables, 6, "five tables and the migrations' record");
        db.execute(&format!("DROP SCHEMA \"{}\" CASCADE", config.schema))
            .await;

        // A schema name that would need quoting is refused, not used.
        for bad in [
            "",
            "Orders",
            "a-b",
            "x\"; DROP TABLE y; --",
            "1st",
            &"a".repeat(51),
        ] {
            let config = PgConfig::new(bad);
            let error = migrate(&db.pool, &config).await.unwrap_err();
            assert!(
                matches!(error, sqlx::Error::Configuration(_)),
                "{bad}: {error}"
            );
            assert!(PgOutbox::new(db.pool.clone(), &config).is_err());
        }
    });
}

#[test]
fn the_outbox_commits_and_rolls_back_with_the_users_transaction() {
    pg::run("atomicity", |db| async move {
        let orders = db.table("orders");
        db.execute(&format!("CREATE TABLE {orders} (id TEXT PRIMARY KEY)"))
            .await;
        let outbox = db.outbox();
        let mut bus = DomainBus::new();
        bus.translate::<OrderPlaced, OrderPlacedIntegrationEvent>(|_| Ok(()));
        let place = |id: &str| {
            Envelope::new(
                "/shop",
                OrderPlaced {
                    order_id: id.to_owned(),
                },
            )
        };
        let insert = format!("INSERT INTO {orders} (id) VALUES ($1)");

        // Committed: the order and its event.
        let mut work = outbox.begin().await.unwrap();
        sqlx::query(&insert)
            .bind("o-1")
            .execute(work.connection())
            .await
            .unwrap();
        bus.publish(&mut work, &place("o-1")).unwrap();
        assert_eq!(work.commit().await.unwrap(), 1);

        // Rolled back, and dropped: neither the order nor its event.
        let mut work = outbox.begin().await.unwrap();
        sqlx::query(&insert)
            .bind("o-2")
            .execute(work.connection())
            .await
            .unwrap();
        bus.publish(&mut work, &place("o-2")).unwrap();
        work.rollback().await.unwrap();
        {
            let mut work = outbox.begin().await.unwrap();
            sqlx::query(&insert)
                .bind("o-3")
                .execute(work.connection())
                .await
                .unwrap();
            bus.publish(&mut work, &place("o-3")).unwrap();
        }

        // The user's own transaction, appended to directly.
        let mut tx = db.pool.begin().await.unwrap();
        sqlx::query(&insert)
            .bind("o-4")
            .execute(&mut *tx)
            .await
            .unwrap();
        let fourth = message(4);
        outbox.append(&mut tx, &fourth).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.pool.begin().await.unwrap();
        sqlx::query(&insert)
            .bind("o-5")
            .execute(&mut *tx)
            .await
            .unwrap();
        outbox
            .append_all(&mut tx, vec![message(5), message(6)])
            .await
            .unwrap();
        tx.rollback().await.unwrap();

        // A unit of work around the user's transaction; a failed commit
        // (the id is in the outbox already) stores nothing.
        let mut work = PgUnitOfWork::new(db.pool.begin().await.unwrap(), &outbox);
        sqlx::query(&insert)
            .bind("o-7")
            .execute(work.connection())
            .await
            .unwrap();
        work.staged().stage_message(fourth.clone());
        assert!(work.commit().await.is_err());

        assert_eq!(
            db.scalar(&format!("SELECT COUNT(*) FROM {orders}")).await,
            2
        );
        assert_eq!(outbox.pending().await.unwrap(), 2);
        let transport = InMemoryTransport::new();
        let mut relay = Relay::new(outbox.clone(), transport.clone(), config("relay"));
        assert_eq!(relay.run_once().await.unwrap().published, 2);
        let published: Vec<String> = transport
            .published()
            .iter()
            .map(|m| m.event_type().to_owned())
            .collect();
        assert_eq!(published, ["order.placed.v1", "order.placed.v1"]);
        assert_eq!(transport.published()[1], fourth);
        assert_eq!(outbox.pending().await.unwrap(), 0);
        assert_eq!(outbox.published().await.unwrap(), 2);
        assert_eq!(
            outbox
                .state_of(transport.published()[0].id())
                .await
                .unwrap()
                .unwrap()
                .0,
            "published"
        );
        // Retention: nothing is old enough yet; everything is with none.
        assert_eq!(outbox.purge(Duration::from_secs(3600)).await.unwrap(), 0);
        assert_eq!(outbox.purge(Duration::ZERO).await.unwrap(), 2);
    });
}

#[test]
fn dead_letters_after_max_attempts_are_listed_requeued_and_discarded() {
    pg::run("dead_letters", |db| async move {
        let outbox = db.outbox();
        let expected: Vec<Message> = (0..3).map(message).collect();
        let mut tx = db.pool.begin().await.unwrap();
        outbox.append_all(&mut tx, expected.clone()).await.unwrap();
        tx.commit().await.unwrap();

        // Three attempts: one retry at once, one after a short delay.
        let policy = RetryPolicy {
            immediate_retries: 1,
            delayed_retries: 1,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(20),
        };
        let mut relay = Relay::new(
            outbox.clone(),
            Rejecting,
            RelayConfig {
                retry: policy,
                ..config("rejected")
            },
        );
        let mut dead = 0;
        for _ in 0..1000 {
            dead += relay.run_once().await.unwrap().dead;
            if dead == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(dead, 3);
        assert_eq!(outbox.pending().await.unwrap(), 0);

        let letters = outbox.dead_letters().await.unwrap();
        let ids: Vec<&str> = letters.iter().map(|l| l.id.as_str()).collect();
        let appended: Vec<&str> = expected.iter().map(Message::id).collect();
        assert_eq!(ids, appended, "oldest first");
        for letter in &letters {
            assert_eq!(letter.attempts, 3);
            assert!(letter.last_error.contains("no such subject"));
            assert!(letter.first_failure_ms <= letter.last_failure_ms);
            assert_eq!(letter.event_type, "order.placed.v1");
        }
        let first = outbox.dead_letter(ids[0]).await.unwrap().unwrap();
        assert_eq!(first, letters[0]);
        assert!(outbox.dead_letter("no-such-id").await.unwrap().is_none());

        // Requeued: back in the outbox with its attempts reset, and
        // published by the next pass; discarded: gone.
        assert!(outbox.requeue(ids[0]).await.unwrap());
        assert!(!outbox.requeue(ids[0]).await.unwrap());
        assert_eq!(
            outbox.state_of(ids[0]).await.unwrap(),
            Some(("pending".to_owned(), 0))
        );
        assert!(outbox.discard(ids[1]).await.unwrap());
        assert!(!outbox.discard(ids[1]).await.unwrap());
        let transport = InMemoryTransport::new();
        let mut relay = Relay::new(outbox.clone(), transport.clone(), config("relay"));
        assert_eq!(relay.run_once().await.unwrap().published, 1);
        assert_eq!(transport.published(), [expected[0].clone()]);
        assert_eq!(outbox.dead_letters().await.unwrap().len(), 1);
    });
}

#[test]
fn rows_that_are_not_envelopes_of_their_id_are_dead_lettered_not_published() {
    pg::run("corrupt", |db| async move {
        let outbox = db.outbox();
        db.execute(&format!(
            "INSERT INTO {} (id, event_type, headers, payload)
             VALUES ('bad-json', 'order.placed.v1', '[]', 'not json'),
                    ('bad-headers', 'order.placed.v1', '{{', '{{}}')",
            db.table("event_outbox")
        ))
        .await;
        let good = message(1);
        let mut tx = db.pool.begin().await.unwrap();
        outbox.append(&mut tx, &good).await.unwrap();
        tx.commit().await.unwrap();
        let transport = InMemoryTransport::new();
        let mut relay = Relay::new(outbox.clone(), transport.clone(), config("relay"));
        let stats = relay.run_once().await.unwrap();
        assert_eq!((stats.published, stats.dead), (1, 2));
        assert_eq!(transport.published(), [good]);
        let letters = outbox.dead_letters().await.unwrap();
        assert!(
            letters[0]
                .last_error
                .contains("corrupt row: payload is not JSON")
        );
        assert!(letters[1].last_error.contains("headers are not valid"));
    });
}

#[test]
fn a_claim_taken_over_after_its_lease_can_no_longer_write() {
    pg::run("fencing_store", |db| async move {
        let mut outbox = db.outbox();
        let mut tx = db.pool.begin().await.unwrap();
        outbox
            .append_all(&mut tx, (0..3).map(message))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let lease = Duration::from_secs(30);

        let stale = outbox.claim("relay-a", 10, lease).await.unwrap();
        assert_eq!(stale.len(), 3);
        // Relay A stalls; its lease runs out and relay B claims the rows.
        db.execute(&format!(
            "UPDATE {} SET claimed_until = now() - interval '1 second'",
            db.table("event_outbox")
        ))
        .await;
        let mut b = db.outbox();
        let fresh = b.claim("relay-b", 10, lease).await.unwrap();
        assert_eq!(fresh.len(), 3);
        for (old, new) in stale.iter().zip(&fresh) {
            assert_eq!(old.claim.seq, new.claim.seq);
            assert!(new.claim.generation > old.claim.generation);
        }
        let a: Vec<Claim> = stale.iter().map(|row| row.claim).collect();

        // Nothing relay A writes lands.
        assert!(outbox.renew(&a, lease).await.unwrap().is_empty());
        assert!(!outbox.mark_published("relay-a", a[0]).await.unwrap());
        assert!(
            !outbox
                .retry_later(a[1], 1, "rejected", Duration::ZERO)
                .await
                .unwrap()
        );
        assert!(!outbox.bury(a[2], 9, "rejected").await.unwrap());
        outbox.release(&a).await.unwrap();
        let rows: Vec<(String, String, i32)> = sqlx::query_as(&format!(
            "SELECT state, claimed_by, attempts FROM {} ORDER BY seq",
            db.table("event_outbox")
        ))
        .fetch_all(&db.pool)
        .await
        .unwrap();
        for row in &rows {
            assert_eq!(row, &("in_flight".to_owned(), "relay-b".to_owned(), 0));
        }
        assert!(outbox.dead_letters().await.unwrap().is_empty());

        // Relay B's writes do.
        let b_claims: Vec<Claim> = fresh.iter().map(|row| row.claim).collect();
        assert_eq!(b.renew(&b_claims, lease).await.unwrap(), b_claims);
        for claim in &b_claims {
            assert!(b.mark_published("relay-b", *claim).await.unwrap());
        }
        assert_eq!(outbox.published().await.unwrap(), 3);
        assert!(b.claim("relay-b", 10, lease).await.unwrap().is_empty());
    });
}

#[test]
fn a_requeued_dead_letter_carries_its_claim_generation_on() {
    pg::run("requeue_generation", |db| async move {
        let mut outbox = db.outbox();
        let only = message(1);
        let mut tx = db.pool.begin().await.unwrap();
        outbox.append(&mut tx, &only).await.unwrap();
        tx.commit().await.unwrap();
        let lease = Duration::from_secs(30);
        let first = outbox.claim("relay-a", 1, lease).await.unwrap();
        assert!(outbox.bury(first[0].claim, 1, "rejected").await.unwrap());
        assert!(outbox.requeue(only.id()).await.unwrap());
        let second = outbox.claim("relay-b", 1, lease).await.unwrap();
        assert_eq!(second[0].claim.seq, first[0].claim.seq);
        assert!(second[0].claim.generation > first[0].claim.generation);
        // The claim from before the burial is stale.
        assert!(
            !outbox
                .mark_published("relay-a", first[0].claim)
                .await
                .unwrap()
        );
        assert!(
            outbox
                .mark_published("relay-b", second[0].claim)
                .await
                .unwrap()
        );
    });
}

#[test]
fn bytes_postgres_cannot_store_are_an_error_and_odd_headers_round_trip() {
    pg::run("bad_input", |db| async move {
        let outbox = db.outbox();
        let bad = message(1);
        let bad = Message::from_parts(
            "evt\0nul",
            bad.event_type(),
            bad.headers(),
            bad.payload().to_vec(),
        );
        let mut tx = db.pool.begin().await.unwrap();
        assert!(outbox.append(&mut tx, &bad).await.is_err());
        drop(tx);
        assert_eq!(outbox.pending().await.unwrap(), 0);
        // A header with a NUL is stored escaped, in JSON, and comes back as
        // it was.
        let odd_header = message(2);
        let odd_header = odd_header.with_header("x-note", "a\0b");
        let mut tx = db.pool.begin().await.unwrap();
        outbox
            .append_all(&mut tx, vec![message(3), odd_header.clone()])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut store = outbox.clone();
        let claimed = store
            .claim("relay", 10, Duration::from_secs(30))
            .await
            .unwrap();
        assert_eq!(claimed[1].message.as_ref().unwrap(), &odd_header);
        // A closed pool is an error too.
        let closed = pg::connect().await.unwrap();
        closed.close().await;
        let outbox = PgOutbox::new(closed, &db.config).unwrap();
        assert!(outbox.pending().await.is_err());
        assert!(outbox.begin().await.is_err());
    });
}

/// The adapter's futures can be spawned on a multi-threaded runtime.
#[test]
fn the_adapters_futures_are_send() {
    fn send<T: Send>(_: T) {}
    #[allow(clippy::diverging_sub_expression, unreachable_code, unused_variables)]
    fn check() {
        let pool: sqlx::PgPool = unimplemented!();
        let outbox: PgOutbox = unimplemented!();
        let mut store = outbox.clone();
        let inbox: event_core::postgres::PgInbox = unimplemented!();
        let transport: InMemoryTransport = unimplemented!();
        let received: event_core::integration::Received<OrderPlacedIntegrationEvent> =
            unimplemented!();
        let mut conn: sqlx::PgConnection = unimplemented!();
        send(migrate(&pool, &PgConfig::default()));
        send(outbox.begin());
        send(outbox.append(&mut conn, &message(1)));
        send(outbox.append_all(&mut conn, vec![message(1)]));
        send(outbox.dead_letters());
        send(outbox.requeue("id"));
        send(store.wait_for_work(Duration::ZERO));
        send(inbox.deliver("c", received, &RetryPolicy::default(), async |_, _| Ok(())));
        send(inbox.requeue("c", "id", &transport));
        send(Relay::new(outbox, transport, RelayConfig::default()).run(async {}));
    }
    let _ = check;
}
