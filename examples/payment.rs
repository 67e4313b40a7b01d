//! A captured payment, handled independently by email, ledger and screening,
//! delivered through a transactional outbox and an idempotent inbox on
//! SQLite.
//!
//! Billing captures a payment: in one SQLite transaction it stores the
//! payment and, through a translator on its domain bus, appends the public
//! `PaymentCapturedIntegrationEvent` to its outbox. The relay publishes the
//! outbox to the transport once the transaction has committed. Email, ledger
//! and screening are consumers of one hosted runtime, each with its own
//! consumer name and inbox; billing knows none of them. The ledger applies
//! each event exactly once through its SQLite inbox: the example delivers the
//! event a second time, as a broker does after a crash, and every consumer
//! absorbs the duplicate.
//!
//! Every envelope is printed as its CloudEvents JSON. The databases are files
//! in a temporary folder.
//!
//! Run it with `cargo run --example payment`; its tests, written with the
//! test kit, with `cargo test --example payment`.

use std::rc::Rc;
use std::time::Duration;

use event_core::host::{Host, MemoryInbox};
use event_core::notify::{NotificationConfig, NotificationDispatcher, Notifier};
use event_core::prelude::*;
use event_core::sqlite::{InboxConnection, Relay, RelayConfig, SqliteOutbox, SqliteUnitOfWork};
use event_core::transport::{InMemoryTransport, Transport};
use event_core::{BoxError, DispatchError, DomainBus, UnitOfWork};
use rusqlite::{Connection, params};

/// A customer's payment was captured by the payment provider.
#[domain_event]
pub struct PaymentCaptured {
    pub payment_id: String,
    pub order_id: String,
    pub amount_cents: u64,
    #[event(pii)]
    pub customer_email: String,
}

/// A payment was captured; for every context that cares.
#[integration_event(version = 1, maps_from = PaymentCaptured)]
pub struct PaymentCapturedIntegrationEvent {
    pub payment_id: String,
    pub order_id: String,
    pub amount_cents: u64,
    #[event(pii)]
    pub customer_email: String,
}

/// The receipt the customer gets by email.
#[notification_event(maps_from = PaymentCapturedIntegrationEvent)]
pub struct PaymentReceiptNotification {
    pub payment_id: String,
    pub amount_cents: u64,
    #[event(pii)]
    pub customer_email: String,
}

/// The envelope's CloudEvents JSON as it goes on the wire, the values of its
/// `pii` and `secret` fields redacted.
fn print<E: Event>(who: &str, envelope: &Envelope<E>) {
    match envelope.to_redacted_json() {
        Ok(json) => println!("{who}:\n{json}\n"),
        Err(error) => println!("{who}: not encodable: {error}\n"),
    }
}

/// Prints each receipt as the mail server would send it.
struct Mailer;

impl Notifier<PaymentReceiptNotification> for Mailer {
    async fn send(&self, batch: Vec<Envelope<PaymentReceiptNotification>>) -> Result<(), BoxError> {
        for receipt in &batch {
            print("email sends the receipt", receipt);
        }
        Ok(())
    }
}

/// Billing's bus: the translator to the public event.
fn billing_bus() -> DomainBus {
    let mut bus = DomainBus::new();
    bus.translate::<PaymentCaptured, PaymentCapturedIntegrationEvent>(|_| Ok(()));
    bus
}

/// Billing's use case, after the payment row is written: the domain event,
/// translated into what the unit of work commits with the payment.
fn capture_payment(
    bus: &DomainBus,
    work: &mut impl UnitOfWork,
    captured: &Envelope<PaymentCaptured>,
) -> Result<(), DispatchError> {
    bus.publish(work, captured)
}

/// Email's handler: a receipt for the customer, handed to `send`.
fn email_receipts(
    send: impl Fn(Envelope<PaymentReceiptNotification>) + 'static,
) -> impl AsyncFn((), &Envelope<PaymentCapturedIntegrationEvent>) -> Result<(), BoxError> + 'static
{
    async move |(), envelope| {
        let receipt =
            Envelope::caused_by(envelope, PaymentReceiptNotification::from(envelope.data()))
                .with_source("/shop/email");
        send(receipt);
        Ok(())
    }
}

/// The ledger's handler: its posting, made in the inbox's transaction.
async fn post(
    tx: &rusqlite::Transaction<'_>,
    e: &Envelope<PaymentCapturedIntegrationEvent>,
) -> Result<(), BoxError> {
    print("ledger receives", e);
    tx.execute(
        "INSERT INTO postings (payment_id, amount_cents) VALUES (?1, ?2)",
        params![e.data().payment_id, i64::try_from(e.data().amount_cents)?],
    )?;
    Ok(())
}

