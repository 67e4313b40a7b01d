//! The contract check: freezing drafts, catching drift, comparing versions.
//! Snapshots go to a temporary folder here, not to the crate's `contracts/`.

use std::path::PathBuf;

use event_core::contracts::{ContractProblem, Contracts};
use event_core::prelude::*;

/// A parcel was weighed.
#[integration_event(version = 1)]
pub struct ParcelWeighedIntegrationEvent {
    pub parcel_id: String,
    pub grams: u32,
}

/// Version 2 adds an optional field: backward compatible.
#[integration_event(version = 2)]
pub struct ParcelWeighedIntegrationEventV2 {
    pub parcel_id: String,
    pub grams: u32,
    pub scale_id: Option<String>,
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("event-core-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn check(dir: &PathBuf, freeze: bool) -> Contracts {
    Contracts::of_crate("contracts").in_dir(dir).freeze(freeze)
}

#[test]
fn drafts_are_frozen_once_then_checked() {
    let dir = temp_dir("freeze");
    let report = check(&dir, false).check().unwrap();
    assert_eq!(
        report.drafts,
        ["label.printed.v2", "parcel.weighed.v1", "parcel.weighed.v2"]
    );
    assert!(!dir.exists(), "nothing is written without freeze");

    let report = check(&dir, true).check().unwrap();
    assert_eq!(
        report.written,
        ["label.printed.v2", "parcel.weighed.v1", "parcel.weighed.v2"]
    );
    let snapshot = std::fs::read_to_string(dir.join("parcel.weighed.v2.json")).unwrap();
    assert!(
        snapshot.contains("\"x-rust-type\": \"Option<String>\""),
        "{snapshot}"
    );
    assert!(snapshot.ends_with("}\n"));

    // Frozen now: checked, and not written again.
    let report = check(&dir, true).check().unwrap();
    assert_eq!(
        report.frozen,
        ["label.printed.v2", "parcel.weighed.v1", "parcel.weighed.v2"]
    );
    assert!(report.written.is_empty());
    assert_eq!(
        report.compared,
        [(
            "parcel.weighed.v1".to_owned(),
            "parcel.weighed.v2".to_owned()
        )]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_edited_snapshot_is_reported_with_its_differences() {
    let dir = temp_dir("drift");
    check(&dir, true).check().unwrap();
    let file = dir.join("parcel.weighed.v1.json");
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"uint32\"", "\"uint16\"");
    std::fs::write(&file, edited).unwrap();

    let error = check(&dir, true).check().unwrap_err();
    let [
        ContractProblem::Drift {
            full_type,
            differences,
            ..
        },
    ] = error.problems.as_slice()
    else {
        panic!("expected one drift: {error}");
    };
    assert_eq!(full_type, "parcel.weighed.v1");
    // The struct writes `u32` where the snapshot promised readers `u16`.
    assert_eq!(differences.len(), 1, "{differences:?}");
    assert!(
        differences[0].starts_with("range narrowed (forward) at old `#/properties/grams`"),
        "{differences:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("no longer matches its frozen contract"),
        "{message}"
    );
    // The edited file is left as it is: a breaking change is never frozen.
    assert!(std::fs::read_to_string(&file).unwrap().contains("uint16"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn annotations_never_fail_and_a_compatible_change_refreshes_the_snapshot() {
    let dir = temp_dir("refresh");
    check(&dir, true).check().unwrap();
    let file = dir.join("parcel.weighed.v1.json");
    let original = std::fs::read_to_string(&file).unwrap();

    // A reworded description and title: nothing to do.
    let annotated = original.replace(
        "\"title\": \"ParcelWeighedIntegrationEvent\"",
        "\"title\": \"Parcel weighed\", \"description\": \"typo fixed\"",
    );
    assert_ne!(annotated, original);
    std::fs::write(&file, &annotated).unwrap();
    check(&dir, false).check().unwrap();

    // The snapshot has an optional field the struct dropped: compatible
    // both ways, so the version may take the change once its snapshot is
    // refreshed with the documented command.
    let mut schema: serde_json::Value = serde_json::from_str(&original).unwrap();
    schema["properties"]["scale"] =
        serde_json::json!({ "type": ["string", "null"], "x-rust-type": "Option<String>" });
    std::fs::write(&file, serde_json::to_string_pretty(&schema).unwrap()).unwrap();
    let error = check(&dir, false).check().unwrap_err();
    assert!(
        matches!(error.problems.as_slice(), [ContractProblem::Stale { .. }]),
        "{error}"
    );
    assert!(
        error.to_string().contains("EVENT_CONTRACTS=freeze"),
        "{error}"
    );
    let report = check(&dir, true).check().unwrap();
    assert_eq!(report.refreshed, ["parcel.weighed.v1"]);
    check(&dir, false).check().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_personal_mark_added_to_a_frozen_field_asks_for_a_refresh() {
    let dir = temp_dir("pii-added");
    check(&dir, true).check().unwrap();
    let file = dir.join("parcel.weighed.v1.json");
    // The snapshot as published before `parcel_id` was marked: the struct
    // now marks it (simulated by marking the snapshot's field and checking
    // that the difference counts, both ways).
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    schema["properties"]["parcel_id"]["x-pii"] = serde_json::Value::Bool(true);
    std::fs::write(&file, serde_json::to_string_pretty(&schema).unwrap()).unwrap();
    let error = check(&dir, false).check().unwrap_err();
    let [ContractProblem::Stale { differences, .. }] = error.problems.as_slice() else {
        panic!("expected the snapshot to be stale: {error}");
    };
    assert!(
        differences.iter().any(|d| d.contains("x-pii")),
        "{differences:?}"
    );
    let report = check(&dir, true).check().unwrap();
    assert_eq!(report.refreshed, ["parcel.weighed.v1"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Only version 2 is declared; version 1 lives on as a snapshot.
#[integration_event(version = 2)]
pub struct LabelPrintedIntegrationEventV2 {
    pub label_id: String,
    pub printer: String,
}

#[test]
fn a_version_no_longer_declared_is_compared_through_its_snapshot() {
    let dir = temp_dir("sibling");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("label.printed.v1.json"),
        r#"{"type":"object","properties":{"label_id":{"type":"string"}},"required":["label_id"]}"#,
    )
    .unwrap();
    let error = check(&dir, false).check().unwrap_err();
    let [
        ContractProblem::Incompatible {
            older,
            newer,
            violations,
        },
    ] = error.problems.as_slice()
    else {
        panic!("expected one incompatibility: {error}");
    };
    assert_eq!(
        (older.as_str(), newer.as_str()),
        ("label.printed.v1", "label.printed.v2")
    );
    assert_eq!(violations[0].new_pointer, "/properties/printer");
    std::fs::remove_dir_all(&dir).unwrap();
}
