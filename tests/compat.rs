//! The schema compatibility checker: each keyword family in each mode, both
//! verdicts, and the shapes Rust types take, generated from real
//! `#[integration_event]` structs.

use std::collections::HashMap;

use event_core::compat::{Compatibility, Rule, check, check_history};
use event_core::prelude::*;
use serde_json::{Value, json};

/// (backward holds, forward holds) for `old` -> `new`.
fn verdict(old: &Value, new: &Value) -> (bool, bool) {
    let backward = check(old, new, Compatibility::Backward).is_empty();
    let forward = check(old, new, Compatibility::Forward).is_empty();
    let full = check(old, new, Compatibility::Full).is_empty();
    assert_eq!(full, backward && forward, "full is both directions");
    assert!(check(old, new, Compatibility::None).is_empty());
    (backward, forward)
}

fn cases(table: &[(&str, Value, Value, (bool, bool))]) {
    for (name, old, new, expected) in table {
        assert_eq!(verdict(old, new), *expected, "{name}");
    }
}

#[test]
fn types_and_widening() {
    cases(&[
        (
            "string to integer",
            json!({"type": "string"}),
            json!({"type": "integer"}),
            (false, false),
        ),
        (
            "integer to number",
            json!({"type": "integer"}),
            json!({"type": "number"}),
            (true, false),
        ),
        (
            "type list grows",
            json!({"type": "string"}),
            json!({"type": ["string", "null"]}),
            (true, false),
        ),
        (
            "annotations only",
            json!({"type": "string", "title": "a", "description": "b", "$comment": "c", "examples": ["x"], "x-owner": "team"}),
            json!({"type": "string", "title": "z", "description": "y"}),
            (true, true),
        ),
        (
            "anything becomes typed",
            json!({}),
            json!({"type": "string"}),
            (false, true),
        ),
        (
            "false schema",
            json!(false),
            json!({"type": "string"}),
            (true, false),
        ),
    ]);
}

#[test]
fn integer_widths_and_ranges() {
    let int = |format: &str| json!({"type": "integer", "format": format});
    cases(&[
        ("u64 to u32", int("uint64"), int("uint32"), (false, true)),
        ("u32 to u64", int("uint32"), int("uint64"), (true, false)),
        ("i32 to i64", int("int32"), int("int64"), (true, false)),
        ("u32 to i32", int("uint32"), int("int32"), (false, false)),
        (
            "minimum raised",
            json!({"type": "number", "minimum": 0}),
            json!({"type": "number", "minimum": 1}),
            (false, true),
        ),
        (
            "maximum removed",
            json!({"type": "number", "maximum": 9}),
            json!({"type": "number"}),
            (true, false),
        ),
        (
            "exclusive on integers",
            json!({"type": "integer", "exclusiveMinimum": 4}),
            json!({"type": "integer", "minimum": 5}),
            (true, true),
        ),
        (
            "multipleOf divisor",
            json!({"type": "number", "multipleOf": 10}),
            json!({"type": "number", "multipleOf": 5}),
            (true, false),
        ),
        (
            "multipleOf changed",
            json!({"type": "number", "multipleOf": 10}),
            json!({"type": "number", "multipleOf": 3}),
            (false, false),
        ),
    ]);
}

#[test]
fn strings_enums_and_consts() {
    cases(&[
        (
            "maxLength lowered",
            json!({"type": "string", "maxLength": 9}),
            json!({"type": "string", "maxLength": 5}),
            (false, true),
        ),
        (
            "pattern added",
            json!({"type": "string"}),
            json!({"type": "string", "pattern": "^a"}),
            (false, true),
        ),
        (
            "format is an annotation",
            json!({"type": "string"}),
            json!({"type": "string", "format": "uuid"}),
            (true, true),
        ),
        (
            "enum grows",
            json!({"enum": ["a", "b"]}),
            json!({"enum": ["a", "b", "c"]}),
            (true, false),
        ),
        (
            "const changed",
            json!({"const": "a"}),
            json!({"const": "b"}),
            (false, false),
        ),
        (
            "enum within a pattern",
            json!({"enum": ["ab", "ac"]}),
            json!({"type": "string", "pattern": "^a"}),
            (true, false),
        ),
    ]);
}

