//! A crate that uses event-core compiles one `syn`: the major version
//! serde_derive and schemars_derive use.

#[test]
fn the_lock_file_holds_one_syn_major_version() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock is committed at the workspace root");
    let mut majors: Vec<&str> = lock
        .split("[[package]]")
        .filter(|package| package.contains("\nname = \"syn\"\n"))
        .filter_map(|package| {
            let version = package.split("\nversion = \"").nth(1)?;
            version.split('.').next()
        })
        .collect();
    majors.dedup();
    assert_eq!(majors, ["3"], "syn majors in Cargo.lock: {majors:?}");
}
