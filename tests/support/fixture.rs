//! The fixture package `tests/fixtures/parcel-events` (library crate
//! `parcels`), copied where cargo may build it: the tests of
//! `check_contracts!()` and of the `events` command line use it.

use std::path::{Path, PathBuf};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A fresh copy of the fixture in `dir`, depending on the event-core of the
/// workspace at `root`, with that workspace's lock file so that it builds
/// what is already downloaded.
pub fn parcel_events(root: &Path, dir: PathBuf) -> PathBuf {
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root.join("tests/fixtures/parcel-events"), &dir);
    let manifest = format!(
        "[package]
name = \"parcel-events\"
version = \"0.0.0\"
edition = \"2024\"
publish = false

[lib]
name = \"parcels\"

[[example]]
name = \"tour\"
test = true

[dependencies]
event-core = {{ path = {:?} }}

[workspace]
",
        root.join("event-core")
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir
}
