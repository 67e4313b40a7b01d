//! Published contracts: schema snapshots of integration event versions.
//!
//! A version whose snapshot is committed (`contracts/product.updated.v2.json`
//! in the declaring crate) is *frozen*; one without is a *draft*. The macros
//! compare a frozen version's struct with its snapshot at compile time; this
//! module does the rest, from one test in any crate of the package that
//! declares the events (its library's unit tests, a file under `tests/`, an
//! example with `test = true`):
//!
//! ```no_run
//! #[test]
//! fn contracts() {
//!     event_core::check_contracts!();
//! }
//! ```
//!
//! The check covers the integration events declared by the package's crates
//! linked into the test: the calling crate's own, and the library's. It fails
//! when it finds none, when a frozen version's schema breaks its snapshot
//! (the frozen-version rule: annotations never count, a change compatible
//! both ways lands once the snapshot is refreshed, anything else needs a new
//! version; the compile-time check applies the same rule with the same
//! checker), or when a version breaks its compatibility mode
//! (`compat = ".."`, backward by default) with the previous version. Run
//! with `EVENT_CONTRACTS=freeze` it writes the snapshots of drafts, each in
//! the contracts folder of the crate that declares it, and refreshes the
//! snapshot of a frozen version that changed compatibly; it writes nothing
//! when `CI=true`.

pub mod catalog;

use core::fmt;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::compat::{self, Compatibility, Violation};
use crate::model::event::EventKind;
use crate::model::registry::{self, EventDescriptor};

/// What a contract check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractReport {
    /// Frozen versions whose schema matches their snapshot.
    pub frozen: Vec<String>,
    /// Drafts whose snapshot this run wrote.
    pub written: Vec<String>,
    /// Frozen versions with a compatible (full) change whose snapshot this
    /// run rewrote.
    pub refreshed: Vec<String>,
    /// Drafts left unfrozen.
    pub drafts: Vec<String>,
    /// Version pairs checked for compatibility: (older, newer).
    pub compared: Vec<(String, String)>,
}

/// One thing wrong with the published contracts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContractProblem {
    /// A frozen version changed in a way that breaks its readers or
    /// writers (full compatibility with its snapshot): it needs a new
    /// version.
    Drift {
        /// The full type.
        full_type: String,
        /// The snapshot.
        file: PathBuf,
        /// Each breaking change, by rule and JSON pointer.
        differences: Vec<String>,
    },
    /// A frozen version changed compatibly (full) but its snapshot was not
    /// refreshed: `EVENT_CONTRACTS=freeze cargo test` rewrites it.
    Stale {
        /// The full type.
        full_type: String,
        /// The snapshot.
        file: PathBuf,
        /// Each difference, by JSON pointer.
        differences: Vec<String>,
    },
    /// A version breaks its compatibility mode with the previous one.
    Incompatible {
        /// The older full type.
        older: String,
        /// The newer full type.
        newer: String,
        /// What breaks.
        violations: Vec<Violation>,
    },
    /// The check found no integration event to check.
    NothingToCheck {
        /// What it looked for: ``package `shop-events` `` or ``crate `shop` ``.
        scope: String,
    },
    /// A snapshot could not be read or written.
    File {
        /// The file.
        file: PathBuf,
        /// What went wrong.
        error: String,
    },
}

