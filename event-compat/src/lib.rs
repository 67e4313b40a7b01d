//! Compatibility between versions of a JSON Schema, by the semantics of JSON
//! Schema 2020-12 and the rules schema registries apply to JSON Schema
//! contracts.
//!
//! A change is compatible in a direction when every document the *writer's*
//! schema allows is accepted by the *reader's* schema:
//!
//! - **backward**: readers on the new schema read documents written with the
//!   old one (the writer is the old schema);
//! - **forward**: readers on the old schema read documents written with the
//!   new one;
//! - **full**: both; the transitive forms check a new version against every
//!   earlier one of a history, not only the last.
//!
//! Two worlds, chosen per schema ([`World`]): a schema generated from a Rust
//! type describes exactly the documents that type writes (closed: a writer
//! never carries a property its schema does not list), while a hand-written
//! schema with an open content model follows JSON Schema (open: a document
//! may carry any property the schema does not forbid).
//!
//! Annotations (`title`, `description`, `$comment`, `examples`, `default`,
//! `$id`, `x-*` vendor keywords) never count. A 2020-12 keyword the checker
//! does not implement (`$dynamicRef`) is reported, never ignored.
//!
//! ```
//! use event_compat::{check, json, Compatibility, Rule};
//!
//! let v1 = json::parse(br#"{ "type": "object", "properties": { "id": { "type": "string" } }, "required": ["id"], "additionalProperties": false }"#).unwrap();
//! let v2 = json::parse(br#"{ "type": "object", "properties": { "id": { "type": "string" }, "price": { "type": "integer" } }, "required": ["id", "price"] }"#).unwrap();
//! let violations = check(&v1, &v2, Compatibility::Backward);
//! assert_eq!(violations[0].rule, Rule::RequiredPropertyAdded);
//! assert_eq!(violations[0].new_pointer, "/properties/price");
//! ```

#![forbid(unsafe_code)]

mod accept;
mod doc;
pub use doc::percent_decode;
pub mod json;
mod keywords;
mod pattern;
mod shapes;
mod walk;

use core::fmt;

pub use json::Json;

/// Which readers a new version must keep working for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Compatibility {
    /// Readers of the new version read documents of the previous one (the
    /// default: consumers upgrade first).
    #[default]
    Backward,
    /// Readers of the previous version read documents of the new one
    /// (producers upgrade first).
    Forward,
    /// Both, with the previous version.
    Full,
    /// Backward, with every earlier version.
    BackwardTransitive,
    /// Forward, with every earlier version.
    ForwardTransitive,
    /// Full, with every earlier version.
    FullTransitive,
    /// No check.
    None,
}

impl Compatibility {
    /// Every mode, in the order of [`Compatibility::as_str`].
    pub const ALL: [Compatibility; 7] = [
        Compatibility::Backward,
        Compatibility::Forward,
        Compatibility::Full,
        Compatibility::BackwardTransitive,
        Compatibility::ForwardTransitive,
        Compatibility::FullTransitive,
        Compatibility::None,
    ];

    /// The mode as written in `compat = ".."` and `--mode`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Compatibility::Backward => "backward",
            Compatibility::Forward => "forward",
            Compatibility::Full => "full",
            Compatibility::BackwardTransitive => "backward-transitive",
            Compatibility::ForwardTransitive => "forward-transitive",
            Compatibility::FullTransitive => "full-transitive",
            Compatibility::None => "none",
        }
    }

    /// The mode named `name` (`backward`, `full-transitive`, ..).
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// Whether the mode covers every earlier version, not only the last.
    #[must_use]
    pub const fn is_transitive(self) -> bool {
        matches!(
            self,
            Compatibility::BackwardTransitive
                | Compatibility::ForwardTransitive
                | Compatibility::FullTransitive
        )
    }

    const fn backward(self) -> bool {
        matches!(
            self,
            Compatibility::Backward
                | Compatibility::Full
                | Compatibility::BackwardTransitive
                | Compatibility::FullTransitive
        )
    }

    const fn forward(self) -> bool {
        matches!(
            self,
            Compatibility::Forward
                | Compatibility::Full
                | Compatibility::ForwardTransitive
                | Compatibility::FullTransitive
        )
    }
}

