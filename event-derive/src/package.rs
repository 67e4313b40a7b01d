//! The library of the package being compiled, for `check_contracts!()`: a
//! test, example or binary of the package links it, so that the registry
//! sees the library's events even when the test names none of its items.

use std::path::Path;

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

/// `{ extern crate <library> as _; <body> }` when the package has a library
/// that the calling crate can link and is not itself; `{ <body> }`
/// otherwise, or when the manifest says something this reading does not
/// understand.
pub fn link_library(body: TokenStream) -> TokenStream {
    let link = library_to_link().and_then(|library| syn::parse_str::<Ident>(&library).ok());
    match link {
        Some(library) => quote! {{
            #[allow(unused_extern_crates)]
            extern crate #library as _;
            #body
        }},
        None => quote!({ #body }),
    }
}

/// The library of the package being compiled, when the calling crate is
/// another crate of the package that can link it.
fn library_to_link() -> Option<String> {
    let var = |name| std::env::var(name).ok();
    let (dir, package, calling) = (
        var("CARGO_MANIFEST_DIR")?,
        var("CARGO_PKG_NAME")?,
        var("CARGO_CRATE_NAME")?,
    );
    // A build script cannot link the package's library.
    if calling == "build_script_build" {
        return None;
    }
    let dir = Path::new(&dir);
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let has_src_lib = dir.join("src").join("lib.rs").is_file();
    library_crate(&manifest, &package, has_src_lib).filter(|library| *library != calling)
}

/// The crate name of the package's linkable library, from its manifest:
/// `[lib] name`, or the package's name with `-` as `_` when the library is
/// declared without a name or found at `src/lib.rs`. `None` when there is
/// none, when it cannot be linked (`proc-macro`, a `crate-type` without
/// `lib`, `rlib` or `dylib`), or when the manifest declares it in a form this
/// line-by-line reading does not follow (`lib = { .. }`, `lib.name = ..`).
pub fn library_crate(manifest: &str, package_name: &str, has_src_lib: bool) -> Option<String> {
    let mut table = String::new();
    let mut lib_table = false;
    let mut name = None;
    let mut crate_types: Option<Vec<String>> = None;
    let mut proc_macro = false;
    let mut autolib = true;
    // Open brackets and braces of a value that goes on over several lines,
    // and whether a multi-line string is open: lines inside them are no
    // headers or keys.
    let mut depth = 0_i32;
    let mut in_string = false;
    for line in manifest.lines() {
        let line = line.trim();
        let continued = depth > 0 || in_string;
        if in_string {
            in_string = !closes_string(line);
        } else {
            let (opened, opens_string) = nesting(line);
            depth += opened;
            in_string = opens_string;
        }
        if continued {
            if table == "lib" {
                return None;
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // [lib], [package], [[bin]]
        if line.starts_with('[') {
            table = header(line)?;
            lib_table |= table == "lib";
            continue;
        }
        let (key, value) = line.split_once('=')?;
        let key = key.trim();
        let value = value.trim();
        match table.as_str() {
            // lib = { .. } or lib.name = ..: not followed here.
            "" if key == "lib" || key.starts_with("lib.") => return None,
            "lib" => match key {
                "name" => name = Some(string(value)?),
                "proc-macro" | "proc_macro" => proc_macro = value.starts_with("true"),
                "crate-type" | "crate_type" => crate_types = Some(strings(value)?),
                _ => {}
            },
            "package" if key == "autolib" => autolib = !value.starts_with("false"),
            _ => {}
        }
    }
    let linkable = !proc_macro
        && crate_types.is_none_or(|types| {
            types
                .iter()
                .any(|t| matches!(t.as_str(), "lib" | "rlib" | "dylib"))
        });
    let declared = lib_table || (autolib && has_src_lib);
    (declared && linkable).then(|| name.unwrap_or_else(|| package_name.replace('-', "_")))
}

/// The table a header line names: `lib` for `[lib]`, `bin` for `[[bin]]`;
/// `None` for anything else that starts with `[`.
fn header(line: &str) -> Option<String> {
    let inner = line.trim_start_matches('[');
    let end = inner.find(']')?;
    let rest = inner[end..].trim_start_matches(']').trim();
    let name = inner[..end].trim();
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    (plain && !name.is_empty() && (rest.is_empty() || rest.starts_with('#')))
        .then(|| name.to_owned())
}

/// How many brackets and braces `line` leaves open (outside strings), and
/// whether it leaves a multi-line string (`"""` or `'''`) open.
fn nesting(line: &str) -> (i32, bool) {
    let mut depth = 0;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (None, '#') => break,
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            _ => {}
        }
    }
    (depth, closes_string(line))
}

/// Whether `line` holds an odd number of multi-line string quotes.
fn closes_string(line: &str) -> bool {
    (line.matches(r#"""""#).count() + line.matches("'''").count()) % 2 == 1
}

/// The string a value starts with: `"shop"` or `'shop'`.
fn string(value: &str) -> Option<String> {
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &value[1..];
    let end = rest.find(quote)?;
    Some(rest[..end].to_owned())
}

/// The strings of a one-line array: `["cdylib", "rlib"]`.
fn strings(value: &str) -> Option<Vec<String>> {
    let inner = value.strip_prefix('[')?;
    let inner = &inner[..inner.find(']')?];
    inner
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::library_crate;

    const PACKAGE: &str = "[package]\nname = \"shop-events\"\nversion = \"0.1.0\"\n";

    #[test]
    fn a_library_at_src_lib_is_named_after_the_package() {
        assert_eq!(
            library_crate(PACKAGE, "shop-events", true).as_deref(),
            Some("shop_events")
        );
        assert_eq!(library_crate(PACKAGE, "shop-events", false), None);
    }

    #[test]
    fn a_lib_table_gives_the_name_and_the_library() {
        let manifest = format!(
            "{PACKAGE}\n[lib]\nname = \"shop\" # the short name\npath = \"lib.rs\"\n\n[[bin]]\nname = \"tool\"\n"
        );
        assert_eq!(
            library_crate(&manifest, "shop-events", false).as_deref(),
            Some("shop")
        );
        let unnamed = format!("{PACKAGE}\n[lib]\npath = \"lib.rs\"\n");
        assert_eq!(
            library_crate(&unnamed, "shop-events", false).as_deref(),
            Some("shop_events")
        );
    }

    #[test]
    fn a_library_that_cannot_be_linked_is_none() {
        for lib in [
            "[lib]\nproc-macro = true\n",
            "[lib]\ncrate-type = [\"cdylib\"]\n",
            "[lib]\ncrate-type = [\"staticlib\", \"cdylib\"]\n",
        ] {
            let manifest = format!("{PACKAGE}\n{lib}");
            assert_eq!(library_crate(&manifest, "shop-events", true), None, "{lib}");
        }
        let both = format!("{PACKAGE}\n[lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n");
        assert_eq!(
            library_crate(&both, "shop-events", true).as_deref(),
            Some("shop_events")
        );
    }

    #[test]
    fn values_over_several_lines_are_no_headers() {
        let manifest = format!(
            "{PACKAGE}keywords = [\n  \"events\",\n]\ndescription = \"\"\"\n[lib]\nname = \"nope\"\n\"\"\"\n\n[dependencies]\nserde = {{ version = \"1\", features = [\n  \"derive\",\n] }}\n\n[package.metadata.docs]\nall = [[\"a\"], [\"b\"]]\n"
        );
        assert_eq!(
            library_crate(&manifest, "shop-events", true).as_deref(),
            Some("shop_events")
        );
        assert_eq!(library_crate(&manifest, "shop-events", false), None);
    }

    #[test]
    fn autolib_false_turns_off_src_lib() {
        let manifest = format!("{PACKAGE}autolib = false\n");
        assert_eq!(library_crate(&manifest, "shop-events", true), None);
    }

    #[test]
    fn forms_not_followed_give_up_rather_than_guess() {
        for manifest in [
            "lib = { name = \"shop\" }\n[package]\nname = \"shop-events\"\n",
            "lib.name = \"shop\"\n[package]\nname = \"shop-events\"\n",
            "[package]\nname = \"shop-events\"\n[lib]\nname = shop\n",
            "[package]\nname = \"shop-events\"\n[lib]\ncrate-type = [\"cdylib\",\n  \"rlib\"]\n",
            "[package\n",
        ] {
            assert_eq!(
                library_crate(manifest, "shop-events", true),
                None,
                "{manifest}"
            );
        }
    }
}
