//! The keywords: which assert, which annotate, and the comparison of the
//! scalar ones (`type`, `enum`, `const`, numbers, strings).

use std::collections::BTreeMap;

use crate::json::Json;
use crate::walk::{Node, Walk, field};
use crate::{Rule, World};

/// Keywords of the 2020-12 applicator and validation vocabularies (and
/// their draft-07 forms) that this checker implements.
const IMPLEMENTED: &[&str] = &[
    "type",
    "enum",
    "const",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxContains",
    "minContains",
    "contains",
    "maxProperties",
    "minProperties",
    "required",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "properties",
    "patternProperties",
    "additionalProperties",
    "unevaluatedProperties",
    "propertyNames",
    "items",
    "prefixItems",
    "additionalItems",
    "unevaluatedItems",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "$ref",
];

/// 2020-12 keywords with assertions this checker does not follow: a reader
/// that gains one is reported, never silently accepted.
const UNSUPPORTED: &[&str] = &["$dynamicRef", "$recursiveRef"];

/// Whether `key` asserts something in the schema `map` (as opposed to
/// annotating it). `then`/`else` without `if` and `contains` bounds without
/// `contains` assert nothing.
pub(crate) fn asserts(key: &str, map: &BTreeMap<String, Json>) -> bool {
    match key {
        "then" | "else" => map.contains_key("if"),
        "minContains" | "maxContains" => map.contains_key("contains"),
        "additionalItems" => true,
        _ => IMPLEMENTED.contains(&key) || UNSUPPORTED.contains(&key),
    }
}

/// Keywords that never count: annotations, identifiers, vendor keywords
/// (except `x-rust-type`, which names the Rust type), and keywords that
/// are not JSON Schema's.
pub(crate) fn is_annotation(key: &str) -> bool {
    !(IMPLEMENTED.contains(&key)
        || UNSUPPORTED.contains(&key)
        || key == "x-rust-type"
        || key == "$defs"
        || key == "definitions"
        || key == "format")
}

/// Values that are data, not schemas, when scanning a document.
pub(crate) fn is_data(key: &str) -> bool {
    matches!(
        key,
        "enum" | "const" | "default" | "examples" | "required" | "dependentRequired" | "type"
    ) || (key.starts_with("x-"))
}

/// What a keyword's value is.
pub(crate) enum Holds {
    Schema,
    Schemas,
    SchemaMap,
    Value,
}

pub(crate) fn holds(key: &str) -> Holds {
    match key {
        "not"
        | "if"
        | "then"
        | "else"
        | "additionalProperties"
        | "unevaluatedProperties"
        | "propertyNames"
        | "contains"
        | "additionalItems"
        | "unevaluatedItems" => Holds::Schema,
        "allOf" | "anyOf" | "oneOf" | "prefixItems" | "items" => Holds::Schemas,
        "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas"
        | "dependencies" => Holds::SchemaMap,
        _ => Holds::Value,
    }
}

/// A set of JSON types; `integer` is a part of `number`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Types(u8);

impl Types {
    pub const NULL: Types = Types(1);
    pub const BOOLEAN: Types = Types(2);
    pub const OBJECT: Types = Types(4);
    pub const ARRAY: Types = Types(8);
    pub const STRING: Types = Types(16);
    /// Numbers with a fraction.
    pub const FRACTION: Types = Types(32);
    pub const INTEGER: Types = Types(64);
    pub const NUMBER: Types = Types(32 | 64);
    pub const ALL: Types = Types(127);

    fn named(name: &str) -> Types {
        match name {
            "null" => Types::NULL,
            "boolean" => Types::BOOLEAN,
            "object" => Types::OBJECT,
            "array" => Types::ARRAY,
            "string" => Types::STRING,
            "number" => Types::NUMBER,
            "integer" => Types::INTEGER,
            _ => Types(0),
        }
    }

    pub fn has(self, other: Types) -> bool {
        self.0 & other.0 != 0
    }

    pub fn disjoint(self, other: Types) -> bool {
        !self.has(other)
    }

    pub fn minus(self, other: Types) -> Types {
        Types(self.0 & !other.0)
    }