/// What a writer's documents may carry beyond what its schema lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum World {
    /// The schema was generated from a Rust type: documents carry exactly
    /// the properties it lists (a schema without `additionalProperties`
    /// still never writes others).
    Closed,
    /// A hand-written schema: an object without `additionalProperties:
    /// false` may carry any other property, with any value.
    Open,
}

impl World {
    /// The world of a schema: closed when it records its Rust types (the
    /// `x-rust-type` and `x-event-*` keywords the project writes), open
    /// otherwise.
    #[must_use]
    pub fn of(schema: &Json) -> World {
        let Some(root) = schema.as_object() else {
            return World::Open;
        };
        let rust = root
            .keys()
            .any(|k| k.starts_with("x-event-") || k == "x-rust-type")
            || root
                .get("properties")
                .and_then(Json::as_object)
                .is_some_and(|p| p.values().any(|s| s.get("x-rust-type").is_some()));
        if rust { World::Closed } else { World::Open }
    }
}

/// The rule a change breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// A property is required that documents of the writer may lack.
    RequiredPropertyAdded,
    /// Documents may carry a property the reader rejects.
    PropertyRemovedFromClosedModel,
    /// The accepted JSON types shrank or changed.
    TypeNarrowed,
    /// Values the writer may produce are not among the reader's `enum` or
    /// `const`.
    EnumNarrowed,
    /// Properties the reader does not list must now match a narrower schema
    /// (`additionalProperties`, `unevaluatedProperties`, `patternProperties`).
    ModelClosed,
    /// Array items the writer may produce are not accepted (`items`,
    /// `prefixItems`, `additionalItems`, `unevaluatedItems`).
    ItemsNarrowed,
    /// `minimum`, `maximum`, their exclusive forms or an integer width
    /// narrowed.
    RangeNarrowed,
    /// `multipleOf` added or changed to a value that is not a divisor.
    MultipleOfChanged,
    /// `minLength` raised or `maxLength` lowered.
    LengthNarrowed,
    /// `pattern` added or changed.
    PatternChanged,
    /// `minItems` raised, `maxItems` lowered, `uniqueItems` or `contains`
    /// added.
    ArrayConstrained,
    /// `minProperties` raised or `maxProperties` lowered.
    PropertyCountNarrowed,
    /// `propertyNames` added or narrowed.
    PropertyNamesNarrowed,
    /// A `dependentRequired` or `dependentSchemas` entry added or narrowed.
    DependencyAdded,
    /// A document of the writer matches none of the reader's alternatives
    /// (`anyOf`, `oneOf`).
    AlternativeRemoved,
    /// The schema under `not` shrank, so the reader excludes more.
    NotWidened,
    /// An `if`/`then`/`else` was added or changed.
    ConditionChanged,
    /// A schema that accepted anything (`{}`, `true`) now constrains.
    Constrained,
    /// The reader's schema is `false`: it accepts no document.
    Rejected,
    /// The Rust type changed where the checker cannot see its shape.
    RustTypeChanged,
    /// A `$ref` points nowhere in the schema.
    UnresolvedReference,
    /// A keyword the checker does not implement; treated as breaking.
    UnsupportedKeyword,
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
            Rule::ItemsNarrowed => "items narrowed",
            Rule::RangeNarrowed => "range narrowed",
            Rule::MultipleOfChanged => "multipleOf changed",
            Rule::LengthNarrowed => "length narrowed",
            Rule::PatternChanged => "pattern changed",
            Rule::ArrayConstrained => "array constrained",
            Rule::PropertyCountNarrowed => "property count narrowed",
            Rule::PropertyNamesNarrowed => "property names narrowed",
            Rule::DependencyAdded => "dependency added",
            Rule::AlternativeRemoved => "alternative removed",
            Rule::NotWidened => "not widened",
            Rule::ConditionChanged => "condition changed",
            Rule::Constrained => "constraint added",
            Rule::Rejected => "schema rejects everything",
            Rule::RustTypeChanged => "Rust type changed",
            Rule::UnresolvedReference => "unresolved reference",
            Rule::UnsupportedKeyword => "unsupported keyword",
        }
    }
}

