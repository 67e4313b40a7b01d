//! The comparison of a writer's schema with a reader's: does the reader
//! accept every document the writer's schema allows?
//!
//! Each (writer node, reader node) pair is compared once: its verdict is
//! memoized, so shared definitions cost one comparison and recursive types
//! terminate (a pair met again while it is being compared is assumed to hold,
//! the greatest fixed point: whatever breaks is reported where it breaks).
//! Combinators try alternatives quietly and report only what decides.

use std::collections::{HashMap, HashSet};

use crate::doc::{Doc, escape};
use crate::json::Json;
use crate::keywords::{self, Types};
use crate::{Direction, Rule, Violation};

/// Keywords a view of a schema leaves out, once they have been dealt with.
pub(crate) type Mask = u8;
pub(crate) const M_REF: Mask = 1;
pub(crate) const M_ALL_OF: Mask = 2;
pub(crate) const M_ANY_OF: Mask = 4;
pub(crate) const M_ONE_OF: Mask = 8;
pub(crate) const M_NOT: Mask = 16;
pub(crate) const M_IF: Mask = 32;

/// A schema node, where it is, and which of its keywords are left out.
#[derive(Clone)]
pub(crate) struct Node<'a> {
    pub json: &'a Json,
    pub pointer: String,
    pub mask: Mask,
}

impl<'a> Node<'a> {
    pub fn new(json: &'a Json, pointer: String) -> Self {
        Node {
            json,
            pointer,
            mask: 0,
        }
    }

    /// The keyword `key`, unless this view leaves it out.
    pub fn get(&self, key: &str) -> Option<&'a Json> {
        let bit = match key {
            "$ref" => M_REF,
            "allOf" => M_ALL_OF,
            "anyOf" => M_ANY_OF,
            "oneOf" => M_ONE_OF,
            "not" => M_NOT,
            "if" | "then" | "else" => M_IF,
            _ => 0,
        };
        if self.mask & bit != 0 {
            return None;
        }
        self.json.get(key)
    }

    pub fn without(&self, mask: Mask) -> Self {
        Node {
            json: self.json,
            pointer: self.pointer.clone(),
            mask: self.mask | mask,
        }
    }

    /// The child schema under `key` (and `index`, for lists and maps).
    pub fn child(&self, json: &'a Json, segments: &[&str]) -> Self {
        let mut pointer = self.pointer.clone();
        for segment in segments {
            pointer.push('/');
            pointer.push_str(&escape(segment));
        }
        Node::new(json, pointer)
    }

    pub fn is_false(&self) -> bool {
        self.json.as_bool() == Some(false)
    }

    /// Accepts every document: `true`, or no assertion left in the view.
    pub fn is_anything(&self) -> bool {
        match self.json {
            Json::Bool(b) => *b,
            Json::Object(map) => !map
                .keys()
                .any(|k| keywords::asserts(k, map) && self.get(k).is_some()),
            _ => true,
        }
    }

    /// A stand-in for a Rust type whose shape is not known here: only
    /// `x-rust-type`.
    pub fn opaque_type(&self) -> Option<&'a str> {
        let map = self.json.as_object()?;
        let ty = map.get("x-rust-type")?.as_str()?;
        let shapeless = !map.keys().any(|k| keywords::asserts(k, map));
        shapeless.then_some(ty)
    }

    fn key(&self) -> (usize, Mask) {
        (core::ptr::from_ref(self.json) as usize, self.mask)
    }
}

type Key = ((usize, Mask), (usize, Mask));

pub(crate) struct Walk<'a> {
    pub writer: Doc<'a>,
    pub reader: Doc<'a>,
    direction: Direction,
    /// Off while alternatives are tried: what they find is discarded.
    reporting: bool,
    out: Vec<Violation>,
    done: HashMap<Key, bool>,
    reported: HashSet<Key>,
    active: HashSet<Key>,
    depth: usize,
}

/// Nesting deeper than this is reported instead of followed, so that no
/// input exhausts the stack.
const MAX_DEPTH: usize = 256;

/// Every violation of `reader` reading documents of `writer`.
pub(crate) fn run(writer: &Json, reader: &Json, direction: Direction) -> Vec<Violation> {
    let mut walk = Walk {
        writer: Doc::new(writer),
        reader: Doc::new(reader),
        direction,
        reporting: true,
        out: Vec::new(),
        done: HashMap::new(),
        reported: HashSet::new(),
        active: HashSet::new(),
        depth: 0,
    };
    let w = Node::new(writer, String::new());
    let r = Node::new(reader, String::new());
    walk.sub(&w, &r, "");
    let mut seen = HashSet::new();
    walk.out
        .retain(|v| seen.insert((v.rule, v.old_pointer.clone(), v.new_pointer.clone())));
    walk.out
}