#[test]
fn objects_open_and_closed() {
    let open = |props: Value, required: &[&str]| json!({"type": "object", "properties": props, "required": required});
    let closed = |props: Value| json!({"type": "object", "properties": props, "additionalProperties": false});
    cases(&[
        (
            "new required property",
            open(json!({"a": {}}), &[]),
            open(json!({"a": {}, "b": {"type": "string"}}), &["b"]),
            (false, true),
        ),
        (
            "typed property added to an open model",
            open(json!({}), &[]),
            open(json!({"b": {"type": "string"}}), &[]),
            (false, true),
        ),
        (
            "optional property added to a closed model",
            closed(json!({})),
            closed(json!({"b": {"type": "string"}})),
            (true, false),
        ),
        (
            "property removed from a closed model",
            closed(json!({"a": {"type": "string"}})),
            closed(json!({})),
            (false, true),
        ),
        (
            "map value retyped",
            json!({"type": "object", "additionalProperties": {"type": "integer"}}),
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
            (false, false),
        ),
        (
            "pattern properties narrowed",
            json!({"type": "object", "patternProperties": {"^x": {"type": "number"}}, "additionalProperties": false}),
            json!({"type": "object", "patternProperties": {"^x": {"type": "integer"}}, "additionalProperties": false}),
            (false, true),
        ),
        (
            "dependentRequired added",
            json!({"type": "object"}),
            json!({"type": "object", "dependentRequired": {"a": ["b"]}}),
            (false, true),
        ),
        (
            "propertyNames added",
            json!({"type": "object"}),
            json!({"type": "object", "propertyNames": {"maxLength": 3}}),
            (false, true),
        ),
        (
            "minProperties raised",
            json!({"type": "object"}),
            json!({"type": "object", "minProperties": 1}),
            (false, true),
        ),
    ]);
}

#[test]
fn arrays_and_tuples() {
    cases(&[
        (
            "items retyped",
            json!({"type": "array", "items": {"type": "string"}}),
            json!({"type": "array", "items": {"type": "integer"}}),
            (false, false),
        ),
        (
            "tuple member retyped",
            json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false}),
            json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}], "items": false}),
            (false, false),
        ),
        (
            "tuple grows into a closed model",
            json!({"type": "array", "prefixItems": [{"type": "string"}], "items": false}),
            json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "string"}], "items": false}),
            (true, false),
        ),
        (
            "uniqueItems added",
            json!({"type": "array"}),
            json!({"type": "array", "uniqueItems": true}),
            (false, true),
        ),
        (
            "contains added",
            json!({"type": "array"}),
            json!({"type": "array", "contains": {"type": "string"}}),
            (false, true),
        ),
        (
            "maxItems lowered",
            json!({"type": "array", "maxItems": 4}),
            json!({"type": "array", "maxItems": 2}),
            (false, true),
        ),
    ]);
}

#[test]
fn combinators_and_references() {
    let s = json!({"type": "string"});
    let i = json!({"type": "integer"});
    cases(&[
        (
            "oneOf grows",
            json!({"oneOf": [s, i]}),
            json!({"oneOf": [s, i, {"type": "null"}]}),
            (true, false),
        ),
        (
            "anyOf shrinks",
            json!({"anyOf": [s, i]}),
            json!({"anyOf": [s]}),
            (false, true),
        ),
        (
            "allOf gains a member",
            json!({"allOf": [s]}),
            json!({"allOf": [s, {"maxLength": 3}]}),
            (false, true),
        ),
        (
            "not narrows",
            json!({"not": {"type": ["string", "integer"]}}),
            json!({"not": {"type": "string"}}),
            (true, false),
        ),
        (
            "if/then added",
            json!({"type": "object"}),
            json!({"type": "object", "if": {"required": ["a"]}, "then": {"required": ["b"]}}),
            (false, true),
        ),
        (
            "escaped and encoded refs",
            json!({"$defs": {"a/b c": {"type": "string"}}, "$ref": "#/$defs/a~1b%20c"}),
            json!({"type": "string"}),
            (true, true),
        ),
        (
            "anchors",
            json!({"$defs": {"x": {"$anchor": "money", "type": "integer"}}, "$ref": "#money"}),
            json!({"type": "string"}),
            (false, false),
        ),
    ]);
    let dangling = check(
        &json!({}),
        &json!({"$ref": "#/$defs/gone"}),
        Compatibility::Backward,
    );
    assert_eq!(dangling[0].rule, Rule::UnresolvedReference);
    let dynamic = check(
        &json!({}),
        &json!({"$dynamicRef": "#node"}),
        Compatibility::Backward,
    );
    assert!(
        dynamic
            .iter()
            .any(|v| v.rule == Rule::UnsupportedKeyword || v.rule == Rule::Constrained)
    );
}

