//! A new version that breaks backward compatibility fails the contract
//! check, with the rule and the place.

use event_core::compat::Rule;
use event_core::contracts::{ContractProblem, Contracts};
use event_core::prelude::*;

/// An invoice was issued.
#[integration_event(version = 1)]
pub struct InvoiceIssuedIntegrationEvent {
    pub invoice_id: String,
}

/// Version 2 requires a field that version 1 documents lack.
#[integration_event(version = 2)]
pub struct InvoiceIssuedIntegrationEventV2 {
    pub invoice_id: String,
    pub due_date: String,
}

/// The same change, declared as a deliberate break.
#[integration_event(version = 1)]
pub struct ReminderSentIntegrationEvent {
    pub invoice_id: String,
}

/// Breaks on purpose.
#[integration_event(version = 2, compat = "none")]
pub struct ReminderSentIntegrationEventV2 {
    pub invoice_id: String,
    pub channel: String,
}

#[test]
fn a_breaking_version_is_reported_and_compat_none_is_not() {
    let dir = std::env::temp_dir().join(format!("event-core-incompatible-{}", std::process::id()));
    let error = Contracts::of_crate("contracts_incompatible")
        .in_dir(&dir)
        .freeze(false)
        .check()
        .unwrap_err();
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
        ("invoice.issued.v1", "invoice.issued.v2")
    );
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].rule, Rule::RequiredPropertyAdded);
    assert_eq!(violations[0].new_pointer, "/properties/due_date");
    assert!(error.to_string().contains("compat = \"none\""));
}
