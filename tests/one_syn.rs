//! A crate that uses event-core compiles one `syn`: the major version
//! serde_derive and schemars_derive use. The one exception is the `postgres`
//! feature: sqlx asks for `tracing` with its default features, whose
//! `tracing-attributes` is built with `syn` 2.

#[test]
fn the_lock_file_holds_one_syn_major_version() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock is committed at the workspace root");
    let packages: Vec<&str> = lock.split("[[package]]").collect();
    let name = |package: &str| -> Option<String> {
        Some(
            package
                .split("\nname = \"")
                .nth(1)?
                .split('"')
                .next()?
                .to_owned(),
        )
    };
    let mut majors: Vec<&str> = packages
        .iter()
        .filter(|package| package.contains("\nname = \"syn\"\n"))
        .filter_map(|package| {
            let version = package.split("\nversion = \"").nth(1)?;
            version.split('.').next()
        })
        .collect();
    majors.dedup();
    if majors == ["2", "3"] && lock.contains("\nname = \"sqlx-core\"\n") {
        // Only through sqlx: `syn` 2 is a dependency of `tracing-attributes`,
        // which sqlx's `tracing` brings (event-core's does not), and of
        // optional dependencies of sqlx's that the `postgres` feature does
        // not build (the lock file lists every optional dependency).
        let dependents: Vec<String> = packages
            .iter()
            .filter(|package| package.contains("\n \"syn 2."))
            .filter_map(|package| name(package))
            .collect();
        for dependent in &dependents {
            assert!(
                [
                    "tracing-attributes",
                    "sqlx-macros",
                    "sqlx-macros-core",
                    "zerocopy-derive"
                ]
                .contains(&dependent.as_str()),
                "syn 2 is used by {dependent}, which sqlx does not bring"
            );
        }
        return;
    }
    assert_eq!(majors, ["3"], "syn majors in Cargo.lock: {majors:?}");
}
