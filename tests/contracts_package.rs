//! `check_contracts!()` checks the package it is called in, from any crate of
//! it. The fixture package `tests/fixtures/parcel-events` (library crate
//! `parcels`) calls it from an integration test that names nothing of the
//! library, from an example with `test = true` and from the library's unit
//! tests; cargo builds a copy of it under the target folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "support/fixture.rs"]
mod fixture;

/// A fresh copy of the fixture, depending on this workspace's event-core.
fn fixture() -> PathBuf {
    fixture::parcel_events(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("parcel-events"),
    )
}

/// `cargo test <args>` in the fixture, with its own target folder (kept
/// between runs) and without the caller's contract settings.
fn cargo_test(dir: &Path, args: &[&str], freeze: bool) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("test")
        .args(args)
        .current_dir(dir)
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("parcel-events-target"),
        )
        .env_remove("EVENT_CONTRACTS")
        .env_remove("CI");
    if freeze {
        command.env("EVENT_CONTRACTS", "freeze");
    }
    command.output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn every_crate_of_a_package_checks_the_contracts_of_its_library() {
    let dir = fixture();

    // Freezing from the integration test, which names nothing of the
    // library, writes the library's draft into the library's folder.
    let lost = dir.join("contracts/parcel.lost.v1.json");
    assert!(!lost.exists());
    let output = cargo_test(&dir, &["--test", "check"], true);
    assert!(output.status.success(), "{}", text(&output));
    let snapshot = std::fs::read_to_string(&lost).unwrap_or_default();
    assert!(snapshot.contains("\"parcel.lost\""), "{snapshot}");

    // Every crate of the package passes with both frozen.
    let output = cargo_test(&dir, &["--all-targets"], false);
    assert!(output.status.success(), "{}", text(&output));

    // A reworded doc comment changes only annotations: nothing fails.
    let lib = dir.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    let reworded = source.replace("/// A parcel was sent.", "/// A parcel left.");
    std::fs::write(&lib, &reworded).unwrap();
    let output = cargo_test(&dir, &["--test", "check"], false);
    assert!(output.status.success(), "{}", text(&output));

    // A new optional field: compatible both ways, so the compiler accepts
    // it in the frozen version, and each crate's check asks for the
    // snapshot to be refreshed, naming the library's event.
    std::fs::write(
        &lib,
        reworded.replacen(
            "    pub parcel_id: String,\n}",
            "    pub parcel_id: String,\n    pub carrier: Option<String>,\n}",
            1,
        ),
    )
    .unwrap();
    for target in [&["--test", "check"][..], &["--lib"], &["--example", "tour"]] {
        let output = cargo_test(&dir, target, false);
        let text = text(&output);
        assert!(!output.status.success(), "{target:?} passed:\n{text}");
        assert!(
            text.contains("`parcel.sent.v1` changed compatibly since its frozen contract"),
            "{target:?}:\n{text}"
        );
        assert!(
            text.contains("added `/properties/carrier`") && text.contains("EVENT_CONTRACTS=freeze"),
            "{target:?}:\n{text}"
        );
    }
}
