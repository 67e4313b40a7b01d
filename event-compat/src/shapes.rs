//! Objects and arrays: properties, required, additional and pattern
//! properties, dependencies, property names and counts; items, tuples,
//! additional and unevaluated items, contains, counts and uniqueness.

use std::collections::BTreeSet;

use crate::Rule;
use crate::json::Json;
use crate::keywords::TRUE;
use crate::pattern;
use crate::walk::{Node, Walk, field, join};

/// The schema a property name gets in an object schema: its own, a
/// matching pattern's, or the additional one.
fn property<'a>(n: &Node<'a>, name: &str, additional: Option<&Node<'a>>) -> Option<Node<'a>> {
    if let Some(s) = n.get("properties").and_then(|p| p.get(name)) {
        return Some(n.child(s, &["properties", name]));
    }
    if let Some(map) = n.get("patternProperties").and_then(Json::as_object) {
        for (p, s) in map {
            if pattern::matches(p, name) == Some(true) {
                return Some(n.child(s, &["patternProperties", p]));
            }
        }
    }
    additional.cloned()
}

fn names<'a>(n: &Node<'a>, key: &str) -> BTreeSet<&'a str> {
    n.get(key)
        .and_then(Json::as_array)
        .map(|r| r.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default()
}

fn reader_additional<'a>(r: &Node<'a>) -> Node<'a> {
    for key in ["additionalProperties", "unevaluatedProperties"] {
        if let Some(s) = r.get(key) {
            return r.child(s, &[key]);
        }
    }
    Node::new(&TRUE, r.pointer.clone())
}

impl<'a> Walk<'a> {
    pub(crate) fn objects(&mut self, w: &Node<'a>, r: &Node<'a>, path: &str) -> bool {
        let (writer, reader) = self.names();
        let mut ok = true;
        let wa = self.writer_additional(w).filter(|a| !a.is_false());
        let ra = reader_additional(r);
        let w_props = w.get("properties").and_then(Json::as_object);
        let r_props = r.get("properties").and_then(Json::as_object);
        let w_required = names(w, "required");

        // Properties by name: what the writer may put there, what the reader
        // accepts there.
        let mut all: BTreeSet<&str> = BTreeSet::new();
        all.extend(
            w_props
                .into_iter()
                .flat_map(|m| m.keys().map(String::as_str)),
        );
        all.extend(
            r_props
                .into_iter()
                .flat_map(|m| m.keys().map(String::as_str)),
        );
        for name in all {
            let Some(ws) = property(w, name, wa.as_ref()) else {
                continue;
            };
            if ws.is_false() {
                continue;
            }
            let rs = property(r, name, Some(&ra)).unwrap_or_else(|| ra.clone());
            let at = join(path, name);
            if rs.is_false() {
                let msg = format!(
                    "{} may be present in documents written with the {writer} schema, but the {reader} schema forbids it",
                    field(&at)
                );
                self.report(Rule::PropertyRemovedFromClosedModel, &ws, &rs, &at, msg);
                ok = false;
                continue;
            }
            ok &= self.sub(&ws, &rs, &at);
        }

        // Patterns.
        let r_patterns = r.get("patternProperties").and_then(Json::as_object);
        if let Some(map) = w.get("patternProperties").and_then(Json::as_object) {
            for (p, s) in map {
                let ws = w.child(s, &["patternProperties", p]);
                let rs = match r_patterns.and_then(|m| m.get(p)) {
                    Some(rs) => r.child(rs, &["patternProperties", p]),
                    None => ra.clone(),
                };
                let at = join(path, &format!("/{p}/"));
                ok &= self.model(&ws, &rs, &at);
            }
        }
        if let (Some(map), Some(wa)) = (r_patterns, wa.as_ref()) {
            for (p, s) in map {
                if w.get("patternProperties").and_then(|m| m.get(p)).is_some() {
                    continue;
                }
                let rs = r.child(s, &["patternProperties", p]);
                let at = join(path, &format!("/{p}/"));
                ok &= self.model(wa, &rs, &at);
            }
        }
        // Everything else.
        if let Some(wa) = wa.as_ref() {
            ok &= self.model(wa, &ra, &join(path, "*"));
        }

        // Required properties.
        let r_required = names(r, "required");
        for name in r_required.difference(&w_required) {
            // As registries rule: a required name with a default, or one
            // missing from the reader's `properties` list, is not a new
            // requirement.
            let described = r_props.and_then(|m| m.get(*name));
            let undescribed = r_props.is_some() && described.is_none();
            if undescribed || described.is_some_and(|s| s.get("default").is_some()) {
                continue;
            }
            let ws = property(w, name, wa.as_ref()).unwrap_or_else(|| w.clone());
            let rs = property(r, name, None).unwrap_or_else(|| r.clone());
            let at = join(path, name);
            let msg = format!(
                "{} is required in the {reader} schema, and documents written with the {writer} schema may lack it",
                field(&at)
            );
            self.report(Rule::RequiredPropertyAdded, &ws, &rs, &at, msg);
            ok = false;
        }

        ok &= self.dependencies(w, r, path, &w_required);
        ok &= self.property_names(w, r, path, wa.is_some());

        // Counts.
        let num = |n: &Node, k: &str| n.get(k).and_then(Json::as_f64);
        let wmin = num(w, "minProperties")
            .unwrap_or(0.0)
            .max(w_required.len() as f64);
        let wmax = match (num(w, "maxProperties"), &wa) {
            (Some(m), _) => m,
            (None, None) => w_props.map_or(0, |m| m.len()) as f64,
            (None, Some(_)) => f64::INFINITY,
        };
        let rmin = num(r, "minProperties").unwrap_or(0.0);
        let rmax = num(r, "maxProperties").unwrap_or(f64::INFINITY);
        if rmin > wmin || rmax < wmax {
            let msg = format!(
                "the number of properties of {} is limited in the {reader} schema (`minProperties`/`maxProperties`) beyond what documents written with the {writer} schema respect",
                field(path)
            );
            self.report(Rule::PropertyCountNarrowed, w, r, path, msg);
            ok = false;
        }
        ok
    }

