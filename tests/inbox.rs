//! The inbox's retries and dead letters: failed deliveries come again after
//! the retry policy's backoff, and the ones it gives up on can be listed,
//! inspected, requeued or discarded.

mod support;

use std::time::Duration;

use event_core::integration::{ConsumeError, Consumer, encode};
use event_core::prelude::*;
use event_core::retry::RetryPolicy;
use event_core::sqlite::{InboxOutcome, RequeueError, SqliteInbox};
use event_core::transport::{InMemoryTransport, Message, Subscription, Transport, TransportError};
use event_core::{BoxError, Envelope};
use rusqlite::{Connection, params};
use support::now;
use tokio::time::Instant;

/// A payment was captured.
#[integration_event(version = 1)]
pub struct PaymentCapturedIntegrationEvent {
    pub payment_id: String,
    pub amount_cents: u64,
}

type Payments =
    Consumer<PaymentCapturedIntegrationEvent, <InMemoryTransport as Transport>::Subscription>;

/// Runs a test body on a one-thread runtime whose clock stands still and
/// jumps to the next timer when there is nothing else to do: backoffs take
/// no time, and what happens before a delay ends is exact.
fn paused<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(future)
}

fn database() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    SqliteInbox::install(&conn).unwrap();
    conn.execute_batch("CREATE TABLE payments (id TEXT PRIMARY KEY, amount INTEGER NOT NULL);")
        .unwrap();
    conn
}

fn payment(id: &str) -> Envelope<PaymentCapturedIntegrationEvent> {
    Envelope::new(
        "/payments",
        PaymentCapturedIntegrationEvent {
            payment_id: id.into(),
            amount_cents: 100,
        },
    )
    .with_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
}

fn apply(
    tx: &rusqlite::Transaction<'_>,
    e: &Envelope<PaymentCapturedIntegrationEvent>,
) -> Result<(), BoxError> {
    tx.execute(
        "INSERT INTO payments (id, amount) VALUES (?1, ?2)",
        params![e.data().payment_id, i64::try_from(e.data().amount_cents)?],
    )?;
    Ok(())
}

fn payments(conn: &Connection) -> i64 {
    conn.query_row("SELECT COUNT(*) FROM payments", [], |r| r.get(0))
        .unwrap()
}

/// A policy of three attempts: one retry at once, one after a second.
fn three_attempts() -> RetryPolicy {
    RetryPolicy {
        immediate_retries: 1,
        delayed_retries: 1,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(1),
    }
}

