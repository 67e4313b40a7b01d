//! The PostgreSQL inbox on a real server: a redelivered message has one
//! effect, the effect and the inbox row commit or roll back together,
//! failed deliveries come again after the retry policy's delay, and the
//! ones it gives up on are dead letters that can be requeued or discarded.
//!
//! Each test works in a schema of its own, dropped at its end; without a
//! server at `DATABASE_URL` the tests are skipped with a notice (they fail
//! instead with `EVENT_CORE_REQUIRE_SERVICES=1`).

#[path = "support/postgres.rs"]
mod pg;
#[path = "support/services.rs"]
mod services;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use event_core::integration::{Consumer, encode};
use event_core::postgres::sqlx::{self, PgConnection};
use event_core::postgres::{InboxOutcome, PgInbox, RequeueError};
use event_core::prelude::*;
use event_core::retry::RetryPolicy;
use event_core::transport::{InMemoryTransport, Message, Transport, TransportError};
use event_core::{BoxError, Envelope};

/// A payment was captured.
#[integration_event(version = 1)]
pub struct PaymentCapturedIntegrationEvent {
    pub payment_id: String,
    pub amount_cents: u64,
}

type Payments =
    Consumer<PaymentCapturedIntegrationEvent, <InMemoryTransport as Transport>::Subscription>;

fn payment(id: &str) -> Envelope<PaymentCapturedIntegrationEvent> {
    Envelope::new(
        "/payments",
        PaymentCapturedIntegrationEvent {
            payment_id: id.into(),
            amount_cents: 100,
        },
    )
}

/// Creates the consumer's own table in the test's schema.
async fn payments_table(db: &pg::TestDb) -> String {
    let table = db.table("payments");
    db.execute(&format!(
        "CREATE TABLE {table} (id TEXT PRIMARY KEY, amount BIGINT NOT NULL)"
    ))
    .await;
    table
}

