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
//! envelope before. Shipping and customer care are consumers of one hosted
//! runtime.
//!
//! Run it with `cargo run --example order_shipping`; its tests, written with
//! the test kit, with `cargo test --example order_shipping`.

use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use event_core::host::{Host, MemoryInbox};
use event_core::notify::{NotificationConfig, NotificationDispatcher, Notifier};
use event_core::prelude::*;
use event_core::transport::InMemoryTransport;
use event_core::{BoxError, DispatchError, DomainBus, Staged};

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
        record(trail, step, &Envelope::<I>::from_json(message.payload())?);
    }
    work.publish(transport).await?;
    Ok(())
}

/// Ordering's bus: its translator.
fn ordering_bus() -> DomainBus {
    translating_bus(|e: &OrderConfirmed| OrderConfirmedIntegrationEvent {
        order_id: e.order_id.clone(),
        shipping_address: e.shipping_address.clone(),
    })
}

/// Ordering's use case: the customer confirms the order.
fn confirm_order(
    bus: &DomainBus,
    work: &mut Staged,
    confirmed: &Envelope<OrderConfirmed>,
) -> Result<(), DispatchError> {
    bus.publish(work, confirmed)
}

/// Shipping's bus: its translator.
fn shipping_bus() -> DomainBus {
    translating_bus(|e: &ParcelShipped| ParcelShippedIntegrationEvent {
        parcel_id: e.parcel_id.clone(),
        order_id: e.order_id.clone(),
    })
}

/// Shipping's use case: a parcel for a confirmed order leaves the
/// warehouse.
fn ship_parcel(
    bus: &DomainBus,
    work: &mut Staged,
    confirmed: &Envelope<OrderConfirmedIntegrationEvent>,
) -> Result<Envelope<ParcelShipped>, DispatchError> {
    let shipped = Envelope::caused_by(
        confirmed,
        ParcelShipped {
            parcel_id: "parcel-5".into(),
            order_id: confirmed.data().order_id.clone(),
        },
    )
    .with_source("/shop/shipping");
    bus.publish(work, &shipped)?;
    Ok(shipped)
}

/// Shipping's handler: runs the use case, then publishes what it staged
/// to `transport`.
fn shipping_handler(
    transport: InMemoryTransport,
    trail: Trail,
) -> impl AsyncFn((), &Envelope<OrderConfirmedIntegrationEvent>) -> Result<(), BoxError> + 'static {
    let bus = shipping_bus();
    async move |(), confirmed| {
        let mut work = Staged::new();
        let shipped = ship_parcel(&bus, &mut work, confirmed)?;
        record(&trail, "shipping ships a parcel", &shipped);
        publish_committed::<ParcelShippedIntegrationEvent>(
            &transport,
            work,
            &trail,
            "shipping tells the others",
        )
        .await
    }
}

