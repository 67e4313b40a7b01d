//! Compatibility between two versions of a JSON Schema, by the rules schema
//! registries apply to JSON Schema contracts.
//!
//! Under **backward** compatibility a reader of the new schema must read
//! every document written to the old one. That breaks when the new schema:
//!
//! - requires a property the old one did not (old documents lack it);
//! - drops a property that a closed model (`additionalProperties: false`)
//!   would now reject;
//! - narrows or changes a type (`number` to `integer`, `string` to
//!   `integer`);
//! - narrows an enum (drops a value);
//! - closes an open model.
//!
//! Adding an optional property, removing one from an open model, widening a
//! type and widening an enum are allowed. **Forward** compatibility is the
//! same check the other way round (a reader of the old schema reads new
//! documents); **full** is both; **none** checks nothing.
//!
//! ```
//! use event_core::compat::{check, Compatibility, Rule};
//! use serde_json::json;
//!
//! let v1 = json!({ "type": "object", "properties": { "id": { "type": "string" } }, "required": ["id"] });
//! let v2 = json!({
//!     "type": "object",
//!     "properties": { "id": { "type": "string" }, "price": { "type": "integer" } },
//!     "required": ["id", "price"]
//! });
//! let violations = check(&v1, &v2, Compatibility::Backward);
//! assert_eq!(violations[0].rule, Rule::RequiredPropertyAdded);
//! assert_eq!(violations[0].pointer, "/properties/price");
//! ```

use core::fmt;
use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Which readers a new version must keep working for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compatibility {
    /// Readers of the new version read documents of the old one (the
    /// default: consumers upgrade first).
    #[default]
    Backward,
    /// Readers of the old version read documents of the new one (producers
    /// upgrade first).
    Forward,
    /// Both.
    Full,
    /// No check.
    None,
}

impl Compatibility {
    /// The mode as written in `compat = ".."`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Compatibility::Backward => "backward",
            Compatibility::Forward => "forward",
            Compatibility::Full => "full",
            Compatibility::None => "none",
        }
    }
}

/// The rule a change breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// A property is required that documents of the other version may lack.
    RequiredPropertyAdded,
    /// A property is gone from a closed model that documents still carry.
    PropertyRemovedFromClosedModel,
    /// The accepted types shrank or changed.
    TypeNarrowed,
    /// An enum lost values.
    EnumNarrowed,
    /// An open model was closed (`additionalProperties: false`).
    ModelClosed,
    /// A `$ref` points nowhere in the schema.
    UnresolvedReference,
}

impl Rule {
    /// The rule's name in reports.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::RequiredPropertyAdded => "required property added",
            Rule::PropertyRemovedFromClosedModel => "property removed from a closed model",
            Rule::TypeNarrowed => "type narrowed",
            Rule::EnumNarrowed => "enum narrowed",
            Rule::ModelClosed => "model closed",
            Rule::UnresolvedReference => "unresolved reference",
        }
    }
}

/// One breaking change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken.
    pub rule: Rule,
    /// Where, as a JSON pointer into the schema: `/properties/price`.
    pub pointer: String,
    /// Which direction broke: `backward` or `forward`.
    pub direction: &'static str,
    /// What changed, in words.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}) at `{}`: {}",
            self.rule.as_str(),
            self.direction,
            self.pointer,
            self.detail
        )
    }
}

/// The changes from `old` to `new` that break `mode`, ordered by place.
#[must_use]
pub fn check(old: &Value, new: &Value, mode: Compatibility) -> Vec<Violation> {
    let mut out = Vec::new();
    if matches!(mode, Compatibility::Backward | Compatibility::Full) {
        let mut walk = Walk::new(old, new, "backward");
        walk.compare(old, new, String::new(), 0);
        out.append(&mut walk.violations);
    }
    if matches!(mode, Compatibility::Forward | Compatibility::Full) {
        let mut walk = Walk::new(new, old, "forward");
        walk.compare(new, old, String::new(), 0);
        out.append(&mut walk.violations);
    }
    out
}

/// Compares a writer's schema with a reader's: can the reader read every
/// document the writer's schema allows?
struct Walk<'a> {
    writer_root: &'a Value,
    reader_root: &'a Value,
    direction: &'static str,
    violations: Vec<Violation>,
}

/// How deep `$ref`s are followed; recursive schemas stop here.
const MAX_DEPTH: usize = 32;

impl<'a> Walk<'a> {
    fn new(writer_root: &'a Value, reader_root: &'a Value, direction: &'static str) -> Self {
        Walk {
            writer_root,
            reader_root,
            direction,
            violations: Vec::new(),
        }
    }

    fn report(&mut self, rule: Rule, pointer: &str, detail: String) {
        self.violations.push(Violation {
            rule,
            pointer: if pointer.is_empty() {
                "/".to_owned()
            } else {
                pointer.to_owned()
            },
            direction: self.direction,
            detail,
        });
    }