#[test]
fn a_deep_violation_is_reported_once_with_both_pointers_and_a_sentence() {
    let address = |required: &[&str]| json!({"type": "object", "properties": {"zip": {"type": "string"}}, "required": required});
    let schema = |a: Value| {
        json!({
            "type": "object",
            "x-event-kind": "integration",
            "properties": {"address": {"$ref": "#/$defs/Address"}, "billing": {"$ref": "#/$defs/Address"}},
            "$defs": {"Address": a}
        })
    };
    let violations = check(
        &schema(address(&[])),
        &schema(address(&["zip"])),
        Compatibility::Backward,
    );
    assert_eq!(violations.len(), 1, "{violations:#?}");
    let v = &violations[0];
    assert_eq!(v.rule, Rule::RequiredPropertyAdded);
    assert_eq!(v.path, "address.zip");
    assert_eq!(v.new_pointer, "/$defs/Address/properties/zip");
    assert_eq!(v.old_pointer, "/$defs/Address/properties/zip");
    assert_eq!(
        v.message,
        "field `address.zip` is required in the new schema, and documents written with the old schema may lack it"
    );
}

#[test]
fn transitive_modes_check_every_earlier_version() {
    let v1 = json!({"type": "integer", "format": "uint8"});
    let v2 = json!({"type": "integer", "format": "uint16"});
    let v3 = json!({"type": "integer", "format": "uint8"});
    let history = [v1, v2, v3];
    assert_eq!(check_history(&history, Compatibility::Backward).len(), 1);
    assert_eq!(
        check_history(&history, Compatibility::BackwardTransitive).len(),
        1
    );
    assert!(check_history(&history, Compatibility::ForwardTransitive).is_empty());
    assert_eq!(
        Compatibility::parse("full-transitive"),
        Some(Compatibility::FullTransitive)
    );
}

// The shapes Rust types take, from real structs.

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
pub struct Address {
    pub street: String,
}

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
pub struct AddressV2 {
    pub street: String,
    pub zip: String,
}

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
pub enum Delivery {
    Pickup,
    Courier { minutes: u32 },
}

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
pub enum DeliveryV2 {
    Pickup,
    Courier { minutes: String },
}

/// Version 1 of every shape.
#[integration_event(version = 1)]
pub struct ParcelBookedIntegrationEvent {
    pub parcel_id: String,
    pub weight: u64,
    pub address: Option<Address>,
    pub delivery: Delivery,
    pub labels: HashMap<String, u32>,
    pub size: (u32, u32),
}

macro_rules! variant {
    ($name:ident { $($field:ident : $ty:ty),* }) => {
        /// A version 2 with one change.
        #[integration_event(version = 2)]
        pub struct $name { pub parcel_id: String, $(pub $field: $ty),* }
    };
}

