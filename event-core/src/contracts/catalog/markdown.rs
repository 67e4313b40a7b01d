//! The Markdown catalog: an index and a page per event.

use core::fmt::Write as _;

use serde_json::Value;

use super::{Catalog, Consumer, Page, description, mermaid};
use crate::model::event::EventKind;
use crate::model::registry::{EventDescriptor, EventRef};

/// The page of an event type: `integration/product.updated.md`.
fn page_path(kind: EventKind, type_name: &str) -> String {
    format!("{kind}/{type_name}.md")
}

/// A link from one page to another's version section.
fn link(from: Option<EventKind>, to: EventRef) -> String {
    let path = page_path(to.kind, to.type_name);
    let path = if from.is_some() {
        format!("../{path}")
    } else {
        path
    };
    format!(
        "[{} `{}` v{}]({path}#version-{})",
        to.kind, to.type_name, to.version, to.version
    )
}

fn kind_title(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Domain => "Domain event",
        EventKind::Integration => "Integration event",
        EventKind::Notification => "Notification",
    }
}

/// Text safe in a table cell: no line break, no `|`.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

pub(super) fn pages(catalog: &Catalog) -> Vec<Page> {
    let types = catalog.types();
    let mut pages = vec![Page {
        path: "index.md".to_owned(),
        text: index(catalog, &types),
    }];
    for ((kind, type_name), versions) in &types {
        pages.push(Page {
            path: page_path(*kind, type_name),
            text: event_page(catalog, *kind, type_name, versions),
        });
    }
    pages
}

type Types = std::collections::BTreeMap<(EventKind, &'static str), Vec<&'static EventDescriptor>>;

fn index(catalog: &Catalog, types: &Types) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", catalog.title_text());
    let _ = writeln!(
        out,
        "{} event types, {} versions. Personal data: fields marked `pii` may travel and must be protected; `secret` fields never leave their domain event.\n",
        types.len(),
        catalog.events.len()
    );
    for kind in [
        EventKind::Domain,
        EventKind::Integration,
        EventKind::Notification,
    ] {
        let of_kind: Vec<_> = types.iter().filter(|((k, _), _)| *k == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {}s\n", kind_title(kind));
        out.push_str("| Event | Versions | Rust type | Personal data | Description |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for ((_, type_name), versions) in of_kind {
            let Some(latest) = versions.last() else {
                continue;
            };
            let schema = latest.schema();
            let numbers: Vec<String> = versions.iter().map(|d| d.version.to_string()).collect();
            let marked: Vec<String> = fields(&schema)
                .into_iter()
                .filter(|f| f.mark.is_some())
                .map(|f| format!("`{}` ({})", f.name, f.mark.unwrap_or_default()))
                .collect();
            let _ = writeln!(
                out,
                "| [`{type_name}`]({}) | {} | `{}` | {} | {} |",
                page_path(kind, type_name),
                numbers.join(", "),
                latest.rust_name,
                if marked.is_empty() {
                    "none".to_owned()
                } else {
                    marked.join(", ")
                },
                cell(description(&schema).unwrap_or(""))
            );
        }
        out.push('\n');
    }
    out.push_str("## Flow\n\nDomain events, the integration events and notifications mapped from them, and their consumers.\n\n```mermaid\n");
    out.push_str(&mermaid::flow(catalog));
    out.push_str("```\n\n## Versions\n\nEach event's versions; an `upcast` arrow is a path along which an older envelope is decoded as the newer version.\n\n```mermaid\n");
    out.push_str(&mermaid::versions(catalog));
    out.push_str("```\n");
    out
}

/// A field of an event, as its schema describes it.
struct Field {
    name: String,
    ty: String,
    required: bool,
    mark: Option<&'static str>,
    description: String,
}

fn fields(schema: &Value) -> Vec<Field> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| {
            let flag = |key: &str| property.get(key) == Some(&Value::Bool(true));
            Field {
                name: name.clone(),
                ty: type_text(property),
                required: required.contains(&name.as_str()),
                mark: if flag("x-secret") {
                    Some("secret")
                } else if flag("x-pii") {
                    Some("pii")
                } else {
                    None
                },
                description: property
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            }
        })
        .collect()
}

