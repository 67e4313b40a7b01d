//! A transitive compatibility mode compares a version with every earlier
//! one, not only the one before it: version 3 below reads version 2's
//! documents, but not version 1's.

use event_core::contracts::{ContractProblem, Contracts};
use event_core::prelude::*;

/// A parcel was noted, with a free-text note.
#[integration_event(version = 1, contracts = "transitive")]
pub struct ParcelNotedIntegrationEvent {
    pub parcel_id: String,
    pub note: Option<String>,
}

/// Version 2 drops the note.
#[integration_event(version = 2, contracts = "transitive")]
pub struct ParcelNotedIntegrationEventV2 {
    pub parcel_id: String,
}

/// Version 3 brings the note back as a number: fine after version 2, whose
/// documents have no note, but version 1's notes are text.
#[integration_event(version = 3, contracts = "transitive", compat = "backward-transitive")]
pub struct ParcelNotedIntegrationEventV3 {
    pub parcel_id: String,
    pub note: Option<u64>,
}

/// Version 3 again, under another type name, checked only against the
/// version before it.
#[integration_event(version = 1, contracts = "transitive", name = "parcel.remarked")]
pub struct ParcelRemarkedIntegrationEvent {
    pub parcel_id: String,
    pub note: Option<String>,
}

/// Version 2 of `parcel.remarked` drops the note.
#[integration_event(version = 2, contracts = "transitive", name = "parcel.remarked")]
pub struct ParcelRemarkedIntegrationEventV2 {
    pub parcel_id: String,
}

/// Version 3 of `parcel.remarked`, plain backward.
#[integration_event(version = 3, contracts = "transitive", name = "parcel.remarked")]
pub struct ParcelRemarkedIntegrationEventV3 {
    pub parcel_id: String,
    pub note: Option<u64>,
}

#[test]
fn a_transitive_mode_compares_with_every_earlier_version() {
    let error = Contracts::of_crate(env!("CARGO_CRATE_NAME"))
        .freeze(false)
        .check()
        .unwrap_err();
    let incompatible: Vec<(&str, &str)> = error
        .problems
        .iter()
        .filter_map(|problem| match problem {
            ContractProblem::Incompatible { older, newer, .. } => {
                Some((older.as_str(), newer.as_str()))
            }
            _ => None,
        })
        .collect();
    // Only the transitive version is compared with version 1, and it breaks
    // there; the plain backward one passes against version 2.
    assert_eq!(incompatible, [("parcel.noted.v1", "parcel.noted.v3")]);
    let message = error.to_string();
    assert!(message.contains("note"), "{message}");
}