impl<'a> Walk<'a> {
    /// The schema names in messages: which one wrote, which one reads.
    pub fn names(&self) -> (&'static str, &'static str) {
        match self.direction {
            Direction::Backward => ("old", "new"),
            Direction::Forward => ("new", "old"),
        }
    }

    pub fn report(&mut self, rule: Rule, w: &Node, r: &Node, path: &str, message: String) {
        if !self.reporting {
            // A failed trial only needs to know that it failed.
            self.out.push(Violation {
                rule,
                direction: self.direction,
                old_pointer: String::new(),
                new_pointer: String::new(),
                path: String::new(),
                message: String::new(),
            });
            return;
        }
        let (old_pointer, new_pointer) = match self.direction {
            Direction::Backward => (w.pointer.clone(), r.pointer.clone()),
            Direction::Forward => (r.pointer.clone(), w.pointer.clone()),
        };
        self.out.push(Violation {
            rule,
            direction: self.direction,
            old_pointer,
            new_pointer,
            path: path.to_owned(),
            message,
        });
    }

    /// Runs `f` without reporting: whether it holds.
    pub fn trial(&mut self, f: impl FnOnce(&mut Self) -> bool) -> bool {
        let was = self.reporting;
        let len = self.out.len();
        self.reporting = false;
        let ok = f(self);
        self.reporting = was;
        self.out.truncate(len);
        ok
    }

    /// Whether every document of `w` is accepted by `r`; reports why not.
    pub fn sub(&mut self, w: &Node<'a>, r: &Node<'a>, path: &str) -> bool {
        let key = (w.key(), r.key());
        if let Some(&ok) = self.done.get(&key)
            && (ok || !self.reporting || self.reported.contains(&key))
        {
            return ok;
        }
        if self.active.contains(&key) {
            return true;
        }
        if self.depth >= MAX_DEPTH {
            let msg = format!(
                "{} is nested more than {MAX_DEPTH} schemas deep, which this checker does not follow: treated as breaking",
                field(path)
            );
            self.report(Rule::UnsupportedKeyword, w, r, path, msg);
            return false;
        }
        self.active.insert(key);
        self.depth += 1;
        let ok = self.compare(w, r, path);
        self.depth -= 1;
        self.active.remove(&key);
        self.done.insert(key, ok);
        if self.reporting {
            self.reported.insert(key);
        }
        ok
    }