    fn resolve(&mut self, root: &'a Value, schema: &'a Value, pointer: &str) -> Option<&'a Value> {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return Some(schema);
        };
        let target = reference.strip_prefix('#').and_then(|p| {
            if p.is_empty() {
                Some(root)
            } else {
                root.pointer(p)
            }
        });
        if target.is_none() {
            self.report(
                Rule::UnresolvedReference,
                pointer,
                format!("`{reference}` points nowhere in the schema"),
            );
        }
        target
    }

    fn compare(&mut self, writer: &'a Value, reader: &'a Value, pointer: String, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let (Some(writer), Some(reader)) = (
            self.resolve(self.writer_root, writer, &pointer),
            self.resolve(self.reader_root, reader, &pointer),
        ) else {
            return;
        };
        // `true` and `{}` accept anything; `false` accepts nothing.
        if reader.as_bool() == Some(true) || reader.as_object().is_some_and(Map::is_empty) {
            return;
        }
        if writer.as_bool() == Some(false) {
            return;
        }

        self.compare_types(writer, reader, &pointer);
        self.compare_enums(writer, reader, &pointer);
        if is_object_schema(writer) || is_object_schema(reader) {
            self.compare_objects(writer, reader, &pointer, depth);
        }
        if let (Some(w), Some(r)) = (writer.get("items"), reader.get("items")) {
            self.compare(w, r, format!("{pointer}/items"), depth + 1);
        }
    }

    fn compare_types(&mut self, writer: &Value, reader: &Value, pointer: &str) {
        let (Some(written), Some(read)) = (types(writer), types(reader)) else {
            return;
        };
        let missing: Vec<&str> = written
            .iter()
            // An integer is a number, so a `number` reader reads it.
            .filter(|t| !(read.contains(*t) || (**t == "integer" && read.contains("number"))))
            .copied()
            .collect();
        if !missing.is_empty() {
            self.report(
                Rule::TypeNarrowed,
                pointer,
                format!(
                    "documents may hold {} but the reader accepts only {}",
                    join(&missing),
                    join(&read.iter().copied().collect::<Vec<_>>())
                ),
            );
        }
    }

    fn compare_enums(&mut self, writer: &Value, reader: &Value, pointer: &str) {
        let Some(read) = reader.get("enum").and_then(Value::as_array) else {
            return;
        };
        let written: Vec<&Value> = match writer.get("enum").and_then(Value::as_array) {
            Some(values) => values.iter().collect(),
            None => match writer.get("const") {
                Some(value) => vec![value],
                None => {
                    self.report(
                        Rule::EnumNarrowed,
                        pointer,
                        "the reader accepts only listed values where any was allowed".to_owned(),
                    );
                    return;
                }
            },
        };
        let dropped: Vec<String> = written
            .into_iter()
            .filter(|v| !read.contains(v))
            .map(ToString::to_string)
            .collect();
        if !dropped.is_empty() {
            self.report(
                Rule::EnumNarrowed,
                pointer,
                format!("the reader no longer accepts {}", dropped.join(", ")),
            );
        }
    }

    fn compare_objects(
        &mut self,
        writer: &'a Value,
        reader: &'a Value,
        pointer: &str,
        depth: usize,
    ) {
        let written_required = required(writer);
        let writer_closed = closed(writer);
        let reader_closed = closed(reader);
        let written = writer.get("properties").and_then(Value::as_object);
        let read = reader.get("properties").and_then(Value::as_object);

        if reader_closed && !writer_closed {
            self.report(
                Rule::ModelClosed,
                pointer,
                "the reader rejects properties it does not list, which documents may carry"
                    .to_owned(),
            );
        }
        for name in required(reader) {
            if !written_required.contains(name) {
                let place = format!("{pointer}/properties/{}", escape(name));
                let has_default = read
                    .and_then(|r| r.get(name))
                    .is_some_and(|p| p.get("default").is_some());
                if !has_default {
                    self.report(
                        Rule::RequiredPropertyAdded,
                        &place,
                        format!("`{name}` is required, but documents may lack it"),
                    );
                }
            }
        }
        let (Some(written), Some(read)) = (written, read) else {
            return;
        };
        for (name, written_schema) in written {
            let place = format!("{pointer}/properties/{}", escape(name));
            match read.get(name) {
                Some(read_schema) => self.compare(written_schema, read_schema, place, depth + 1),
                None if reader_closed => self.report(
                    Rule::PropertyRemovedFromClosedModel,
                    &place,
                    format!(
                        "documents may carry `{name}`, which the reader's closed model rejects"
                    ),
                ),
                None => {}
            }
        }
    }
}

fn is_object_schema(schema: &Value) -> bool {
    ["properties", "required", "additionalProperties"]
        .iter()
        .any(|k| schema.get(k).is_some())
}

fn types(schema: &Value) -> Option<BTreeSet<&str>> {
    match schema.get("type")? {
        Value::String(t) => Some(BTreeSet::from([t.as_str()])),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

fn required(schema: &Value) -> BTreeSet<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn closed(schema: &Value) -> bool {
    schema.get("additionalProperties") == Some(&Value::Bool(false))
        || schema.get("unevaluatedProperties") == Some(&Value::Bool(false))
}

/// A property name as a JSON pointer segment.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn join(items: &[&str]) -> String {
    items
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
