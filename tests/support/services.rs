//! The servers the service tests run against: PostgreSQL, NATS JetStream and
//! RabbitMQ, at the URLs in `DATABASE_URL`, `NATS_URL` and `AMQP_URL` (the
//! project machines' defaults otherwise).
//!
//! A test whose server cannot be reached prints a notice and passes without
//! running, so that `cargo test` works on a machine without the servers;
//! with `EVENT_CORE_REQUIRE_SERVICES=1` (as `.ci/run` sets) it fails
//! instead, so CI never skips one silently.

#![allow(dead_code)]

/// PostgreSQL's URL: `DATABASE_URL`, or the local server's database `test`.
pub fn database_url() -> String {
    url("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
}

/// The NATS server's URL: `NATS_URL`, or the local server.
pub fn nats_url() -> String {
    url("NATS_URL", "nats://127.0.0.1:4222")
}

/// RabbitMQ's URL: `AMQP_URL`, or the local server with the guest user.
pub fn amqp_url() -> String {
    url("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")
}

fn url(variable: &str, default: &str) -> String {
    std::env::var(variable)
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Whether the environment asks for every service test to run.
pub fn services_required() -> bool {
    std::env::var("EVENT_CORE_REQUIRE_SERVICES").is_ok_and(|value| value == "1")
}

/// What a test does when `service` cannot be reached: fails when services
/// are required, otherwise prints a visible notice and returns `None`, for
/// the test to return early.
pub fn unreachable<T>(
    test: &str,
    service: &str,
    url: &str,
    error: impl std::fmt::Display,
) -> Option<T> {
    let message = format!("{service} at {url} cannot be reached ({error})");
    assert!(
        !services_required(),
        "{test}: {message}; EVENT_CORE_REQUIRE_SERVICES=1 requires it"
    );
    // Straight to the process's standard error: the test harness captures
    // what `eprintln!` writes and shows it only for failing tests.
    let notice = format!(
        "\nNOTICE: {test} skipped: {message}. Set {} or start the server (see compose.yaml).\n",
        variable_of(service)
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), notice.as_bytes());
    None
}

fn variable_of(service: &str) -> &'static str {
    match service {
        "PostgreSQL" => "DATABASE_URL",
        "NATS" | "NATS JetStream" => "NATS_URL",
        _ => "AMQP_URL",
    }
}

/// A name unique to this test run, for a schema, a stream or a queue: the
/// prefix, the process id and a counter, in lowercase letters, digits and
/// `_`.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos:x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
