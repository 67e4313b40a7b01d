//! Compatibility between two versions of a JSON Schema, by the semantics of
//! JSON Schema 2020-12 and the rules schema registries apply to JSON Schema
//! contracts. The checker is [`event_compat`]'s, the same one the
//! `#[integration_event]` macro runs against a frozen snapshot at compile
//! time and the `events compat` command runs on files.
//!
//! A change is compatible in a direction when every document the writer's
//! schema allows is accepted by the reader's: under **backward**
//! compatibility readers of the new schema read documents written with the
//! old one; **forward** is the other way round, **full** is both, and the
//! transitive modes check a version against every earlier one
//! ([`check_history`]); **none** checks nothing.
//!
//! A schema generated from a Rust type (it records `x-rust-type`) describes
//! exactly the documents that type writes ([`World::Closed`]): adding an
//! `Option` field is compatible both ways. A hand-written schema with an
//! open content model ([`World::Open`]) may be carrying any property, so a
//! new typed property can break documents that used that name otherwise.
//!
//! ```
//! use event_core::compat::{check, Compatibility, Rule};
//! use serde_json::json;
//!
//! let v1 = json!({
//!     "type": "object",
//!     "properties": { "id": { "type": "string" } },
//!     "required": ["id"],
//!     "additionalProperties": false
//! });
//! let v2 = json!({
//!     "type": "object",
//!     "properties": { "id": { "type": "string" }, "price": { "type": "integer" } },
//!     "required": ["id", "price"]
//! });
//! let violations = check(&v1, &v2, Compatibility::Backward);
//! assert_eq!(violations[0].rule, Rule::RequiredPropertyAdded);
//! assert_eq!(violations[0].new_pointer, "/properties/price");
//! assert_eq!(violations[0].path, "price");
//! ```

use serde_json::Value;

pub use event_compat::{Compatibility, Direction, Json, Rule, Violation, World};

/// The changes from `old` to `new` that break `mode`, each reported once,
/// backward ones first.
#[must_use]
pub fn check(old: &Value, new: &Value, mode: Compatibility) -> Vec<Violation> {
    event_compat::check(&to_json(old), &to_json(new), mode)
}

/// Checks the last schema of `history` (oldest first) against the one
/// before it, or against every earlier one under a transitive mode; each
/// violation comes with the index of the version it breaks.
#[must_use]
pub fn check_history(history: &[Value], mode: Compatibility) -> Vec<(usize, Violation)> {
    let converted: Vec<Json> = history.iter().map(to_json).collect();
    let refs: Vec<&Json> = converted.iter().collect();
    event_compat::check_history(&refs, mode)
}

/// Whether two schemas differ only in annotations (`description`, `title`,
/// `examples`, `$comment`, `default`, `$id`, vendor keywords other than
/// `x-rust-type` and the personal-data marks `x-pii` and `x-secret`, which
/// tell readers how to treat a field, so a published contract keeps them
/// true).
///
/// ```
/// use event_core::compat::same_but_annotations;
/// use serde_json::json;
///
/// let published = json!({ "properties": { "email": { "type": "string" } } });
/// let reworded = json!({ "properties": { "email": { "type": "string", "description": "where" } } });
/// let marked = json!({ "properties": { "email": { "type": "string", "x-pii": true } } });
/// assert!(same_but_annotations(&published, &reworded));
/// assert!(!same_but_annotations(&published, &marked));
/// ```
#[must_use]
pub fn same_but_annotations(old: &Value, new: &Value) -> bool {
    event_compat::same_but_annotations(&to_json(old), &to_json(new))
        && personal_marks(old) == personal_marks(new)
}

/// Where `schema` marks data personal or secret: each mark with the JSON
/// pointer of the schema that carries it.
fn personal_marks(schema: &Value) -> std::collections::BTreeSet<(String, &'static str)> {
    fn walk(
        value: &Value,
        pointer: &mut String,
        marks: &mut std::collections::BTreeSet<(String, &'static str)>,
    ) {
        match value {
            Value::Object(map) => {
                for mark in ["x-pii", "x-secret"] {
                    if map.get(mark).is_some_and(|v| v == &Value::Bool(true)) {
                        marks.insert((pointer.clone(), mark));
                    }
                }
                for (key, child) in map {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    walk(child, pointer, marks);
                    pointer.truncate(len);
                }
            }
            Value::Array(items) => {
                for (at, child) in items.iter().enumerate() {
                    let len = pointer.len();
                    pointer.push('/');
                    pointer.push_str(&at.to_string());
                    walk(child, pointer, marks);
                    pointer.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut marks = std::collections::BTreeSet::new();
    walk(schema, &mut String::new(), &mut marks);
    marks
}

/// A `serde_json` value as the checker's JSON value.
#[must_use]
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => Json::Number(n.to_string()),
        Value::String(s) => Json::String(s.clone()),
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Object(map) => {
            Json::Object(map.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}