/// The ledger's table.
const POSTINGS: &str = "CREATE TABLE IF NOT EXISTS postings \
    (payment_id TEXT PRIMARY KEY, amount_cents INTEGER NOT NULL);";

/// Screening's handler: checks on its own.
async fn screen((): (), e: &Envelope<PaymentCapturedIntegrationEvent>) -> Result<(), BoxError> {
    println!("screening checks payment {}\n", e.data().payment_id);
    Ok(())
}

fn main() -> Result<(), BoxError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let dir = std::env::temp_dir().join(format!("event-core-payment-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!("databases in {}\n", dir.display());

    let transport = InMemoryTransport::new();
    let receipts = Rc::new(NotificationDispatcher::spawn(
        Mailer,
        NotificationConfig::default(),
    ));

    // Three consumers on one host, each with its own name and inbox; the
    // ledger's inbox is in its own database, with its postings.
    let books = Connection::open(dir.join("ledger.db"))?;
    books.execute_batch(POSTINGS)?;
    let books = InboxConnection::new(books)?;
    let outbox = Rc::clone(&receipts);
    let email = Host::new(transport.clone())
        .consumer("email", MemoryInbox::new())
        .handle::<PaymentCapturedIntegrationEvent>(email_receipts(move |receipt| {
            let _ = outbox.publish(receipt);
        }));
    let email_metrics = email.metrics();
    let ledger = email
        .consumer("ledger", books.clone())
        .handle::<PaymentCapturedIntegrationEvent>(post);
    let ledger_metrics = ledger.metrics();
    let host = ledger
        .consumer("screening", MemoryInbox::new())
        .handle::<PaymentCapturedIntegrationEvent>(screen);
    let screening_metrics = host.metrics();
    // Their groups exist before billing publishes.
    host.declare().await?;

    // Billing: its database holds payments and the outbox.
    let mut billing = Connection::open(dir.join("billing.db"))?;
    SqliteOutbox::install(&billing)?;
    billing.execute_batch(
        "CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY, amount_cents INTEGER NOT NULL);",
    )?;
    let bus = billing_bus();

    // The use case: the payment and its events commit together.
    let captured = Envelope::new(
        "/shop/billing",
        PaymentCaptured {
            payment_id: format!("pay-{}", std::process::id()),
            order_id: "order-17".into(),
            amount_cents: 12_900,
            customer_email: "ada@example.com".into(),
        },
    )
    .with_subject("payments");
    // The unit of work: the payment, and what the bus's translator stages,
    // are stored in one transaction; an error before `commit` rolls both
    // back.
    let mut work = SqliteUnitOfWork::begin(&mut billing)?;
    work.transaction().execute(
        "INSERT INTO payments (id, amount_cents) VALUES (?1, ?2)",
        params![captured.data().payment_id, 12_900],
    )?;
    capture_payment(&bus, &mut work, &captured)?;
    let appended = work.commit()?;
    print("billing captures the payment (domain event)", &captured);
    println!("billing's outbox: {appended} integration event(s) committed with the payment\n");

    // The relay forwards the outbox once the transaction has committed.
    let mut relay = Relay::new(billing, transport.clone(), RelayConfig::default());
    let stats = relay.run_once().await?;
    println!("relay: {} published\n", stats.published);

    // The broker delivers the same event again, as after a crash before its
    // acknowledgement.
    let message = transport.published().remove(0);
    transport.publish(message).await?;

    // The consumers run until each has handled the event and absorbed the
    // copy; a service passes `tokio::signal::ctrl_c()`.
    let all = [&email_metrics, &ledger_metrics, &screening_metrics];
    let settled = async {
        while !all.iter().all(|m| {
            let m = m.snapshot();
            m.handled == 1 && m.duplicates == 1
        }) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    host.run(settled).await?;
    println!(
        "ledger: the same event again -> {} duplicate(s), absorbed\n",
        ledger_metrics.snapshot().duplicates
    );
    let postings: i64 = books
        .lock()
        .await
        .query_row("SELECT COUNT(*) FROM postings", [], |r| r.get(0))?;
    println!("ledger: {postings} posting(s) for one payment\n");

    // Shutting down sends what is still queued.
    let receipts = Rc::into_inner(receipts).ok_or("the email handler outlived its host")?;
    let stats = receipts.shutdown().await;
    println!(
        "receipts: {} sent, {} failed, {} dropped",
        stats.sent, stats.failed, stats.dropped
    );
    drop((relay, books));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use event_core::encode;
    use event_core::retry::RetryPolicy;
    use event_core::testing::{self, Outcome};
    use serde_json::json;
    use std::cell::RefCell;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn payment(id: &str, cents: u64) -> Envelope<PaymentCapturedIntegrationEvent> {
        Envelope::new(
            "/shop/billing",
            PaymentCapturedIntegrationEvent {
                payment_id: id.into(),
                order_id: "order-17".into(),
                amount_cents: cents,
                customer_email: "ada@example.com".into(),
            },
        )
    }

    /// Given billing's translator, when a payment is captured, then the
    /// public event goes out, caused by the domain event.
    #[test]
    fn a_captured_payment_is_published() {
        let _ids = testing::deterministic();
        let captured = Envelope::new(
            "/shop/billing",
            PaymentCaptured {
                payment_id: "pay-1".into(),
                order_id: "order-17".into(),
                amount_cents: 12_900,
                customer_email: "ada@example.com".into(),
            },
        )
        .with_subject("payments");
        let staged = testing::staged(&billing_bus(), |bus, work| {
            capture_payment(bus, work, &captured)
        })
        .unwrap();
        testing::assert_events(
            &staged,
            &[json!({
                "type": PaymentCapturedIntegrationEvent::FULL_TYPE,
                "source": "/shop/billing",
                "causationid": captured.id().as_str(),
                "correlationid": captured.correlation_id().as_str(),
                "data": {
                    "payment_id": "pay-1",
                    "order_id": "order-17",
                    "amount_cents": 12_900,
                    "customer_email": "ada@example.com",
                },
            })],
        );
    }

    /// Email sends one receipt per payment, however often it comes.
    #[test]
    fn email_sends_one_receipt_per_payment() {
        block_on(async {
            let sent = Rc::new(RefCell::new(Vec::new()));
            let outbox = Rc::clone(&sent);
            let first = payment("pay-1", 12_900);
            let report = testing::consumer("email", MemoryInbox::new())
                .handle::<PaymentCapturedIntegrationEvent>(email_receipts(move |receipt| {
                    outbox.borrow_mut().push(encode(&receipt).unwrap());
                }))
                .deliver(&first)
                .redeliver(&first, 2)
                .run()
                .await
                .unwrap();
            report.assert_outcomes(&[Outcome::Processed, Outcome::Duplicate]);
            testing::assert_events(
                &sent.borrow(),
                &[json!({
                    "type": PaymentReceiptNotification::FULL_TYPE,
                    "source": "/shop/email",
                    "causationid": first.id().as_str(),
                    "data": {
                        "payment_id": "pay-1",
                        "amount_cents": 12_900,
                        "customer_email": "ada@example.com",
                    },
                })],
            );
        });
    }

    /// The ledger posts each payment once, in its SQLite inbox's
    /// transaction: a posting that fails (a second payment with the same
    /// id would break the primary key) is retried, then dead-lettered, and
    /// leaves nothing behind.
    #[test]
    fn the_ledger_posts_each_payment_once() {
        block_on(async {
            let books = Connection::open_in_memory().unwrap();
            books.execute_batch(POSTINGS).unwrap();
            let books = InboxConnection::new(books).unwrap();
            let first = payment("pay-1", 12_900);
            let clash = payment("pay-1", 100);
            let report = testing::consumer("ledger", books.clone())
                .retry(RetryPolicy {
                    immediate_retries: 1,
                    ..RetryPolicy::none()
                })
                .handle::<PaymentCapturedIntegrationEvent>(post)
                .deliver(&first)
                .redeliver(&first, 3)
                .failing(&payment("pay-2", 500), 1)
                .deliver(&clash)
                .run()
                .await
                .unwrap();
            report.assert_outcomes(&[
                Outcome::Processed,
                Outcome::Duplicate,
                Outcome::Retried,
                Outcome::Processed,
                Outcome::Retried,
                Outcome::DeadLettered,
            ]);
            let conn = books.lock().await;
            let postings: Vec<(String, i64)> = conn
                .prepare("SELECT payment_id, amount_cents FROM postings ORDER BY payment_id")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(
                postings,
                [("pay-1".to_owned(), 12_900), ("pay-2".to_owned(), 500)]
            );
        });
    }

    /// Screening checks what it can read and dead-letters the rest.
    #[test]
    fn screening_dead_letters_what_it_cannot_read() {
        block_on(async {
            let inbox = std::sync::Arc::new(MemoryInbox::new());
            let report = testing::consumer("screening", std::sync::Arc::clone(&inbox))
                .handle::<PaymentCapturedIntegrationEvent>(screen)
                .deliver(&payment("pay-1", 1))
                .undecodable(PaymentCapturedIntegrationEvent::FULL_TYPE, "[]")
                .run()
                .await
                .unwrap();
            report.assert_outcomes(&[Outcome::Processed, Outcome::DeadLettered]);
            assert_eq!(inbox.processed("screening"), 1);
            assert_eq!(inbox.dead_letters("screening").len(), 1);
        });
    }
}
