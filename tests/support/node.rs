//! The Node.js checks in `tests/js`: the official AsyncAPI parser and ajv,
//! at the versions pinned by `tests/js/package-lock.json`, installed by the
//! first test that needs them into `tests/js/node_modules` (ignored by git)
//! with `npm ci`, and again only when the lock file changes.
//!
//! Where Node.js or npm is missing, or the install fails, a test prints a
//! notice and passes without running; with `EVENT_CORE_REQUIRE_SERVICES=1`
//! (as `.ci/run` sets) it fails instead.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The harness folder: `tests/js`.
pub fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

fn required() -> bool {
    std::env::var("EVENT_CORE_REQUIRE_SERVICES").is_ok_and(|value| value == "1")
}

fn skip(test: &str, why: &str) -> Option<PathBuf> {
    assert!(
        !required(),
        "{test}: {why}; EVENT_CORE_REQUIRE_SERVICES=1 requires the Node.js checks"
    );
    let notice = format!(
        "\nNOTICE: {test} skipped: {why}. Install Node.js 20 or later with npm to run it.\n"
    );
    // Straight to the process's standard error: the test harness shows what
    // `eprintln!` writes only for failing tests.
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), notice.as_bytes());
    None
}

fn runs(program: &str) -> Result<(), String> {
    match Command::new(program).arg("--version").output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(format!("`{program} --version` failed ({})", output.status)),
        Err(error) => Err(format!("`{program}` cannot be run ({error})")),
    }
}

/// The harness folder with its packages installed, or `None` (after a
/// notice) where Node.js cannot run it.
pub fn harness(test: &str) -> Option<PathBuf> {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _one_at_a_time = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for program in ["node", "npm"] {
        if let Err(why) = runs(program) {
            return skip(test, &why);
        }
    }
    let dir = js_dir();
    let lock = std::fs::read_to_string(dir.join("package-lock.json"))
        .expect("tests/js/package-lock.json is committed");
    let stamp = dir.join("node_modules/.installed-lock.json");
    if std::fs::read_to_string(&stamp).is_ok_and(|installed| installed == lock) {
        return Some(dir);
    }
    // No install scripts: the checks need none.
    let output = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .output();
    match output {
        Ok(output) if output.status.success() => {
            std::fs::write(&stamp, lock).expect("node_modules is writable");
            Some(dir)
        }
        Ok(output) => skip(
            test,
            &format!(
                "`npm ci` in tests/js failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        ),
        Err(error) => skip(test, &format!("`npm ci` cannot be run ({error})")),
    }
}

/// Runs `node SCRIPT ARGS..` in the harness folder.
pub fn node(dir: &Path, script: &str, args: &[&Path]) -> Output {
    Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("node runs")
}

/// Checks the schema files with `tests/js/schemas.mjs`: the 2020-12
/// meta-schema, then ajv strict with the vocabulary's keywords and formats.
/// Panics naming each schema rejected; does nothing (after a notice) where
/// Node.js cannot run.
pub fn check_schemas(test: &str, files: &[PathBuf]) {
    let Some(js) = harness(test) else {
        return;
    };
    let vocabulary =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("event-core/schema/vocabulary.json");
    let mut args = vec![vocabulary.as_path()];
    args.extend(files.iter().map(PathBuf::as_path));
    let output = node(&js, "schemas.mjs", &args);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains(&format!("schemas: {} checked, 0 rejected", files.len())),
        "{text}"
    );
}
