//! A crate that uses event-core compiles one `syn`: the major version
//! serde_derive and schemars_derive use.
//!
//! Read from the dependency graph cargo builds (`cargo tree`), not from
//! Cargo.lock alone: the lock file also lists optional dependencies that a
//! dependency's weak features (`dep?/feature`) name without enabling, which
//! are never compiled (lapin's DNS resolver and, for Android, its JNI
//! macros, on syn 2).

use std::process::Command;

#[test]
fn the_build_holds_one_syn_major_version() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--workspace",
            "--edges",
            "normal,build,dev",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8(output.stdout).expect("UTF-8");
    let mut majors: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.strip_prefix("syn v"))
        .filter_map(|version| version.split('.').next())
        .collect();
    majors.sort_unstable();
    majors.dedup();
    assert_eq!(majors, ["3"], "syn majors built: {majors:?}");
}
