//! A captured payment, handled independently by email, ledger and screening.
//!
//! The billing context captures a payment and publishes one domain event,
//! `PaymentCaptured`. A translator on its domain bus turns it into the public
//! `PaymentCapturedIntegrationEvent`, which is published after the use case
//! committed. Email, ledger and screening each subscribe with their own
//! consumer name and react on their own; billing knows none of them. Email
//! sends the customer a receipt notification.
//!
//! Every envelope is printed as its CloudEvents JSON: all share one
//! `correlationid`, and each `causationid` is the id of the envelope that
//! caused it.
//!
//! Run it with `cargo run --example payment`.

use std::sync::{Arc, Mutex};

use event_core::integration::{Consumer, IntegrationPublisher};
use event_core::notify::{NotificationConfig, NotificationDispatcher, Notifier};
use event_core::prelude::*;
use event_core::transport::InMemoryTransport;
use event_core::{BoxError, DomainBus};

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
#[integration_event(version = 1)]
pub struct PaymentCapturedIntegrationEvent {
    pub payment_id: String,
    pub order_id: String,
    pub amount_cents: u64,
    #[event(pii)]
    pub customer_email: String,
}

/// The receipt the customer gets by email.
#[notification_event]
pub struct PaymentReceiptNotification {
    pub payment_id: String,
    pub amount_cents: u64,
    #[event(pii)]
    pub customer_email: String,
}

fn print<E: Event>(who: &str, envelope: &Envelope<E>) {
    match envelope.to_json() {
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

fn main() -> Result<(), BoxError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let transport = InMemoryTransport::new();

    // Three consumers, each with its own subscription; billing below knows
    // none of them.
    let mut email =
        Consumer::<PaymentCapturedIntegrationEvent, _>::subscribe(&transport, "email").await?;
    let mut ledger =
        Consumer::<PaymentCapturedIntegrationEvent, _>::subscribe(&transport, "ledger").await?;
    let mut screening =
        Consumer::<PaymentCapturedIntegrationEvent, _>::subscribe(&transport, "screening").await?;
    let receipts = NotificationDispatcher::spawn(Mailer, NotificationConfig::default());

    // Billing: the translator collects integration events while the use case
    // runs; they are published once it has committed.
    let outgoing: Arc<Mutex<Vec<Envelope<PaymentCapturedIntegrationEvent>>>> = Arc::default();
    let mut bus = DomainBus::new();
    let queue = Arc::clone(&outgoing);
    bus.subscribe(
        move |captured: &Envelope<PaymentCaptured>| -> Result<(), BoxError> {
            let e = captured.data();
            let public = PaymentCapturedIntegrationEvent {
                payment_id: e.payment_id.clone(),
                order_id: e.order_id.clone(),
                amount_cents: e.amount_cents,
                customer_email: e.customer_email.clone(),
            };
            queue
                .lock()
                .map_err(|_| "outgoing queue poisoned")?
                .push(Envelope::caused_by(captured, public));
            Ok(())
        },
    );

    let captured = Envelope::new(
        "/shop/billing",
        PaymentCaptured {
            payment_id: "pay-81".into(),
            order_id: "order-17".into(),
            amount_cents: 12_900,
            customer_email: "ada@example.com".into(),
        },
    )
    .with_subject("payments/pay-81");
    print("billing publishes on its domain bus", &captured);
    bus.publish(&captured)?;

    let publisher = IntegrationPublisher::new(transport.clone());
    let committed = std::mem::take(&mut *outgoing.lock().map_err(|_| "poisoned")?);
    for envelope in &committed {
        print("billing publishes to other contexts", envelope);
        publisher.publish(envelope).await?;
    }

    // Each consumer reacts on its own.
    if let Some(received) = email.next().await {
        let received = received?;
        let e = received.envelope.data();
        let receipt = Envelope::caused_by(
            &received.envelope,
            PaymentReceiptNotification {
                payment_id: e.payment_id.clone(),
                amount_cents: e.amount_cents,
                customer_email: e.customer_email.clone(),
            },
        )
        .with_source("/shop/email");
        let _ = receipts.publish(receipt);
        received.ack().await?;
    }
    if let Some(received) = ledger.next().await {
        let received = received?;
        println!(
            "ledger posts {} cents for {}\n",
            received.envelope.data().amount_cents,
            received.envelope.data().order_id
        );
        received.ack().await?;
    }
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
    Ok(())
}
