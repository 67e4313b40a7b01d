//! Two services in two processes, over PostgreSQL and NATS JetStream.
//!
//! The ordering service places orders: each order row and its
//! `OrderPlacedIntegrationEvent` commit in one transaction through the
//! PostgreSQL outbox (schema `<name>_ordering`), and a relay publishes the
//! outbox to a NATS JetStream stream. The shipping service consumes the
//! event through the PostgreSQL inbox (its own schema, `<name>_shipping`)
//! and records a shipment in the same transaction, once per order however
//! often the event is delivered.
//!
//! ```sh
//! # both services, as two child processes of this one; the schemas and the
//! # stream are the run's own and removed at the end
//! cargo run --example ordering_shipping -- both 5
//! # or one service per terminal (schemas and stream `ordering_shipping`)
//! cargo run --example ordering_shipping -- shipping 5
//! cargo run --example ordering_shipping -- ordering 5
//! ```
//!
//! `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`) and
//! `NATS_URL` (default `nats://127.0.0.1:4222`) say where the servers are;
//! `ORDERING_SHIPPING_NAME` names the schemas and the stream. Each service
//! prints the envelopes it sends or receives as their CloudEvents JSON, the
//! fields marked `pii` shown as `"<redacted>"`, and ends after the given
//! number of orders (10 by default) with a summary.

use std::process::{Command, ExitCode};
use std::time::Duration;

use event_core::integration::Consumer;
use event_core::nats::{NatsConfig, NatsTransport, StreamSettings};
use event_core::postgres::sqlx::postgres::PgPoolOptions;
use event_core::postgres::sqlx::{self, PgPool};
use event_core::postgres::{InboxOutcome, PgConfig, PgInbox, PgOutbox, migrate};
use event_core::prelude::*;
use event_core::relay::{Relay, RelayConfig};
use event_core::retry::RetryPolicy;
use event_core::{BoxError, Envelope, UnitOfWork};

/// An order was placed; for shipping and invoicing.
#[integration_event(version = 1)]
pub struct OrderPlacedIntegrationEvent {
    pub order_id: String,
    pub total_cents: u64,
    #[event(pii)]
    pub customer_email: String,
    #[event(pii)]
    pub shipping_address: String,
}

/// The shipping service's consumer group.
const GROUP: &str = "shipping";
/// How long a service waits for the other before it gives up.
const PATIENCE: Duration = Duration::from_secs(120);
const NAME: &str = "ORDERING_SHIPPING_NAME";

fn env(variable: &str, default: &str) -> String {
    std::env::var(variable)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn database_url() -> String {
    env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
}

fn nats_url() -> String {
    env("NATS_URL", "nats://127.0.0.1:4222")
}

/// The schemas' and the stream's name: lowercase letters, digits and `_`.
fn name() -> String {
    env(NAME, "ordering_shipping")
}

fn nats_config(name: &str) -> NatsConfig {
    NatsConfig::new(name.to_uppercase(), name).with_fetch_expiry(Duration::from_secs(1))
}

/// The envelope's CloudEvents JSON as it goes on the wire, the values of its
/// `pii` and `secret` fields redacted.
fn shown<E: Event>(envelope: &Envelope<E>) -> String {
    envelope
        .to_redacted_json()
        .unwrap_or_else(|error| format!("(not encodable: {error})"))
}

async fn connect_db() -> Result<PgPool, BoxError> {
    Ok(PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&database_url())
        .await
        .map_err(|e| format!("PostgreSQL at {}: {e}", database_url()))?)
}

async fn connect_nats(name: &str) -> Result<NatsTransport, BoxError> {
    let transport = NatsTransport::connect(&nats_url(), nats_config(name))
        .await
        .map_err(|e| format!("NATS at {}: {e}", nats_url()))?;
    transport.ensure_stream(&StreamSettings::default()).await?;
    Ok(transport)
}

