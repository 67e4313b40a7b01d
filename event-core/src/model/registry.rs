//! Every event declared in the program, for schema export, catalogs and
//! decoding by type and version.
//!
//! The macros register each event they declare; nothing needs to be listed by
//! hand. The registry sees the events of every crate linked into the program.
//!
//! ```standalone_crate
//! use event_core::prelude::*;
//! use event_core::registry;
//!
//! /// A customer registered.
//! #[domain_event]
//! pub struct CustomerRegistered {
//!     pub customer_id: String,
//! }
//!
//! let found = registry::find(EventKind::Domain, "customer.registered", 1).unwrap();
//! assert_eq!(found.rust_name, "CustomerRegistered");
//! assert!(registry::check_unique().is_ok());
//! ```

use core::fmt;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde_json::Value;

use event_compat::Compatibility;

use crate::model::event::{Event, EventKind};
pub use crate::model::schema::VOCABULARY;

/// What the registry knows of one declared event.
#[derive(Debug, Clone, Copy)]
pub struct EventDescriptor {
    /// The event's kind.
    pub kind: EventKind,
    /// Its stable type name: `product.updated`.
    pub type_name: &'static str,
    /// Its version.
    pub version: u32,
    /// Type name and version: `product.updated.v2`.
    pub full_type: &'static str,
    /// The `$id` of its JSON Schema.
    pub schema_id: &'static str,
    /// The Rust type's name.
    pub rust_name: &'static str,
    /// The module that declares it, as `module_path!()` gives it.
    pub module_path: &'static str,
    /// The cargo package that declares it, when it was built by cargo.
    pub package: Option<Package>,
    /// For integration events: where the frozen snapshot of this version is
    /// (or would be written), and how it must stay compatible with the
    /// previous version.
    pub contract: Option<ContractInfo>,
    /// The events this one maps from (`maps_from = [..]`), as generated code
    /// gives them: `None` for a source the macro reported as no event.
    maps_from: &'static [Option<EventRef>],
    /// The previous version this one upcasts from (`upcast_from = Older`).
    upcast_from: Option<EventRef>,
    schema: fn() -> Value,
}

/// A reference to a declared event: its kind, type name and version.
///
/// ```
/// use event_core::prelude::*;
/// use event_core::registry::EventRef;
///
/// /// A parcel was handed to the carrier.
/// #[domain_event]
/// pub struct ParcelHandedOver {
///     pub parcel_id: String,
/// }
///
/// let parcel = EventRef::of::<ParcelHandedOver>();
/// assert_eq!(parcel.type_name, "parcel.handed.over");
/// assert_eq!(parcel.to_string(), "domain parcel.handed.over.v1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventRef {
    /// The event's kind.
    pub kind: EventKind,
    /// Its type name: `product.updated`.
    pub type_name: &'static str,
    /// Its version.
    pub version: u32,
}

impl EventRef {
    /// The reference to `E`.
    #[must_use]
    pub const fn of<E: Event>() -> Self {
        EventRef {
            kind: E::KIND,
            type_name: E::TYPE_NAME,
            version: E::VERSION,
        }
    }

    /// The registered event this refers to, if one is.
    #[must_use]
    pub fn descriptor(&self) -> Option<&'static EventDescriptor> {
        find(self.kind, self.type_name, self.version)
    }
}

impl fmt::Display for EventRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}.v{}", self.kind, self.type_name, self.version)
    }
}

/// The cargo package that declares an event: every crate of a package (its
/// library, tests, examples) shares its name and manifest folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Package {
    /// The package's name, as `CARGO_PKG_NAME` gives it: `shop-events`.
    pub name: &'static str,
    /// The folder of its `Cargo.toml`, as `CARGO_MANIFEST_DIR` gives it.
    pub manifest_dir: &'static str,
}

/// Where an integration event version's contract snapshot lives, and its
/// compatibility mode.
#[derive(Debug, Clone, Copy)]
pub struct ContractInfo {
    /// The snapshot file: `<crate>/contracts/product.updated.v2.json`.
    pub file: &'static str,
    /// How this version must stay compatible with the previous one.
    pub compatibility: Compatibility,
}

impl EventDescriptor {
    /// The descriptor of `E`; `module_path` and `rust_name` say where it is
    /// declared.
    #[must_use]
    pub const fn of<E: Event>(module_path: &'static str, rust_name: &'static str) -> Self {
        EventDescriptor {
            kind: E::KIND,
            type_name: E::TYPE_NAME,
            version: E::VERSION,
            full_type: E::FULL_TYPE,
            schema_id: E::SCHEMA_ID,
            rust_name,
            module_path,
            package: None,
            contract: None,
            maps_from: &[],
            upcast_from: None,
            schema: <E as Event>::schema,
        }
    }

    /// The same descriptor, declared in the cargo package `name` whose
    /// manifest is in `manifest_dir`.
    #[must_use]
    pub const fn in_package(mut self, name: &'static str, manifest_dir: &'static str) -> Self {
        self.package = Some(Package { name, manifest_dir });
        self
    }

