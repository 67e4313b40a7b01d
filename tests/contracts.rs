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
    assert_eq!(
        differences,
        &["changed `/properties/grams/format`: \"uint16\" -> \"uint32\""]
    );
    let message = error.to_string();
    assert!(
        message.contains("no longer matches its frozen contract"),
        "{message}"
    );
    // The edited file is left as it is: a frozen contract is never rewritten.
    assert!(std::fs::read_to_string(&file).unwrap().contains("uint16"));
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
    assert_eq!(violations[0].pointer, "/properties/printer");
    std::fs::remove_dir_all(&dir).unwrap();
}
