//! Compile time of the macros against the derives users already write, and
//! against the hand-written equivalent of everything the macros generate.
//!
//! ```sh
//! cargo run --release --manifest-path benches/Cargo.toml --bin compile-time -- [N] [PAIRS] [COLD_PAIRS]
//! ```
//!
//! Generates three crates, each with N domain events and N integration
//! events mapped from them (`maps_from`), six fields each (a personal field,
//! a renamed field and a context field among them), spread over ten files:
//!
//! - `macros` declares them with `#[domain_event]` and `#[integration_event]`;
//! - `plain` writes the same structs with the derives users already have,
//!   `#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]`,
//!   and hand-written `From` impls for the mappings (the headline baseline:
//!   what adopting the macros costs over those derives);
//! - `handwritten` writes out what the macros generate: the derives, the
//!   trait impls, schema annotations, registrations and mappings.
//!
//! With the dependencies built, each round times, for every crate in an
//! order that alternates from one round to the next: `touch` of one of its
//! files then `cargo check` (the edit-compile loop), the same with
//! `cargo build`, and `cargo check` and `cargo build` after `cargo clean -p`
//! of the crate alone. It prints the median wall and CPU times (user and
//! system, of cargo and the compilers it ran) and the medians of the
//! per-round ratios. Then COLD_PAIRS times it builds `macros` and `plain`
//! from an empty target folder (dependencies included, event-core for the
//! first), alternating, and compares the CPU time (user + system) of the
//! build, which two cores shared with other work measure better than the
//! wall time. Defaults: N = 200, PAIRS = 5, COLD_PAIRS = 2.
//!
//! `-- --generate` writes the crates (under `target/compile-bench`) and
//! stops, for looking at them with other tools.
//!
//! `-- --instructions` counts instead of timing, for machines whose timings
//! are too noisy to compare small changes: the instructions the compiler
//! executes (under `valgrind --tool=cachegrind`, which must be installed)
//! for `cargo check` of each crate after `cargo clean -p` of it, macro
//! expansion included; `-- --instructions --build` counts `cargo build`
//! too, code generation included, which takes valgrind a good while. The
//! counts repeat to within a fraction of a percent from run to run, so one
//! run per crate suffices:
//!
//! ```sh
//! cargo run --release --manifest-path benches/Cargo.toml --bin compile-time -- 100 --instructions
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The crates, in the order of the table.
const CRATES: [&str; 3] = ["macros", "plain", "handwritten"];
/// The files each crate's events are spread over.
const FILES: usize = 10;

/// What is timed in each round.
#[derive(Clone, Copy)]
enum Step {
    TouchCheck,
    TouchBuild,
    CleanCheck,
    CleanBuild,
}

const STEPS: [(Step, &str); 4] = [
    (Step::TouchCheck, "touch one file + `cargo check`"),
    (Step::TouchBuild, "touch one file + `cargo build`"),
    (Step::CleanCheck, "clean package + `cargo check`"),
    (Step::CleanBuild, "clean package + `cargo build`"),
];

/// Set, with the file of valgrind's report, when this program runs as the
/// `RUSTC_WRAPPER` of an instruction count.
const COUNT_INTO: &str = "EVENT_CORE_BENCH_COUNT_INTO";

