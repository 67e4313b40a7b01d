//! No compile-time message shows the expansion's internals: every expected
//! `.stderr` of the UI tests is read, and none may name the hidden module,
//! a generated identifier, a marker trait or a field key.

use std::collections::BTreeSet;

/// Names of the expansion a user never wrote.
const INTERNAL_NAMES: &[&str] = &[
    "__private",
    "FlowsInto",
    "NotSecret",
    "NoSuchField",
    "FieldFound",
    "FieldMissing",
    "Owner<",
    "Probe<",
    "Present<",
    "Absent",
    "Upcast<",
    "UpcastPresent",
    "UpcastAbsent",
    "UpcastField",
    "Field<",
    "Name<",
    "DataClass",
    "InOlderVersion",
    "NotAnEvent",
    "IS_DECLARED_MORE_THAN_ONCE",
    "generic_domain_event_name",
    "Unreadable",
    "FieldTable",
    "NoTable",
    "SourceField",
    "check_source_field",
    "check_older_field",
    "check_first_of_type",
    "_event_type_",
    "no_earlier_event",
];

/// Messages that still show an internal, with the internal: none. An entry
/// that no longer applies fails the test, so the list stays exact.
const KNOWN: &[(&str, &str)] = &[];

/// What in `text` looks like an internal: a listed name, an identifier the
/// macros generate (`__` and a letter), or a long run of digits (a field
/// key or a hash).
fn internals(text: &str) -> BTreeSet<String> {
    let mut found: BTreeSet<String> = INTERNAL_NAMES
        .iter()
        .filter(|name| text.contains(*name))
        .map(|name| (*name).to_owned())
        .collect();
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    for i in 0..bytes.len() {
        let starts = i == 0 || !word(bytes[i - 1]);
        if starts
            && bytes[i..].starts_with(b"__")
            && bytes.get(i + 2).is_some_and(u8::is_ascii_alphabetic)
            && !bytes[i..].starts_with(b"__private")
        {
            found.insert("generated identifier".to_owned());
        }
        if starts && bytes[i].is_ascii_digit() {
            let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            if run >= 12 {
                found.insert("long number".to_owned());
            }
        }
    }
    found
}

#[test]
fn no_message_shows_the_expansion_internals() {
    let mut unexpected = Vec::new();
    let mut seen = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir("tests/ui")
        .expect("tests/ui")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "stderr"))
        .collect();
    files.sort();
    assert!(files.len() > 50, "the UI cases are found");
    for path in &files {
        let case = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let text = std::fs::read_to_string(path).expect("readable .stderr");
        for internal in internals(&text) {
            if KNOWN.contains(&(case, internal.as_str())) {
                seen.insert((case.to_owned(), internal));
            } else {
                unexpected.push(format!("{case}.stderr shows `{internal}`"));
            }
        }
    }
    let stale: Vec<_> = KNOWN
        .iter()
        .filter(|(case, internal)| !seen.contains(&((*case).to_owned(), (*internal).to_owned())))
        .map(|(case, internal)| {
            format!("{case}: `{internal}` is no longer shown; drop it from KNOWN")
        })
        .collect();
    assert!(
        unexpected.is_empty() && stale.is_empty(),
        "{}",
        unexpected
            .into_iter()
            .chain(stale)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_scan_finds_internals() {
    assert!(internals("the trait `event_core::__private::Owner<S>`").contains("__private"));
    assert!(internals("type `__DOMAIN_EVENT_TYPE_X`").contains("generated identifier"));
    assert!(internals("Name<134819963677969798645286174815965675520>").contains("long number"));
    assert!(internals("`version = 2`: `OrderPlaced` at 4:12").is_empty());
}
