//! `event-core` is built in layers, and imports run one way: the event model
//! imports nothing above it, encoding only the model, contracts the model and
//! encoding, delivery the three, and the adapters any of them, but never
//! another adapter. This reads every source file of the crate and names each
//! import that runs the other way.
//!
//! The layer of a file is its folder under `event-core/src`; `lib.rs` (the
//! public faces), `__private.rs` (what the macros' generated code calls) and
//! `trace.rs` (internal macros) belong to none and may import anything.

use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first.
const LAYERS: [&str; 5] = ["model", "encoding", "contracts", "delivery", "adapters"];

/// The files outside the layers.
const EXEMPT: [&str; 3] = ["lib.rs", "__private.rs", "trace.rs"];

/// The public modules at the crate root that are faces of a layer's module,
/// with that layer (and, for an adapter, the adapter).
const FACES: [(&str, &str, Option<&str>); 21] = [
    ("prelude", "model", None),
    ("registry", "model", None),
    ("binding", "encoding", None),
    ("cloudevent", "encoding", None),
    ("decode", "encoding", None),
    ("compat", "contracts", None),
    ("mapping", "delivery", None),
    ("retry", "delivery", None),
    ("testing", "delivery", None),
    ("relay", "delivery", None),
    ("transport", "delivery", None),
    ("integration", "delivery", None),
    ("notify", "delivery", None),
    ("dead_letter", "delivery", None),
    ("host", "delivery", None),
    ("sqlite", "adapters", Some("sqlite")),
    ("nats", "adapters", Some("nats")),
    ("postgres", "adapters", Some("postgres")),
    ("rabbitmq", "adapters", Some("rabbitmq")),
    ("contracts", "contracts", None),
    ("catalog", "contracts", None),
];

fn rank(layer: &str) -> usize {
    LAYERS.iter().position(|l| *l == layer).expect("a layer")
}

/// Where a file sits: its layer, its adapter if it is in one, and its
/// module path (`["model", "envelope"]`).
struct Place {
    layer: String,
    adapter: Option<String>,
    module: Vec<String>,
}

fn place(relative: &Path) -> Option<Place> {
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let file = parts.pop()?;
    let stem = file.strip_suffix(".rs")?;
    if parts.is_empty() {
        return None;
    }
    let layer = parts[0].clone();
    let adapter = (layer == "adapters")
        .then(|| parts.get(1).cloned())
        .flatten();
    let mut module = parts;
    if stem != "mod" {
        module.push(stem.to_owned());
    }
    // A layer's file mounted at the root with `#[path]`: `contracts/compat.rs`
    // is `crate::compat`.
    if relative == Path::new("contracts/compat.rs") {
        module = vec!["compat".to_owned()];
    }
    Some(Place {
        layer,
        adapter,
        module,
    })
}

/// The source without comments (line comments, doc comments and block
/// comments); strings are kept, so a `//` inside one cuts the rest of its
/// line, which can only hide an import, never invent one.
fn strip_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
        } else {
            let c = rest.chars().next().expect("not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The paths after `crate::`, `super::` and `self::` in `code`, each as its
/// segments (`crate::{a::B, c}` gives `a::B` and `c`), with the line it is
/// on.
fn paths(code: &str) -> Vec<(usize, usize, Vec<String>)> {
    let mut found = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            let before = code[..at].chars().next_back();
            // `$crate::` is a macro's path to whatever crate uses it; `super::`
            // inside `super::super::` is counted once, at its start.
            if before.is_some_and(|c| is_ident(c) || c == '$' || c == ':') {
                continue;
            }
            let line = code[..at].matches('\n').count() + 1;
            let head = start.trim_end_matches("::").to_owned();
            for tail in expand(&code[from..]) {
                let mut segments = vec![head.clone()];
                segments.extend(tail);
                found.push((at, line, segments));
            }
        }
    }
    found
}

/// The inline modules of a file (`mod tests { .. }`), outermost first, each
/// with the span of its body, so that `super::` inside one is read from
/// there.
fn inline_modules(code: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find("mod ") {
        let at = from + i;
        from = at + 4;
        if code[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = &code[from..];
        let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
        let after = rest[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with('{') {
            continue;
        }
        let open = code.len() - after.len();
        let mut depth = 0;
        let mut close = code.len();
        for (j, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + j;
                        break;
                    }
                }
                _ => {}
            }
        }
        found.push((name, open..close));
    }
    found
}

/// The paths of one use tree: `a::b::C` or `{a::B, c::{D, E}}`.
fn expand(text: &str) -> Vec<Vec<String>> {
    let text = text.trim_start();
    if let Some(inner) = text.strip_prefix('{') {
        let mut depth = 0;
        let mut end = inner.len();
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    end = i;
                    break;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        let mut out = Vec::new();
        let (mut depth, mut item_start) = (0, 0);
        let inner = &inner[..end];
        for (i, c) in inner.char_indices().chain([(inner.len(), ',')]) {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    let item = inner[item_start..i].trim();
                    if !item.is_empty() {
                        out.extend(expand(item));
                    }
                    item_start = i + 1;
                }
                _ => {}
            }
        }
        return out;
    }
    let ident: String = text.chars().take_while(|c| is_ident(*c)).collect();
    if ident.is_empty() {
        return vec![Vec::new()];
    }
    let rest = &text[ident.len()..];
    match rest.strip_prefix("::") {
        Some(rest) => expand(rest)
            .into_iter()
            .map(|mut tail| {
                tail.insert(0, ident.clone());
                tail
            })
            .collect(),
        None => vec![vec![ident]],
    }
}