impl fmt::Display for ContractProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContractProblem::Drift {
                full_type,
                file,
                differences,
            } => {
                writeln!(
                    f,
                    "`{full_type}` no longer matches its frozen contract `{}`:",
                    file.display()
                )?;
                for difference in differences {
                    writeln!(f, "  {difference}")?;
                }
                write!(
                    f,
                    "  restore the event, or declare the change as a new version (a frozen version takes only changes compatible both ways)"
                )
            }
            ContractProblem::Stale {
                full_type,
                file,
                differences,
            } => {
                writeln!(
                    f,
                    "`{full_type}` changed compatibly since its frozen contract `{}`:",
                    file.display()
                )?;
                for difference in differences {
                    writeln!(f, "  {difference}")?;
                }
                write!(
                    f,
                    "  refresh the snapshot with `EVENT_CONTRACTS=freeze cargo test` and commit it"
                )
            }
            ContractProblem::Incompatible {
                older,
                newer,
                violations,
            } => {
                writeln!(f, "`{newer}` is not compatible with `{older}`:")?;
                for violation in violations {
                    writeln!(f, "  {violation}")?;
                }
                write!(
                    f,
                    "  make the change compatible, or say why with `compat = \"none\"`"
                )
            }
            ContractProblem::NothingToCheck { scope } => write!(
                f,
                "no integration event of {scope} found: `check_contracts!()` checks the integration events declared by the crate that calls it and by its package's library; declare events with `#[integration_event(version = N)]`, or call it from a crate of the package that declares them"
            ),
            ContractProblem::File { file, error } => {
                write!(f, "contract `{}`: {error}", file.display())
            }
        }
    }
}

/// Everything wrong with the published contracts of a crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractError {
    /// Each problem.
    pub problems: Vec<ContractProblem>,
}

impl fmt::Display for ContractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContractError {}

/// A contract check of the integration events of one crate, or of one
/// package.
#[derive(Debug, Clone)]
pub struct Contracts {
    scope: Scope,
    freeze: bool,
    dir: Option<PathBuf>,
}

/// The events a check covers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    /// Those declared in this crate, as `module_path!()` starts.
    Crate(String),
    /// Those declared in any crate of the package whose manifest is in
    /// `manifest_dir`; events registered without their package count when
    /// declared in `calling_crate` or in the crate named like the package.
    Package {
        name: String,
        manifest_dir: String,
        calling_crate: String,
    },
}

impl Scope {
    fn covers(&self, descriptor: &EventDescriptor) -> bool {
        if descriptor.kind != EventKind::Integration {
            return false;
        }
        let declaring_crate = descriptor.module_path.split("::").next();
        match self {
            Scope::Crate(name) => declaring_crate == Some(name.as_str()),
            Scope::Package {
                name,
                manifest_dir,
                calling_crate,
            } => match descriptor.package {
                Some(package) => package.manifest_dir == manifest_dir.as_str(),
                None => declaring_crate
                    .is_some_and(|krate| krate == calling_crate || krate == name.replace('-', "_")),
            },
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Crate(name) => write!(f, "crate `{name}`"),
            Scope::Package { name, .. } => write!(f, "package `{name}`"),
        }
    }
}

/// Whether `EVENT_CONTRACTS=freeze` is set and `CI` is not `true`.
fn freeze_from_env() -> bool {
    std::env::var("EVENT_CONTRACTS").is_ok_and(|v| v == "freeze")
        && !std::env::var("CI").is_ok_and(|v| v == "true")
}

impl Contracts {
    /// The check of the events declared in `crate_name` (as `module_path!()`
    /// starts), freezing drafts when `EVENT_CONTRACTS=freeze` is set and
    /// `CI` is not `true`.
    #[must_use]
    pub fn of_crate(crate_name: &str) -> Self {
        Contracts {
            scope: Scope::Crate(crate_name.to_owned()),
            freeze: freeze_from_env(),
            dir: None,
        }
    }

    /// The check of the events declared in any crate of the cargo package
    /// `name` whose manifest is in `manifest_dir`: its library, and
    /// `calling_crate` (a test, an example) itself. What
    /// [`check_contracts!`](crate::check_contracts) runs, with
    /// `CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR` and `CARGO_CRATE_NAME`.
    /// Freezes drafts when `EVENT_CONTRACTS=freeze` is set and `CI` is not
    /// `true`.
    #[must_use]
    pub fn of_package(name: &str, manifest_dir: &str, calling_crate: &str) -> Self {
        Contracts {
            scope: Scope::Package {
                name: name.to_owned(),
                manifest_dir: manifest_dir.to_owned(),
                calling_crate: calling_crate.to_owned(),
            },
            freeze: freeze_from_env(),
            dir: None,
        }
    }

