//! The Mermaid diagrams of a catalog.

use core::fmt::Write as _;

use super::{Catalog, Consumer, ident};
use crate::model::event::EventKind;
use crate::model::registry::EventRef;

/// The node of an event: `integration_product_updated_v2`.
fn node(event: EventRef) -> String {
    format!(
        "{}_{}_v{}",
        event.kind,
        ident(event.type_name),
        event.version
    )
}

fn label(event: EventRef, rust_name: &str) -> String {
    format!(
        "[\"{} v{}<br/><small>{rust_name}</small>\"]",
        event.type_name, event.version
    )
}

/// Domain events → integration events and notifications (`maps_from`) →
/// consumers (events mapped from an integration event, and the named
/// consumers).
pub(super) fn flow(catalog: &Catalog) -> String {
    let mut out = String::from("flowchart LR\n");
    for (kind, title) in [
        (EventKind::Domain, "Domain events"),
        (EventKind::Integration, "Integration events"),
        (EventKind::Notification, "Notifications"),
    ] {
        let events: Vec<_> = catalog.events.iter().filter(|d| d.kind == kind).collect();
        if events.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  subgraph {kind}[\"{title}\"]");
        for descriptor in events {
            let event = descriptor.event_ref();
            let _ = writeln!(
                out,
                "    {}{}",
                node(event),
                label(event, descriptor.rust_name)
            );
        }
        out.push_str("  end\n");
    }
    let named = catalog.named_consumers();
    if !named.is_empty() {
        out.push_str("  subgraph consumers[\"Consumers\"]\n");
        for name in &named {
            let _ = writeln!(
                out,
                "    consumer_{}([\"{}\"])",
                ident(name),
                name.replace('"', "#quot;")
            );
        }
        out.push_str("  end\n");
    }
    for descriptor in &catalog.events {
        for source in descriptor.maps_from() {
            if catalog.find(source).is_some() {
                let _ = writeln!(
                    out,
                    "  {} -->|maps to| {}",
                    node(source),
                    node(descriptor.event_ref())
                );
            }
        }
    }
    for descriptor in catalog
        .events
        .iter()
        .filter(|d| d.kind == EventKind::Integration)
    {
        for consumer in catalog.consumers_of(descriptor.event_ref()) {
            if let Consumer::Named(name) = consumer {
                let _ = writeln!(
                    out,
                    "  {} -->|consumed by| consumer_{}",
                    node(descriptor.event_ref()),
                    ident(&name)
                );
            }
        }
    }
    out
}

/// Each event type's versions, oldest first: `upcast` where a version is
/// decoded from the one before, a dotted arrow where it is only the next.
pub(super) fn versions(catalog: &Catalog) -> String {
    let mut out = String::from("flowchart LR\n");
    for ((kind, type_name), versions) in catalog.types() {
        let _ = writeln!(
            out,
            "  subgraph {kind}_{}[\"{kind} {type_name}\"]",
            ident(type_name)
        );
        for descriptor in &versions {
            let event = descriptor.event_ref();
            let _ = writeln!(
                out,
                "    {}{}",
                node(event),
                label(event, descriptor.rust_name)
            );
        }
        for pair in versions.windows(2) {
            let (older, newer) = (pair[0].event_ref(), pair[1].event_ref());
            if pair[1].upcast_from() == Some(older) {
                let _ = writeln!(out, "    {} -->|upcast| {}", node(older), node(newer));
            } else {
                let _ = writeln!(out, "    {} -.->|next| {}", node(older), node(newer));
            }
        }
        out.push_str("  end\n");
    }
    out
}
