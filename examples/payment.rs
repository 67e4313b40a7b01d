//! A captured payment, handled independently by email, ledger and screening,
//! delivered through a transactional outbox and an idempotent inbox on
//! SQLite.
//!
//! Billing captures a payment: in one SQLite transaction it stores the
//! payment and, through a translator on its domain bus, appends the public
//! `PaymentCapturedIntegrationEvent` to its outbox. The relay publishes the
//! outbox to the transport once the transaction has committed. Email, ledger
//! and screening each subscribe with their own consumer name; billing knows
//! none of them. The ledger applies each event exactly once through its inbox:
//! the example delivers the event a second time, as a broker does after a
//! crash, and the ledger absorbs the duplicate.
//!
//! Every envelope is printed as its CloudEvents JSON. The databases are files
//! in a temporary folder.
//!
//! Run it with `cargo run --example payment`.

use event_core::integration::Consumer;
use event_core::notify::{NotificationConfig, NotificationDispatcher, Notifier};
use event_core::prelude::*;
use event_core::retry::RetryPolicy;
use event_core::sqlite::{
    InboxOutcome, Relay, RelayConfig, SqliteInbox, SqliteOutbox, SqliteUnitOfWork,
};
use event_core::transport::{InMemoryTransport, Transport};
use event_core::{BoxError, DomainBus};
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

/// The ledger's state change, made in the inbox's transaction.
fn post(
    tx: &rusqlite::Transaction<'_>,
    e: &Envelope<PaymentCapturedIntegrationEvent>,
) -> Result<(), BoxError> {
    tx.execute(
        "INSERT INTO postings (payment_id, amount_cents) VALUES (?1, ?2)",
        params![e.data().payment_id, i64::try_from(e.data().amount_cents)?],
    )?;
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
    // Three consumers, each with its own subscription.
    let mut email =
        Consumer::<PaymentCapturedIntegrationEvent, _>::subscribe(&transport, "email").await?;
    let mut ledger =
        Consumer::<PaymentCapturedIntegrationEvent, _>::subscribe(&transport, "ledger").await?;
    let mut screening =
        Consumer::<PaymentCapturedIntegrationEvent, _>::subscribe(&transport, "screening").await?;
    let receipts = NotificationDispatcher::spawn(Mailer, NotificationConfig::default());

    // Billing: its database holds payments and the outbox.
    let mut billing = Connection::open(dir.join("billing.db"))?;
    SqliteOutbox::install(&billing)?;
    billing.execute_batch(
        "CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY, amount_cents INTEGER NOT NULL);",
    )?;
    let mut bus = DomainBus::new();
    bus.translate::<PaymentCaptured, PaymentCapturedIntegrationEvent>(|_| Ok(()));

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
    bus.publish(&mut work, &captured)?;
    let appended = work.commit()?;
    print("billing captures the payment (domain event)", &captured);
    println!("billing's outbox: {appended} integration event(s) committed with the payment\n");

    // The relay forwards the outbox once the transaction has committed.
    let mut relay = Relay::new(billing, transport.clone(), RelayConfig::default());
    let stats = relay.run_once().await?;
    println!("relay: {} published\n", stats.published);

    // Email: a receipt for the customer.
    if let Some(received) = email.next().await {
        let received = received?;
        let receipt = Envelope::caused_by(
            &received.envelope,
            PaymentReceiptNotification::from(received.envelope.data()),
        )
        .with_source("/shop/email");
        let _ = receipts.publish(receipt);
        received.ack().await?;
    }

    // Ledger: exactly once, through its inbox.
    let mut books = Connection::open(dir.join("ledger.db"))?;
    SqliteInbox::install(&books)?;
    let policy = RetryPolicy::default();
    books.execute_batch(
        "CREATE TABLE IF NOT EXISTS postings (payment_id TEXT PRIMARY KEY, amount_cents INTEGER NOT NULL);",
    )?;
    if let Some(received) = ledger.next().await {
        let received = received?;
        print("ledger receives", &received.envelope);
        let outcome = SqliteInbox::deliver(&mut books, "ledger", received, &policy, post).await?;
        println!("ledger: {outcome:?}\n");
    }
    // The broker delivers the same event again, as after a crash before its
    // acknowledgement.
    let message = transport.published().remove(0);
    transport.publish(message).await?;
    if let Some(received) = ledger.next().await {
        let received = received?;
        let outcome = SqliteInbox::deliver(&mut books, "ledger", received, &policy, post).await?;
        assert_eq!(outcome, InboxOutcome::Duplicate);
        println!("ledger: the same event again -> {outcome:?}, absorbed\n");
    }
    let postings: i64 = books.query_row("SELECT COUNT(*) FROM postings", [], |r| r.get(0))?;
    println!("ledger: {postings} posting(s) for one payment\n");

    // Screening: checks on its own.
    if let Some(received) = screening.next().await {
        let received = received?;
        println!(
            "screening checks payment {}\n",
            received.envelope.data().payment_id
        );
        received.ack().await?;
    }

    // Shutting down sends what is still queued.
    let stats = receipts.shutdown().await;
    println!(
        "receipts: {} sent, {} failed, {} dropped",
        stats.sent, stats.failed, stats.dropped
    );
    drop((relay, books));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
