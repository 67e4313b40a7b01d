//! The examples print envelopes as the CloudEvents JSON that goes on the wire,
//! and never a `pii` or `secret` value in clear: each example that needs no
//! server is run, and its output searched for the personal values it puts in
//! its events. (`ordering_shipping` needs PostgreSQL and NATS, and prints
//! through the same `Envelope::to_redacted_json`.) The test builds the
//! examples first, with the Cargo that runs it, in the same target folder.

use std::path::PathBuf;
use std::process::Command;

/// Each example, the number of envelopes it prints at least, and the
/// values of `pii` and `secret` fields in its events.
const EXAMPLES: &[(&str, usize, &[&str])] = &[
    ("ecommerce", 3, &["kettles@example.com"]),
    ("customer_order", 2, &["ada@example.com", "argon2id$v=19$"]),
    ("payment", 3, &["ada@example.com"]),
    ("order_shipping", 5, &["1 Analytical Way, London"]),
];

/// Builds the examples (`cargo build --example ..`, which does nothing when
/// they are up to date) and returns where their binaries are.
fn build_examples() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.arg("build").current_dir(env!("CARGO_MANIFEST_DIR"));
    for (name, _, _) in EXAMPLES {
        build.args(["--example", name]);
    }
    // Without the variables Cargo set for this test (the package's, the
    // crate's): crates that read them at compile time would otherwise see
    // other values than in the usual build, and be built again each time.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let configuration = ["CARGO_HOME", "CARGO_TARGET_DIR"].contains(&key.as_ref())
            || [
                "CARGO_BUILD_",
                "CARGO_NET_",
                "CARGO_HTTP_",
                "CARGO_TERM_",
                "CARGO_REGISTR",
            ]
            .iter()
            .any(|prefix| key.starts_with(prefix));
        if key.starts_with("CARGO_") && !configuration {
            build.env_remove(key.as_ref());
        }
    }
    let status = build.status().expect("running cargo");
    assert!(status.success(), "building the examples");
    // target/<profile>/deps/<this test> -> target/<profile>/examples
    let exe = std::env::current_exe().expect("the test's own path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps")
        .join("examples")
}

#[test]
fn examples_print_wire_json_without_personal_data() {
    let dir = build_examples();
    for &(name, envelopes, personal) in EXAMPLES {
        let binary = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        let output = Command::new(&binary)
            .output()
            .unwrap_or_else(|e| panic!("running the example {name}: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "the example {name} failed:\n{stdout}\n{stderr}"
        );

        // The envelopes, one CloudEvents JSON document a line, as encoded.
        let printed: Vec<serde_json::Value> = stdout
            .lines()
            .filter(|line| line.starts_with(r#"{"specversion":"1.0""#))
            .map(|line| serde_json::from_str(line).expect("each envelope line is JSON"))
            .collect();
        assert!(
            printed.len() >= envelopes,
            "the example {name} printed {} envelope(s), expected {envelopes} or more:\n{stdout}",
            printed.len()
        );
        for envelope in &printed {
            assert!(envelope["type"].is_string() && envelope["data"].is_object());
        }
        assert!(
            stdout.contains(r#""<redacted>""#),
            "the example {name} printed no redacted field:\n{stdout}"
        );

        for value in personal {
            assert!(
                !stdout.contains(value) && !stderr.contains(value),
                "the example {name} printed the personal value {value:?} in clear:\n{stdout}"
            );
        }
    }
}
