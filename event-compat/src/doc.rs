//! A schema document: its root, its `$anchor`s and `$id`s, and the
//! resolution of `$ref`s (JSON Pointers with `~0`/`~1` escapes and
//! percent-encoding, anchors, and `$id`s of embedded resources).

use std::collections::HashMap;

use crate::World;
use crate::json::Json;

pub(crate) struct Doc<'a> {
    pub root: &'a Json,
    pub world: World,
    anchors: HashMap<&'a str, (&'a Json, String)>,
    ids: HashMap<&'a str, (&'a Json, String)>,
}

impl<'a> Doc<'a> {
    pub fn new(root: &'a Json) -> Self {
        let mut doc = Doc {
            root,
            world: World::of(root),
            anchors: HashMap::new(),
            ids: HashMap::new(),
        };
        // An explicit stack: a deep document cannot exhaust the call stack.
        let mut stack = vec![(root, String::new())];
        while let Some((node, pointer)) = stack.pop() {
            match node {
                Json::Object(map) => {
                    if let Some(anchor) = map.get("$anchor").and_then(Json::as_str) {
                        doc.anchors.entry(anchor).or_insert((node, pointer.clone()));
                    }
                    if let Some(anchor) = map.get("$dynamicAnchor").and_then(Json::as_str) {
                        doc.anchors.entry(anchor).or_insert((node, pointer.clone()));
                    }
                    if let Some(id) = map.get("$id").and_then(Json::as_str) {
                        doc.ids.entry(id).or_insert((node, pointer.clone()));
                    }
                    for (key, child) in map {
                        // Values of `enum`, `const` and annotations are data,
                        // not schemas.
                        if crate::keywords::is_data(key) {
                            continue;
                        }
                        stack.push((child, format!("{pointer}/{}", escape(key))));
                    }
                }
                Json::Array(items) => {
                    for (i, child) in items.iter().enumerate() {
                        stack.push((child, format!("{pointer}/{i}")));
                    }
                }
                _ => {}
            }
        }
        doc
    }

    /// The schema a `$ref` names, with its pointer in this document.
    pub fn resolve(&self, reference: &str) -> Option<(&'a Json, String)> {
        let (base, fragment) = match reference.split_once('#') {
            Some((base, fragment)) => (base, fragment),
            None => (reference, ""),
        };
        let (start, start_pointer) = if base.is_empty() {
            (self.root, String::new())
        } else {
            self.resource(base)?
        };
        let fragment = percent_decode(fragment)?;
        if fragment.is_empty() {
            return Some((start, start_pointer));
        }
        if !fragment.starts_with('/') {
            return self
                .anchors
                .get(fragment.as_str())
                .map(|(node, pointer)| (*node, pointer.clone()));
        }
        let mut node = start;
        let mut pointer = start_pointer;
        for raw in fragment[1..].split('/') {
            let segment = raw.replace("~1", "/").replace("~0", "~");
            node = match node {
                Json::Object(map) => map.get(&segment)?,
                Json::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
            pointer.push('/');
            pointer.push_str(&escape(&segment));
        }
        Some((node, pointer))
    }

    /// The embedded resource whose `$id` is `base`: the same text, or the
    /// same last path segment (a relative reference against the root's
    /// `$id`).
    fn resource(&self, base: &str) -> Option<(&'a Json, String)> {
        if let Some((node, pointer)) = self.ids.get(base) {
            return Some((*node, pointer.clone()));
        }
        let last = |s: &str| s.rsplit('/').next().unwrap_or(s).to_owned();
        let wanted = last(base);
        self.ids
            .iter()
            .filter(|(id, _)| last(id) == wanted)
            .min_by_key(|(_, (_, pointer))| pointer.len())
            .map(|(_, (node, pointer))| (*node, pointer.clone()))
    }
}

/// A key as a JSON Pointer segment.
pub(crate) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Percent-decoded text (`%25` to `%`), as URI fragments and protocol
/// headers encode it; `None` for a broken escape or bytes that are not
/// UTF-8.
#[must_use]
pub fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            // Two hexadecimal digits: `from_str_radix` alone would take a
            // sign (`%+f`).
            let &[high, low] = bytes.get(i + 1..i + 3)? else {
                return None;
            };
            let digit = |b: u8| char::from(b).to_digit(16);
            let (high, low) = (digit(high)?, digit(low)?);
            out.push(u8::try_from(high * 16 + low).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn resolves_pointers_escapes_and_anchors() {
        let root = parse(
            br#"{ "$defs": { "a/b": { "type": "string" }, "c~d": { "type": "integer" },
                 "per cent%": { "type": "null" }, "named": { "$anchor": "here", "type": "boolean" },
                 "inner": { "$id": "inner.json", "type": "array" } } }"#,
        )
        .unwrap();
        let doc = Doc::new(&root);
        let ty = |r: &str| doc.resolve(r).and_then(|(n, _)| n.get("type").cloned());
        assert_eq!(ty("#/$defs/a~1b"), Some(Json::String("string".into())));
        assert_eq!(ty("#/$defs/c~0d"), Some(Json::String("integer".into())));
        assert_eq!(
            ty("#/$defs/per%20cent%25"),
            Some(Json::String("null".into()))
        );
        assert_eq!(ty("#here"), Some(Json::String("boolean".into())));
        assert_eq!(ty("inner.json"), Some(Json::String("array".into())));
        assert_eq!(doc.resolve("#/$defs/a~1b").unwrap().1, "/$defs/a~1b");
        assert!(doc.resolve("#/$defs/missing").is_none());
        assert!(doc.resolve("#/$defs/%zz").is_none());
    }
}
