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

    /// An integration event declared among the shadows, mapped from the
    /// domain event with every kind of field source.
    #[integration_event(version = 1, maps_from = AccountOpened)]
    pub struct AccountOpenedIntegrationEvent {
        /// The account, converted from `u64`.
        pub account_id: u128,
        /// Personal data, declared.
        #[event(pii, from = holder)]
        pub holder_name: std::string::String,
        /// From the enrichment step.
        #[event(context)]
        pub branch: std::string::String,
        /// Computed.
        #[event(with = is_joint)]
        pub joint: bool,
        /// Defaulted.
        #[event(default = 3u8)]
        pub tier: u8,
    }

    fn is_joint(_: &AccountOpened) -> bool {
        false
    }

    /// Version 2 of the integration event, upcast from version 1.
    #[integration_event(version = 2, upcast_from = AccountOpenedIntegrationEvent)]
    pub struct AccountOpenedIntegrationEventV2 {
        /// Carried over.
        pub account_id: u128,
        /// Carried over, personal.
        #[event(pii)]
        pub holder_name: std::string::String,
        /// New and optional.
        pub overdraft_cents: ::core::option::Option<u64>,
    }

    /// A notification declared among the shadows, with no context.
    #[notification_event(maps_from = AccountOpenedIntegrationEvent)]
    pub struct AccountOpenedNotification {
        /// The account.
        pub account_id: u128,
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
    let public = <shadowed::AccountOpenedIntegrationEvent as event_core::MapsFrom<_>>::map_from(
        &event,
        shadowed::AccountOpenedIntegrationEventContext {
            branch: "Leeds".into(),
        },
    );
    assert_eq!(public.account_id, 1);
    assert_eq!(public.tier, 3);
    let v2 = shadowed::AccountOpenedIntegrationEventV2::from(public.clone());
    assert_eq!(v2.overdraft_cents, None);
    assert_eq!(v2.account_id, 1);
    let note = shadowed::AccountOpenedNotification::from(&public);
    assert_eq!(note.account_id, 1);
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

/// A private field of a private type: the event still compiles.
pub mod private_types {
    use event_core::prelude::*;

    #[derive(
        Debug,
        Clone,
        PartialEq,
        event_core::__private::serde::Serialize,
        event_core::__private::serde::Deserialize,
        event_core::__private::schemars::JsonSchema,
    )]
    #[serde(crate = "event_core::__private::serde")]
    #[schemars(crate = "event_core::__private::schemars")]
    enum Status {
        Open,
    }

    /// An order was opened.
    #[domain_event]
    pub struct OrderOpened {
        /// The order.
        pub order_id: u64,
        status: Status,
    }

    #[test]
    fn private_fields_of_private_types_compile() {
        let event = OrderOpened {
            order_id: 1,
            status: Status::Open,
        };
        assert_eq!(event.status, Status::Open);
    }
}

/// A crate's own types named like the standard library's single-threaded
/// ones (`Cell`, `Rc`) are fields like any other.
pub mod own_cells {
    use event_core::prelude::*;

    /// A spreadsheet cell.
    #[derive(
        Debug,
        Clone,
        PartialEq,
        event_core::serde::Serialize,
        event_core::serde::Deserialize,
        event_core::schemars::JsonSchema,
    )]
    #[serde(crate = "event_core::serde")]
    #[schemars(crate = "event_core::schemars")]
    pub struct Cell {
        /// Its column and row.
        pub at: (u32, u32),
    }

    /// A reference to a cell, generic like `std::rc::Rc`.
    pub mod sheet {
        /// A cell of a sheet.
        #[derive(
            Debug,
            Clone,
            PartialEq,
            event_core::serde::Serialize,
            event_core::serde::Deserialize,
            event_core::schemars::JsonSchema,
        )]
        #[serde(crate = "event_core::serde")]
        #[schemars(crate = "event_core::schemars")]
        pub struct Rc<T> {
            /// What it holds.
            pub value: T,
        }
    }

    /// A cell was edited.
    #[domain_event]
    pub struct CellValueEntered {
        /// The cell.
        pub cell: Cell,
        /// The cell as the sheet holds it.
        pub held: sheet::Rc<u32>,
    }

    #[test]
    fn own_types_named_cell_and_rc_are_fields() {
        let event = CellValueEntered {
            cell: Cell { at: (1, 2) },
            held: sheet::Rc { value: 3 },
        };
        assert_eq!(event.clone(), event);
        assert_eq!(event.held.value, 3);
    }
}

