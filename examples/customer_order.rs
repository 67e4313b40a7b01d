//! A customer created in one bounded context becomes known in another.
//!
//! The customer context creates a customer and publishes the domain event
//! `CustomerCreated`. A translator maps it to the public
//! `CustomerCreatedIntegrationEvent` (the customer's email stays personal
//! data on both sides; the password hash never leaves the customer context),
//! which goes out through the outbox and the transport. The order context
//! consumes it and records the customer as one that may order. Neither
//! context calls the other.
//!
//! Run it with `cargo run --example customer_order`.

use event_core::integration::Consumer;
use event_core::prelude::*;
use event_core::transport::InMemoryTransport;
use event_core::{BoxError, DomainBus, Staged};
use std::collections::HashSet;

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
    may_order: HashSet<String>,
}

fn main() -> Result<(), BoxError> {
    tokio::runtime::Builder::new_current_thread()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let transport = InMemoryTransport::new();

    // Order context: subscribes on its own.
    let mut orders =
        Consumer::<CustomerCreatedIntegrationEvent, _>::subscribe(&transport, "orders").await?;
    let mut customers = Customers::default();

    // Customer context: one translator, registered in one line.
    let mut bus = DomainBus::new();
    bus.translate::<CustomerCreated, CustomerCreatedIntegrationEvent>(|_| Ok(()));

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
    bus.publish(&mut work, &created)?;
    work.publish(&transport).await?;

    if let Some(received) = orders.next().await {
        let received = received?;
        println!(
            "order context receives:\n{}\n",
            received.envelope.to_redacted_json()?
        );
        customers
            .may_order
            .insert(received.envelope.data().customer_id.clone());
        received.ack().await?;
    }
    println!(
        "order context: customers who may order: {:?}",
        customers.may_order
    );
    Ok(())
}