    fn compare(&mut self, w: &Node<'a>, r: &Node<'a>, path: &str) -> bool {
        if w.is_false() {
            return true;
        }
        if w.opaque_type().is_some() || r.opaque_type().is_some() {
            return self.rust_types(w, r, path);
        }
        if r.is_anything() {
            return true;
        }
        if r.is_false() {
            let (writer, reader) = self.names();
            let msg = format!(
                "{} is rejected by the {reader} schema (`false`), but documents written with the {writer} schema may carry it",
                field(path)
            );
            self.report(Rule::Rejected, w, r, path, msg);
            return false;
        }

        // The writer's `$ref`: alone, the target; with other keywords,
        // one more conjunct.
        if let Some(target) = self.follow(w, true, r, path) {
            return match target {
                Follow::Broken => false,
                Follow::Only(t) => self.sub(&t, r, path),
                Follow::Beside(t) => {
                    let rest = w.without(M_REF);
                    if self.trial(|s| s.sub(&t, r, path)) || self.trial(|s| s.sub(&rest, r, path)) {
                        true
                    } else {
                        self.sub(&t, r, path)
                    }
                }
            };
        }
        // The writer's alternatives: each of them must be readable.
        for (keyword, bit) in [("anyOf", M_ANY_OF), ("oneOf", M_ONE_OF)] {
            if let Some(branches) = w.get(keyword).and_then(Json::as_array) {
                let base = w.without(bit);
                if !base.is_anything() && self.trial(|s| s.sub(&base, r, path)) {
                    return true;
                }
                let mut ok = true;
                for (i, branch) in branches.iter().enumerate() {
                    let b = w.child(branch, &[keyword, &i.to_string()]);
                    ok &= self.sub(&b, r, path);
                }
                return ok;
            }
        }
        // The reader's `$ref`.
        if let Some(target) = self.follow(r, false, w, path) {
            return match target {
                Follow::Broken => false,
                Follow::Only(t) => self.sub(w, &t, path),
                Follow::Beside(t) => {
                    let rest = r.without(M_REF);
                    let a = self.sub(w, &t, path);
                    self.sub(w, &rest, path) && a
                }
            };
        }
        // The reader's conjunction: every member must accept.
        if let Some(members) = r.get("allOf").and_then(Json::as_array) {
            let mut ok = self.sub(w, &r.without(M_ALL_OF), path);
            for (i, member) in members.iter().enumerate() {
                let m = r.child(member, &["allOf", &i.to_string()]);
                ok &= self.sub(w, &m, path);
            }
            return ok;
        }
        // The writer's conjunction: one member that the reader accepts is
        // enough.
        if let Some(members) = w.get("allOf").and_then(Json::as_array) {
            let base = w.without(M_ALL_OF);
            if !base.is_anything() && self.trial(|s| s.sub(&base, r, path)) {
                return true;
            }
            let nodes: Vec<Node<'a>> = members
                .iter()
                .enumerate()
                .map(|(i, m)| w.child(m, &["allOf", &i.to_string()]))
                .collect();
            for m in &nodes {
                if self.trial(|s| s.sub(m, r, path)) {
                    return true;
                }
            }
            // Report against the member that shares the reader's types.
            let pick = nodes
                .iter()
                .find(|m| !self.types_of(m, true).disjoint(self.types_of(r, false)))
                .cloned();
            return match pick {
                Some(m) if base.is_anything() => self.sub(&m, r, path),
                _ => self.sub(&base, r, path),
            };
        }
        if r.get("if").is_some() {
            return self.conditional(w, r, path);
        }
        if w.get("if").is_some() || w.get("then").is_some() || w.get("else").is_some() {
            // Documents of `w` are documents of `w` without its condition.
            return self.sub(&w.without(M_IF), r, path);
        }
        if let Some(excluded) = r.get("not") {
            return self.negation(w, r, excluded, path);
        }
        if w.get("not").is_some() {
            return self.sub(&w.without(M_NOT), r, path);
        }
        // The reader's alternatives: one of them must accept.
        for (keyword, bit) in [("anyOf", M_ANY_OF), ("oneOf", M_ONE_OF)] {
            if let Some(branches) = r.get(keyword).and_then(Json::as_array) {
                let base = r.without(bit);
                let ok = base.is_anything() || self.sub(w, &base, path);
                let nodes: Vec<Node<'a>> = branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| r.child(b, &[keyword, &i.to_string()]))
                    .collect();
                for b in &nodes {
                    if self.trial(|s| s.sub(w, b, path)) {
                        return ok;
                    }
                }
                let wt = self.types_of(w, true);
                let candidates: Vec<&Node<'a>> = nodes
                    .iter()
                    .filter(|b| !self.types_of(b, false).disjoint(wt))
                    .collect();
                if let [only] = candidates.as_slice() {
                    let only = (*only).clone();
                    self.sub(w, &only, path);
                } else {
                    let (writer, reader) = self.names();
                    let msg = format!(
                        "{} written with the {writer} schema may match none of the `{keyword}` alternatives of the {reader} schema",
                        field(path)
                    );
                    self.report(Rule::AlternativeRemoved, w, r, path, msg);
                }
                return false;
            }
        }
        self.base(w, r, path)
    }