    /// Properties the reader does not name must match `rs`.
    fn model(&mut self, ws: &Node<'a>, rs: &Node<'a>, at: &str) -> bool {
        if ws.is_false() {
            return true;
        }
        if self.trial(|s| s.sub(ws, rs, at)) {
            return true;
        }
        let (writer, reader) = self.names();
        if rs.is_false() || ws.is_anything() {
            let msg = format!(
                "the {reader} schema closes {}: documents written with the {writer} schema may carry properties it rejects",
                field(at.trim_end_matches(".*").trim_end_matches('*'))
            );
            self.report(Rule::ModelClosed, ws, rs, at, msg);
            return false;
        }
        self.sub(ws, rs, at)
    }

    fn dependencies(
        &mut self,
        w: &Node<'a>,
        r: &Node<'a>,
        path: &str,
        w_required: &BTreeSet<&str>,
    ) -> bool {
        let (writer, reader) = self.names();
        let mut ok = true;
        let entries = |n: &Node<'a>, arrays: bool| -> Vec<(&'a str, &'a Json, &'static str)> {
            let mut out = Vec::new();
            for key in ["dependentRequired", "dependentSchemas", "dependencies"] {
                if let Some(map) = n.get(key).and_then(Json::as_object) {
                    for (k, v) in map {
                        if v.as_array().is_some() == arrays {
                            out.push((k.as_str(), v, key));
                        }
                    }
                }
            }
            out
        };
        let w_lists = entries(w, true);
        for (name, list, _) in entries(r, true) {
            let mut need: BTreeSet<&str> = list
                .as_array()
                .unwrap_or_default()
                .iter()
                .filter_map(Json::as_str)
                .collect();
            need.retain(|m| !w_required.contains(m));
            if let Some((_, wl, _)) = w_lists.iter().find(|(k, _, _)| *k == name) {
                let have: BTreeSet<&str> = wl
                    .as_array()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Json::as_str)
                    .collect();
                need.retain(|m| !have.contains(m));
            }
            if !need.is_empty() {
                let at = join(path, name);
                let msg = format!(
                    "the {reader} schema requires {} wherever {} is present, which documents written with the {writer} schema need not respect",
                    need.iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    field(&at)
                );
                self.report(Rule::DependencyAdded, w, r, &at, msg);
                ok = false;
            }
        }
        let w_schemas = entries(w, false);
        for (name, schema, key) in entries(r, false) {
            let rs = r.child(schema, &[key, name]);
            let at = join(path, name);
            let held = match w_schemas.iter().find(|(k, _, _)| *k == name) {
                Some((_, ws, wkey)) => {
                    let ws = w.child(ws, &[wkey, name]);
                    let plain = w.clone();
                    self.trial(|s| s.sub(&plain, &rs, path)) || self.sub(&ws, &rs, &at)
                }
                None => {
                    let plain = w.clone();
                    let held = self.trial(|s| s.sub(&plain, &rs, path));
                    if !held {
                        let msg = format!(
                            "the {reader} schema adds a schema that objects with {} must match (`dependentSchemas`), which documents written with the {writer} schema need not",
                            field(&at)
                        );
                        self.report(Rule::DependencyAdded, w, &rs, &at, msg);
                    }
                    held
                }
            };
            ok &= held;
        }
        ok
    }

    fn property_names(&mut self, w: &Node<'a>, r: &Node<'a>, path: &str, open: bool) -> bool {
        let Some(rn) = r.get("propertyNames") else {
            return true;
        };
        let rn = r.child(rn, &["propertyNames"]);
        let (writer, reader) = self.names();
        let listed_fine = w
            .get("properties")
            .and_then(Json::as_object)
            .is_none_or(|m| {
                m.keys()
                    .all(|k| crate::accept::accepts(&self.reader, &rn, &Json::String(k.clone())))
            });
        let open_fine = !open
            || match w.get("propertyNames") {
                Some(wn) => {
                    let wn = w.child(wn, &["propertyNames"]);
                    self.trial(|s| s.sub(&wn, &rn, path))
                }
                None => false,
            };
        if listed_fine && open_fine {
            return true;
        }
        let msg = format!(
            "the {reader} schema restricts the property names of {} (`propertyNames`) beyond the names documents written with the {writer} schema may use",
            field(path)
        );
        self.report(Rule::PropertyNamesNarrowed, w, r, path, msg);
        false
    }

    pub(crate) fn arrays(&mut self, w: &Node<'a>, r: &Node<'a>, path: &str) -> bool {
        let (writer, reader) = self.names();
        let mut ok = true;
        let (wp, wrest) = tuple(w);
        let (rp, rrest) = tuple(r);
        let num = |n: &Node, k: &str| n.get(k).and_then(Json::as_f64);
        let wmin = num(w, "minItems").unwrap_or(0.0);
        let mut wmax = num(w, "maxItems").unwrap_or(f64::INFINITY);
        if wrest.as_ref().is_some_and(Node::is_false) {
            wmax = wmax.min(wp.len() as f64);
        }
        for i in 0..wp.len().max(rp.len()) {
            if i as f64 >= wmax {
                break;
            }
            let ws = match wp.get(i) {
                Some(s) => s.clone(),
                None => match &wrest {
                    Some(s) => s.clone(),
                    None => Node::new(&TRUE, w.pointer.clone()),
                },
            };
            if ws.is_false() {
                break;
            }
            let rs = match rp.get(i) {
                Some(s) => s.clone(),
                None => match &rrest {
                    Some(s) => s.clone(),
                    None => continue,
                },
            };
            let at = format!("{path}[{i}]");
            ok &= self.items(&ws, &rs, &at);
        }
        let longest = wp.len().max(rp.len()) as f64;
        if wmax > longest {
            let ws = wrest.unwrap_or_else(|| Node::new(&TRUE, w.pointer.clone()));
            if let Some(rs) = rrest {
                ok &= self.items(&ws, &rs, &format!("{path}[]"));
            }
        }

        let rmin = num(r, "minItems").unwrap_or(0.0);
        let rmax = num(r, "maxItems").unwrap_or(f64::INFINITY);
        if rmin > wmin || rmax < wmax {
            let msg = format!(
                "the number of items of {} is limited in the {reader} schema (`minItems`/`maxItems`) beyond what documents written with the {writer} schema respect",
                field(path)
            );
            self.report(Rule::ArrayConstrained, w, r, path, msg);
            ok = false;
        }
        let unique = |n: &Node| n.get("uniqueItems").and_then(Json::as_bool) == Some(true);
        if unique(r) && !unique(w) && wmax > 1.0 {
            let msg = format!(
                "the items of {} must be unique in the {reader} schema, which documents written with the {writer} schema need not respect",
                field(path)
            );
            self.report(Rule::ArrayConstrained, w, r, path, msg);
            ok = false;
        }
        ok &= self.contains(w, r, path, wmin);
        ok
    }

    fn items(&mut self, ws: &Node<'a>, rs: &Node<'a>, at: &str) -> bool {
        if rs.is_false() && !ws.is_false() {
            let (writer, reader) = self.names();
            let msg = format!(
                "the {reader} schema allows fewer items in {}: documents written with the {writer} schema may have more",
                field(at.trim_end_matches("[]"))
            );
            self.report(Rule::ItemsNarrowed, ws, rs, at, msg);
            return false;
        }
        self.sub(ws, rs, at)
    }

    fn contains(&mut self, w: &Node<'a>, r: &Node<'a>, path: &str, wmin: f64) -> bool {
        let Some(rc) = r.get("contains") else {
            return true;
        };
        let rc = r.child(rc, &["contains"]);
        let num = |n: &Node, k: &str| n.get(k).and_then(Json::as_f64);
        let rmin = num(r, "minContains").unwrap_or(1.0);
        let rmax = num(r, "maxContains");
        let wmin_c = num(w, "minContains").unwrap_or(1.0);
        let wmax_c = num(w, "maxContains");
        let mut held = rmin <= 0.0;
        if !held && let Some(wc) = w.get("contains") {
            let wc = w.child(wc, &["contains"]);
            held = wmin_c >= rmin && self.trial(|s| s.sub(&wc, &rc, path));
        }
        if !held && wmin >= rmin {
            let (_, rest) = tuple(w);
            if let Some(rest) = rest {
                held = tuple(w).0.is_empty() && self.trial(|s| s.sub(&rest, &rc, path));
            }
        }
        if let Some(rmax) = rmax {
            let same = w
                .get("contains")
                .is_some_and(|wc| crate::same_but_annotations(wc, rc.json));
            held &= same && wmax_c.is_some_and(|m| m <= rmax);
        }
        if held {
            return true;
        }
        let (writer, reader) = self.names();
        let msg = format!(
            "the {reader} schema requires {} to contain matching items (`contains`, `minContains`, `maxContains`) that documents written with the {writer} schema need not have",
            field(path)
        );
        self.report(Rule::ArrayConstrained, w, r, path, msg);
        false
    }
}

/// The leading item schemas and the schema of the rest (`None`: any).
fn tuple<'a>(n: &Node<'a>) -> (Vec<Node<'a>>, Option<Node<'a>>) {
    let list = |key: &str| -> Option<Vec<Node<'a>>> {
        n.get(key).and_then(Json::as_array).map(|items| {
            items
                .iter()
                .enumerate()
                .map(|(i, s)| n.child(s, &[key, &i.to_string()]))
                .collect()
        })
    };
    let one = |key: &str| n.get(key).map(|s| n.child(s, &[key]));
    if let Some(prefix) = list("prefixItems") {
        let rest = one("items").or_else(|| one("unevaluatedItems"));
        return (prefix, rest);
    }
    if let Some(prefix) = list("items") {
        let rest = one("additionalItems").or_else(|| one("unevaluatedItems"));
        return (prefix, rest);
    }
    let rest = one("items")
        .or_else(|| one("additionalItems"))
        .or_else(|| one("unevaluatedItems"));
    (Vec::new(), rest)
}