/// The layer (and adapter) a path from a file at `module` leads into, or why
/// it leads nowhere a layer may go.
fn target(
    module: &[String],
    segments: &[String],
) -> Result<Option<(String, Option<String>)>, String> {
    let mut base: Vec<String> = match segments[0].as_str() {
        "crate" => Vec::new(),
        _ => module.to_vec(),
    };
    let mut rest = &segments[1..];
    if segments[0] == "super" {
        base.pop();
        while rest.first().is_some_and(|s| s == "super") {
            base.pop();
            rest = &rest[1..];
        }
    }
    let full: Vec<String> = base.iter().chain(rest).cloned().collect();
    let Some(first) = full.first() else {
        return Ok(None);
    };
    if LAYERS.contains(&first.as_str()) {
        let adapter = (first == "adapters")
            .then(|| full.get(1).cloned())
            .flatten();
        return Ok(Some((first.clone(), adapter)));
    }
    // The transport face also shows the in-process adapter.
    if first == "transport" && full.get(1).is_some_and(|s| s == "InMemoryTransport") {
        return Ok(Some(("adapters".to_owned(), Some("memory".to_owned()))));
    }
    if let Some((_, layer, adapter)) = FACES.iter().find(|(name, ..)| name == first) {
        return Ok(Some(((*layer).to_owned(), adapter.map(str::to_owned))));
    }
    match first.as_str() {
        "__private" => Err("the macros' runtime module, which imports every layer".into()),
        "trace" => Ok(None),
        _ => Err(format!(
            "`crate::{first}`, a name at the crate root: import it from its layer's module"
        )),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("a readable source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every import in `event-core/src` that runs from a lower layer to a higher
/// one, or from one adapter to another, named with its file and line.
fn violations(src: &Path) -> (Vec<String>, usize) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let (mut problems, mut checked) = (Vec::new(), 0);
    for path in files {
        let relative = path.strip_prefix(src).expect("under src");
        let name = relative.display().to_string().replace('\\', "/");
        if EXEMPT.contains(&name.as_str()) {
            continue;
        }
        let Some(place) = place(relative).filter(|p| LAYERS.contains(&p.layer.as_str())) else {
            problems.push(format!(
                "{name}: outside the layers ({}); move it into one",
                LAYERS.join(", ")
            ));
            continue;
        };
        let code = strip_comments(&fs::read_to_string(&path).expect("a readable file"));
        let inline = inline_modules(&code);
        for (at, line, segments) in paths(&code) {
            checked += 1;
            let shown = segments.join("::");
            let mut module = place.module.clone();
            module.extend(
                inline
                    .iter()
                    .filter(|(_, span)| span.contains(&at))
                    .map(|(name, _)| name.clone()),
            );
            match target(&module, &segments) {
                Err(why) => problems.push(format!("{name}:{line}: imports `{shown}`: {why}")),
                Ok(None) => {}
                Ok(Some((layer, adapter))) => {
                    if rank(&layer) > rank(&place.layer) {
                        problems.push(format!(
                            "{name}:{line}: imports `{shown}`, from the {} layer up into the {layer} layer",
                            place.layer
                        ));
                    } else if let (Some(own), Some(other)) = (&place.adapter, &adapter)
                        && own != other
                    {
                        problems.push(format!(
                            "{name}:{line}: imports `{shown}`: the {own} adapter uses the {other} adapter"
                        ));
                    }
                }
            }
        }
    }
    (problems, checked)
}

#[test]
fn imports_run_down_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("event-core/src");
    let (problems, checked) = violations(&src);
    assert!(
        problems.is_empty(),
        "imports that run up the layers of event-core (model < encoding < contracts < delivery < adapters):\n{}",
        problems.join("\n")
    );
    // Not passing because nothing was read.
    assert!(
        checked > 50,
        "only {checked} imports found under {}",
        src.display()
    );
}

#[test]
fn the_checker_sees_an_upward_import() {
    let model = ["model".to_owned(), "envelope".to_owned()];
    let code = strip_comments(
        "// use crate::delivery::bus;\nuse crate::{model::time::Timestamp, encoding::decode::{decode, payload}};\nfn f() { $crate::__private::x(); super::super::delivery::bus::f(); }",
    );
    let found = paths(&code);
    let targets: Vec<_> = found
        .iter()
        .map(|(_, _, segments)| target(&model, segments).map(|t| t.map(|(layer, _)| layer)))
        .collect();
    assert_eq!(
        targets,
        [
            Ok(Some("model".to_owned())),
            Ok(Some("encoding".to_owned())),
            Ok(Some("encoding".to_owned())),
            Ok(Some("delivery".to_owned())),
        ]
    );
    let adapter = [
        "adapters".to_owned(),
        "sqlite".to_owned(),
        "inbox".to_owned(),
    ];
    let segments: Vec<String> = ["crate", "transport", "InMemoryTransport"]
        .map(String::from)
        .into();
    assert_eq!(
        target(&adapter, &segments),
        Ok(Some(("adapters".to_owned(), Some("memory".to_owned()))))
    );
    let root: Vec<String> = ["crate", "Envelope"].map(String::from).into();
    assert!(target(&model, &root).is_err());
}
