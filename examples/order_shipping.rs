//! Order -> shipping -> customer notification, across three bounded contexts.
//!
//! Ordering confirms an order (domain event `OrderConfirmed`) and tells the
//! other contexts (`OrderConfirmedIntegrationEvent`). Shipping consumes it,
//! ships a parcel (its own domain event `ParcelShipped`) and tells the others
//! (`ParcelShippedIntegrationEvent`). Customer care consumes that and notifies
//! the customer (`OrderShippedNotification`).
//!
//! Every envelope is printed as its CloudEvents JSON; the summary at the end
//! shows the chain: one correlation id, each causation id pointing at the
//! envelope before.
//!
//! Run it with `cargo run --example order_shipping`.

use std::sync::{Arc, Mutex};

use event_core::integration::Consumer;
use event_core::notify::{NotificationConfig, NotificationDispatcher, Notifier};
use event_core::prelude::*;
use event_core::transport::InMemoryTransport;
use event_core::{BoxError, DomainBus, Staged};

/// An order was confirmed by the customer.
#[domain_event]
pub struct OrderConfirmed {
    pub order_id: String,
    #[event(pii)]
    pub shipping_address: String,
}

/// An order was confirmed; for shipping and invoicing.
#[integration_event(version = 1)]
pub struct OrderConfirmedIntegrationEvent {
    pub order_id: String,
    #[event(pii)]
    pub shipping_address: String,
}

/// A parcel left the warehouse.
#[domain_event]
pub struct ParcelShipped {
    pub parcel_id: String,
    pub order_id: String,
}

/// A parcel left the warehouse; for the contexts that follow orders.
#[integration_event(version = 1)]
pub struct ParcelShippedIntegrationEvent {
    pub parcel_id: String,
    pub order_id: String,
}

/// Tells the customer that their order is on its way.
#[notification_event]
pub struct OrderShippedNotification {
    pub order_id: String,
    pub parcel_id: String,
}

/// Every envelope of the run, as (step, id, causation id, correlation id).
type Trail = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// Prints the envelope's CloudEvents JSON as it goes on the wire, the values
/// of its `pii` and `secret` fields redacted, and adds it to the trail.
fn record<E: Event>(trail: &Trail, step: &str, envelope: &Envelope<E>) {
    match envelope.to_redacted_json() {
        Ok(json) => println!("{step}:\n{json}\n"),
        Err(error) => println!("{step}: not encodable: {error}\n"),
    }
    if let Ok(mut trail) = trail.lock() {
        trail.push((
            step.to_owned(),
            envelope.id().to_string(),
            envelope
                .causation_id()
                .map_or_else(|| "-".to_owned(), ToString::to_string),
            envelope.correlation_id().to_string(),
        ));
    }
}

/// Stands in for the push-notification service.
struct Push(Trail);

impl Notifier<OrderShippedNotification> for Push {
    async fn send(&self, batch: Vec<Envelope<OrderShippedNotification>>) -> Result<(), BoxError> {
        for envelope in &batch {
            record(&self.0, "customer care notifies the customer", envelope);
        }
        Ok(())
    }
}

/// A domain bus whose translator turns `D` into the integration event `I`,
/// collected for publishing after the use case commits.
fn translating_bus<D, I>(translate: impl Fn(&D) -> I + Send + Sync + 'static) -> DomainBus
where
    D: DomainEvent,
    I: IntegrationEvent,
{
    let mut bus = DomainBus::new();
    bus.translate_with::<D, I>(move |envelope| Ok(translate(envelope.data())));
    bus
}

/// Publishes what a use case staged, once it succeeded.
async fn publish_committed<I: IntegrationEvent>(
    transport: &InMemoryTransport,
    mut work: Staged,
    trail: &Trail,
    step: &str,
) -> Result<(), BoxError> {
    for message in work.messages() {
        record(trail, step, &Envelope::<I>::from_json(&message.payload)?);
    }
    work.publish(transport).await?;
    Ok(())
}

fn main() -> Result<(), BoxError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let trail = Trail::default();
    let transport = InMemoryTransport::new();
    let mut shipping =
        Consumer::<OrderConfirmedIntegrationEvent, _>::subscribe(&transport, "shipping").await?;
    let mut care =
        Consumer::<ParcelShippedIntegrationEvent, _>::subscribe(&transport, "customer-care")
            .await?;
    let push =
        NotificationDispatcher::spawn(Push(Arc::clone(&trail)), NotificationConfig::default());

    // Ordering.
    let ordering_bus = translating_bus(|e: &OrderConfirmed| OrderConfirmedIntegrationEvent {
        order_id: e.order_id.clone(),
        shipping_address: e.shipping_address.clone(),
    });
    let confirmed = Envelope::new(
        "/shop/ordering",
        OrderConfirmed {
            order_id: "order-17".into(),
            shipping_address: "1 Analytical Way, London".into(),
        },
    );
    record(&trail, "ordering confirms the order", &confirmed);
    let mut work = Staged::new();
    ordering_bus.publish(&mut work, &confirmed)?;
    publish_committed::<OrderConfirmedIntegrationEvent>(
        &transport,
        work,
        &trail,
        "ordering tells the others",
    )
    .await?;

    // Shipping.
    let shipping_bus = translating_bus(|e: &ParcelShipped| ParcelShippedIntegrationEvent {
        parcel_id: e.parcel_id.clone(),
        order_id: e.order_id.clone(),
    });
    if let Some(received) = shipping.next().await {
        let received = received?;
        let shipped = Envelope::caused_by(
            &received.envelope,
            ParcelShipped {
                parcel_id: "parcel-5".into(),
                order_id: received.envelope.data().order_id.clone(),
            },
        )
        .with_source("/shop/shipping");
        record(&trail, "shipping ships a parcel", &shipped);
        let mut work = Staged::new();
        shipping_bus.publish(&mut work, &shipped)?;
        publish_committed::<ParcelShippedIntegrationEvent>(
            &transport,
            work,
            &trail,
            "shipping tells the others",
        )
        .await?;
        received.ack().await?;
    }

    // Customer care.
    if let Some(received) = care.next().await {
        let received = received?;
        let e = received.envelope.data();
        let note = Envelope::caused_by(
            &received.envelope,
            OrderShippedNotification {
                order_id: e.order_id.clone(),
                parcel_id: e.parcel_id.clone(),
            },
        )
        .with_source("/shop/customer-care");
        let _ = push.publish(note);
        received.ack().await?;
    }
    let _ = push.shutdown().await;

    println!(
        "{:<40} {:<38} {:<38} correlation id",
        "step", "id", "caused by"
    );
    for (step, id, cause, correlation) in trail.lock().map_err(|_| "poisoned")?.iter() {
        println!("{step:<40} {id:<38} {cause:<38} {correlation}");
    }
    Ok(())
}