fn main() {
    if let Some(report) = std::env::var_os(COUNT_INTO) {
        wrap_rustc(Path::new(&report));
    }
    let generate_only = std::env::args().any(|a| a == "--generate");
    let instructions = std::env::args().any(|a| a == "--instructions");
    let count_build = std::env::args().any(|a| a == "--build");
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(200);
    let pairs = args.get(1).copied().unwrap_or(5).max(1);
    let cold_pairs = args.get(2).copied().unwrap_or(2);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let repo = repo.canonicalize().unwrap_or(repo);
    let dir = repo.join("target").join("compile-bench");
    let event_core = repo.join("event-core");

    write_workspace(&dir, &event_core, n);
    if generate_only {
        println!("written to {}", dir.display());
        return;
    }
    if instructions {
        count_instructions(&dir, n, count_build);
        return;
    }
    println!(
        "N = {n} events of each kind, {pairs} rounds, {cold_pairs} cold pairs, machine with {} cores",
        cores()
    );
    // Dependencies first, so that only the crates themselves are timed; and
    // a first build of each, so that every touch finds an incremental cache.
    for command in ["build", "check"] {
        let mut args = vec![command, "--offline"];
        for krate in CRATES {
            args.extend(["-p", krate]);
        }
        cargo(&dir, &args);
    }

    // [wall, cpu][step][crate]; ratios[wall, cpu][step][0] macros / plain,
    // [1] macros / hand-written.
    let mut times: [Vec<[Vec<Duration>; 3]>; 2] = Default::default();
    let mut ratios: [Vec<[Vec<f64>; 2]>; 2] = Default::default();
    for m in 0..2 {
        times[m] = vec![Default::default(); STEPS.len()];
        ratios[m] = vec![Default::default(); STEPS.len()];
    }
    for round in 0..pairs {
        for (s, (step, _)) in STEPS.iter().enumerate() {
            let mut order = [0, 1, 2];
            if round % 2 == 1 {
                order.reverse();
            }
            let mut this = [[Duration::ZERO; 3]; 2];
            for k in order {
                let (wall, cpu) = time_step(&dir, CRATES[k], *step);
                this[0][k] = wall;
                this[1][k] = cpu;
            }
            for m in 0..2 {
                for k in 0..3 {
                    times[m][s][k].push(this[m][k]);
                }
                let [macros, plain, hand] = this[m].map(|t| t.as_secs_f64());
                ratios[m][s][0].push(macros / plain);
                ratios[m][s][1].push(macros / hand);
            }
        }
        eprintln!("round {} of {pairs} done", round + 1);
    }
    for (m, measure) in ["wall time", "CPU time (user + system)"].iter().enumerate() {
        println!(
            "\n{measure}, medians of {pairs} rounds; the ratios are the medians of each round's ratio\n"
        );
        println!(
            "| what, N = {n} | macros | plain derives | macros / plain | hand-written | macros / hand-written |"
        );
        println!("|---|---|---|---|---|---|");
        for (s, (_, label)) in STEPS.iter().enumerate() {
            let [macros, plain, hand] = &mut times[m][s];
            println!(
                "| {label} | {:.2} s | {:.2} s | {:.2} | {:.2} s | {:.2} |",
                median(macros).as_secs_f64(),
                median(plain).as_secs_f64(),
                median_f(&mut ratios[m][s][0]),
                median(hand).as_secs_f64(),
                median_f(&mut ratios[m][s][1]),
            );
        }
    }

    if cold_pairs > 0 {
        let mut cpu: [Vec<Duration>; 2] = Default::default();
        let mut wall: [Vec<Duration>; 2] = Default::default();
        let mut cold_ratios = Vec::new();
        for round in 0..cold_pairs {
            let mut order = [0, 1];
            if round % 2 == 1 {
                order.reverse();
            }
            let mut this = [Duration::ZERO; 2];
            for k in order {
                let (w, c) = cold_build(&dir.join(format!("cold-{}", CRATES[k])));
                wall[k].push(w);
                cpu[k].push(c);
                this[k] = c;
            }
            cold_ratios.push(this[0].as_secs_f64() / this[1].as_secs_f64());
            eprintln!("cold pair {} of {cold_pairs} done", round + 1);
        }
        println!(
            "| cold `cargo build`, dependencies included, CPU time (wall) | {:.1} s ({:.1} s) | {:.1} s ({:.1} s) | {:.2} | | |",
            median(&mut cpu[0]).as_secs_f64(),
            median(&mut wall[0]).as_secs_f64(),
            median(&mut cpu[1]).as_secs_f64(),
            median(&mut wall[1]).as_secs_f64(),
            median_f(&mut cold_ratios),
        );
    }
}

/// The wall time and the CPU time (user and system, of cargo and the
/// compilers it ran) of one step.
fn time_step(dir: &Path, krate: &str, step: Step) -> (Duration, Duration) {
    let command = match step {
        Step::TouchCheck | Step::CleanCheck => "check",
        Step::TouchBuild | Step::CleanBuild => "build",
    };
    match step {
        Step::TouchCheck | Step::TouchBuild => {
            // Up to date first (a clean step of the round before removed
            // the crate's files), so that the touch finds its cache.
            cargo(dir, &[command, "--offline", "-p", krate]);
            touch(&dir.join(krate).join("src/part0.rs"));
        }
        Step::CleanCheck | Step::CleanBuild => {
            cargo(dir, &["clean", "--offline", "-p", krate]);
        }
    }
    let cpu = children_cpu();
    let start = Instant::now();
    cargo(dir, &[command, "--offline", "-p", krate]);
    (start.elapsed(), children_cpu() - cpu)
}