    /// Whether drafts get their snapshots written.
    #[must_use]
    pub fn freeze(mut self, freeze: bool) -> Self {
        self.freeze = freeze;
        self
    }

    /// Reads and writes snapshots in `dir` instead of where each event's
    /// macro put them (for tests of the check itself).
    #[must_use]
    pub fn in_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    fn file(&self, descriptor: &EventDescriptor) -> Option<PathBuf> {
        let file = PathBuf::from(descriptor.contract?.file);
        Some(match &self.dir {
            Some(dir) => dir.join(file.file_name()?),
            None => file,
        })
    }

    /// The events of `all` that this check covers.
    fn select<'a>(
        &self,
        all: impl IntoIterator<Item = &'a EventDescriptor>,
    ) -> Vec<&'a EventDescriptor> {
        all.into_iter().filter(|d| self.scope.covers(d)).collect()
    }

    /// Runs the check.
    ///
    /// # Errors
    ///
    /// [`ContractError`] with every drift, incompatibility and file problem,
    /// or [`ContractProblem::NothingToCheck`] when no event is covered.
    pub fn check(&self) -> Result<ContractReport, ContractError> {
        let events = self.select(registry::all());
        if events.is_empty() {
            return Err(ContractError {
                problems: vec![ContractProblem::NothingToCheck {
                    scope: self.scope.to_string(),
                }],
            });
        }
        let mut report = ContractReport::default();
        let mut problems = Vec::new();
        // The published schema of each version: its snapshot when frozen.
        let mut published: BTreeMap<(&str, u32), Value> = BTreeMap::new();

        for descriptor in &events {
            let Some(file) = self.file(descriptor) else {
                continue;
            };
            let current = descriptor.schema();
            let full_type = descriptor.full_type.to_owned();
            match read_snapshot(&file) {
                Ok(Some(snapshot)) => {
                    // The frozen-version rule: annotations may change
                    // freely; a change compatible both ways (full) may land
                    // in the frozen version once its snapshot is refreshed;
                    // anything else needs a new version.
                    if compat::same_but_annotations(&snapshot, &current) {
                        report.frozen.push(full_type);
                        published.insert((descriptor.type_name, descriptor.version), snapshot);
                        continue;
                    }
                    let breaking = compat::check(&snapshot, &current, Compatibility::Full);
                    if !breaking.is_empty() {
                        problems.push(ContractProblem::Drift {
                            full_type,
                            file: file.clone(),
                            differences: breaking.iter().map(ToString::to_string).collect(),
                        });
                        published.insert((descriptor.type_name, descriptor.version), snapshot);
                    } else if self.freeze {
                        match write_snapshot(&file, &current) {
                            Ok(()) => report.refreshed.push(full_type),
                            Err(error) => problems.push(ContractProblem::File {
                                file: file.clone(),
                                error,
                            }),
                        }
                        published.insert((descriptor.type_name, descriptor.version), current);
                    } else {
                        let mut differences = Vec::new();
                        diff(&snapshot, &current, String::new(), &mut differences);
                        problems.push(ContractProblem::Stale {
                            full_type,
                            file: file.clone(),
                            differences,
                        });
                        published.insert((descriptor.type_name, descriptor.version), snapshot);
                    }
                }
                Ok(None) if self.freeze => {
                    match write_snapshot(&file, &current) {
                        Ok(()) => report.written.push(full_type),
                        Err(error) => problems.push(ContractProblem::File {
                            file: file.clone(),
                            error,
                        }),
                    }
                    published.insert((descriptor.type_name, descriptor.version), current);
                }
                Ok(None) => {
                    report.drafts.push(full_type);
                    published.insert((descriptor.type_name, descriptor.version), current);
                }
                Err(error) => problems.push(ContractProblem::File { file, error }),
            }
        }

        for descriptor in &events {
            let (Some(info), Some(file)) = (descriptor.contract, self.file(descriptor)) else {
                continue;
            };
            // The previous version, or under a transitive mode every earlier
            // one.
            let Some(previous) = descriptor.version.checked_sub(1).filter(|v| *v > 0) else {
                continue;
            };
            let earliest = if info.compatibility.is_transitive() {
                1
            } else {
                previous
            };
            let new_schema = published
                .get(&(descriptor.type_name, descriptor.version))
                .cloned()
                .unwrap_or_else(|| descriptor.schema());
            for version in earliest..=previous {
                let older = format!("{}.v{version}", descriptor.type_name);
                // That version as published: declared here, or only left as
                // a snapshot beside this one.
                let old_schema = match published.get(&(descriptor.type_name, version)) {
                    Some(schema) => Some(schema.clone()),
                    None => match file.parent().map(|d| d.join(format!("{older}.json"))) {
                        Some(sibling) => match read_snapshot(&sibling) {
                            Ok(found) => found,
                            Err(error) => {
                                problems.push(ContractProblem::File {
                                    file: sibling,
                                    error,
                                });
                                None
                            }
                        },
                        None => None,
                    },
                };
                let Some(old_schema) = old_schema else {
                    continue;
                };
                let violations = compat::check(&old_schema, &new_schema, info.compatibility);
                let newer = descriptor.full_type.to_owned();
                report.compared.push((older.clone(), newer.clone()));
                if !violations.is_empty() {
                    problems.push(ContractProblem::Incompatible {
                        older,
                        newer,
                        violations,
                    });
                }
            }
        }

        if problems.is_empty() {
            Ok(report)
        } else {
            Err(ContractError { problems })
        }
    }
}

