//! Compile time of the macros against the hand-written equivalent.
//!
//! ```sh
//! cargo run --release --manifest-path benches/Cargo.toml --bin compile-time -- [N] [RUNS] [COLD_RUNS]
//! ```
//!
//! Generates two crates with N domain events and N integration events mapped
//! from them (a personal field, a renamed field and a context field among
//! them): one declares them with the macros, the other writes out the same
//! derives, trait impls, schema annotations, registrations and mappings. With
//! the dependencies built, it times `cargo check` and `cargo build` of each
//! crate from a clean state of that crate only, alternating the two, RUNS
//! times, and prints the medians and the ratio. Then it times the cold build
//! of a crate using event-core with default features against one using the
//! serde, serde_json and schemars derives alone, COLD_RUNS times each.
//! Defaults: N = 200, RUNS = 5, COLD_RUNS = 1.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(200);
    let runs = args.get(1).copied().unwrap_or(5).max(1);
    let cold_runs = args.get(2).copied().unwrap_or(1);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let repo = repo.canonicalize().unwrap_or(repo);
    let dir = repo.join("target").join("compile-bench");
    let event_core = repo.join("event-core");

    write_workspace(&dir, &event_core, n);
    println!(
        "N = {n} events of each kind, {runs} runs, machine with {} cores",
        cores()
    );
    // Dependencies first, so that only the crates themselves are timed.
    cargo(
        &dir,
        &["build", "--offline", "-p", "macros", "-p", "handwritten"],
    );
    cargo(
        &dir,
        &["check", "--offline", "-p", "macros", "-p", "handwritten"],
    );

    let mut times: [[Vec<Duration>; 2]; 2] = Default::default();
    for _ in 0..runs {
        for (c, command) in ["check", "build"].iter().enumerate() {
            for (k, krate) in ["macros", "handwritten"].iter().enumerate() {
                cargo(&dir, &["clean", "--offline", "-p", krate]);
                let start = Instant::now();
                cargo(&dir, &[command, "--offline", "-p", krate]);
                times[c][k].push(start.elapsed());
            }
        }
    }
    println!("\n| command | macros (median) | hand-written (median) | macros / hand-written |");
    println!("|---|---|---|---|");
    for (c, command) in ["cargo check", "cargo build"].iter().enumerate() {
        let macros = median(&mut times[c][0]);
        let hand = median(&mut times[c][1]);
        println!(
            "| `{command}`, N = {n} | {:.2} s | {:.2} s | {:.2} |",
            macros.as_secs_f64(),
            hand.as_secs_f64(),
            macros.as_secs_f64() / hand.as_secs_f64()
        );
    }

    if cold_runs > 0 {
        let (mut with_core, mut alone) = (Vec::new(), Vec::new());
        for _ in 0..cold_runs {
            with_core.push(cold_build(&dir.join("cold-event-core"), COLD_EVENT_CORE));
            alone.push(cold_build(&dir.join("cold-serde"), COLD_SERDE));
        }
        let with_core = median(&mut with_core);
        let alone = median(&mut alone);
        println!(
            "| cold `cargo build`, event-core default features / serde + serde_json + schemars | {:.2} s | {:.2} s | {:.2} |",
            with_core.as_secs_f64(),
            alone.as_secs_f64(),
            with_core.as_secs_f64() / alone.as_secs_f64()
        );
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn cargo(dir: &Path, args: &[&str]) {
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "cargo {args:?} failed in {}",
        dir.display()
    );
}

/// The time of a build from an empty target folder.
fn cold_build(dir: &Path, lib: &str) -> Duration {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    let _ = std::fs::remove_dir_all(dir.join("target"));
    let start = Instant::now();
    cargo(dir, &["build", "--offline"]);
    start.elapsed()
}

/// One event declared with the macro, event-core with default features.
const COLD_EVENT_CORE: &str = "//! Cold build: event-core.
use event_core::prelude::*;

/// A thing happened.
#[domain_event]
pub struct ThingHappened {
    pub id: String,
}
";

/// The same struct with the serde, serde_json and schemars derives alone.
const COLD_SERDE: &str = "//! Cold build: serde, serde_json and schemars alone.

/// A thing happened.
#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Debug, Clone, PartialEq)]
pub struct ThingHappened {
    pub id: String,
}

/// Its JSON.
pub fn json(thing: &ThingHappened) -> String {
    serde_json::to_string(thing).unwrap_or_default()
}
";

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn write_workspace(dir: &Path, event_core: &Path, n: usize) {
    let core = event_core.display();
    write(
        &dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"macros\", \"handwritten\"]\nexclude = [\"cold-event-core\", \"cold-serde\"]\nresolver = \"3\"\n",
    );
    for krate in ["macros", "handwritten"] {
        write(
            &dir.join(krate).join("Cargo.toml"),
            &format!(
                "[package]\nname = \"{krate}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nevent-core = {{ path = \"{core}\" }}\n"
            ),
        );
    }
    write(&dir.join("macros/src/lib.rs"), &macros_crate(n));
    write(&dir.join("handwritten/src/lib.rs"), &handwritten_crate(n));

    let cold = dir.join("cold-event-core");
    write(
        &cold.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"cold-event-core\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dependencies]\nevent-core = {{ path = \"{core}\" }}\n"
        ),
    );
    let serde = dir.join("cold-serde");
    write(
        &serde.join("Cargo.toml"),
        "[package]\nname = \"cold-serde\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\nschemars = \"1.2\"\n",
    );
}