    /// Follows the `$ref` of `n`, if it has one.
    fn follow(
        &mut self,
        n: &Node<'a>,
        writer: bool,
        other: &Node<'a>,
        path: &str,
    ) -> Option<Follow<'a>> {
        let reference = n.get("$ref")?;
        let doc = if writer { &self.writer } else { &self.reader };
        let resolved = reference.as_str().and_then(|r| doc.resolve(r));
        let Some((target, pointer)) = resolved else {
            let msg = format!(
                "`$ref` {reference} points nowhere in the {} schema",
                if writer == (self.direction == Direction::Backward) {
                    "old"
                } else {
                    "new"
                }
            );
            let (w, r) = if writer { (n, other) } else { (other, n) };
            self.report(Rule::UnresolvedReference, w, r, path, msg);
            return Some(Follow::Broken);
        };
        let target = Node::new(target, pointer);
        let rest = n.without(M_REF);
        Some(if rest.is_anything() {
            Follow::Only(target)
        } else {
            Follow::Beside(target)
        })
    }

    /// A Rust type whose shape is not known on one side: the recorded type
    /// names must match.
    fn rust_types(&mut self, w: &Node<'a>, r: &Node<'a>, path: &str) -> bool {
        let rust = |n: &Node<'a>| n.json.get("x-rust-type").and_then(Json::as_str);
        let (wt, rt) = (rust(w), rust(r));
        if wt.is_some() && wt == rt {
            return true;
        }
        let (old, new) = match self.direction {
            Direction::Backward => (wt, rt),
            Direction::Forward => (rt, wt),
        };
        let msg = format!(
            "the type of {} was `{}` and is now `{}`: documents of one may not read as the other",
            field(path),
            old.unwrap_or("unknown"),
            new.unwrap_or("unknown"),
        );
        self.report(Rule::RustTypeChanged, w, r, path, msg);
        false
    }

    /// `if`/`then`/`else` in the reader.
    fn conditional(&mut self, w: &Node<'a>, r: &Node<'a>, path: &str) -> bool {
        let rest = r.without(M_IF);
        let mut ok = rest.is_anything() || self.sub(w, &rest, path);
        let same_if = match (w.get("if"), r.get("if")) {
            (Some(a), Some(b)) => crate::same_but_annotations(a, b),
            _ => false,
        };
        for branch in ["then", "else"] {
            let Some(rb) = r.get(branch) else { continue };
            let rb = r.child(rb, &[branch]);
            let w_plain = w.without(M_IF);
            let holds = if same_if {
                let wb = w.get(branch).map(|b| w.child(b, &[branch]));
                self.trial(|s| s.sub(&w_plain, &rb, path))
                    || wb.is_some_and(|wb| self.trial(|s| s.sub(&wb, &rb, path)))
            } else {
                self.trial(|s| s.sub(&w_plain, &rb, path))
            };
            if !holds {
                let (writer, reader) = self.names();
                let msg = format!(
                    "the {reader} schema adds or changes a condition (`if`/`{branch}`) on {} that documents written with the {writer} schema may not meet",
                    field(path)
                );
                self.report(Rule::ConditionChanged, w, r, path, msg);
                ok = false;
            }
        }
        ok
    }

    /// `not` in the reader: documents of `w` must all stay out of it.
    fn negation(&mut self, w: &Node<'a>, r: &Node<'a>, excluded: &'a Json, path: &str) -> bool {
        let rest = r.without(M_NOT);
        let ok = rest.is_anything() || self.sub(w, &rest, path);
        let x = r.child(excluded, &["not"]);
        let holds = match w.get("not") {
            // not A within not B: B must lie within A.
            Some(wx) => {
                let wx = w.child(wx, &["not"]);
                self.trial(|s| s.sub_swapped(&x, &wx))
            }
            None => self.disjoint(w, &x),
        };
        if !holds {
            let (writer, reader) = self.names();
            let msg = format!(
                "the {reader} schema's `not` excludes values of {} that documents written with the {writer} schema may hold",
                field(path)
            );
            self.report(Rule::NotWidened, w, r, path, msg);
        }
        ok && holds
    }

    /// `a` within `b` where both come from the reader: used for `not`.
    fn sub_swapped(&mut self, a: &Node<'a>, b: &Node<'a>) -> bool {
        core::mem::swap(&mut self.writer, &mut self.reader);
        let ok = self.sub(a, b, "");
        core::mem::swap(&mut self.writer, &mut self.reader);
        ok
    }

    /// Whether no document of `w` is valid under `x` (a reader schema).
    fn disjoint(&mut self, w: &Node<'a>, x: &Node<'a>) -> bool {
        if let Some(values) = keywords::values(w) {
            return values
                .iter()
                .all(|v| !crate::accept::accepts(&self.reader, x, v));
        }
        if x.is_anything() {
            return false;
        }
        let wt = self.types_of(w, true);
        let xt = self.types_of(x, false);
        if wt.disjoint(xt) {
            return true;
        }
        // `not: { enum: [..] }` excludes a few values: fine when the
        // writer can hold none of them.
        if let Some(values) = keywords::values(x) {
            return values
                .iter()
                .all(|v| !crate::accept::accepts(&self.writer, w, v));
        }
        false
    }

    /// The JSON types a node's documents may have (`writer`) or that it
    /// accepts (reader), following a `$ref` once.
    pub fn types_of(&self, n: &Node<'a>, writer: bool) -> Types {
        let doc = if writer { &self.writer } else { &self.reader };
        let mut n = n.clone();
        for _ in 0..8 {
            match n
                .get("$ref")
                .and_then(Json::as_str)
                .and_then(|r| doc.resolve(r))
            {
                Some((t, p)) if n.without(M_REF).is_anything() => n = Node::new(t, p),
                _ => break,
            }
        }
        keywords::types(&n)
    }
}

enum Follow<'a> {
    Broken,
    Only(Node<'a>),
    Beside(Node<'a>),
}

/// A document path in messages: ``field `a.b` `` or `the document`.
pub(crate) fn field(path: &str) -> String {
    if path.is_empty() {
        "the document".to_owned()
    } else {
        format!("field `{path}`")
    }
}

/// `a` + `.b`, or `b` at the root.
pub(crate) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}
