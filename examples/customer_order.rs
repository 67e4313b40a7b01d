//! A customer created in one bounded context becomes known in another.
//!
//! The customer context creates a customer and publishes the domain event
//! `CustomerCreated`. A translator maps it to the public
//! `CustomerCreatedIntegrationEvent` (the customer's email stays personal
//! data on both sides; the password hash never leaves the customer context),
//! which goes out through the outbox and the transport. The order context
//! consumes it in a hosted consumer and records the customer as one that
//! may order. Neither context calls the other.
//!
//! Run it with `cargo run --example customer_order`; its tests, written with
//! the test kit, with `cargo test --example customer_order`.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Duration;

use event_core::host::{Host, MemoryInbox};
use event_core::prelude::*;
use event_core::transport::InMemoryTransport;
use event_core::{BoxError, DispatchError, DomainBus, Staged};

/// A customer signed up.
#[domain_event]
pub struct CustomerCreated {
    pub customer_id: String,
    pub name: String,
    #[event(pii)]
    pub email: String,
    /// Stays in the customer context.
    #[event(secret)]
    pub password_hash: String,
}

/// A customer exists, for the contexts that serve customers.
#[integration_event(version = 1, maps_from = CustomerCreated)]
pub struct CustomerCreatedIntegrationEvent {
    pub customer_id: String,
    #[event(from = name)]
    pub display_name: String,
    #[event(pii)]
    pub email: String,
}

/// The order context's view: who may order.
#[derive(Debug, Default)]
struct Customers {
    may_order: BTreeSet<String>,
}

/// The customer context's bus: one translator, registered in one line.
fn customer_bus() -> DomainBus {
    let mut bus = DomainBus::new();
    bus.translate::<CustomerCreated, CustomerCreatedIntegrationEvent>(|_| Ok(()));
    bus
}

/// The customer context's use case: a customer signs up.
fn create_customer(
    bus: &DomainBus,
    work: &mut Staged,
    created: &Envelope<CustomerCreated>,
) -> Result<(), DispatchError> {
    bus.publish(work, created)
}

/// The order context's handler: whoever was created may order.
fn on_customer_created(
    customers: Rc<RefCell<Customers>>,
) -> impl AsyncFn((), &Envelope<CustomerCreatedIntegrationEvent>) -> Result<(), BoxError> + 'static
{
    async move |(), envelope| {
        println!(
            "order context receives:\n{}\n",
            envelope.to_redacted_json()?
        );
        customers
            .borrow_mut()
            .may_order
            .insert(envelope.data().customer_id.clone());
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

    // Order context: a hosted consumer of its own.
    let customers = Rc::new(RefCell::new(Customers::default()));
    let orders = Host::new(transport.clone())
        .consumer("orders", MemoryInbox::new())
        .handle::<CustomerCreatedIntegrationEvent>(on_customer_created(Rc::clone(&customers)));
    let metrics = orders.metrics();
    orders.declare().await?;

    // Customer context.
    let bus = customer_bus();
    let created = Envelope::new(
        "/shop/customers",
        CustomerCreated {
            customer_id: "c-42".into(),
            name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            password_hash: "argon2id$v=19$...".into(),
        },
    );
    println!("customer context:\n{}\n", created.to_redacted_json()?);
    // The use case's unit of work; with no database, it commits by
    // publishing what it staged.
    let mut work = Staged::new();
    create_customer(&bus, &mut work, &created)?;
    work.publish(&transport).await?;

    // The order context runs until it has handled the one event; a service
    // passes `tokio::signal::ctrl_c()`.
    let handled = async {
        while metrics.snapshot().handled < 1 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    orders.run(handled).await?;
    println!(
        "order context: customers who may order: {:?}",
        customers.borrow().may_order
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use event_core::testing::{self, Outcome};
    use serde_json::json;

    fn ada() -> Envelope<CustomerCreated> {
        Envelope::new(
            "/shop/customers",
            CustomerCreated {
                customer_id: "c-42".into(),
                name: "Ada Lovelace".into(),
                email: "ada@example.com".into(),
                password_hash: "argon2id$v=19$...".into(),
            },
        )
    }

    /// Given the translator, when a customer signs up, then the integration
    /// event carries the name and email, and never the password hash.
    #[test]
    fn a_new_customer_is_published_without_the_password_hash() {
        let _ids = testing::deterministic();
        let created = ada();
        let staged = testing::staged(&customer_bus(), |bus, work| {
            create_customer(bus, work, &created)
        })
        .unwrap();
        testing::assert_events(
            &staged,
            &[json!({
                "type": CustomerCreatedIntegrationEvent::FULL_TYPE,
                "source": "/shop/customers",
                "causationid": created.id().as_str(),
                "data": {
                    "customer_id": "c-42",
                    "display_name": "Ada Lovelace",
                    "email": "ada@example.com",
                },
            })],
        );
    }

    /// The order context records each customer once, however often the
    /// event comes, and dead-letters what it cannot read.
    #[test]
    fn the_order_context_records_each_customer_once() {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(async {
                let customers = Rc::new(RefCell::new(Customers::default()));
                let created = Envelope::new(
                    "/shop/customers",
                    CustomerCreatedIntegrationEvent {
                        customer_id: "c-42".into(),
                        display_name: "Ada Lovelace".into(),
                        email: "ada@example.com".into(),
                    },
                );
                let inbox = std::sync::Arc::new(MemoryInbox::new());
                let report = testing::consumer("orders", std::sync::Arc::clone(&inbox))
                    .handle::<CustomerCreatedIntegrationEvent>(on_customer_created(Rc::clone(
                        &customers,
                    )))
                    .deliver(&created)
                    .redeliver(&created, 2)
                    .undecodable(CustomerCreatedIntegrationEvent::FULL_TYPE, "{")
                    .run()
                    .await
                    .unwrap();
                report.assert_outcomes(&[
                    Outcome::Processed,
                    Outcome::Duplicate,
                    Outcome::DeadLettered,
                ]);
                assert_eq!(
                    customers.borrow().may_order.iter().collect::<Vec<_>>(),
                    ["c-42"]
                );
                assert_eq!(inbox.dead_letters("orders").len(), 1);
            });
    }
}
