//! Whether a schema accepts one value: the writer's `enum` and `const`
//! values are checked against the reader this way.

use crate::doc::Doc;
use crate::json::Json;
use crate::keywords;
use crate::pattern;
use crate::walk::Node;

/// `$ref` chains deeper than this are taken to accept.
const MAX_DEPTH: usize = 64;

pub(crate) fn accepts(doc: &Doc, n: &Node, value: &Json) -> bool {
    valid(doc, n, value, 0)
}

fn valid(doc: &Doc, n: &Node, v: &Json, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    let map = match n.json {
        Json::Bool(b) => return *b,
        Json::Object(map) => map,
        _ => return true,
    };
    let sub = |s: &Json, v: &Json| valid(doc, &Node::new(s, String::new()), v, depth + 1);
    if let Some(target) = n.get("$ref").and_then(Json::as_str)
        && let Some((t, _)) = doc.resolve(target)
        && !valid(doc, &Node::new(t, String::new()), v, depth + 1)
    {
        return false;
    }
    let list = |k: &str| n.get(k).and_then(Json::as_array).unwrap_or_default();
    if !list("allOf").iter().all(|s| sub(s, v)) {
        return false;
    }
    if n.get("anyOf").is_some() && !list("anyOf").iter().any(|s| sub(s, v)) {
        return false;
    }
    if n.get("oneOf").is_some() && list("oneOf").iter().filter(|s| sub(s, v)).count() != 1 {
        return false;
    }
    if n.get("not").is_some_and(|s| sub(s, v)) {
        return false;
    }
    if let Some(cond) = n.get("if") {
        let branch = if sub(cond, v) { "then" } else { "else" };
        if map.get(branch).is_some_and(|s| !sub(s, v)) {
            return false;
        }
    }
    if let Some(c) = n.get("const")
        && !c.same(v)
    {
        return false;
    }
    if let Some(e) = n.get("enum").and_then(Json::as_array)
        && !e.iter().any(|x| x.same(v))
    {
        return false;
    }
    let t = keywords::types(&n.without(0));
    let vt = match v.type_name() {
        "integer" => keywords::Types::INTEGER,
        "number" => keywords::Types::FRACTION,
        "null" => keywords::Types::NULL,
        "boolean" => keywords::Types::BOOLEAN,
        "string" => keywords::Types::STRING,
        "array" => keywords::Types::ARRAY,
        _ => keywords::Types::OBJECT,
    };
    if n.get("enum").is_none() && n.get("const").is_none() && !t.has(vt) {
        return false;
    }
    let num = |k: &str| n.get(k).and_then(Json::as_f64);
    match v {
        Json::Number(_) => {
            let x = v.as_f64().unwrap_or(0.0);
            let flag = |k: &str| n.get(k).and_then(Json::as_bool) == Some(true);
            if num("minimum").is_some_and(|m| x < m || (flag("exclusiveMinimum") && x == m))
                || num("maximum").is_some_and(|m| x > m || (flag("exclusiveMaximum") && x == m))
                || num("exclusiveMinimum").is_some_and(|m| x <= m)
                || num("exclusiveMaximum").is_some_and(|m| x >= m)
                || keywords::integer_range(n).is_some_and(|(lo, hi)| x < lo || x > hi)
                || num("multipleOf")
                    .is_some_and(|m| m > 0.0 && ((x / m) - (x / m).round()).abs() > 1e-9)
            {
                return false;
            }
        }
        Json::String(s) => {
            let len = s.chars().count() as f64;
            if num("minLength").is_some_and(|m| len < m)
                || num("maxLength").is_some_and(|m| len > m)
                || n.get("pattern")
                    .and_then(Json::as_str)
                    .is_some_and(|p| pattern::matches(p, s) == Some(false))
            {
                return false;
            }
        }
        Json::Array(items) => {
            let len = items.len() as f64;
            if num("minItems").is_some_and(|m| len < m) || num("maxItems").is_some_and(|m| len > m)
            {
                return false;
            }
            let prefix = n
                .get("prefixItems")
                .or_else(|| n.get("items").filter(|i| i.as_array().is_some()))
                .and_then(Json::as_array)
                .unwrap_or_default();
            let rest = if n.get("prefixItems").is_some() {
                n.get("items")
            } else if n.get("items").and_then(Json::as_array).is_some() {
                n.get("additionalItems")
            } else {
                n.get("items")
            };
            for (i, item) in items.iter().enumerate() {
                let schema = prefix.get(i).or(rest);
                if schema.is_some_and(|s| !sub(s, item)) {
                    return false;
                }
            }
            if n.get("uniqueItems").and_then(Json::as_bool) == Some(true) {
                for (i, a) in items.iter().enumerate() {
                    if items[..i].iter().any(|b| a.same(b)) {
                        return false;
                    }
                }
            }
        }
        Json::Object(members) => {
            let len = members.len() as f64;
            if num("minProperties").is_some_and(|m| len < m)
                || num("maxProperties").is_some_and(|m| len > m)
            {
                return false;
            }
            let required = n
                .get("required")
                .and_then(Json::as_array)
                .unwrap_or_default();
            if required
                .iter()
                .filter_map(Json::as_str)
                .any(|r| !members.contains_key(r))
            {
                return false;
            }
            let props = n.get("properties").and_then(Json::as_object);
            let patterns = n.get("patternProperties").and_then(Json::as_object);
            let additional = n
                .get("additionalProperties")
                .or_else(|| n.get("unevaluatedProperties"));
            for (k, item) in members {
                let mut matched = false;
                if let Some(s) = props.and_then(|p| p.get(k)) {
                    matched = true;
                    if !sub(s, item) {
                        return false;
                    }
                }
                for (p, s) in patterns.into_iter().flatten() {
                    if pattern::matches(p, k) != Some(false) {
                        matched = true;
                        if !sub(s, item) {
                            return false;
                        }
                    }
                }
                if !matched && additional.is_some_and(|s| !sub(s, item)) {
                    return false;
                }
                if n.get("propertyNames")
                    .is_some_and(|s| !sub(s, &Json::String(k.clone())))
                {
                    return false;
                }
            }
        }
        _ => {}
    }
    true
}