    pub fn and(self, other: Types) -> Types {
        Types(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn names(self) -> String {
        let mut out = Vec::new();
        for (t, name) in [
            (Types::NULL, "null"),
            (Types::BOOLEAN, "boolean"),
            (Types::OBJECT, "object"),
            (Types::ARRAY, "array"),
            (Types::STRING, "string"),
        ] {
            if self.has(t) {
                out.push(format!("`{name}`"));
            }
        }
        if self.0 & Types::NUMBER.0 == Types::NUMBER.0 {
            out.push("`number`".to_owned());
        } else if self.has(Types::INTEGER) {
            out.push("`integer`".to_owned());
        } else if self.has(Types::FRACTION) {
            out.push("fractional `number`s".to_owned());
        }
        out.join(", ")
    }
}

/// The types a node's `type` (or its values) allow; all of them when it
/// says nothing.
pub(crate) fn types(n: &Node) -> Types {
    if let Some(values) = values(n) {
        return values.iter().fold(Types(0), |acc, v| {
            let t = match v.type_name() {
                "integer" => Types::INTEGER,
                other => Types::named(other),
            };
            Types(acc.0 | t.0)
        });
    }
    let mut t = match n.get("type") {
        Some(Json::String(name)) => Types::named(name),
        Some(Json::Array(names)) => names
            .iter()
            .filter_map(Json::as_str)
            .fold(Types(0), |acc, name| Types(acc.0 | Types::named(name).0)),
        _ => Types::ALL,
    };
    // An integer `format` (`uint32`) says the number is an integer.
    if t.has(Types::FRACTION)
        && integer_range(n).is_some()
        && n.get("format").and_then(Json::as_str) != Some("float")
    {
        t = t.minus(Types::FRACTION);
    }
    if n.is_false() {
        t = Types(0);
    }
    t
}

/// The values a node allows when it lists them: `enum` or `const`.
pub(crate) fn values<'a>(n: &Node<'a>) -> Option<Vec<&'a Json>> {
    if let Some(c) = n.get("const") {
        return Some(vec![c]);
    }
    n.get("enum")
        .and_then(Json::as_array)
        .map(|v| v.iter().collect())
}

/// The range an integer `format` written by schemars stands for.
pub(crate) fn integer_range(n: &Node) -> Option<(f64, f64)> {
    let format = n.get("format")?.as_str()?;
    let bits = |b: i32| 2f64.powi(b);
    Some(match format {
        "uint8" => (0.0, bits(8) - 1.0),
        "uint16" => (0.0, bits(16) - 1.0),
        "uint32" => (0.0, bits(32) - 1.0),
        "uint64" | "uint" => (0.0, bits(64) - 1.0),
        "uint128" => (0.0, bits(128) - 1.0),
        "int8" => (-bits(7), bits(7) - 1.0),
        "int16" => (-bits(15), bits(15) - 1.0),
        "int32" => (-bits(31), bits(31) - 1.0),
        "int64" | "int" => (-bits(63), bits(63) - 1.0),
        "int128" => (-bits(127), bits(127) - 1.0),
        "float" => (-f64::from(f32::MAX), f64::from(f32::MAX)),
        _ => return None,
    })
}

/// A bound: its value, and whether the value itself is excluded.
#[derive(Clone, Copy)]
struct Bound {
    value: f64,
    exclusive: bool,
}