fn macros_crate(n: usize) -> String {
    let mut out = String::from(
        "//! Generated: events declared with the macros.\n#![allow(missing_docs)]\nuse event_core::prelude::*;\n\n",
    );
    for i in 0..n {
        let _ = write!(
            out,
            r#"/// Thing {i} was placed.
#[domain_event]
pub struct Thing{i}Placed {{
    pub id: String,
    pub amount_cents: u32,
    #[event(pii)]
    pub email: String,
    pub note: Option<String>,
}}

/// Thing {i}, for other contexts.
#[integration_event(version = 1, maps_from = Thing{i}Placed)]
pub struct Thing{i}PlacedIntegrationEvent {{
    pub id: String,
    #[event(from = amount_cents)]
    pub total_cents: u64,
    #[event(pii)]
    pub email: String,
    #[event(context)]
    pub title: String,
}}

"#
        );
    }
    out
}

fn handwritten_crate(n: usize) -> String {
    let mut out = String::from(
        "//! Generated: the same events written out by hand.\n#![allow(missing_docs)]\nuse event_core::__private::{inventory, schemars, serde, EventDescriptor};\nuse event_core::{DomainEvent, Event, EventKind, IntegrationEvent, MapsFrom};\n\n",
    );
    for i in 0..n {
        let type_name = format!("thing{i}.placed");
        let _ = write!(
            out,
            r#"/// Thing {i} was placed.
#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Debug, Clone, PartialEq)]
#[serde(crate = "event_core::__private::serde")]
#[schemars(crate = "event_core::__private::schemars")]
pub struct Thing{i}Placed {{
    #[schemars(extend("x-rust-type" = "String"))]
    pub id: String,
    #[schemars(extend("x-rust-type" = "u32"))]
    pub amount_cents: u32,
    #[schemars(extend("x-pii" = true, "x-rust-type" = "String"))]
    pub email: String,
    #[schemars(extend("x-rust-type" = "Option<String>"))]
    pub note: Option<String>,
}}

impl Event for Thing{i}Placed {{
    const TYPE_NAME: &'static str = "{type_name}";
    const VERSION: u32 = 1;
    const KIND: EventKind = EventKind::Domain;
    const FULL_TYPE: &'static str = "{type_name}.v1";
    const SCHEMA_ID: &'static str = "urn:event:domain:{type_name}.v1";
}}
impl DomainEvent for Thing{i}Placed {{}}
inventory::submit! {{ EventDescriptor::of::<Thing{i}Placed>(module_path!(), "Thing{i}Placed") }}

/// Thing {i}, for other contexts.
#[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Debug, Clone, PartialEq)]
#[serde(crate = "event_core::__private::serde")]
#[schemars(crate = "event_core::__private::schemars")]
pub struct Thing{i}PlacedIntegrationEvent {{
    #[schemars(extend("x-rust-type" = "String"))]
    pub id: String,
    #[schemars(extend("x-rust-type" = "u64"))]
    pub total_cents: u64,
    #[schemars(extend("x-pii" = true, "x-rust-type" = "String"))]
    pub email: String,
    #[schemars(extend("x-rust-type" = "String"))]
    pub title: String,
}}

impl Event for Thing{i}PlacedIntegrationEvent {{
    const TYPE_NAME: &'static str = "{type_name}";
    const VERSION: u32 = 1;
    const KIND: EventKind = EventKind::Integration;
    const FULL_TYPE: &'static str = "{type_name}.v1";
    const SCHEMA_ID: &'static str = "urn:event:integration:{type_name}.v1";
}}
impl IntegrationEvent for Thing{i}PlacedIntegrationEvent {{}}
inventory::submit! {{ EventDescriptor::of::<Thing{i}PlacedIntegrationEvent>(module_path!(), "Thing{i}PlacedIntegrationEvent") }}

/// The context of thing {i}'s mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Thing{i}PlacedIntegrationEventContext {{
    pub title: String,
}}

impl MapsFrom<Thing{i}Placed> for Thing{i}PlacedIntegrationEvent {{
    type Context = Thing{i}PlacedIntegrationEventContext;
    fn map_from(source: &Thing{i}Placed, context: Self::Context) -> Self {{
        Thing{i}PlacedIntegrationEvent {{
            id: source.id.clone(),
            total_cents: source.amount_cents.into(),
            email: source.email.clone(),
            title: context.title,
        }}
    }}
}}

"#
        );
    }
    out
}
