//! The schema compatibility checker, rule by rule, in both directions.

use event_core::compat::{Compatibility, Rule, check};
use serde_json::{Value, json};

fn object(properties: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": properties, "required": required })
}

fn rules(old: &Value, new: &Value, mode: Compatibility) -> Vec<(Rule, String)> {
    check(old, new, mode)
        .into_iter()
        .map(|v| (v.rule, v.pointer))
        .collect()
}

fn id() -> Value {
    json!({ "type": "string" })
}

#[test]
fn adding_a_required_property_breaks_backward_but_not_forward() {
    let old = object(json!({ "id": id() }), &["id"]);
    let new = object(
        json!({ "id": id(), "price": { "type": "integer" } }),
        &["id", "price"],
    );
    assert_eq!(
        rules(&old, &new, Compatibility::Backward),
        [(Rule::RequiredPropertyAdded, "/properties/price".to_owned())]
    );
    assert!(rules(&old, &new, Compatibility::Forward).is_empty());
    assert_eq!(rules(&old, &new, Compatibility::Full).len(), 1);
    assert!(rules(&old, &new, Compatibility::None).is_empty());
}

#[test]
fn a_required_property_with_a_default_is_allowed() {
    let old = object(json!({ "id": id() }), &["id"]);
    let new = object(
        json!({ "id": id(), "currency": { "type": "string", "default": "EUR" } }),
        &["id", "currency"],
    );
    assert!(rules(&old, &new, Compatibility::Backward).is_empty());
}

#[test]
fn adding_an_optional_property_is_allowed_both_ways() {
    let old = object(json!({ "id": id() }), &["id"]);
    let new = object(
        json!({ "id": id(), "note": { "type": ["string", "null"] } }),
        &["id"],
    );
    assert!(rules(&old, &new, Compatibility::Full).is_empty());
}

#[test]
fn removing_a_property_breaks_only_a_closed_model() {
    let mut old = object(json!({ "id": id(), "note": id() }), &["id"]);
    let mut new = object(json!({ "id": id() }), &["id"]);
    // Open models: old documents with `note` still read.
    assert!(rules(&old, &new, Compatibility::Backward).is_empty());
    old["additionalProperties"] = json!(false);
    new["additionalProperties"] = json!(false);
    assert_eq!(
        rules(&old, &new, Compatibility::Backward),
        [(
            Rule::PropertyRemovedFromClosedModel,
            "/properties/note".to_owned()
        )]
    );
    // The other way round, adding a property to a closed model breaks
    // forward: old readers reject it.
    assert_eq!(
        rules(&new, &old, Compatibility::Forward),
        [(
            Rule::PropertyRemovedFromClosedModel,
            "/properties/note".to_owned()
        )]
    );
}

#[test]
fn closing_an_open_model_breaks_backward_and_opening_one_does_not() {
    let open = object(json!({ "id": id() }), &["id"]);
    let mut closed = open.clone();
    closed["additionalProperties"] = json!(false);
    assert_eq!(
        rules(&open, &closed, Compatibility::Backward),
        [(Rule::ModelClosed, "/".to_owned())]
    );
    assert!(rules(&closed, &open, Compatibility::Backward).is_empty());
    assert_eq!(
        rules(&closed, &open, Compatibility::Forward),
        [(Rule::ModelClosed, "/".to_owned())]
    );
}

#[test]
fn narrowing_or_changing_a_type_breaks_and_widening_does_not() {
    let number = object(json!({ "price": { "type": "number" } }), &["price"]);
    let integer = object(json!({ "price": { "type": "integer" } }), &["price"]);
    let text = object(json!({ "price": { "type": "string" } }), &["price"]);
    assert_eq!(
        rules(&number, &integer, Compatibility::Backward),
        [(Rule::TypeNarrowed, "/properties/price".to_owned())]
    );
    assert!(rules(&integer, &number, Compatibility::Backward).is_empty());
    assert_eq!(
        rules(&integer, &number, Compatibility::Forward),
        [(Rule::TypeNarrowed, "/properties/price".to_owned())]
    );
    assert_eq!(rules(&integer, &text, Compatibility::Full).len(), 2);
    // Making a field nullable widens it.
    let nullable = object(
        json!({ "price": { "type": ["integer", "null"] } }),
        &["price"],
    );
    assert!(rules(&integer, &nullable, Compatibility::Backward).is_empty());
    assert_eq!(rules(&nullable, &integer, Compatibility::Backward).len(), 1);
}

