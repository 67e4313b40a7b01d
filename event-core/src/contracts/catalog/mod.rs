//! The event catalog: what a program's events are, who produces and consumes
//! them, and how their versions follow one another, from the
//! [`registry`].
//!
//! A [`Catalog`] renders in three [`Format`]s:
//!
//! - [`Format::AsyncApi`]: an AsyncAPI 3.0 document, `asyncapi.json`: a
//!   channel per integration event type and version, its message with the
//!   event's JSON Schema as payload and the CloudEvents attributes as headers
//!   (a shared message trait), a `send` operation for each integration event
//!   the program declares, and a `receive` operation for each consumer the
//!   registry knows (an event that `maps_from` it) or the catalog is told of
//!   ([`Catalog::consumer`]);
//! - [`Format::Markdown`]: an `index.md` and one page per event
//!   (`integration/product.updated.md`): its description, kind, versions
//!   with their schemas, the fields with their `pii` and `secret` marks, the
//!   upcast paths between versions, and what it maps from and to;
//! - [`Format::Mermaid`]: two diagrams, `flow.mmd` (domain events →
//!   integration events and notifications → consumers) and `versions.mmd`
//!   (the version lineage of each event).
//!
//! Write it from a build script, with a build-dependency on the crate that
//! declares the events:
//!
//! ```no_run
//! // build.rs
//! use event_core::catalog::{Catalog, Format};
//!
//! fn main() {
//!     let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("catalog");
//!     my_events::link();
//!     let catalog = Catalog::from_registry().version(env!("CARGO_PKG_VERSION"));
//!     for format in [Format::AsyncApi, Format::Markdown, Format::Mermaid] {
//!         catalog.write(format, &out.join(format.as_str())).unwrap();
//!     }
//! }
//! # mod my_events { pub fn link() {} }
//! ```
//!
//! or with the command line: `events catalog --format markdown --out docs/events`.
//!
//! ```
//! use event_core::catalog::{Catalog, Format};
//! use event_core::prelude::*;
//! use event_core::registry::EventRef;
//!
//! /// A parcel was handed to the carrier.
//! #[domain_event]
//! pub struct ParcelHandedOver {
//!     pub parcel_id: String,
//!     /// Who receives it.
//!     #[event(pii)]
//!     pub recipient_email: String,
//! }
//!
//! /// A parcel is on its way, for other bounded contexts.
//! #[integration_event(version = 1, maps_from = ParcelHandedOver)]
//! pub struct ParcelShippedIntegrationEvent {
//!     pub parcel_id: String,
//! }
//!
//! let catalog = Catalog::from_registry()
//!     .title("Shipping events")
//!     .consumer("tracking", EventRef::of::<ParcelShippedIntegrationEvent>());
//!
//! let asyncapi = catalog.asyncapi();
//! assert_eq!(asyncapi["asyncapi"], "3.0.0");
//! assert_eq!(asyncapi["operations"]["send.parcel.shipped.v1"]["action"], "send");
//!
//! let pages = catalog.render(Format::Markdown);
//! let page = pages.iter().find(|p| p.path == "domain/parcel.handed.over.md").unwrap();
//! assert!(page.text.contains("| `recipient_email` | string | yes | pii |"));
//!
//! let flow = &catalog.render(Format::Mermaid)[0];
//! assert!(flow.text.contains("-->|maps to| integration_parcel_shipped_v1"));
//! ```

mod asyncapi;
mod markdown;
mod mermaid;

use core::fmt;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::model::event::EventKind;
use crate::model::registry::{self, EventDescriptor, EventRef};

/// What a catalog is rendered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// An AsyncAPI 3.0 document: `asyncapi.json`.
    AsyncApi,
    /// An index and a page per event: `index.md`, `integration/product.updated.md`.
    Markdown,
    /// The flow and version diagrams: `flow.mmd`, `versions.mmd`.
    Mermaid,
}

impl Format {
    /// The format's name on the command line: `asyncapi`, `markdown` or
    /// `mermaid`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::AsyncApi => "asyncapi",
            Format::Markdown => "markdown",
            Format::Mermaid => "mermaid",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no catalog [`Format`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is no catalog format; use `asyncapi`, `markdown` or `mermaid`",
            self.0
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl std::str::FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "asyncapi" => Ok(Format::AsyncApi),
            "markdown" => Ok(Format::Markdown),
            "mermaid" => Ok(Format::Mermaid),
            other => Err(UnknownFormat(other.to_owned())),
        }
    }
}

/// One file of a rendered catalog: its path relative to the catalog's
/// folder, with `/` between folders, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The file's path: `integration/product.updated.md`.
    pub path: String,
    /// Its contents.
    pub text: String,
}

/// A consumer of an event: an application or bounded context named by the
/// catalog's user, or an event of the registry that maps from it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Consumer {
    /// Named with [`Catalog::consumer`].
    Named(String),
    /// A registered event declared with `maps_from` this one.
    Event(EventRef),
}

/// The events of a program, with their producers and consumers, ready to be
/// rendered. See [the module](self).
#[derive(Debug, Clone)]
pub struct Catalog {
    title: Option<String>,
    version: String,
    events: Vec<&'static EventDescriptor>,
    consumers: BTreeSet<(EventRef, String)>,
}

