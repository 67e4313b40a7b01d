//! The `ordering_shipping` example end to end: both services as processes
//! of their own over PostgreSQL and NATS, each order shipped once, no
//! personal data printed in clear.
//!
//! The example's binary is the one `cargo test` builds beside the tests
//! (examples are built with the tests unless targets are picked one by
//! one); without it, or without the servers, the test is skipped with a
//! notice (for the servers it fails instead with
//! `EVENT_CORE_REQUIRE_SERVICES=1`).

#[path = "support/services.rs"]
mod services;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TEST: &str = "ordering_shipping_example";
const ORDERS: usize = 3;

fn example() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe
        .parent()?
        .parent()?
        .join("examples")
        .join(format!("ordering_shipping{}", std::env::consts::EXE_SUFFIX));
    path.exists().then_some(path)
}

fn reachable(url: &str, default_port: u16) -> Result<(), String> {
    let authority = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let address = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:{default_port}")
    };
    use std::net::ToSocketAddrs;
    let addresses = address.to_socket_addrs().map_err(|e| e.to_string())?;
    for address in addresses {
        if std::net::TcpStream::connect_timeout(&address, Duration::from_secs(5)).is_ok() {
            return Ok(());
        }
    }
    Err("no connection".to_owned())
}

#[test]
fn ordering_and_shipping_processes_ship_each_order_once() {
    let database = services::database_url();
    if let Err(error) = reachable(&database, 5432) {
        return services::unreachable(TEST, "PostgreSQL", &database, error).unwrap_or_default();
    }
    let nats = services::nats_url();
    if let Err(error) = reachable(&nats, 4222) {
        return services::unreachable(TEST, "NATS", &nats, error).unwrap_or_default();
    }
    let Some(example) = example() else {
        eprintln!(
            "\nNOTICE: {TEST} skipped: the example is not built; `cargo test` builds it, or \
             `cargo build --example ordering_shipping`.\n"
        );
        return;
    };
    let mut child = Command::new(example)
        .args(["both", &ORDERS.to_string()])
        .env("DATABASE_URL", &database)
        .env("NATS_URL", &nats)
        .env_remove("ORDERING_SHIPPING_NAME")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    // The services give up by themselves after two minutes without
    // progress; this bound is above that.
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the example did not end");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = reader.join().unwrap();
    assert!(status.success(), "{status}\n{out}");
    assert_eq!(out.matches("[ordering] placed ").count(), ORDERS, "{out}");
    assert_eq!(out.matches("[shipping] shipped ").count(), ORDERS, "{out}");
    assert!(out.contains("[both] done"), "{out}");
    assert!(out.contains(r#""customer_email":"<redacted>""#), "{out}");
    assert!(
        !out.contains("@example.com"),
        "an e-mail address in clear:\n{out}"
    );
    assert!(
        !out.contains("Harbour Street"),
        "an address in clear:\n{out}"
    );
}