/// The ordering service: places `orders` orders, relays them to NATS, and
/// ends once the outbox is empty.
async fn ordering(orders: u64) -> Result<(), BoxError> {
    let name = name();
    let pool = connect_db().await?;
    let config = PgConfig::new(format!("{name}_ordering"));
    migrate(&pool, &config).await?;
    let table = format!("\"{}\".orders", config.schema);
    sqlx::raw_sql(&format!(
        "CREATE TABLE IF NOT EXISTS {table} (
             id TEXT PRIMARY KEY, total_cents BIGINT NOT NULL,
             placed_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    ))
    .execute(&pool)
    .await?;
    let outbox = PgOutbox::new(pool.clone(), &config)?;
    let transport = connect_nats(&name).await?;

    // The shipping group sees what is stored after it subscribed: wait for
    // it, so that none of these orders passes it by.
    let consumer = transport.consumer_name(OrderPlacedIntegrationEvent::FULL_TYPE, GROUP);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut said = false;
    loop {
        let stream = transport
            .jetstream()
            .get_stream(&transport.config().stream)
            .await?;
        if stream.consumer_info(&consumer).await.is_ok() {
            break;
        }
        if !said {
            println!("[ordering] waiting for the shipping service to subscribe");
            said = true;
        }
        if tokio::time::Instant::now() > deadline {
            return Err("the shipping service never subscribed".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let relay = Relay::new(
        outbox.clone(),
        transport.clone(),
        RelayConfig {
            name: format!("ordering-{}", std::process::id()),
            idle_wait: Duration::from_millis(100),
            ..RelayConfig::default()
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let relay = tokio::spawn(relay.run(async move {
        let _ = stopped.await;
    }));

    let run = std::process::id();
    for n in 1..=orders {
        let order_id = format!("o-{run}-{n}");
        let total_cents = 1_000 + n * 250;
        let envelope = Envelope::new(
            "/ordering",
            OrderPlacedIntegrationEvent {
                order_id: order_id.clone(),
                total_cents,
                customer_email: format!("customer{n}@example.com"),
                shipping_address: format!("{n} Harbour Street, Portsmouth"),
            },
        )
        .with_partition_key(&order_id);
        let mut work = outbox.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO {table} (id, total_cents) VALUES ($1, $2)"
        ))
        .bind(&order_id)
        .bind(i64::try_from(total_cents)?)
        .execute(work.connection())
        .await?;
        work.staged().stage(&envelope)?;
        work.commit().await?;
        println!(
            "[ordering] placed {order_id}: the order row and this event committed together\n{}",
            shown(&envelope)
        );
    }

    let deadline = tokio::time::Instant::now() + PATIENCE;
    while outbox.pending().await? > 0 {
        if tokio::time::Instant::now() > deadline {
            return Err("the relay did not empty the outbox".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    let stats = relay.await?;
    let placed: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&pool)
        .await?;
    println!(
        "[ordering] done: {orders} orders placed ({placed} in {table}); the relay published {} \
         to the stream {}",
        stats.published,
        transport.config().stream
    );
    pool.close().await;
    Ok(())
}

/// The shipping service: ships each order it hears of once, until it
/// shipped `orders`.
async fn shipping(orders: u64) -> Result<(), BoxError> {
    let name = name();
    let pool = connect_db().await?;
    let config = PgConfig::new(format!("{name}_shipping"));
    migrate(&pool, &config).await?;
    let table = format!("\"{}\".shipments", config.schema);
    sqlx::raw_sql(&format!(
        "CREATE TABLE IF NOT EXISTS {table} (
             order_id TEXT PRIMARY KEY, parcel_id TEXT NOT NULL,
             shipped_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    ))
    .execute(&pool)
    .await?;
    let inbox = PgInbox::new(pool.clone(), &config)?;
    let transport = connect_nats(&name).await?;
    let mut placed =
        Consumer::<OrderPlacedIntegrationEvent, _>::subscribe(&transport, GROUP).await?;
    println!(
        "[shipping] subscribed to {}",
        OrderPlacedIntegrationEvent::FULL_TYPE
    );

    let policy = RetryPolicy::default();
    let (mut shipped, mut duplicates) = (0, 0);
    while shipped < orders {
        let Ok(next) = tokio::time::timeout(PATIENCE, placed.next()).await else {
            return Err(format!("no order for {PATIENCE:?}; {shipped} shipped").into());
        };
        let Some(received) = next else {
            return Err("the subscription ended".into());
        };
        let received = received?;
        println!("[shipping] received\n{}", shown(&received.envelope));
        let order_id = received.envelope.data().order_id.clone();
        let parcel_id = format!("p-{order_id}");
        let outcome = inbox
            .deliver(GROUP, received, &policy, async |tx, e| {
                sqlx::query(&format!(
                    "INSERT INTO {table} (order_id, parcel_id) VALUES ($1, $2)"
                ))
                .bind(&e.data().order_id)
                .bind(&parcel_id)
                .execute(&mut *tx)
                .await?;
                Ok(())
            })
            .await;
        match outcome {
            Ok(InboxOutcome::Processed) => {
                shipped += 1;
                println!("[shipping] shipped {order_id} as parcel {parcel_id}");
            }
            Ok(InboxOutcome::Duplicate) => {
                duplicates += 1;
                println!("[shipping] {order_id} was shipped before; delivery acknowledged");
            }
            Ok(InboxOutcome::DeadLettered) => {
                println!("[shipping] {order_id} moved to the dead letters");
            }
            Err(error) => println!("[shipping] {order_id} will come again: {error}"),
        }
    }
    let recorded: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&pool)
        .await?;
    println!(
        "[shipping] done: {shipped} orders shipped, {duplicates} duplicate deliveries \
         absorbed ({recorded} in {table})"
    );
    pool.close().await;
    Ok(())
}

/// Both services as child processes of this one, on schemas and a stream
/// of the run's own (unless `ORDERING_SHIPPING_NAME` names them), removed
/// at the end.
fn both(orders: u64) -> Result<(), BoxError> {
    let own = std::env::var_os(NAME).is_none();
    let name = if own {
        format!("ordering_shipping_{}", std::process::id())
    } else {
        name()
    };
    let spawn = |service: &str| {
        Command::new(std::env::current_exe()?)
            .args([service, &orders.to_string()])
            .env(NAME, &name)
            .spawn()
    };
    println!("[both] starting shipping and ordering ({orders} orders), names {name}");
    let mut shipping = spawn("shipping")?;
    let mut ordering = match spawn("ordering") {
        Ok(child) => child,
        Err(error) => {
            let _ = shipping.kill();
            let _ = shipping.wait();
            return Err(error.into());
        }
    };
    let ordered = ordering.wait()?;
    if !ordered.success() {
        let _ = shipping.kill();
    }
    let shipped = shipping.wait()?;
    if own {
        runtime()?.block_on(async {
            if let Ok(pool) = connect_db().await {
                for service in ["ordering", "shipping"] {
                    let _ = sqlx::raw_sql(&format!(
                        "DROP SCHEMA IF EXISTS \"{name}_{service}\" CASCADE"
                    ))
                    .execute(&pool)
                    .await;
                }
                pool.close().await;
            }
            if let Ok(transport) = NatsTransport::connect(&nats_url(), nats_config(&name)).await {
                let _ = transport.delete_stream().await;
            }
        });
    }
    if ordered.success() && shipped.success() {
        println!(
            "[both] done: {orders} orders placed by ordering and shipped by shipping, each once"
        );
        Ok(())
    } else {
        Err(format!("ordering {ordered}, shipping {shipped}").into())
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let orders = match args.get(1).map(|n| n.parse::<u64>()) {
        None => Ok(10),
        Some(Ok(n)) if n > 0 => Ok(n),
        Some(_) => Err(()),
    };
    let outcome = match (args.first().map(String::as_str), orders) {
        (Some("both"), Ok(orders)) => both(orders),
        (Some(service @ ("ordering" | "shipping")), Ok(orders)) => {
            runtime().map_err(BoxError::from).and_then(|runtime| {
                runtime.block_on(async {
                    if service == "ordering" {
                        ordering(orders).await
                    } else {
                        shipping(orders).await
                    }
                })
            })
        }
        _ => {
            eprintln!("usage: ordering_shipping (ordering | shipping | both) [ORDERS]");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ordering_shipping: {error}");
            ExitCode::FAILURE
        }
    }
}
