//! No compile-time message shows the expansion's internals: every expected
//! `.stderr` of the UI tests is read, and none may name the hidden module,
//! a generated identifier, a marker trait or a field key. A message that
//! still does is listed below with the internal it shows, until it is fixed;
//! an entry that no longer applies fails too, so the list stays exact.

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
];

/// Messages that still show an internal: the rustc note "required by a
/// bound in `..`" names the hidden function whose bound carries a mapping
/// check, and the first duplicate-type check is a generated type.
const KNOWN: &[(&str, &str)] = &[
    ("duplicate_type_in_one_module", "generated identifier"),
    ("duplicate_type_in_one_module", "IS_DECLARED_MORE_THAN_ONCE"),
    ("from_names_a_missing_field", "__private"),
    ("from_names_a_missing_field", "FlowsInto"),
    ("from_names_a_missing_field", "NotSecret"),
    ("from_names_a_missing_field", "NoSuchField"),
    ("from_names_a_missing_field", "Owner<"),
    ("mapped_field_without_source", "__private"),
    ("mapped_field_without_source", "FlowsInto"),
    ("mapped_field_without_source", "NotSecret"),
    ("mapped_field_without_source", "NoSuchField"),
    ("mapped_field_without_source", "Owner<"),
    ("mapped_from_a_field_that_is_not_pub", "__private"),
    ("mapped_from_a_field_that_is_not_pub", "FlowsInto"),
    ("mapped_from_a_field_that_is_not_pub", "NotSecret"),
    ("mapped_from_a_field_that_is_not_pub", "NoSuchField"),
    ("mapped_from_a_field_that_is_not_pub", "Owner<"),
    ("mapped_type_does_not_convert", "__private"),
    ("personal_field_not_declared", "__private"),
    ("personal_field_not_declared", "FlowsInto"),
    ("personal_field_not_declared", "NotSecret"),
    ("personal_field_not_declared", "Owner<"),
    ("secret_field_leaves_its_domain_event", "__private"),
    ("secret_field_leaves_its_domain_event", "FlowsInto"),
    ("secret_field_leaves_its_domain_event", "NotSecret"),
    ("secret_field_leaves_its_domain_event", "Owner<"),
    ("upcast_field_type_does_not_convert", "__private"),
    ("upcast_field_type_does_not_convert", "Present<"),
    ("upcast_field_type_does_not_convert", "Upcast<"),
    ("upcast_with_a_new_required_field", "__private"),
    ("upcast_with_a_new_required_field", "InOlderVersion"),
    ("upcast_with_a_new_required_field", "NoSuchField"),
];

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