/// Customer care's handler: the notification for the customer, handed to
/// `notify`.
fn care_handler(
    notify: impl Fn(Envelope<OrderShippedNotification>) + 'static,
) -> impl AsyncFn((), &Envelope<ParcelShippedIntegrationEvent>) -> Result<(), BoxError> + 'static {
    async move |(), shipped| {
        let e = shipped.data();
        let note = Envelope::caused_by(
            shipped,
            OrderShippedNotification {
                order_id: e.order_id.clone(),
                parcel_id: e.parcel_id.clone(),
            },
        )
        .with_source("/shop/customer-care");
        notify(note);
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
    let trail = Trail::default();
    let transport = InMemoryTransport::new();
    let push = Rc::new(NotificationDispatcher::spawn(
        Push(Arc::clone(&trail)),
        NotificationConfig::default(),
    ));

    // Shipping and customer care: consumers of one host.
    let pusher = Rc::clone(&push);
    let shipping = Host::new(transport.clone())
        .consumer("shipping", MemoryInbox::new())
        .handle::<OrderConfirmedIntegrationEvent>(shipping_handler(
            transport.clone(),
            Arc::clone(&trail),
        ));
    let shipped = shipping.metrics();
    let host = shipping
        .consumer("customer-care", MemoryInbox::new())
        .handle::<ParcelShippedIntegrationEvent>(care_handler(move |note| {
            let _ = pusher.publish(note);
        }));
    let cared = host.metrics();
    host.declare().await?;

    // Ordering.
    let confirmed = Envelope::new(
        "/shop/ordering",
        OrderConfirmed {
            order_id: "order-17".into(),
            shipping_address: "1 Analytical Way, London".into(),
        },
    );
    record(&trail, "ordering confirms the order", &confirmed);
    let mut work = Staged::new();
    confirm_order(&ordering_bus(), &mut work, &confirmed)?;
    publish_committed::<OrderConfirmedIntegrationEvent>(
        &transport,
        work,
        &trail,
        "ordering tells the others",
    )
    .await?;

    // The host runs until customer care has handled the parcel; a service
    // passes `tokio::signal::ctrl_c()`.
    let done = async {
        while shipped.snapshot().handled < 1 || cared.snapshot().handled < 1 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    host.run(done).await?;
    let push = Rc::into_inner(push).ok_or("customer care outlived its host")?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use event_core::encode;
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

    fn confirmed() -> Envelope<OrderConfirmedIntegrationEvent> {
        Envelope::new(
            "/shop/ordering",
            OrderConfirmedIntegrationEvent {
                order_id: "order-17".into(),
                shipping_address: "1 Analytical Way, London".into(),
            },
        )
    }

    /// Given ordering's translator, when the customer confirms, then the
    /// other contexts are told, address included.
    #[test]
    fn a_confirmed_order_is_published() {
        let _ids = testing::deterministic();
        let confirmed = Envelope::new(
            "/shop/ordering",
            OrderConfirmed {
                order_id: "order-17".into(),
                shipping_address: "1 Analytical Way, London".into(),
            },
        );
        let staged = testing::staged(&ordering_bus(), |bus, work| {
            confirm_order(bus, work, &confirmed)
        })
        .unwrap();
        testing::assert_events(
            &staged,
            &[json!({
                "type": OrderConfirmedIntegrationEvent::FULL_TYPE,
                "causationid": confirmed.id().as_str(),
                "data": {
                    "order_id": "order-17",
                    "shipping_address": "1 Analytical Way, London",
                },
            })],
        );
    }

    /// Shipping ships one parcel per order, however often the order comes,
    /// and tells the others in the order's correlation.
    #[test]
    fn shipping_ships_one_parcel_per_order() {
        block_on(async {
            let out = InMemoryTransport::new();
            let order = confirmed();
            let report = testing::consumer("shipping", MemoryInbox::new())
                .handle::<OrderConfirmedIntegrationEvent>(shipping_handler(
                    out.clone(),
                    Trail::default(),
                ))
                .deliver(&order)
                .redeliver(&order, 2)
                .run()
                .await
                .unwrap();
            report.assert_outcomes(&[Outcome::Processed, Outcome::Duplicate]);
            testing::assert_events(
                &out.published(),
                &[json!({
                    "type": ParcelShippedIntegrationEvent::FULL_TYPE,
                    "source": "/shop/shipping",
                    "correlationid": order.correlation_id().as_str(),
                    "data": { "parcel_id": "parcel-5", "order_id": "order-17" },
                })],
            );
        });
    }

    /// Customer care notifies the customer once per parcel.
    #[test]
    fn customer_care_notifies_once_per_parcel() {
        block_on(async {
            let notes = Rc::new(RefCell::new(Vec::new()));
            let sent = Rc::clone(&notes);
            let parcel = Envelope::new(
                "/shop/shipping",
                ParcelShippedIntegrationEvent {
                    parcel_id: "parcel-5".into(),
                    order_id: "order-17".into(),
                },
            );
            let report = testing::consumer("customer-care", MemoryInbox::new())
                .handle::<ParcelShippedIntegrationEvent>(care_handler(move |note| {
                    sent.borrow_mut().push(encode(&note).unwrap());
                }))
                .deliver(&parcel)
                .deliver(&parcel)
                .run()
                .await
                .unwrap();
            report.assert_outcomes(&[Outcome::Processed, Outcome::Duplicate]);
            testing::assert_events(
                &notes.borrow(),
                &[json!({
                    "type": OrderShippedNotification::FULL_TYPE,
                    "source": "/shop/customer-care",
                    "causationid": parcel.id().as_str(),
                    "data": { "order_id": "order-17", "parcel_id": "parcel-5" },
                })],
            );
        });
    }
}
