//! Agreement with a schema registry's JSON Schema compatibility test data,
//! kept outside the repository (`../shared/compat-suite/confluent/`, beside
//! the checkout). Skips when the data is absent. Each case is checked
//! backward, old = `original_schema`, new = `update_schema`.
//!
//! `cargo test --test compat_suite -- --nocapture` prints the agreement and
//! every case where the verdicts differ.

use std::path::PathBuf;

use event_core::compat::{Compatibility, check};
use serde_json::Value;

/// Cases where the checker disagrees on purpose: (file, description, why).
/// The README's "Published contracts" section lists them.
const DELIBERATE: &[(&str, &str, &str)] = &[];

fn suite() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/compat-suite/confluent");
    dir.is_dir().then_some(dir)
}

#[test]
fn agrees_with_the_registry_data() {
    let Some(dir) = suite() else {
        eprintln!("compat-suite data absent: skipped");
        return;
    };
    let mut total = 0;
    let mut agreed = 0;
    let mut unexpected = Vec::new();
    for file in [
        "diff-schema-examples.json",
        "diff-schema-examples-2020-12.json",
        "diff-combined-schema-examples.json",
        "diff-combined-schema-examples-2020-12.json",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
        for (i, case) in cases.iter().enumerate() {
            let expected = case["compatible"].as_bool().unwrap();
            let violations = check(
                &case["original_schema"],
                &case["update_schema"],
                Compatibility::Backward,
            );
            let description = case["description"].as_str().unwrap_or_default();
            total += 1;
            if violations.is_empty() == expected {
                agreed += 1;
                continue;
            }
            let deliberate = DELIBERATE
                .iter()
                .any(|(f, d, _)| *f == file && *d == description);
            println!(
                "{file} #{i} {description}: registry {expected}, checker {}{}",
                violations.is_empty(),
                if deliberate { " (deliberate)" } else { "" }
            );
            for v in &violations {
                println!("    {v}");
            }
            if !deliberate {
                unexpected.push(format!("{file} #{i} {description}"));
            }
        }
    }
    let share = f64::from(agreed) * 100.0 / f64::from(total);
    println!("agreement: {agreed}/{total} = {share:.1}%");
    assert!(share >= 97.0, "agreement {share:.1}% is below 97%");
    assert!(
        unexpected.is_empty(),
        "undocumented disagreements: {unexpected:#?}"
    );
}