/// Which way a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Readers of the new schema cannot read documents of the old one.
    Backward,
    /// Readers of the old schema cannot read documents of the new one.
    Forward,
}

impl Direction {
    /// `backward` or `forward`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Backward => "backward",
            Direction::Forward => "forward",
        }
    }
}

/// One breaking change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken.
    pub rule: Rule,
    /// Which direction broke.
    pub direction: Direction,
    /// The place in the old schema, as a JSON Pointer (`""` is the root).
    pub old_pointer: String,
    /// The place in the new schema, as a JSON Pointer.
    pub new_pointer: String,
    /// The place in documents: `address.zip`, `lines[]`, `""` for the
    /// document itself.
    pub path: String,
    /// What changed and what it breaks, as a sentence.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}) at old `#{}`, new `#{}`: {}",
            self.rule.as_str(),
            self.direction.as_str(),
            self.old_pointer,
            self.new_pointer,
            self.message
        )
    }
}

/// The changes from `old` to `new` that break `mode`, each once, backward
/// ones first. A transitive mode is the same as its plain form here: see
/// [`check_history`] for a history.
#[must_use]
pub fn check(old: &Json, new: &Json, mode: Compatibility) -> Vec<Violation> {
    let mut out = Vec::new();
    if mode.backward() {
        out.extend(walk::run(old, new, Direction::Backward));
    }
    if mode.forward() {
        out.extend(walk::run(new, old, Direction::Forward));
    }
    out
}

/// Checks the last schema of `history` (oldest first) against the one
/// before it, or against every earlier one under a transitive mode. Each
/// violation comes with the index of the earlier version it breaks.
#[must_use]
pub fn check_history(history: &[&Json], mode: Compatibility) -> Vec<(usize, Violation)> {
    let Some((last, earlier)) = history.split_last() else {
        return Vec::new();
    };
    let first = if mode.is_transitive() {
        0
    } else {
        earlier.len().saturating_sub(1)
    };
    earlier
        .iter()
        .enumerate()
        .skip(first)
        .flat_map(|(i, old)| check(old, last, mode).into_iter().map(move |v| (i, v)))
        .collect()
}

/// Whether `old` and `new` differ only in annotations (`title`,
/// `description`, `$comment`, `examples`, `default`, `deprecated`, `$id`,
/// `$schema`, and `x-*` keywords other than `x-rust-type`).
#[must_use]
pub fn same_but_annotations(old: &Json, new: &Json) -> bool {
    match (old, new) {
        (Json::Object(a), Json::Object(b)) => a.keys().chain(b.keys()).all(|k| {
            if keywords::is_annotation(k) {
                return true;
            }
            match (a.get(k), b.get(k)) {
                (Some(x), Some(y)) => match keywords::holds(k) {
                    keywords::Holds::Schema => same_but_annotations(x, y),
                    keywords::Holds::Schemas => same_list(x, y),
                    keywords::Holds::SchemaMap => same_map(x, y),
                    // The order of `required`, `enum` and a list of
                    // `type`s says nothing: each is a set.
                    keywords::Holds::Value
                        if matches!(k.as_str(), "required" | "enum" | "type") =>
                    {
                        same_set(x, y)
                    }
                    keywords::Holds::Value => x.same(y),
                },
                _ => false,
            }
        }),
        _ => old.same(new),
    }
}

/// Two arrays with the same members, in any order (or two equal values).
fn same_set(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len()
                && x.iter().all(|p| y.iter().any(|q| p.same(q)))
                && y.iter().all(|q| x.iter().any(|p| p.same(q)))
        }
        _ => a.same(b),
    }
}

fn same_list(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_but_annotations(p, q))
        }
        _ => same_but_annotations(a, b),
    }
}

fn same_map(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_list(v, w)))
        }
        _ => a.same(b),
    }
}
