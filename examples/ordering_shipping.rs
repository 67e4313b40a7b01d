//! Two services in two processes, over PostgreSQL and NATS JetStream.
//!
//! The ordering service places orders: each order row and its
//! `OrderPlacedIntegrationEvent` commit in one transaction through the
//! PostgreSQL outbox (schema `<name>_ordering`), and a relay publishes the
//! outbox to a NATS JetStream stream. The shipping service is a hosted
//! consumer of the event, with the PostgreSQL inbox (its own schema,
//! `<name>_shipping`): its handler records a shipment in the inbox's
//! transaction, once per order however often the event is delivered.
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
//!
//! Its tests, written with the test kit, run with
//! `cargo test --example ordering_shipping` (the shipping handler's against
//! PostgreSQL, skipped with a notice when it cannot be reached).

use std::process::{Command, ExitCode};
use std::time::Duration;

use event_core::host::Host;
use event_core::nats::{NatsConfig, NatsTransport, StreamSettings};
use event_core::postgres::sqlx::postgres::PgPoolOptions;
use event_core::postgres::sqlx::{self, PgConnection, PgPool};
use event_core::postgres::{PgConfig, PgInbox, PgOutbox, migrate};
use event_core::prelude::*;
use event_core::relay::{Relay, RelayConfig};
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

/// The `n`-th order of the run `run`, its id its partition key: what the
/// ordering service tells the others.
fn placed(run: u32, n: u64) -> Envelope<OrderPlacedIntegrationEvent> {
    let order_id = format!("o-{run}-{n}");
    Envelope::new(
        "/ordering",
        OrderPlacedIntegrationEvent {
            order_id: order_id.clone(),
            total_cents: 1_000 + n * 250,
            customer_email: format!("customer{n}@example.com"),
            shipping_address: format!("{n} Harbour Street, Portsmouth"),
        },
    )
    .with_partition_key(&order_id)
}

/// The shipping service's handler: a shipment for the order, recorded in
/// `table` in the inbox's transaction.
fn ship(
    table: String,
) -> impl AsyncFn(&mut PgConnection, &Envelope<OrderPlacedIntegrationEvent>) -> Result<(), BoxError>
+ 'static {
    async move |tx, e| {
        println!("[shipping] received\n{}", shown(e));
        let order_id = &e.data().order_id;
        let parcel_id = format!("p-{order_id}");
        sqlx::query(&format!(
            "INSERT INTO {table} (order_id, parcel_id) VALUES ($1, $2)"
        ))
        .bind(order_id)
        .bind(&parcel_id)
        .execute(&mut *tx)
        .await?;
        println!("[shipping] shipped {order_id} as parcel {parcel_id}");
        Ok(())
    }
}

/// The shipping service's table of shipments in `schema`.
fn shipments_table(schema: &str) -> String {
    format!("\"{schema}\".shipments")
}