/// serde's own name for the struct, in the struct's style, is left to serde.
pub mod serde_struct_name {
    use event_core::prelude::*;

    /// An order was placed.
    #[domain_event]
    #[serde(rename = "OrderPlacedV1", deny_unknown_fields)]
    pub struct OrderPlaced {
        /// The order.
        pub order_id: u64,
    }

    #[test]
    fn a_serde_rename_in_the_structs_style_keeps_the_type_name() {
        assert_eq!(OrderPlaced::TYPE_NAME, "order.placed");
    }
}

/// Events declared by a `macro_rules!` whose field names come from its
/// caller: the generated mapping and upcast read them.
pub mod declared_by_a_macro {
    use event_core::prelude::*;

    /// A book was returned.
    #[domain_event]
    pub struct BookReturned {
        /// The book.
        pub book_id: String,
        /// Days late.
        pub days_late: u32,
    }

    macro_rules! public_event {
        ($name:ident $(maps_from $source:ident)? { $($field:ident : $ty:ty),* }) => {
            /// Declared by `public_event!`.
            #[integration_event(version = 1 $(, maps_from = $source)?)]
            pub struct $name {
                $(
                    /// A field.
                    pub $field: $ty,
                )*
            }
        };
    }

    macro_rules! next_version {
        ($name:ident upcast_from $older:ident { $($field:ident : $ty:ty),* }) => {
            /// Version 2, declared by `next_version!`.
            #[integration_event(version = 2, upcast_from = $older)]
            pub struct $name {
                $(
                    /// A field.
                    pub $field: $ty,
                )*
            }
        };
    }

    public_event!(BookReturnedIntegrationEvent maps_from BookReturned { book_id: String, days_late: u32 });
    next_version!(BookReturnedIntegrationEventV2 upcast_from BookReturnedIntegrationEvent { book_id: String, days_late: u64 });

    #[test]
    fn a_macro_declares_a_mapping_and_an_upcast() {
        let returned = BookReturned {
            book_id: "b-1".into(),
            days_late: 2,
        };
        let v1 = BookReturnedIntegrationEvent::from(&returned);
        let v2 = BookReturnedIntegrationEventV2::from(v1);
        assert_eq!((v2.book_id.as_str(), v2.days_late), ("b-1", 2));
    }
}

/// A spreadsheet's own generic `Cell<T>`, written bare, is a field like any
/// other (the standard library's `Cell` is refused only by its path).
#[allow(unused_qualifications)]
pub mod spreadsheet {
    use event_core::prelude::*;

    /// A cell of a sheet.
    #[derive(
        Debug,
        Clone,
        PartialEq,
        event_core::serde::Serialize,
        event_core::serde::Deserialize,
        event_core::schemars::JsonSchema,
    )]
    #[serde(crate = "event_core::serde")]
    #[schemars(crate = "event_core::schemars")]
    pub struct Cell<T> {
        /// Its row.
        pub row: u32,
        /// What it holds.
        pub value: T,
    }

    /// A cell was filled; serde names the struct `fill` for its own use.
    #[domain_event]
    #[serde(rename = "fill")]
    pub struct SpreadsheetCellFilled {
        /// The cell.
        pub cell: Cell<String>,
    }

    /// A crate's own prelude that re-exports event-core whole.
    pub mod sdk {
        /// Everything of event-core.
        pub mod prelude {
            pub use event_core::*;
        }
    }

    /// A sheet was shared, declared through the crate's own prelude.
    #[domain_event(crate = crate::spreadsheet::sdk::prelude)]
    pub struct SheetShared {
        /// The sheet.
        pub sheet_id: String,
    }

    #[test]
    fn own_cells_serde_names_and_preludes_are_left_to_the_user() {
        let edited = SpreadsheetCellFilled {
            cell: Cell {
                row: 1,
                value: "x".into(),
            },
        };
        assert_eq!(edited.cell.value, "x");
        assert_eq!(SheetShared::TYPE_NAME, "sheet.shared");
    }
}