/// Checks the contracts of the package this is written in: the integration
/// events declared by the calling crate and by the package's library. Panics
/// with every problem found, and when it finds no event; returns the
/// [`ContractReport`] otherwise. Put it in a test of any crate of the package
/// that declares the events: the library's unit tests, a file under
/// `tests/`, or an example with `test = true`.
#[macro_export]
macro_rules! check_contracts {
    () => {{
        // Links the package's library, whose events a test that names none
        // of its items would otherwise not see, around the check. In a block
        // of this macro's own: written outside a function, the error names
        // `check_contracts!`.
        $crate::__private::__link_package_library! {
            match $crate::contracts::Contracts::of_package(
                ::core::env!("CARGO_PKG_NAME"),
                ::core::env!("CARGO_MANIFEST_DIR"),
                ::core::env!("CARGO_CRATE_NAME"),
            )
            .check()
            {
                ::core::result::Result::Ok(report) => report,
                ::core::result::Result::Err(error) => ::core::panic!("{error}"),
            }
        }
    }};
    ($($anything:tt)+) => {
        ::core::compile_error!(
            "`check_contracts!()` takes nothing: it checks every integration event of the package"
        )
    };
}

fn read_snapshot(file: &Path) -> Result<Option<Value>, String> {
    match std::fs::read(file) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("not valid JSON: {e}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

fn write_snapshot(file: &Path, schema: &Value) -> Result<(), String> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let mut text = serde_json::to_string_pretty(schema).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(file, text).map_err(|e| e.to_string())
}

/// The differences from `before` to `after`, one line each, by JSON pointer.
fn diff(before: &Value, after: &Value, pointer: String, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let place = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                match b.get(key) {
                    Some(other) => diff(value, other, place, out),
                    None => out.push(format!("removed `{place}`: {}", short(value))),
                }
            }
            for (key, value) in b {
                if !a.contains_key(key) {
                    let place = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                    out.push(format!("added `{place}`: {}", short(value)));
                }
            }
        }
        (a, b) if a != b => {
            let place = if pointer.is_empty() {
                "/".to_owned()
            } else {
                pointer
            };
            out.push(format!("changed `{place}`: {} -> {}", short(a), short(b)));
        }
        _ => {}
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::{ContractProblem, Contracts};
    use crate::compat::Compatibility;
    use crate::model::registry::EventDescriptor;
    use crate::prelude::*;

    /// An integration event, to describe as if declared elsewhere.
    #[integration_event(version = 1)]
    pub struct ParcelSentIntegrationEvent {
        pub parcel_id: String,
    }

    /// A domain event: never a contract.
    #[domain_event]
    pub struct ParcelSent {
        pub parcel_id: String,
    }

    const SHOP: &str = "/projects/shop-events";

    fn declared(module_path: &'static str, package: Option<&'static str>) -> EventDescriptor {
        let descriptor = EventDescriptor::of::<ParcelSentIntegrationEvent>(
            module_path,
            "ParcelSentIntegrationEvent",
        )
        .with_contract("contracts/parcel.sent.v1.json", Compatibility::Backward);
        match package {
            Some(dir) => descriptor.in_package("shop-events", dir),
            None => descriptor,
        }
    }

    fn selected(check: &Contracts, events: &[EventDescriptor]) -> Vec<&'static str> {
        check
            .select(events)
            .into_iter()
            .map(|d| d.module_path)
            .collect()
    }

    #[test]
    fn a_package_check_covers_its_library_and_the_calling_crate() {
        let events = [
            // The library, whose crate name is not the package's.
            declared("shop::catalog", Some(SHOP)),
            // The calling integration test.
            declared("published", Some(SHOP)),
            // Another package, with a crate of the same name as the library.
            declared("shop", Some("/projects/other/shop")),
            // A dependency.
            declared("billing_events", Some("/projects/billing-events")),
        ];
        let check = Contracts::of_package("shop-events", SHOP, "published");
        assert_eq!(selected(&check, &events), ["shop::catalog", "published"]);
    }

    #[test]
    fn events_registered_without_their_package_count_by_crate_name() {
        let events = [
            declared("shop_events::catalog", None),
            declared("published::inner", None),
            declared("billing_events", None),
        ];
        let check = Contracts::of_package("shop-events", SHOP, "published");
        assert_eq!(
            selected(&check, &events),
            ["shop_events::catalog", "published::inner"]
        );
    }

    #[test]
    fn only_integration_events_are_contracts() {
        let domain =
            EventDescriptor::of::<ParcelSent>("shop", "ParcelSent").in_package("shop-events", SHOP);
        let check = Contracts::of_package("shop-events", SHOP, "published");
        assert!(check.select([&domain]).is_empty());
    }

    #[test]
    fn a_crate_check_covers_that_crate_only() {
        let events = [
            declared("shop::catalog", Some(SHOP)),
            declared("published", Some(SHOP)),
        ];
        assert_eq!(
            selected(&Contracts::of_crate("shop"), &events),
            ["shop::catalog"]
        );
    }

    #[test]
    fn finding_no_event_is_an_error_that_says_what_was_looked_for() {
        let error = Contracts::of_package("no-events-here", "/nowhere", "no_events_here")
            .freeze(false)
            .check()
            .unwrap_err();
        assert_eq!(
            error.problems,
            [ContractProblem::NothingToCheck {
                scope: "package `no-events-here`".into()
            }]
        );
        let message = error.to_string();
        assert!(
            message.starts_with("no integration event of package `no-events-here` found"),
            "{message}"
        );
        assert!(
            message.contains("#[integration_event(version = N)]"),
            "{message}"
        );

        let error = Contracts::of_crate("no_such_crate").check().unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("no integration event of crate `no_such_crate` found"),
            "{error}"
        );
    }
}