/// Delivers to a handler that always fails until the policy gives up;
/// returns the outcome of each attempt.
async fn fail_until_dead(
    conn: &mut Connection,
    consumer: &mut Payments,
    policy: &RetryPolicy,
) -> Vec<Result<InboxOutcome, String>> {
    let mut outcomes = Vec::new();
    loop {
        let received = consumer.next().await.unwrap().unwrap();
        let attempt = received.delivery.attempt;
        let outcome = SqliteInbox::deliver(conn, "ledger", received, policy, |tx, e| {
            apply(tx, e)?;
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

#[test]
fn a_handler_failing_for_a_while_is_retried_with_backoff_and_then_processed() {
    paused(async {
        let transport = InMemoryTransport::new();
        let mut conn = database();
        let mut consumer = Payments::subscribe(&transport, "ledger").await.unwrap();
        transport
            .publish(encode(&payment("pay-1")).unwrap())
            .await
            .unwrap();

        // The dependency is down for the first four attempts.
        let policy = RetryPolicy::default();
        let start = Instant::now();
        let mut seen = Vec::new();
        let outcome = loop {
            let received = consumer.next().await.unwrap().unwrap();
            seen.push((received.delivery.attempt, start.elapsed()));
            let failing = seen.len() <= 4;
            let outcome = SqliteInbox::deliver(&mut conn, "ledger", received, &policy, |tx, e| {
                if failing {
                    return Err("ledger database restarting".into());
                }
                apply(tx, e)
            })
            .await;
            match outcome {
                Ok(outcome) => break outcome,
                Err(error) => assert_eq!(error.to_string(), "ledger database restarting"),
            }
        };

        assert_eq!(outcome, InboxOutcome::Processed);
        let attempts: Vec<u32> = seen.iter().map(|(attempt, _)| *attempt).collect();
        assert_eq!(attempts, [1, 2, 3, 4, 5]);
        // Two retries at once, then waits of at least half of 0.5 s and 1 s.
        assert_eq!(seen[2].1, Duration::ZERO);
        assert!(
            seen[3].1 - seen[2].1 >= Duration::from_millis(250),
            "{seen:?}"
        );
        assert!(
            seen[4].1 - seen[3].1 >= Duration::from_millis(500),
            "{seen:?}"
        );
        assert_eq!(payments(&conn), 1);
        assert_eq!(SqliteInbox::processed(&conn, "ledger").unwrap(), 1);
        assert!(
            SqliteInbox::dead_letters(&conn, "ledger")
                .unwrap()
                .is_empty()
        );
        assert!(
            now(consumer.next()).await.is_none(),
            "a processed event came again"
        );
    });
}

#[test]
fn a_delivery_is_not_redelivered_before_the_policy_delay() {
    paused(async {
        let transport = InMemoryTransport::new();
        let mut conn = database();
        let mut consumer = Payments::subscribe(&transport, "ledger").await.unwrap();
        transport
            .publish(encode(&payment("pay-1")).unwrap())
            .await
            .unwrap();
        let policy = RetryPolicy {
            immediate_retries: 0,
            delayed_retries: 1,
            base_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(60),
        };
        let received = consumer.next().await.unwrap().unwrap();
        let outcome = SqliteInbox::deliver(&mut conn, "ledger", received, &policy, |_, _| {
            Err("down".into())
        })
        .await;
        assert!(outcome.is_err());
        // The wait is between 30 and 60 seconds.
        tokio::time::advance(Duration::from_secs(29)).await;
        assert!(
            now(consumer.next()).await.is_none(),
            "redelivered before its delay"
        );
        tokio::time::advance(Duration::from_secs(31)).await;
        let received = now(consumer.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(received.delivery.attempt, 2);
        let outcome = SqliteInbox::deliver(&mut conn, "ledger", received, &policy, apply).await;
        assert_eq!(outcome.unwrap(), InboxOutcome::Processed);
    });
}

#[test]
fn dead_letters_are_listed_with_their_failures_and_requeued_to_be_processed_once() {
    paused(async {
        let transport = InMemoryTransport::new();
        let mut conn = database();
        let mut consumer = Payments::subscribe(&transport, "ledger").await.unwrap();
        // Another consumer of the same events, which must not see a requeue.
        let mut audit = transport
            .subscribe(PaymentCapturedIntegrationEvent::FULL_TYPE, "audit")
            .await
            .unwrap();
        let sent = encode(&payment("pay-1")).unwrap();
        transport.publish(sent.clone()).await.unwrap();
        now(audit.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
            .ack()
            .await
            .unwrap();

        let outcomes = fail_until_dead(&mut conn, &mut consumer, &three_attempts()).await;
        assert_eq!(
            outcomes,
            [
                Err("ledger closed (attempt 1)".to_owned()),
                Err("ledger closed (attempt 2)".to_owned()),
                Ok(InboxOutcome::DeadLettered),
            ]
        );
        assert_eq!(payments(&conn), 0, "failed handlers rolled back");
        assert!(
            now(consumer.next()).await.is_none(),
            "a dead letter came again"
        );

        let dead = SqliteInbox::dead_letters(&conn, "ledger").unwrap();
        assert_eq!(dead.len(), 1);
        let letter = &dead[0];
        assert_eq!(letter.consumer, "ledger");
        assert_eq!(letter.event_id, sent.id());
        assert_eq!(letter.event_type, "payment.captured.v1");
        assert_eq!(letter.attempts, 3);
        assert_eq!(letter.last_error, "ledger closed (attempt 3)");
        let first = letter
            .first_failed_at_ms
            .expect("the first failure was recorded");
        assert!(first <= letter.last_failed_at_ms);
        assert_eq!(letter.payload, sent.payload());
        assert_eq!(letter.message(), sent, "headers and payload as delivered");
        assert_eq!(
            SqliteInbox::dead_letter(&conn, "ledger", sent.id())
                .unwrap()
                .as_ref(),
            Some(letter)
        );
        assert!(
            SqliteInbox::dead_letters(&conn, "audit")
                .unwrap()
                .is_empty()
        );

        assert!(
            SqliteInbox::requeue(&mut conn, "ledger", sent.id(), &transport)
                .await
                .unwrap()
        );
        assert!(
            SqliteInbox::dead_letters(&conn, "ledger")
                .unwrap()
                .is_empty()
        );
        assert!(
            !SqliteInbox::requeue(&mut conn, "ledger", sent.id(), &transport)
                .await
                .unwrap(),
            "requeued twice"
        );

        let received = now(consumer.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(
            received.delivery.attempt, 1,
            "a requeued message starts afresh"
        );
        assert_eq!(received.envelope.id().as_str(), sent.id());
        let outcome = SqliteInbox::deliver(&mut conn, "ledger", received, &three_attempts(), apply)
            .await
            .unwrap();
        assert_eq!(outcome, InboxOutcome::Processed);
        assert_eq!(payments(&conn), 1);
        assert_eq!(SqliteInbox::processed(&conn, "ledger").unwrap(), 1);
        assert!(
            now(consumer.next()).await.is_none(),
            "processed more than once"
        );
        assert!(
            now(audit.next()).await.is_none(),
            "the requeue reached another consumer"
        );
        assert_eq!(transport.published().len(), 1);
    });
}

#[test]
fn a_requeued_event_that_fails_again_is_dead_lettered_again_with_fresh_counts() {
    paused(async {
        let transport = InMemoryTransport::new();
        let mut conn = database();
        let mut consumer = Payments::subscribe(&transport, "ledger").await.unwrap();
        let sent = encode(&payment("pay-1")).unwrap();
        transport.publish(sent.clone()).await.unwrap();
        let policy = three_attempts();
        fail_until_dead(&mut conn, &mut consumer, &policy).await;
        SqliteInbox::requeue(&mut conn, "ledger", sent.id(), &transport)
            .await
            .unwrap();
        let outcomes = fail_until_dead(&mut conn, &mut consumer, &policy).await;
        assert_eq!(
            outcomes.len(),
            3,
            "the requeued event got every attempt again"
        );
        let dead = SqliteInbox::dead_letters(&conn, "ledger").unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].attempts, 3);
    });
}

#[test]
fn a_discarded_dead_letter_is_gone_and_not_delivered() {
    paused(async {
        let transport = InMemoryTransport::new();
        let mut conn = database();
        let mut consumer = Payments::subscribe(&transport, "ledger").await.unwrap();
        let kept = encode(&payment("pay-1")).unwrap();
        let dropped = encode(&payment("pay-2")).unwrap();
        transport.publish(kept.clone()).await.unwrap();
        transport.publish(dropped.clone()).await.unwrap();
        for _ in 0..2 {
            let outcomes = fail_until_dead(&mut conn, &mut consumer, &RetryPolicy::none()).await;
            assert_eq!(outcomes, [Ok(InboxOutcome::DeadLettered)]);
        }
        assert_eq!(SqliteInbox::dead_letters(&conn, "ledger").unwrap().len(), 2);

        assert!(SqliteInbox::discard(&conn, "ledger", dropped.id()).unwrap());
        assert!(!SqliteInbox::discard(&conn, "ledger", dropped.id()).unwrap());
        assert!(!SqliteInbox::discard(&conn, "audit", kept.id()).unwrap());
        let left: Vec<String> = SqliteInbox::dead_letters(&conn, "ledger")
            .unwrap()
            .into_iter()
            .map(|d| d.event_id)
            .collect();
        assert_eq!(left, [kept.id()]);
        assert_eq!(
            SqliteInbox::dead_letter(&conn, "ledger", dropped.id()).unwrap(),
            None
        );
        assert!(now(consumer.next()).await.is_none());
        assert_eq!(payments(&conn), 0);
    });
}

#[test]
fn undecodable_messages_are_buried_with_what_is_known_of_their_failures() {
    paused(async {
        let transport = InMemoryTransport::new();
        let conn = database();
        let mut consumer = Payments::subscribe(&transport, "ledger").await.unwrap();
        for id in ["garbage-1", "garbage-2"] {
            transport
                .publish(Message::new(
                    id,
                    PaymentCapturedIntegrationEvent::FULL_TYPE,
                    b"{not json".to_vec(),
                ))
                .await
                .unwrap();
        }
        // The first is buried at its first delivery; the second is handed
        // back once, and buried at its second, whose first failure this
        // inbox never saw.
        let mut buried = 0;
        while buried < 2 {
            match consumer.next().await.unwrap() {
                Err(ConsumeError::Decode { error, delivery }) => {
                    if delivery.message.id() == "garbage-2" && delivery.attempt == 1 {
                        delivery.nack().await.unwrap();
                        continue;
                    }
                    SqliteInbox::bury(&conn, "ledger", &delivery, &error.to_string()).unwrap();
                    delivery.ack().await.unwrap();
                    buried += 1;
                }
                other => panic!("expected a decode error, got {other:?}"),
            }
        }
        let dead = SqliteInbox::dead_letters(&conn, "ledger").unwrap();
        let first = |id: &str| {
            let letter = dead.iter().find(|d| d.event_id == id).unwrap();
            (letter.attempts, letter.first_failed_at_ms.is_some())
        };
        assert_eq!(first("garbage-1"), (1, true));
        assert_eq!(first("garbage-2"), (2, false));
        assert!(
            dead.iter()
                .all(|d| d.last_error.starts_with("malformed JSON"))
        );
        assert!(dead.iter().all(|d| d.payload == b"{not json"));
    });
}

/// A transport wrapper that does not forward `requeue`.
#[derive(Clone)]
struct PublishOnly(InMemoryTransport);

impl Transport for PublishOnly {
    type Subscription = <InMemoryTransport as Transport>::Subscription;

    async fn publish(&self, message: Message) -> Result<(), TransportError> {
        self.0.publish(message).await
    }

    async fn subscribe(
        &self,
        event_type: &str,
        consumer: &str,
    ) -> Result<Self::Subscription, TransportError> {
        self.0.subscribe(event_type, consumer).await
    }
}

#[test]
fn a_transport_that_cannot_requeue_keeps_the_dead_letter() {
    paused(async {
        let transport = PublishOnly(InMemoryTransport::new());
        let mut conn = database();
        let mut consumer = Payments::subscribe(&transport, "ledger").await.unwrap();
        let sent = encode(&payment("pay-1")).unwrap();
        transport.publish(sent.clone()).await.unwrap();
        fail_until_dead(&mut conn, &mut consumer, &RetryPolicy::none()).await;

        let error = SqliteInbox::requeue(&mut conn, "ledger", sent.id(), &transport)
            .await
            .unwrap_err();
        assert!(
            matches!(error, RequeueError::Transport(TransportError::Rejected(_))),
            "{error}"
        );
        assert_eq!(SqliteInbox::dead_letters(&conn, "ledger").unwrap().len(), 1);
        assert!(now(consumer.next()).await.is_none());
    });
}

#[test]
fn install_adds_the_new_columns_to_an_older_dead_letter_table() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE event_inbox_dead_letters (
             consumer TEXT NOT NULL,
             event_id TEXT NOT NULL,
             event_type TEXT NOT NULL,
             payload BLOB NOT NULL,
             attempts INTEGER NOT NULL,
             last_error TEXT NOT NULL,
             dead_at INTEGER NOT NULL,
             PRIMARY KEY (consumer, event_id)
         );
         INSERT INTO event_inbox_dead_letters
             VALUES ('ledger', 'evt-1', 'payment.captured.v1', X'7B7D', 5, 'ledger closed', 1000);",
    )
    .unwrap();
    SqliteInbox::install(&conn).unwrap();
    // Installing again changes nothing.
    SqliteInbox::install(&conn).unwrap();
    let dead = SqliteInbox::dead_letters(&conn, "ledger").unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].headers, []);
    assert_eq!(dead[0].first_failed_at_ms, None, "not recorded then");
    assert_eq!(dead[0].last_failed_at_ms, 1000);
    assert_eq!(dead[0].attempts, 5);
    assert_eq!(dead[0].payload, b"{}");
}

/// How a test delivery was settled.
#[derive(Debug, Clone, PartialEq)]
enum Settled {
    Ack,
    Nack(Duration),
}

/// Settles a test delivery by writing down how.
struct Recorder(std::sync::Arc<std::sync::Mutex<Vec<Settled>>>);

impl event_core::transport::Acknowledge for Recorder {
    fn ack(self: Box<Self>) -> event_core::transport::BoxFuture<Result<(), TransportError>> {
        self.0.lock().unwrap().push(Settled::Ack);
        Box::pin(async { Ok(()) })
    }

    fn nack(
        self: Box<Self>,
        delay: Duration,
    ) -> event_core::transport::BoxFuture<Result<(), TransportError>> {
        self.0.lock().unwrap().push(Settled::Nack(delay));
        Box::pin(async { Ok(()) })
    }
}

#[test]
fn a_failure_the_inbox_cannot_record_releases_the_delivery_after_a_pause() {
    paused(async {
        let mut conn = database();
        // The store breaks: the failure of the handler cannot be recorded.
        conn.execute_batch("DROP TABLE event_inbox_failures;")
            .unwrap();
        let settled = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let envelope = payment("p-store");
        let message = encode(&envelope).unwrap();
        let delivery = event_core::transport::Delivery::new(message, 1, Recorder(settled.clone()));
        let received = event_core::integration::Received { envelope, delivery };

        let policy = RetryPolicy::default();
        let outcome = SqliteInbox::deliver(&mut conn, "ledger", received, &policy, |_, _| {
            Err("ledger closed".into())
        })
        .await;

        // The store's error comes back, and the delivery is not dropped
        // unsettled (which brings it back at once, one attempt further each
        // time): it is released to come again after a pause.
        let error = outcome.unwrap_err().to_string();
        assert!(error.contains("event_inbox_failures"), "{error}");
        let settled = settled.lock().unwrap().clone();
        assert_eq!(settled.len(), 1, "{settled:?}");
        let Settled::Nack(delay) = settled[0] else {
            panic!("released with a delay expected, got {settled:?}");
        };
        assert!(delay >= policy.base_delay / 2, "{delay:?}");
        assert_eq!(payments(&conn), 0);
    });
}