impl Catalog {
    /// The catalog of every registered event.
    #[must_use]
    pub fn from_registry() -> Self {
        Catalog::of(registry::all())
    }

    /// The catalog of these events (ordered by kind, type and version
    /// whatever their order here).
    #[must_use]
    pub fn of(events: impl IntoIterator<Item = &'static EventDescriptor>) -> Self {
        let mut events: Vec<_> = events.into_iter().collect();
        events.sort_by_key(|d| (d.kind, d.type_name, d.version, d.rust_name));
        Catalog {
            title: None,
            version: "0.0.0".to_owned(),
            events,
            consumers: BTreeSet::new(),
        }
    }

    /// The catalog's title; by default `<package> events` when every event
    /// comes from one package, `Events` otherwise.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The version of what the catalog describes (the AsyncAPI document's
    /// `info.version`); `0.0.0` by default.
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Says that `name` (an application, a bounded context) consumes
    /// `event`: a consumer the registry cannot know, since consumers
    /// subscribe at run time. It gets a `receive` operation in the AsyncAPI
    /// document and a place in the flow diagram.
    #[must_use]
    pub fn consumer(mut self, name: impl Into<String>, event: EventRef) -> Self {
        self.consumers.insert((event, name.into()));
        self
    }

    /// The events of the catalog.
    #[must_use]
    pub fn events(&self) -> &[&'static EventDescriptor] {
        &self.events
    }

    /// The catalog's title.
    #[must_use]
    pub fn title_text(&self) -> String {
        if let Some(title) = &self.title {
            return title.clone();
        }
        let packages: BTreeSet<_> = self
            .events
            .iter()
            .map(|d| d.package.map(|p| p.name))
            .collect();
        match packages.into_iter().collect::<Vec<_>>().as_slice() {
            [Some(name)] => format!("{name} events"),
            _ => "Events".to_owned(),
        }
    }

    /// The AsyncAPI 3.0 document. See [the module](self).
    #[must_use]
    pub fn asyncapi(&self) -> Value {
        asyncapi::document(self)
    }

    /// The catalog in `format`, as files.
    #[must_use]
    pub fn render(&self, format: Format) -> Vec<Page> {
        match format {
            Format::AsyncApi => {
                let mut text = serde_json::to_string_pretty(&self.asyncapi())
                    .unwrap_or_else(|_| String::from("{}"));
                text.push('\n');
                vec![Page {
                    path: "asyncapi.json".to_owned(),
                    text,
                }]
            }
            Format::Markdown => markdown::pages(self),
            Format::Mermaid => vec![
                Page {
                    path: "flow.mmd".to_owned(),
                    text: mermaid::flow(self),
                },
                Page {
                    path: "versions.mmd".to_owned(),
                    text: mermaid::versions(self),
                },
            ],
        }
    }

    /// Writes the catalog in `format` to the folder `dir` (made if missing)
    /// and returns the paths written, relative to it.
    ///
    /// # Errors
    ///
    /// The first folder or file that could not be written.
    pub fn write(&self, format: Format, dir: &Path) -> std::io::Result<Vec<String>> {
        let mut written = Vec::new();
        for page in self.render(format) {
            let path = dir.join(&page.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &page.text)?;
            written.push(page.path);
        }
        Ok(written)
    }

    /// The events grouped by kind and type name, each with its versions in
    /// order.
    pub(crate) fn types(
        &self,
    ) -> BTreeMap<(EventKind, &'static str), Vec<&'static EventDescriptor>> {
        let mut types: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for &descriptor in &self.events {
            types
                .entry((descriptor.kind, descriptor.type_name))
                .or_default()
                .push(descriptor);
        }
        types
    }

    /// The catalog's event for `event`, if it has one.
    pub(crate) fn find(&self, event: EventRef) -> Option<&'static EventDescriptor> {
        self.events.iter().find(|d| d.event_ref() == event).copied()
    }

    /// The events of the catalog that map from `event`.
    pub(crate) fn mapped_to(&self, event: EventRef) -> Vec<&'static EventDescriptor> {
        self.events
            .iter()
            .filter(|d| d.maps_from().contains(&event))
            .copied()
            .collect()
    }

    /// Who consumes `event`: the events that map from it, then the named
    /// consumers.
    pub(crate) fn consumers_of(&self, event: EventRef) -> Vec<Consumer> {
        let mut consumers: Vec<Consumer> = self
            .mapped_to(event)
            .into_iter()
            .map(|d| Consumer::Event(d.event_ref()))
            .collect();
        consumers.extend(
            self.consumers
                .iter()
                .filter(|(e, _)| *e == event)
                .map(|(_, name)| Consumer::Named(name.clone())),
        );
        consumers
    }

    /// Every named consumer, in name order, once.
    pub(crate) fn named_consumers(&self) -> BTreeSet<&str> {
        self.consumers.iter().map(|(_, n)| n.as_str()).collect()
    }
}

/// The description of an event's schema (its doc comment), if any.
pub(crate) fn description(schema: &Value) -> Option<&str> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|d| !d.is_empty())
}

/// An identifier made of ASCII letters, digits and `_` only.
pub(crate) fn ident(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
