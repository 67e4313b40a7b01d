//! A crate that uses event-core compiles one `syn`: the major version
//! serde_derive and schemars_derive use.
//!
//! The exception is the broker and database clients: `async-nats` (feature
//! `nats`) and `sqlx` (feature `postgres`) depend on `tracing` with its
//! default `attributes` feature, whose macros are still on `syn` 2. The lock
//! file holds every optional dependency, so it lists that `syn` too, and the
//! optional dependencies of those clients that no build here turns on
//! (`sqlx`'s query macros, `zerocopy-derive`); nothing else may use it.

#[test]
fn the_lock_file_holds_one_syn_major_version() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock is committed at the workspace root");
    let packages: Vec<&str> = lock.split("[[package]]").collect();
    let mut majors: Vec<&str> = packages
        .iter()
        .filter(|package| package.contains("\nname = \"syn\"\n"))
        .filter_map(|package| {
            let version = package.split("\nversion = \"").nth(1)?;
            version.split('.').next()
        })
        .filter(|major| *major != "2")
        .collect();
    majors.dedup();
    assert_eq!(majors, ["3"], "syn majors in Cargo.lock: {majors:?}");

    // Who depends on `syn` 2, by name.
    let on_syn_2: Vec<&str> = packages
        .iter()
        .filter(|package| package.contains("\"syn 2."))
        .filter_map(|package| package.split("name = \"").nth(1)?.split('"').next())
        .collect();
    let allowed = [
        "tracing-attributes",
        "zerocopy-derive",
        "sqlx-macros",
        "sqlx-macros-core",
    ];
    assert!(
        on_syn_2.iter().all(|name| allowed.contains(name)),
        "syn 2 is used by {on_syn_2:?}, not only by the clients' dependencies"
    );
}