    /// The same descriptor with its contract snapshot and compatibility mode.
    #[must_use]
    pub const fn with_contract(mut self, file: &'static str, compatibility: Compatibility) -> Self {
        self.contract = Some(ContractInfo {
            file,
            compatibility,
        });
        self
    }

    /// The same descriptor, mapped from `sources` (`maps_from = [..]`).
    #[must_use]
    pub const fn mapping_from(mut self, sources: &'static [Option<EventRef>]) -> Self {
        self.maps_from = sources;
        self
    }

    /// The same descriptor, upcast from the previous version `older`
    /// (`upcast_from = Older`).
    #[must_use]
    pub const fn upcasting_from(mut self, older: Option<EventRef>) -> Self {
        self.upcast_from = older;
        self
    }

    /// The events this one maps from (`maps_from = [..]`), in the order the
    /// attribute names them; empty for an event without `maps_from`.
    #[must_use]
    pub fn maps_from(&self) -> Vec<EventRef> {
        self.maps_from.iter().flatten().copied().collect()
    }

    /// The previous version this one is upcast from when an older envelope
    /// is decoded (`upcast_from = Older`).
    #[must_use]
    pub fn upcast_from(&self) -> Option<EventRef> {
        self.upcast_from
    }

    /// This event as an [`EventRef`].
    #[must_use]
    pub const fn event_ref(&self) -> EventRef {
        EventRef {
            kind: self.kind,
            type_name: self.type_name,
            version: self.version,
        }
    }

    /// The event's JSON Schema, as [`Event::schema`] builds it.
    #[must_use]
    pub fn schema(&self) -> Value {
        (self.schema)()
    }

    /// The Rust path of the event: `shop::catalog::ProductPutOnSale`.
    #[must_use]
    pub fn rust_path(&self) -> String {
        format!("{}::{}", self.module_path, self.rust_name)
    }

    fn key(&self) -> (EventKind, &'static str, u32) {
        (self.kind, self.type_name, self.version)
    }
}

inventory::collect!(EventDescriptor);

/// The registry, sorted once and indexed by type name on first use.
struct Index {
    sorted: Vec<&'static EventDescriptor>,
    by_name: HashMap<&'static str, Vec<&'static EventDescriptor>>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut sorted: Vec<_> = inventory::iter::<EventDescriptor>.into_iter().collect();
        sorted.sort_by(|a, b| {
            a.key()
                .cmp(&b.key())
                .then_with(|| a.module_path.cmp(b.module_path))
                .then_with(|| a.rust_name.cmp(b.rust_name))
        });
        let mut by_name: HashMap<_, Vec<_>> = HashMap::new();
        for &descriptor in &sorted {
            by_name
                .entry(descriptor.type_name)
                .or_default()
                .push(descriptor);
        }
        Index { sorted, by_name }
    })
}

/// Every registered event, ordered by kind, type name and version.
#[must_use]
pub fn all() -> Vec<&'static EventDescriptor> {
    index().sorted.clone()
}

/// Every registered event of this type name, of any kind, ordered by kind
/// and version; a hash lookup, the registry being indexed once.
#[must_use]
pub fn versions(type_name: &str) -> &'static [&'static EventDescriptor] {
    index().by_name.get(type_name).map_or(&[], Vec::as_slice)
}

/// The event of this kind, type name and version, if one is registered.
///
/// Type names are scoped by kind: the domain event `OrderConfirmed` and the
/// integration event `OrderConfirmedIntegrationEvent` may both be
/// `order.confirmed`, since domain events never leave their process.
#[must_use]
pub fn find(kind: EventKind, type_name: &str, version: u32) -> Option<&'static EventDescriptor> {
    versions(type_name)
        .iter()
        .find(|d| d.kind == kind && d.version == version)
        .copied()
}

/// Checks that no two Rust types claim the same kind, type name and version.
///
/// The macros catch two such events declared in one module at compile time;
/// this check covers the whole program. Run it in a test of the program:
///
/// ```standalone_crate
/// event_core::registry::check_unique().expect("each event type is declared once");
/// ```
///
/// # Errors
///
/// [`DuplicateEventTypes`] lists every claim made more than once, with the
/// Rust types that make it.
pub fn check_unique() -> Result<(), DuplicateEventTypes> {
    let mut claims: BTreeMap<_, Vec<&'static EventDescriptor>> = BTreeMap::new();
    for descriptor in all() {
        claims.entry(descriptor.key()).or_default().push(descriptor);
    }
    let duplicates: Vec<_> = claims
        .into_values()
        .filter(|claimants| claimants.len() > 1)
        .collect();
    if duplicates.is_empty() {
        Ok(())
    } else {
        Err(DuplicateEventTypes { duplicates })
    }
}

/// Two or more Rust types claim the same kind, type name and version.
#[derive(Debug, Clone)]
pub struct DuplicateEventTypes {
    duplicates: Vec<Vec<&'static EventDescriptor>>,
}

impl DuplicateEventTypes {
    /// Each claim made more than once, with every type that makes it.
    #[must_use]
    pub fn duplicates(&self) -> &[Vec<&'static EventDescriptor>] {
        &self.duplicates
    }
}