/// The lower and upper bounds of a number schema, from the range keywords
/// (the 2020-12 numbers and the draft-04 booleans) and an integer width.
fn bounds(n: &Node, integers: bool) -> (Option<Bound>, Option<Bound>) {
    let num = |k: &str| n.get(k).and_then(Json::as_f64);
    let flag = |k: &str| n.get(k).and_then(Json::as_bool) == Some(true);
    let mut lo = num("minimum").map(|value| Bound {
        value,
        exclusive: flag("exclusiveMinimum"),
    });
    let mut hi = num("maximum").map(|value| Bound {
        value,
        exclusive: flag("exclusiveMaximum"),
    });
    let tighter_lo = |a: Option<Bound>, b: Bound| match a {
        Some(a) if a.value > b.value || (a.value == b.value && a.exclusive) => Some(a),
        _ => Some(b),
    };
    let tighter_hi = |a: Option<Bound>, b: Bound| match a {
        Some(a) if a.value < b.value || (a.value == b.value && a.exclusive) => Some(a),
        _ => Some(b),
    };
    if let Some(value) = num("exclusiveMinimum") {
        lo = tighter_lo(
            lo,
            Bound {
                value,
                exclusive: true,
            },
        );
    }
    if let Some(value) = num("exclusiveMaximum") {
        hi = tighter_hi(
            hi,
            Bound {
                value,
                exclusive: true,
            },
        );
    }
    if let Some((min, max)) = integer_range(n) {
        lo = tighter_lo(
            lo,
            Bound {
                value: min,
                exclusive: false,
            },
        );
        hi = tighter_hi(
            hi,
            Bound {
                value: max,
                exclusive: false,
            },
        );
    }
    if integers {
        // On integers, `> 4.5` and `>= 5` are the same bound.
        lo = lo.map(|b| {
            let v = if b.exclusive {
                (b.value + 1.0).floor()
            } else {
                b.value.ceil()
            };
            Bound {
                value: v,
                exclusive: false,
            }
        });
        hi = hi.map(|b| {
            let v = if b.exclusive {
                (b.value - 1.0).ceil()
            } else {
                b.value.floor()
            };
            Bound {
                value: v,
                exclusive: false,
            }
        });
    }
    (lo, hi)
}

fn show(b: Option<Bound>, lower: bool) -> String {
    match b {
        None => "no bound".to_owned(),
        Some(b) => {
            let op = match (lower, b.exclusive) {
                (true, false) => ">=",
                (true, true) => ">",
                (false, false) => "<=",
                (false, true) => "<",
            };
            format!("{op} {}", b.value)
        }
    }
}

impl<'a> Walk<'a> {
    /// Two schemas with no combinator or reference left.
    pub(crate) fn base(&mut self, w: &Node<'a>, r: &Node<'a>, path: &str) -> bool {
        let (writer, reader) = self.names();
        if let Some(values) = values(w) {
            let rejected: Vec<String> = values
                .iter()
                .filter(|v| !crate::accept::accepts(&self.reader, r, v))
                .map(ToString::to_string)
                .collect();
            if rejected.is_empty() {
                return true;
            }
            let msg = format!(
                "{} may hold {} in documents written with the {writer} schema, which the {reader} schema rejects",
                field(path),
                rejected.join(", ")
            );
            self.report(Rule::EnumNarrowed, w, r, path, msg);
            return false;
        }
        if w.is_anything() {
            let msg = format!(
                "{} accepted any value in the {writer} schema and is constrained in the {reader} schema: documents written with the {writer} schema may not meet it",
                field(path)
            );
            self.report(Rule::Constrained, w, r, path, msg);
            return false;
        }
        let mut ok = true;
        for key in UNSUPPORTED {
            if let Some(value) = r.get(key)
                && !w.get(key).is_some_and(|x| x.same(value))
            {
                let msg = format!(
                    "the {reader} schema uses `{key}` on {}, which this checker does not follow: treated as breaking",
                    field(path)
                );
                self.report(Rule::UnsupportedKeyword, w, r, path, msg);
                ok = false;
            }
        }
        let wt = types(w);
        let rt = types(r);
        let missing = wt.minus(rt);
        if !missing.is_empty() {
            let msg = if rt.is_empty() || wt.minus(missing).is_empty() {
                format!(
                    "{} is {} in the {writer} schema and {} in the {reader} schema: documents written with the {writer} schema do not read",
                    field(path),
                    wt.names(),
                    rt.names()
                )
            } else {
                format!(
                    "{} may be {} in documents written with the {writer} schema, but the {reader} schema accepts only {}",
                    field(path),
                    missing.names(),
                    rt.names()
                )
            };
            self.report(Rule::TypeNarrowed, w, r, path, msg);
            ok = false;
        }
        if r.get("enum").is_some() || r.get("const").is_some() {
            let msg = format!(
                "the {reader} schema accepts only listed values for {}, where documents written with the {writer} schema may hold others",
                field(path)
            );
            self.report(Rule::EnumNarrowed, w, r, path, msg);
            return false;
        }
        let common = wt.and(rt);
        if common.has(Types::NUMBER) {
            let integers = !common.has(Types::FRACTION);
            ok &= self.numbers(w, r, path, integers);
        }
        if common.has(Types::STRING) {
            ok &= self.strings(w, r, path);
        }
        if common.has(Types::OBJECT) {
            ok &= self.objects(w, r, path);
        }
        if common.has(Types::ARRAY) {
            ok &= self.arrays(w, r, path);
        }
        ok
    }