#[test]
fn narrowing_an_enum_breaks_and_widening_does_not() {
    let two = object(
        json!({ "state": { "enum": ["open", "closed"] } }),
        &["state"],
    );
    let three = object(
        json!({ "state": { "enum": ["open", "closed", "held"] } }),
        &["state"],
    );
    assert!(rules(&two, &three, Compatibility::Backward).is_empty());
    assert_eq!(
        rules(&three, &two, Compatibility::Backward),
        [(Rule::EnumNarrowed, "/properties/state".to_owned())]
    );
    assert_eq!(
        rules(&two, &three, Compatibility::Forward),
        [(Rule::EnumNarrowed, "/properties/state".to_owned())]
    );
    let any = object(json!({ "state": { "type": "string" } }), &["state"]);
    assert_eq!(
        rules(&any, &two, Compatibility::Backward),
        [(Rule::EnumNarrowed, "/properties/state".to_owned())]
    );
}

#[test]
fn nested_objects_are_compared_at_their_pointer() {
    let old = object(
        json!({ "address": object(json!({ "city": id() }), &["city"]) }),
        &["address"],
    );
    let new = object(
        json!({ "address": object(json!({ "city": id(), "zip": id() }), &["city", "zip"]) }),
        &["address"],
    );
    assert_eq!(
        rules(&old, &new, Compatibility::Backward),
        [(
            Rule::RequiredPropertyAdded,
            "/properties/address/properties/zip".to_owned()
        )]
    );
    assert!(rules(&old, &new, Compatibility::Forward).is_empty());
}

#[test]
fn array_items_are_compared() {
    let old = object(
        json!({ "tags": { "type": "array", "items": { "type": ["string", "integer"] } } }),
        &[],
    );
    let new = object(
        json!({ "tags": { "type": "array", "items": { "type": "string" } } }),
        &[],
    );
    assert_eq!(
        rules(&old, &new, Compatibility::Backward),
        [(Rule::TypeNarrowed, "/properties/tags/items".to_owned())]
    );
    assert!(rules(&old, &new, Compatibility::Forward).is_empty());
}

#[test]
fn references_into_defs_are_followed_on_each_side() {
    let old = json!({
        "type": "object",
        "properties": { "lines": { "type": "array", "items": { "$ref": "#/$defs/Line" } } },
        "required": ["lines"],
        "$defs": { "Line": object(json!({ "sku": id() }), &["sku"]) }
    });
    // The new version inlines the line and requires a quantity.
    let new = json!({
        "type": "object",
        "properties": { "lines": { "type": "array", "items": object(json!({ "sku": id(), "qty": { "type": "integer" } }), &["sku", "qty"]) } },
        "required": ["lines"]
    });
    assert_eq!(
        rules(&old, &new, Compatibility::Backward),
        [(
            Rule::RequiredPropertyAdded,
            "/properties/lines/items/properties/qty".to_owned()
        )]
    );
    assert!(rules(&old, &new, Compatibility::Forward).is_empty());
    let dangling =
        json!({ "type": "object", "properties": { "lines": { "$ref": "#/$defs/Missing" } } });
    assert_eq!(
        rules(&old, &dangling, Compatibility::Backward)
            .iter()
            .filter(|(rule, _)| *rule == Rule::UnresolvedReference)
            .count(),
        1
    );
}

#[test]
fn identical_schemas_of_a_real_event_are_compatible() {
    use event_core::prelude::*;

    /// A small contract.
    #[integration_event(version = 1)]
    pub struct ParcelWeighedIntegrationEvent {
        pub parcel_id: String,
        pub grams: u32,
        pub note: Option<String>,
    }

    let schema = ParcelWeighedIntegrationEvent::schema();
    assert!(check(&schema, &schema, Compatibility::Full).is_empty());
}

#[test]
fn violations_read_as_sentences() {
    let old = object(json!({ "id": id() }), &["id"]);
    let new = object(json!({ "id": { "type": "integer" } }), &["id"]);
    let violation = &check(&old, &new, Compatibility::Backward)[0];
    assert_eq!(
        violation.to_string(),
        "type narrowed (backward) at `/properties/id`: documents may hold `string` but the reader accepts only `integer`"
    );
}