impl fmt::Display for DuplicateEventTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, claimants) in self.duplicates.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            let first = claimants[0];
            write!(
                f,
                "{} event type `{}` is declared by ",
                first.kind, first.full_type
            )?;
            for (j, claimant) in claimants.iter().enumerate() {
                if j > 0 {
                    f.write_str(" and ")?;
                }
                write!(f, "`{}`", claimant.rust_path())?;
            }
        }
        f.write_str(": give each a distinct `name = \"...\"` or `version = N`")
    }
}

impl std::error::Error for DuplicateEventTypes {}

/// Checks that no upcast skips a registered version: an event that
/// upcasts from version 1 while a version 2 of its type is declared reads
/// no version-2 envelope (decoding one fails with
/// [`DecodeError::NoUpcastPath`](crate::DecodeError::NoUpcastPath)), and a
/// consumer of it is not subscribed to version 2. The macros cannot see
/// versions declared in other modules; run this in a test of the program:
///
/// ```standalone_crate
/// event_core::registry::check_upcasts().expect("each upcast reads the version before it");
/// ```
///
/// # Errors
///
/// [`SkippedVersions`] lists every such upcast, with the versions it
/// skips.
pub fn check_upcasts() -> Result<(), SkippedVersions> {
    let mut skips = Vec::new();
    for &event in &index().sorted {
        let Some(older) = event.upcast_from else {
            continue;
        };
        let skipped: Vec<&'static EventDescriptor> = versions(event.type_name)
            .iter()
            .filter(|d| {
                d.kind == event.kind && d.version > older.version && d.version < event.version
            })
            .copied()
            .collect();
        if !skipped.is_empty() {
            skips.push(SkippedVersion {
                event,
                older,
                skipped,
            });
        }
    }
    if skips.is_empty() {
        Ok(())
    } else {
        Err(SkippedVersions { skips })
    }
}

/// One upcast that skips registered versions of its type.
#[derive(Debug, Clone)]
pub struct SkippedVersion {
    /// The event that upcasts.
    pub event: &'static EventDescriptor,
    /// The version it upcasts from.
    pub older: EventRef,
    /// The registered versions between the two, oldest first.
    pub skipped: Vec<&'static EventDescriptor>,
}

/// Events that upcast from an older version past a newer one that is
/// declared too.
#[derive(Debug, Clone)]
pub struct SkippedVersions {
    skips: Vec<SkippedVersion>,
}

impl SkippedVersions {
    /// Each upcast that skips a version.
    #[must_use]
    pub fn skips(&self) -> &[SkippedVersion] {
        &self.skips
    }
}

impl fmt::Display for SkippedVersions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, skip) in self.skips.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "`{}` (version {}) upcasts from version {}, past ",
                skip.event.rust_path(),
                skip.event.version,
                skip.older.version
            )?;
            for (j, skipped) in skip.skipped.iter().enumerate() {
                if j > 0 {
                    f.write_str(" and ")?;
                }
                write!(f, "version {} (`{}`)", skipped.version, skipped.rust_path())?;
            }
            let newest_skipped = skip.skipped.last().map_or(0, |d| d.version);
            write!(
                f,
                ", whose envelopes it cannot read; upcast from version {newest_skipped}, which upcasts from the versions before it"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for SkippedVersions {}

/// What [`export`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The schema files, relative to the folder: `integration/product.updated.v2.json`.
    pub files: Vec<String>,
}

/// Writes the JSON Schema of every registered event to `dir`, one file per
/// version in a folder per kind (`integration/product.updated.v2.json`), an
/// `index.json` listing type, version, kind, Rust path, schema id and file
/// of each, and `vocabulary.json`, the [`VOCABULARY`] that documents the
/// schemas' `x-` keywords and integer formats for strict validators. Call it from a build script to regenerate the schemas on every
/// build:
///
/// ```no_run
/// // build.rs, with a build-dependency on the crate that declares the events
/// fn main() {
///     let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("schemas");
///     my_events::link();
///     event_core::registry::export(&out).unwrap();
/// }
/// # mod my_events { pub fn link() {} }
/// ```
///
/// # Errors
///
/// The first file that could not be written.
pub fn export(dir: &std::path::Path) -> std::io::Result<Exported> {
    let mut files = Vec::new();
    let mut index = Vec::new();
    for descriptor in all() {
        let file = format!("{}/{}.json", descriptor.kind, descriptor.full_type);
        let path = dir.join(&file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut text = serde_json::to_string_pretty(&descriptor.schema())?;
        text.push('\n');
        std::fs::write(&path, text)?;
        index.push(serde_json::json!({
            "type": descriptor.type_name,
            "version": descriptor.version,
            "kind": descriptor.kind.as_str(),
            "rust": descriptor.rust_path(),
            "schema_id": descriptor.schema_id,
            "file": file,
        }));
        files.push(file);
    }
    std::fs::create_dir_all(dir)?;
    let mut text = serde_json::to_string_pretty(&index)?;
    text.push('\n');
    std::fs::write(dir.join("index.json"), text)?;
    std::fs::write(dir.join("vocabulary.json"), VOCABULARY)?;
    Ok(Exported { files })
}