/// Creates the shipments table.
async fn create_shipments(pool: &PgPool, table: &str) -> Result<(), BoxError> {
    sqlx::raw_sql(&format!(
        "CREATE TABLE IF NOT EXISTS {table} (
             order_id TEXT PRIMARY KEY, parcel_id TEXT NOT NULL,
             shipped_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    ))
    .execute(pool)
    .await?;
    Ok(())
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
        let envelope = placed(run, n);
        let order_id = envelope.data().order_id.clone();
        let total_cents = envelope.data().total_cents;
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

/// The shipping service: a hosted consumer that ships each order it hears
/// of once, until it shipped `orders`.
async fn shipping(orders: u64) -> Result<(), BoxError> {
    let name = name();
    let pool = connect_db().await?;
    let config = PgConfig::new(format!("{name}_shipping"));
    migrate(&pool, &config).await?;
    let table = shipments_table(&config.schema);
    create_shipments(&pool, &table).await?;
    let inbox = PgInbox::new(pool.clone(), &config)?;
    let transport = connect_nats(&name).await?;
    let host = Host::new(transport)
        .consumer(GROUP, inbox)
        .handle::<OrderPlacedIntegrationEvent>(ship(table.clone()));
    let metrics = host.metrics();
    // The consumer group exists from now on: what ordering publishes waits
    // for it.
    host.declare().await?;
    println!(
        "[shipping] subscribed to {}",
        OrderPlacedIntegrationEvent::FULL_TYPE
    );

    // Runs until `orders` are shipped, or nothing happened for a while; a
    // service that runs for good passes `tokio::signal::ctrl_c()`.
    let mut stalled = false;
    let done = async {
        let (mut seen, mut since) = (0, tokio::time::Instant::now());
        loop {
            let now = metrics.snapshot();
            if now.handled >= orders {
                break;
            }
            let progress = now.handled + now.duplicates + now.retried + now.dead_lettered;
            if progress != seen {
                (seen, since) = (progress, tokio::time::Instant::now());
            } else if since.elapsed() > PATIENCE {
                stalled = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let summary = host.run(done).await?;
    let counters = summary.consumers[0].metrics;
    if stalled {
        return Err(format!("no order for {PATIENCE:?}; {} shipped", counters.handled).into());
    }
    let recorded: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&pool)
        .await?;
    println!(
        "[shipping] done: {} orders shipped, {} duplicate deliveries absorbed, {} retried \
         ({recorded} in {table})",
        counters.handled, counters.duplicates, counters.retried
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

#[cfg(test)]
#[path = "../tests/support/services.rs"]
mod services;

#[cfg(test)]
mod tests {
    use super::*;
    use event_core::Staged;
    use event_core::testing::{self, Outcome};
    use serde_json::json;

    /// Given the run and the order's number, when ordering places it, then
    /// the event goes out keyed by the order, with the customer's data.
    #[test]
    fn an_order_is_published_keyed_by_its_id() {
        let _ids = testing::deterministic();
        let mut work = Staged::new();
        work.stage(&placed(7, 2)).unwrap();
        testing::assert_events(
            &work.into_messages(),
            &[json!({
                "type": OrderPlacedIntegrationEvent::FULL_TYPE,
                "source": "/ordering",
                "partitionkey": "o-7-2",
                "time": "2026-01-01T00:00:00Z",
                "data": {
                    "order_id": "o-7-2",
                    "total_cents": 1_500,
                    "customer_email": "customer2@example.com",
                    "shipping_address": "2 Harbour Street, Portsmouth",
                },
            })],
        );
    }

    /// The shipping handler, on the PostgreSQL inbox: each order shipped
    /// once, however often and however late it comes, its shipment rolled
    /// back with an attempt that fails; a shipment that cannot be written (its order shipped under another event id) is
    /// retried, then dead-lettered, and leaves nothing behind.
    #[test]
    fn shipping_ships_each_order_once() {
        const TEST: &str = "ordering_shipping::shipping_ships_each_order_once";
        runtime().unwrap().block_on(async {
            let url = services::database_url();
            let pool = match PgPoolOptions::new()
                .max_connections(2)
                .acquire_timeout(Duration::from_secs(10))
                .connect(&url)
                .await
            {
                Ok(pool) => pool,
                Err(error) => {
                    return services::unreachable(TEST, "PostgreSQL", &url, error)
                        .unwrap_or_default();
                }
            };
            let config = PgConfig::new(services::unique_name("example_shipping"));
            migrate(&pool, &config).await.unwrap();
            let table = shipments_table(&config.schema);
            create_shipments(&pool, &table).await.unwrap();
            let inbox = PgInbox::new(pool.clone(), &config).unwrap();

            let first = placed(7, 1);
            // The same order again, under a new event id.
            let again = placed(7, 1);
            let report = testing::consumer(GROUP, inbox)
                .retry(event_core::retry::RetryPolicy {
                    immediate_retries: 1,
                    ..event_core::retry::RetryPolicy::none()
                })
                .handle::<OrderPlacedIntegrationEvent>(ship(table.clone()))
                .deliver(&first)
                .redeliver(&first, 4)
                .deliver(&placed(7, 2))
                // The shipment rolls back with the failed attempt.
                .failing_after(&placed(7, 3), 1)
                .deliver(&again)
                .run()
                .await;
            let shipped: Vec<(String, String)> = sqlx::query_as(&format!(
                "SELECT order_id, parcel_id FROM {table} ORDER BY order_id"
            ))
            .fetch_all(&pool)
            .await
            .unwrap();
            let _ = sqlx::raw_sql(&format!(
                "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                config.schema
            ))
            .execute(&pool)
            .await;
            pool.close().await;

            report.unwrap().assert_outcomes(&[
                Outcome::Processed,
                Outcome::Duplicate,
                Outcome::Processed,
                Outcome::Retried,
                Outcome::Processed,
                Outcome::Retried,
                Outcome::DeadLettered,
            ]);
            assert_eq!(
                shipped,
                [
                    ("o-7-1".to_owned(), "p-o-7-1".to_owned()),
                    ("o-7-2".to_owned(), "p-o-7-2".to_owned()),
                    ("o-7-3".to_owned(), "p-o-7-3".to_owned()),
                ]
            );
        });
    }
}
