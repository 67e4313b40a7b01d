//! The expansions compile where the prelude's names are shadowed, under
//! strict lints (`cargo clippy --all-targets -- -D warnings` runs clippy's
//! pedantic group on this file), and inside function bodies.

#![deny(missing_docs, unused_qualifications, unused_results)]
#![warn(clippy::pedantic)]
#![allow(dead_code)]
//! Hygiene of the generated code.

/// A module that shadows the names generated code could be tempted to use
/// unqualified.
pub mod shadowed {
    #![allow(non_camel_case_types, unused_imports)]

    use event_core::prelude::*;

    /// Shadows `core::result::Result`.
    pub struct Result;
    /// Shadows `core::option::Option`.
    pub struct Option;
    /// Shadows `Result::Ok`.
    pub struct Ok;
    /// Shadows `String`.
    pub struct String;
    /// Shadows `Vec`.
    pub struct Vec;
    /// Shadows `Debug` and `Clone`.
    pub trait Debug {}
    /// Shadows `Clone`.
    pub trait Clone {}
    /// Shadows the `serde` crate.
    pub mod serde {}
    /// Shadows the `schemars` crate.
    pub mod schemars {}
    /// Shadows the `inventory` crate.
    pub mod inventory {}
    /// Shadows the `core` crate's name in paths that are not absolute.
    pub mod core {}

    /// A domain event declared among the shadows.
    #[domain_event]
    pub struct AccountOpened {
        /// The account.
        pub account_id: u64,
        /// A secret, so a hand-written `Debug` is generated.
        #[event(secret)]
        pub pin: u16,
        /// Personal data.
        #[event(pii)]
        pub holder: std::string::String,
    }

    /// An integration event declared among the shadows.
    #[integration_event(version = 1)]
    pub struct AccountOpenedIntegrationEvent {
        /// The account.
        pub account_id: u64,
    }

    /// A notification declared among the shadows.
    #[notification_event]
    pub struct AccountOpenedNotification {
        /// The account.
        pub account_id: u64,
    }
}

#[test]
fn shadowed_names_do_not_leak_into_expansions() {
    use event_core::Event;
    let event = shadowed::AccountOpened {
        account_id: 1,
        pin: 1234,
        holder: "Ada".into(),
    };
    assert_eq!(::core::clone::Clone::clone(&event), event);
    assert!(format!("{event:?}").contains("<redacted>"));
    assert_eq!(
        shadowed::AccountOpenedIntegrationEvent::FULL_TYPE,
        "account.opened.v1"
    );
    assert_eq!(
        shadowed::AccountOpenedNotification::FULL_TYPE,
        "account.opened.v1"
    );
}

#[test]
fn events_declared_in_a_function_body() {
    use event_core::prelude::*;

    /// Declared inside a function.
    #[domain_event]
    struct ReminderScheduled {
        at: u64,
    }

    assert_eq!(ReminderScheduled::FULL_TYPE, "reminder.scheduled.v1");
    assert_eq!(ReminderScheduled { at: 5 }.at, 5);
}
