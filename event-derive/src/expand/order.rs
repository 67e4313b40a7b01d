//! A `#[derive(..)]` written above the event macro: the macro never sees it,
//! so it would derive the same traits again and the compiler would report
//! only a conflict. The declaring file is read to find such a derive, and the
//! error says to move the macro up.

use std::path::Path;

/// The traits the macros derive themselves.
const DERIVED: &[&str] = &[
    "Serialize",
    "Deserialize",
    "JsonSchema",
    "Debug",
    "Clone",
    "PartialEq",
];

/// A source file's text with where each of its lines starts, so that the
/// lines above an event are found without reading the file from its start
/// once per event.
pub struct Lines {
    text: Box<str>,
    /// The byte offset of each line.
    starts: Box<[usize]>,
}

impl Lines {
    pub fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .filter(|&at| at < text.len())
            .collect();
        Lines {
            text: text.into(),
            starts,
        }
    }

    /// Line `n`, counted from 1, without its line ending.
    fn line(&self, n: usize) -> Option<&str> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        let end = self.starts.get(n).copied().unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }
}

/// The traits of the macros' own derives that a `#[derive(..)]` written
/// before the attribute at `line` and `column` (1-based) of `source`
/// derives too.
pub fn derives_above(source: &Lines, line: usize, column: usize) -> Vec<&'static str> {
    // `#[derive(Debug)] #[domain_event]` on one line.
    let mut text: String = source
        .line(line)
        .map(|l| l.chars().take(column.saturating_sub(1)).collect())
        .unwrap_or_default();
    // The attributes and comments right above the macro, up to the end of
    // the previous item or a blank line.
    for above in (1..line).rev() {
        let Some(trimmed) = source.line(above).map(str::trim) else {
            break;
        };
        if trimmed.is_empty() || trimmed.ends_with('}') || trimmed.ends_with(';') {
            break;
        }
        text.insert_str(0, trimmed);
    }
    let mut found = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("derive(") {
        let list = &rest[at + "derive(".len()..];
        let list = &list[..list.find(')').unwrap_or(list.len())];
        for path in list.split(',') {
            let last = path.rsplit("::").next().unwrap_or_default().trim();
            if let Some(name) = DERIVED.iter().find(|d| **d == last)
                && !found.contains(name)
            {
                found.push(*name);
            }
        }
        rest = &rest[at + 1..];
    }
    found
}

/// The derives written above the macro being expanded, read from its file.
pub fn derives_above_call_site(file: Option<&Path>) -> Vec<&'static str> {
    if !proc_macro::is_available() {
        return Vec::new();
    }
    let span = proc_macro::Span::call_site();
    let (line, column) = (span.line(), span.column());
    file.and_then(source_text)
        .map(|source| derives_above(&source, line, column))
        .unwrap_or_default()
}

/// The text of a source file, read once while it is unchanged: every event
/// of a file looks at it. A long-lived process (an editor's macro server)
/// sees a changed modification time or length and reads it again.
fn source_text(file: &Path) -> Option<std::sync::Arc<Lines>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    /// The modification time and length a text was read at.
    type Stamp = (Option<std::time::SystemTime>, u64);
    type Files = HashMap<std::path::PathBuf, (Stamp, Arc<Lines>)>;
    static FILES: Mutex<Option<Files>> = Mutex::new(None);
    let meta = std::fs::metadata(file).ok()?;
    let stamp = (meta.modified().ok(), meta.len());
    let mut files = FILES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = files.get_or_insert_with(HashMap::new);
    if let Some((seen, text)) = files.get(file)
        && *seen == stamp
    {
        return Some(Arc::clone(text));
    }
    let text = Arc::new(Lines::new(&std::fs::read_to_string(file).ok()?));
    files.insert(file.to_owned(), (stamp, Arc::clone(&text)));
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::Lines;

    fn derives_above(source: &str, line: usize, column: usize) -> Vec<&'static str> {
        super::derives_above(&Lines::new(source), line, column)
    }

    #[test]
    fn finds_a_derive_written_above_the_macro() {
        let source = "use x;\n\n/// An order.\n#[derive(Debug, serde::Serialize)]\n#[domain_event]\npub struct OrderPlaced {}\n";
        assert_eq!(derives_above(source, 5, 1), ["Debug", "Serialize"]);
        let below = "#[domain_event]\n#[derive(Debug)]\npub struct OrderPlaced {}\n";
        assert!(derives_above(below, 1, 1).is_empty());
        let other_item = "#[derive(Debug)]\npub struct A;\n#[domain_event]\npub struct B {}\n";
        assert!(derives_above(other_item, 3, 1).is_empty());
        let unrelated = "#[derive(Hash)]\n#[domain_event]\npub struct B {}\n";
        assert!(derives_above(unrelated, 2, 1).is_empty());
        let one_line = "#[derive(Clone)] #[domain_event] pub struct B {}\n";
        assert_eq!(derives_above(one_line, 1, 18), ["Clone"]);
    }
}