/// A short text of a property's type: `string`, `integer (uint64) or null`,
/// `array of string`, `Address`.
fn type_text(schema: &Value) -> String {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        return target.rsplit('/').next().unwrap_or(target).to_owned();
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            return options
                .iter()
                .map(type_text)
                .collect::<Vec<_>>()
                .join(" or ");
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return format!(
            "one of {}",
            values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let names: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return "any".to_owned(),
    };
    names
        .iter()
        .map(|name| match *name {
            "integer" | "number" => match schema.get("format").and_then(Value::as_str) {
                Some(format) => format!("{name} ({format})"),
                None => (*name).to_owned(),
            },
            "string" => match schema.get("format").and_then(Value::as_str) {
                Some(format) => format!("string ({format})"),
                None => "string".to_owned(),
            },
            "array" => match schema.get("items") {
                Some(items) => format!("array of {}", type_text(items)),
                None => "array".to_owned(),
            },
            other => other.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

fn event_page(
    catalog: &Catalog,
    kind: EventKind,
    type_name: &str,
    versions: &[&'static EventDescriptor],
) -> String {
    let mut out = String::new();
    let Some(latest) = versions.last() else {
        return out;
    };
    let latest_schema = latest.schema();
    let _ = writeln!(out, "# `{type_name}`\n");
    let numbers: Vec<String> = versions.iter().map(|d| d.version.to_string()).collect();
    let _ = writeln!(
        out,
        "{} · {} {} · [all events](../index.md)\n",
        kind_title(kind),
        if numbers.len() == 1 {
            "version"
        } else {
            "versions"
        },
        numbers.join(", ")
    );
    if let Some(text) = description(&latest_schema) {
        let _ = writeln!(out, "{text}\n");
    }

    let upcasts: Vec<_> = versions
        .iter()
        .filter_map(|d| d.upcast_from().map(|older| (older.version, d.version)))
        .collect();
    if !upcasts.is_empty() {
        out.push_str("## Upcast paths\n\n");
        out.push_str(
            "An envelope of an older version is decoded as a newer one along these steps:\n\n",
        );
        for descriptor in versions {
            let mut chain = vec![descriptor.version];
            let mut at = descriptor.version;
            while let Some((older, _)) = upcasts.iter().find(|(_, newer)| *newer == at) {
                chain.push(*older);
                at = *older;
            }
            if chain.len() > 1 {
                chain.reverse();
                let steps: Vec<String> = chain.iter().map(|v| format!("v{v}")).collect();
                let _ = writeln!(
                    out,
                    "- to version {}: {}",
                    descriptor.version,
                    steps.join(" → ")
                );
            }
        }
        out.push('\n');
    }

    for descriptor in versions.iter().rev() {
        version_section(catalog, &mut out, descriptor);
    }
    out
}

fn version_section(catalog: &Catalog, out: &mut String, descriptor: &EventDescriptor) {
    let schema = descriptor.schema();
    let _ = writeln!(out, "## Version {}\n", descriptor.version);
    let _ = writeln!(out, "- Full type: `{}`", descriptor.full_type);
    let _ = writeln!(out, "- Rust type: `{}`", descriptor.rust_name);
    if let Some(package) = descriptor.package {
        let _ = writeln!(out, "- Package: `{}`", package.name);
    }
    let _ = writeln!(out, "- Schema: `{}`", descriptor.schema_id);
    if let Some(contract) = descriptor.contract {
        let _ = writeln!(
            out,
            "- Compatibility with the previous version: `{}`",
            contract.compatibility.as_str()
        );
    }
    if let Some(older) = descriptor.upcast_from() {
        let _ = writeln!(out, "- Upcast from: {}", link(Some(older.kind), older));
    }
    let sources = descriptor.maps_from();
    if !sources.is_empty() {
        let links: Vec<String> = sources
            .iter()
            .map(|s| link(Some(descriptor.kind), *s))
            .collect();
        let _ = writeln!(out, "- Maps from: {}", links.join(", "));
    }
    let consumers = catalog.consumers_of(descriptor.event_ref());
    if !consumers.is_empty() {
        let targets: Vec<String> = consumers
            .iter()
            .map(|c| match c {
                Consumer::Event(target) => link(Some(descriptor.kind), *target),
                Consumer::Named(name) => format!("consumer `{}`", cell(name)),
            })
            .collect();
        let _ = writeln!(out, "- Maps to and consumed by: {}", targets.join(", "));
    }
    out.push('\n');

    let fields = fields(&schema);
    if fields.is_empty() {
        out.push_str("No fields.\n\n");
    } else {
        out.push_str("| Field | Type | Required | Personal data | Description |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for field in fields {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                cell(&field.name),
                cell(&field.ty),
                if field.required { "yes" } else { "no" },
                field.mark.unwrap_or(""),
                cell(&field.description)
            );
        }
        out.push('\n');
    }
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    let _ = writeln!(
        out,
        "<details><summary>JSON Schema of version {}</summary>\n\n```json\n{text}\n```\n\n</details>\n",
        descriptor.version
    );
}