/// Sets the file's modification time to now, as an editor saving it does.
fn touch(path: &Path) {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("the generated file");
    file.set_modified(std::time::SystemTime::now())
        .expect("a settable modification time");
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn median_f(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn cargo(dir: &Path, args: &[&str]) {
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_JOBS")
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

/// The CPU time (user and system) of the waited-for children of this
/// process so far, from `/proc/self/stat`; zero where that cannot be read.
fn children_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // After the command name in parentheses: fields 16 and 17 (cutime,
    // cstime), in clock ticks of 1/100 s on Linux.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = [13, 14]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Prints the instructions of a clean `cargo check` (and with `build`, of a
/// clean `cargo build`) of each crate, and their ratios.
fn count_instructions(dir: &Path, n: usize, build: bool) {
    for command in ["build", "check"] {
        let mut args = vec![command, "--offline"];
        for krate in CRATES {
            args.extend(["-p", krate]);
        }
        cargo(dir, &args);
    }
    let report = dir.join("target").join("instructions.txt");
    let wrapper = std::env::current_exe().expect("the path of this program");
    println!("N = {n} events of each kind; instructions of the compiler, in billions\n");
    println!(
        "| what, N = {n} | macros | plain derives | macros / plain | hand-written | macros / hand-written |"
    );
    println!("|---|---|---|---|---|---|");
    let commands: &[&str] = if build {
        &["check", "build"]
    } else {
        &["check"]
    };
    for &command in commands {
        let counts = CRATES.map(|krate| {
            cargo(dir, &["clean", "--offline", "-p", krate]);
            let _ = std::fs::remove_file(&report);
            let status = Command::new(env!("CARGO"))
                .args([command, "--offline", "-p", krate])
                .current_dir(dir)
                .env_remove("CARGO_TARGET_DIR")
                .env("RUSTC_WRAPPER", &wrapper)
                .env(COUNT_INTO, &report)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("cargo runs");
            assert!(status.success(), "cargo {command} -p {krate} failed");
            let text = std::fs::read_to_string(&report)
                .expect("valgrind's report (is valgrind installed?)");
            refs(&text).expect("an instruction count in valgrind's report")
        });
        let [macros, plain, hand] = counts.map(|c| c as f64 / 1e9);
        println!(
            "| clean package + `cargo {command}` | {macros:.2} G | {plain:.2} G | {:.3} | {hand:.2} G | {:.3} |",
            macros / plain,
            macros / hand,
        );
    }
}

/// The instructions read (`I refs`) in a cachegrind report.
fn refs(report: &str) -> Option<u64> {
    let line = report
        .lines()
        .find(|l| l.contains("I") && l.contains("refs:"))?;
    let count = line.rsplit(':').next()?;
    count.trim().replace(',', "").parse().ok()
}

/// Runs the compiler (the first argument) on the rest of the arguments, under
/// cachegrind for the benchmark's crates, which writes its report into
/// `report`; never returns.
fn wrap_rustc(report: &Path) -> ! {
    let mut args = std::env::args_os().skip(1);
    let rustc = args.next().expect("the compiler to run");
    let args: Vec<_> = args.collect();
    let counted = args
        .windows(2)
        .any(|w| w[0] == "--crate-name" && CRATES.iter().any(|c| w[1] == *c));
    let status = if counted {
        Command::new("valgrind")
            .args(["--tool=cachegrind", "--cache-sim=no"])
            .arg("--cachegrind-out-file=/dev/null")
            .arg(format!("--log-file={}", report.display()))
            .arg(&rustc)
            .args(&args)
            .status()
    } else {
        Command::new(&rustc).args(&args).status()
    };
    std::process::exit(status.map_or(1, |s| s.code().unwrap_or(1)))
}

/// The wall and CPU time of a build from an empty target folder.
fn cold_build(dir: &Path) -> (Duration, Duration) {
    let _ = std::fs::remove_dir_all(dir.join("target"));
    let cpu = children_cpu();
    let start = Instant::now();
    cargo(dir, &["build", "--offline"]);
    (start.elapsed(), children_cpu() - cpu)
}

fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    // Unchanged files keep their time, so that a run after another one
    // starts from the same incremental state.
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap();
    }
}

fn manifest(name: &str, dependencies: &str, own_workspace: bool) -> String {
    let workspace = if own_workspace { "\n[workspace]\n" } else { "" };
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n{workspace}\n[dependencies]\n{dependencies}"
    )
}

