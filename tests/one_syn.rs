//! A crate that uses event-core compiles one `syn`: the major version
//! serde_derive and schemars_derive use.
//!
//! The exception is the database and broker clients: `sqlx` (feature
//! `postgres`) and `async-nats` (feature `nats`) depend on `tracing` with its
//! default `attributes` feature, whose macros are still on `syn` 2; nothing
//! else may build it.
//!
//! Read from the dependency graph cargo builds (`cargo tree`), not from
//! Cargo.lock alone: the lock file also lists optional dependencies that a
//! dependency's weak features (`dep?/feature`) name without enabling, which
//! are never compiled.

use std::process::Command;

fn tree(extra: &[&str]) -> String {
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--workspace", "--edges", "normal,build,dev"])
        .args(extra)
        .args(["--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn the_build_holds_one_syn_major_version() {
    let mut majors: Vec<String> = tree(&[])
        .lines()
        .filter_map(|line| line.strip_prefix("syn v"))
        .filter_map(|version| version.split('.').next())
        .map(str::to_owned)
        .collect();
    majors.sort_unstable();
    majors.dedup();
    if majors == ["2", "3"] {
        // Who builds `syn` 2: its direct dependents.
        let dependents = tree(&["--invert", "syn@2", "--depth", "1"]);
        let dependents: Vec<&str> = dependents
            .lines()
            .filter(|line| !line.starts_with("syn v") && !line.trim().is_empty())
            .filter_map(|line| line.split(" v").next())
            .collect();
        assert!(
            dependents.iter().all(|name| *name == "tracing-attributes"),
            "syn 2 is built for {dependents:?}, not only for tracing's attribute macros"
        );
        return;
    }
    assert_eq!(majors, ["3"], "syn majors built: {majors:?}");
}