    fn numbers(&mut self, w: &Node<'a>, r: &Node<'a>, path: &str, integers: bool) -> bool {
        let (writer, reader) = self.names();
        let mut ok = true;
        let (wlo, whi) = bounds(w, integers);
        let (rlo, rhi) = bounds(r, integers);
        let lo_ok = match (wlo, rlo) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => {
                a.value > b.value || (a.value == b.value && (a.exclusive || !b.exclusive))
            }
        };
        let hi_ok = match (whi, rhi) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => {
                a.value < b.value || (a.value == b.value && (a.exclusive || !b.exclusive))
            }
        };
        if !lo_ok || !hi_ok {
            let (wb, rb, side) = if lo_ok {
                (show(whi, false), show(rhi, false), "upper")
            } else {
                (show(wlo, true), show(rlo, true), "lower")
            };
            let msg = format!(
                "the {side} bound of {} narrowed from {wb} to {rb} (a narrower type or range): values written with the {writer} schema may fall outside the {reader} schema's",
                field(path)
            );
            self.report(Rule::RangeNarrowed, w, r, path, msg);
            ok = false;
        }
        if let Some(m) = r
            .get("multipleOf")
            .and_then(Json::as_f64)
            .filter(|m| *m > 0.0)
        {
            let divides = |x: f64| {
                let q = x / m;
                (q - q.round()).abs() < 1e-9
            };
            let held = match w.get("multipleOf").and_then(Json::as_f64) {
                Some(wm) => divides(wm),
                None => false,
            } || (integers && divides(1.0));
            if !held {
                let msg = format!(
                    "{} must be a multiple of {m} in the {reader} schema, which values written with the {writer} schema need not be",
                    field(path)
                );
                self.report(Rule::MultipleOfChanged, w, r, path, msg);
                ok = false;
            }
        }
        ok
    }

    fn strings(&mut self, w: &Node<'a>, r: &Node<'a>, path: &str) -> bool {
        let (writer, reader) = self.names();
        let num = |n: &Node, k: &str| n.get(k).and_then(Json::as_f64);
        let mut ok = true;
        let wmin = num(w, "minLength").unwrap_or(0.0);
        let wmax = num(w, "maxLength").unwrap_or(f64::INFINITY);
        let rmin = num(r, "minLength").unwrap_or(0.0);
        let rmax = num(r, "maxLength").unwrap_or(f64::INFINITY);
        if rmin > wmin || rmax < wmax {
            let msg = format!(
                "the length of {} is limited to {}..{} in the {reader} schema, but strings written with the {writer} schema may be {}..{} long",
                field(path),
                rmin,
                shown_max(rmax),
                wmin,
                shown_max(wmax)
            );
            self.report(Rule::LengthNarrowed, w, r, path, msg);
            ok = false;
        }
        if let Some(pattern) = r.get("pattern").and_then(Json::as_str)
            && w.get("pattern").and_then(Json::as_str) != Some(pattern)
        {
            let msg = format!(
                "{} must match the pattern `{pattern}` in the {reader} schema, which strings written with the {writer} schema need not",
                field(path)
            );
            self.report(Rule::PatternChanged, w, r, path, msg);
            ok = false;
        }
        ok
    }

    /// What a writer's object may carry beyond its listed properties.
    pub(crate) fn writer_additional(&self, w: &Node<'a>) -> Option<Node<'a>> {
        for key in ["additionalProperties", "unevaluatedProperties"] {
            if let Some(s) = w.get(key) {
                return Some(w.child(s, &[key]));
            }
        }
        match self.writer.world {
            World::Closed => None,
            World::Open => Some(Node::new(&TRUE, w.pointer.clone())),
        }
    }
}

pub(crate) static TRUE: Json = Json::Bool(true);

fn shown_max(max: f64) -> String {
    if max.is_infinite() {
        String::new()
    } else {
        max.to_string()
    }
}