/// The consumer's effect: a row in its table, in the inbox's transaction.
async fn apply(
    table: &str,
    tx: &mut PgConnection,
    e: &Envelope<PaymentCapturedIntegrationEvent>,
) -> Result<(), BoxError> {
    sqlx::query(&format!("INSERT INTO {table} (id, amount) VALUES ($1, $2)"))
        .bind(&e.data().payment_id)
        .bind(i64::try_from(e.data().amount_cents)?)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

#[test]
fn a_redelivered_message_has_one_effect_and_the_effect_rolls_back_with_the_record() {
    pg::run("inbox_once", |db| async move {
        let table = payments_table(&db).await;
        let inbox = db.inbox();
        let transport = InMemoryTransport::new();
        let mut consumer = Payments::subscribe(&transport, "ledger").await.unwrap();
        let first = encode(&payment("pay-1")).unwrap();
        // The broker delivers the message twice (a relay that published it
        // again after a crash).
        transport.publish(first.clone()).await.unwrap();
        transport.publish(first.clone()).await.unwrap();
        let policy = RetryPolicy::default();
        let mut outcomes = Vec::new();
        for _ in 0..2 {
            let received = consumer.next().await.unwrap().unwrap();
            outcomes.push(
                inbox
                    .deliver("ledger", received, &policy, async |tx, e| {
                        apply(&table, tx, e).await
                    })
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(outcomes, [InboxOutcome::Processed, InboxOutcome::Duplicate]);
        let rows = format!("SELECT COUNT(*) FROM {table}");
        assert_eq!(db.scalar(&rows).await, 1);
        assert_eq!(inbox.processed("ledger").await.unwrap(), 1);
        // Another consumer has its own record.
        assert_eq!(
            inbox
                .handle("audit", &payment("pay-1"), async |_, _| Ok(()))
                .await
                .unwrap(),
            InboxOutcome::Processed
        );

        // The effect is written, then the handler fails: neither the effect
        // nor the record is kept, and the next delivery applies it.
        let second = payment("pay-2");
        let error = inbox
            .handle("ledger", &second, async |tx, e| {
                apply(&table, tx, e).await?;
                Err("the ledger is closed".into())
            })
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "the ledger is closed");
        assert_eq!(db.scalar(&rows).await, 1);
        assert_eq!(inbox.processed("ledger").await.unwrap(), 1);
        assert_eq!(
            inbox
                .handle("ledger", &second, async |tx, e| apply(&table, tx, e).await)
                .await
                .unwrap(),
            InboxOutcome::Processed
        );
        assert_eq!(db.scalar(&rows).await, 2);

        // The record in a transaction of the caller's: rolled back with it.
        let mut tx = db.pool.begin().await.unwrap();
        assert_eq!(
            inbox.record(&mut tx, "ledger", "pay-3").await.unwrap(),
            InboxOutcome::Processed
        );
        tx.rollback().await.unwrap();
        let mut tx = db.pool.begin().await.unwrap();
        assert_eq!(
            inbox.record(&mut tx, "ledger", "pay-3").await.unwrap(),
            InboxOutcome::Processed
        );
        tx.commit().await.unwrap();
        let mut tx = db.pool.begin().await.unwrap();
        assert_eq!(
            inbox.record(&mut tx, "ledger", "pay-3").await.unwrap(),
            InboxOutcome::Duplicate
        );
    });
}

#[test]
fn two_deliveries_of_one_event_handled_at_once_have_one_effect() {
    pg::run("inbox_concurrent", |db| async move {
        let table = payments_table(&db).await;
        let inbox = db.inbox();
        let envelope = payment("pay-1");
        let runs = Arc::new(AtomicU32::new(0));
        let handle = || {
            let inbox = inbox.clone();
            let envelope = envelope.clone();
            let table = table.clone();
            let runs = runs.clone();
            async move {
                inbox
                    .handle("ledger", &envelope, async |tx, e| {
                        runs.fetch_add(1, Ordering::SeqCst);
                        // Hold the transaction open a while.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        apply(&table, tx, e).await
                    })
                    .await
                    .unwrap()
            }
        };
        let (one, two) = (tokio::spawn(handle()), tokio::spawn(handle()));
        let (one, two) = (one.await, two.await);
        let mut outcomes = [one.unwrap(), two.unwrap()];
        outcomes.sort_by_key(|o| *o != InboxOutcome::Processed);
        assert_eq!(outcomes, [InboxOutcome::Processed, InboxOutcome::Duplicate]);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(db.scalar(&format!("SELECT COUNT(*) FROM {table}")).await, 1);
    });
}

#[test]
fn a_failed_delivery_comes_again_after_the_policys_delay_and_is_then_processed() {
    pg::run("inbox_retry", |db| async move {
        let table = payments_table(&db).await;
        let inbox = db.inbox();
        let transport = InMemoryTransport::new();
        let mut consumer = Payments::subscribe(&transport, "ledger").await.unwrap();
        transport
            .publish(encode(&payment("pay-1")).unwrap())
            .await
            .unwrap();
        // No retry at once; one after 1 to 2 seconds.
        let policy = RetryPolicy {
            immediate_retries: 0,
            delayed_retries: 2,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(2),
        };
        let received = consumer.next().await.unwrap().unwrap();
        assert_eq!(received.delivery.attempt, 1);
        let error = inbox
            .deliver("ledger", received, &policy, async |_, _| {
                Err("the bank is down".into())
            })
            .await
            .unwrap_err();
        assert_eq!(error.to_string(), "the bank is down");
        // Not delivered again before the delay (at least a second).
        let started = tokio::time::Instant::now();
        let received = consumer.next().await.unwrap().unwrap();
        assert!(started.elapsed() >= Duration::from_millis(900));
        assert_eq!(received.delivery.attempt, 2);
        assert_eq!(
            inbox
                .deliver("ledger", received, &policy, async |tx, e| apply(
                    &table, tx, e
                )
                .await)
                .await
                .unwrap(),
            InboxOutcome::Processed
        );
        assert_eq!(db.scalar(&format!("SELECT COUNT(*) FROM {table}")).await, 1);
        // The failure recorded for it is forgotten with the success.
        assert_eq!(
            db.scalar(&format!(
                "SELECT COUNT(*) FROM {}",
                db.table("event_inbox_failures")
            ))
            .await,
            0
        );
        assert!(inbox.dead_letters("ledger").await.unwrap().is_empty());
    });
}

/// Delivers to a handler that always fails until the policy gives up;
/// returns the outcome of each attempt.
async fn fail_until_dead(
    inbox: &PgInbox,
    consumer: &mut Payments,
    policy: &RetryPolicy,
) -> Vec<Result<InboxOutcome, String>> {
    let mut outcomes = Vec::new();
    loop {
        let received = consumer.next().await.unwrap().unwrap();
        let attempt = received.delivery.attempt;
        let outcome = inbox
            .deliver("ledger", received, policy, async move |_, _| {
                Err(format!("ledger closed (attempt {attempt})").into())
            })
            .await
            .map_err(|e| e.to_string());
        let dead = outcome == Ok(InboxOutcome::DeadLettered);
        outcomes.push(outcome);
        if dead {
            return outcomes;
        }
    }
}

/// Refuses to requeue anything.
struct NoRequeue;

impl Transport for NoRequeue {
    type Subscription = <InMemoryTransport as Transport>::Subscription;

    async fn publish(&self, _: Message) -> Result<(), TransportError> {
        Ok(())
    }

    async fn subscribe(&self, _: &str, _: &str) -> Result<Self::Subscription, TransportError> {
        Err(TransportError::Closed)
    }
}

#[test]
fn a_delivery_failing_past_the_policy_is_a_dead_letter_that_can_be_requeued_or_discarded() {
    pg::run("inbox_dead", |db| async move {
        let table = payments_table(&db).await;
        let inbox = db.inbox();
        let transport = InMemoryTransport::new();
        let mut consumer = Payments::subscribe(&transport, "ledger").await.unwrap();
        let first = encode(&payment("pay-1")).unwrap();
        let second = encode(&payment("pay-2")).unwrap();
        transport.publish(first.clone()).await.unwrap();
        // Three attempts, all at once.
        let policy = RetryPolicy {
            immediate_retries: 2,
            delayed_retries: 0,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        };
        let outcomes = fail_until_dead(&inbox, &mut consumer, &policy).await;
        assert_eq!(
            outcomes,
            [
                Err("ledger closed (attempt 1)".to_owned()),
                Err("ledger closed (attempt 2)".to_owned()),
                Ok(InboxOutcome::DeadLettered)
            ]
        );
        transport.publish(second.clone()).await.unwrap();
        fail_until_dead(&inbox, &mut consumer, &policy).await;

        let letters = inbox.dead_letters("ledger").await.unwrap();
        assert_eq!(letters.len(), 2);
        let letter = &letters[0];
        assert_eq!(letter.event_id, first.id());
        assert_eq!(letter.consumer, "ledger");
        assert_eq!(letter.attempts, 3);
        assert_eq!(letter.last_error, "ledger closed (attempt 3)");
        assert_eq!(letter.message(), first);
        assert!(letter.first_failed_at_ms.unwrap() <= letter.last_failed_at_ms);
        assert_eq!(
            inbox
                .dead_letter("ledger", first.id())
                .await
                .unwrap()
                .as_ref(),
            Some(letter)
        );
        assert!(inbox.dead_letters("audit").await.unwrap().is_empty());
        assert_eq!(db.scalar(&format!("SELECT COUNT(*) FROM {table}")).await, 0);

        // A transport that cannot requeue keeps the dead letter.
        let refused = inbox.requeue("ledger", first.id(), &NoRequeue).await;
        assert!(matches!(refused, Err(RequeueError::Transport(_))));
        assert_eq!(inbox.dead_letters("ledger").await.unwrap().len(), 2);

        // Requeued: delivered again to this consumer as a new delivery, and
        // processed; discarded: gone.
        assert!(
            inbox
                .requeue("ledger", first.id(), &transport)
                .await
                .unwrap()
        );
        assert!(
            !inbox
                .requeue("ledger", first.id(), &transport)
                .await
                .unwrap()
        );
        let received = consumer.next().await.unwrap().unwrap();
        assert_eq!(received.delivery.attempt, 1);
        assert_eq!(received.delivery.message, first);
        assert_eq!(
            inbox
                .deliver("ledger", received, &policy, async |tx, e| apply(
                    &table, tx, e
                )
                .await)
                .await
                .unwrap(),
            InboxOutcome::Processed
        );
        assert!(inbox.discard("ledger", second.id()).await.unwrap());
        assert!(!inbox.discard("ledger", second.id()).await.unwrap());
        assert!(inbox.dead_letters("ledger").await.unwrap().is_empty());
        assert_eq!(db.scalar(&format!("SELECT COUNT(*) FROM {table}")).await, 1);
    });
}

#[test]
fn a_handler_error_is_not_a_panic_and_a_closed_pool_is_an_error() {
    pg::run("inbox_errors", |db| async move {
        let inbox = db.inbox();
        // A statement that fails in the handler rolls back and is returned.
        let error = inbox
            .handle("ledger", &payment("pay-1"), async |tx, _| {
                sqlx::query("SELECT * FROM no_such_table")
                    .execute(&mut *tx)
                    .await?;
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(error.to_string().contains("no_such_table"), "{error}");
        assert_eq!(inbox.processed("ledger").await.unwrap(), 0);

        // A closed pool: typed errors, nothing recorded.
        let closed = pg::connect().await.unwrap();
        closed.close().await;
        let inbox = PgInbox::new(closed, &db.config).unwrap();
        let result: Result<InboxOutcome, BoxError> = inbox
            .handle("ledger", &payment("pay-2"), async |_, _| Ok(()))
            .await;
        assert!(result.is_err());
        assert!(inbox.dead_letters("ledger").await.is_err());
    });
}