fn write_workspace(dir: &Path, event_core: &Path, n: usize) {
    let core = format!("event-core = {{ path = \"{}\" }}\n", event_core.display());
    let plain = "serde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\nschemars = \"1.2\"\n";
    write(
        &dir.join("Cargo.toml"),
        "[workspace]\nmembers = [\"macros\", \"plain\", \"handwritten\"]\nexclude = [\"cold-macros\", \"cold-plain\"]\nresolver = \"3\"\n",
    );
    let crates: [(&str, &str, Source, Source); 3] = [
        ("macros", &core, macros_head, macros_event),
        ("plain", plain, plain_head, plain_event),
        ("handwritten", &core, handwritten_head, handwritten_event),
    ];
    for (name, dependencies, head, event) in crates {
        let krate = dir.join(name);
        write(
            &krate.join("Cargo.toml"),
            &manifest(name, dependencies, false),
        );
        write_sources(&krate, n, head, event);
        if name != "handwritten" {
            // The same crate in a workspace of its own, for the cold build.
            let cold: PathBuf = dir.join(format!("cold-{name}"));
            write(
                &cold.join("Cargo.toml"),
                &manifest(name, dependencies, true),
            );
            write_sources(&cold, n, head, event);
        }
    }
}

/// The text of a file's head (given the file's number) or of an event
/// (given its number).
type Source = fn(usize) -> String;

/// `lib.rs` declaring the files, each file its share of the N events.
fn write_sources(krate: &Path, n: usize, head: Source, event: Source) {
    let mut lib = String::from("//! Generated events.\n#![allow(missing_docs)]\n\n");
    for file in 0..FILES {
        let _ = writeln!(lib, "pub mod part{file};");
    }
    write(&krate.join("src/lib.rs"), &lib);
    for file in 0..FILES {
        let mut text = head(file);
        for i in (file..n).step_by(FILES) {
            text.push_str(&event(i));
        }
        write(&krate.join(format!("src/part{file}.rs")), &text);
    }
}

fn macros_head(file: usize) -> String {
    format!("//! Events, part {file}.\nuse event_core::prelude::*;\n\n")
}

fn macros_event(i: usize) -> String {
    format!(
        r#"/// Thing {i} was placed.
#[domain_event]
pub struct Thing{i}Placed {{
    pub id: String,
    pub amount_cents: u32,
    #[event(pii)]
    pub email: String,
    pub note: Option<String>,
    pub quantity: u16,
    pub tags: Vec<String>,
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
    pub quantity: u32,
    pub tags: Vec<String>,
}}

"#
    )
}

fn plain_head(file: usize) -> String {
    format!(
        "//! Events, part {file}.\nuse schemars::JsonSchema;\nuse serde::{{Deserialize, Serialize}};\n\n"
    )
}

fn plain_event(i: usize) -> String {
    format!(
        r#"/// Thing {i} was placed.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct Thing{i}Placed {{
    pub id: String,
    pub amount_cents: u32,
    pub email: String,
    pub note: Option<String>,
    pub quantity: u16,
    pub tags: Vec<String>,
}}

/// Thing {i}, for other contexts.
#[derive(Serialize, Deserialize, JsonSchema, Debug, Clone, PartialEq)]
pub struct Thing{i}PlacedIntegrationEvent {{
    pub id: String,
    pub total_cents: u64,
    pub email: String,
    pub title: String,
    pub quantity: u32,
    pub tags: Vec<String>,
}}

impl From<(&Thing{i}Placed, String)> for Thing{i}PlacedIntegrationEvent {{
    fn from((source, title): (&Thing{i}Placed, String)) -> Self {{
        Thing{i}PlacedIntegrationEvent {{
            id: source.id.clone(),
            total_cents: source.amount_cents.into(),
            email: source.email.clone(),
            title,
            quantity: source.quantity.into(),
            tags: source.tags.clone(),
        }}
    }}
}}

"#
    )
}

fn handwritten_head(file: usize) -> String {
    format!(
        "//! Events, part {file}.\nuse event_core::__private::{{inventory, schemars, serde, EventDescriptor}};\nuse event_core::{{DomainEvent, Event, EventKind, IntegrationEvent, MapsFrom}};\n\n"
    )
}

fn handwritten_event(i: usize) -> String {
    let type_name = format!("thing{i}.placed");
    format!(
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
    #[schemars(extend("x-rust-type" = "u16"))]
    pub quantity: u16,
    #[schemars(extend("x-rust-type" = "Vec<String>"))]
    pub tags: Vec<String>,
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
    #[schemars(extend("x-rust-type" = "u32"))]
    pub quantity: u32,
    #[schemars(extend("x-rust-type" = "Vec<String>"))]
    pub tags: Vec<String>,
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
            quantity: source.quantity.into(),
            tags: source.tags.clone(),
        }}
    }}
}}

"#
    )
}