variant!(ParcelBookedNarrowedIntegrationEvent { weight: u32, address: Option<Address>, delivery: Delivery, labels: HashMap<String, u32>, size: (u32, u32) });
variant!(ParcelBookedWidenedIntegrationEvent { weight: u128, address: Option<Address>, delivery: Delivery, labels: HashMap<String, u32>, size: (u32, u32) });
variant!(ParcelBookedAddressIntegrationEvent { weight: u64, address: Option<AddressV2>, delivery: Delivery, labels: HashMap<String, u32>, size: (u32, u32) });
variant!(ParcelBookedVariantIntegrationEvent { weight: u64, address: Option<Address>, delivery: DeliveryV2, labels: HashMap<String, u32>, size: (u32, u32) });
variant!(ParcelBookedMapIntegrationEvent { weight: u64, address: Option<Address>, delivery: Delivery, labels: HashMap<String, String>, size: (u32, u32) });
variant!(ParcelBookedTupleIntegrationEvent { weight: u64, address: Option<Address>, delivery: Delivery, labels: HashMap<String, u32>, size: (u32, String) });
variant!(ParcelBookedOptionalIntegrationEvent { weight: u64, address: Option<Address>, delivery: Delivery, labels: HashMap<String, u32>, size: (u32, u32), note: Option<String> });

fn first_rule_path<E: Event>(mode: Compatibility) -> Vec<(Rule, String)> {
    check(&ParcelBookedIntegrationEvent::schema(), &E::schema(), mode)
        .into_iter()
        .map(|v| (v.rule, v.path))
        .collect()
}

#[test]
fn rust_shapes_that_break() {
    use Compatibility::Backward;
    let narrowed = first_rule_path::<ParcelBookedNarrowedIntegrationEvent>(Backward);
    assert_eq!(narrowed, [(Rule::RangeNarrowed, "weight".to_owned())]);
    let address = first_rule_path::<ParcelBookedAddressIntegrationEvent>(Backward);
    assert_eq!(
        address,
        [(Rule::RequiredPropertyAdded, "address.zip".to_owned())]
    );
    let variant = first_rule_path::<ParcelBookedVariantIntegrationEvent>(Backward);
    assert!(
        !variant.is_empty() && variant.iter().all(|(_, p)| p.starts_with("delivery")),
        "{variant:?}"
    );
    let map = first_rule_path::<ParcelBookedMapIntegrationEvent>(Backward);
    assert_eq!(map, [(Rule::TypeNarrowed, "labels.*".to_owned())]);
    let tuple = first_rule_path::<ParcelBookedTupleIntegrationEvent>(Backward);
    assert_eq!(tuple, [(Rule::TypeNarrowed, "size[1]".to_owned())]);
}

#[test]
fn rust_shapes_that_are_compatible() {
    assert!(
        first_rule_path::<ParcelBookedWidenedIntegrationEvent>(Compatibility::Backward).is_empty()
    );
    assert!(
        !first_rule_path::<ParcelBookedWidenedIntegrationEvent>(Compatibility::Forward).is_empty()
    );
    assert!(
        first_rule_path::<ParcelBookedOptionalIntegrationEvent>(Compatibility::Full).is_empty()
    );
}

#[test]
fn recursive_types_terminate() {
    let tree = json!({
        "type": "object",
        "properties": {"a": {"type": "array", "items": {"$ref": "#"}}, "b": {"type": "array", "items": {"$ref": "#"}},
                       "c": {"type": "array", "items": {"$ref": "#"}}, "n": {"type": "integer", "format": "uint64"}}
    });
    let mut narrowed = tree.clone();
    narrowed["properties"]["n"]["format"] = json!("uint32");
    let violations = check(&tree, &narrowed, Compatibility::Backward);
    assert_eq!(violations.len(), 1, "{violations:#?}");
}

#[test]
fn the_order_of_required_enum_and_type_lists_is_no_change() {
    use event_core::compat::same_but_annotations;
    let frozen = json!({
        "type": "object",
        "properties": {
            "a": { "type": "string" },
            "b": { "type": ["integer", "null"] },
            "c": { "enum": ["x", "y"] }
        },
        "required": ["a", "b"]
    });
    let reordered = json!({
        "type": "object",
        "properties": {
            "c": { "enum": ["y", "x"] },
            "b": { "type": ["null", "integer"] },
            "a": { "type": "string" }
        },
        "required": ["b", "a"]
    });
    assert!(same_but_annotations(&frozen, &reordered));
    let one_less = json!({
        "type": "object",
        "properties": frozen["properties"].clone(),
        "required": ["b"]
    });
    assert!(!same_but_annotations(&frozen, &one_less));
}
