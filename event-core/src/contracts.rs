//! Published contracts: schema snapshots of integration event versions.
//!
//! A version whose snapshot is committed (`contracts/product.updated.v2.json`
//! in the declaring crate) is *frozen*; one without is a *draft*. The macros
//! compare a frozen version's struct with its snapshot at compile time; this
//! module does the rest, from one test in the declaring crate:
//!
//! ```no_run
//! #[test]
//! fn contracts() {
//!     event_core::check_contracts!();
//! }
//! ```
//!
//! The check fails when a frozen version's schema differs from its snapshot
//! (printing the differences), or when a version breaks its compatibility
//! mode (`compat = ".."`, backward by default) with the previous version. Run
//! with `EVENT_CONTRACTS=freeze` it writes the snapshots of drafts; it never
//! rewrites a frozen one, and writes nothing when `CI=true`.

use core::fmt;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::EventKind;
use crate::compat::{self, Violation};
use crate::registry::{self, EventDescriptor};

/// What a contract check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractReport {
    /// Frozen versions whose schema matches their snapshot.
    pub frozen: Vec<String>,
    /// Drafts whose snapshot this run wrote.
    pub written: Vec<String>,
    /// Drafts left unfrozen.
    pub drafts: Vec<String>,
    /// Version pairs checked for compatibility: (older, newer).
    pub compared: Vec<(String, String)>,
}

/// One thing wrong with the published contracts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContractProblem {
    /// A frozen version's schema is no longer its snapshot.
    Drift {
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
                    "  restore the event, or declare the change as a new version; a frozen contract changes only by deleting its file"
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

/// A contract check of the integration events of one crate.
#[derive(Debug, Clone)]
pub struct Contracts {
    crate_name: String,
    freeze: bool,
    dir: Option<PathBuf>,
}

impl Contracts {
    /// The check of the events declared in `crate_name` (as `module_path!()`
    /// starts), freezing drafts when `EVENT_CONTRACTS=freeze` is set and
    /// `CI` is not `true`.
    #[must_use]
    pub fn of_crate(crate_name: &str) -> Self {
        let freeze = std::env::var("EVENT_CONTRACTS").is_ok_and(|v| v == "freeze")
            && !std::env::var("CI").is_ok_and(|v| v == "true");
        Contracts {
            crate_name: crate_name.to_owned(),
            freeze,
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

    /// Runs the check.
    ///
    /// # Errors
    ///
    /// [`ContractError`] with every drift, incompatibility and file problem.
    pub fn check(&self) -> Result<ContractReport, ContractError> {
        let events: Vec<&'static EventDescriptor> = registry::all()
            .into_iter()
            .filter(|d| {
                d.kind == EventKind::Integration
                    && d.module_path.split("::").next() == Some(self.crate_name.as_str())
            })
            .collect();
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
                    let mut differences = Vec::new();
                    diff(&snapshot, &current, String::new(), &mut differences);
                    if differences.is_empty() {
                        report.frozen.push(full_type);
                    } else {
                        problems.push(ContractProblem::Drift {
                            full_type,
                            file: file.clone(),
                            differences,
                        });
                    }
                    published.insert((descriptor.type_name, descriptor.version), snapshot);
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
            let Some(previous) = descriptor.version.checked_sub(1).filter(|v| *v > 0) else {
                continue;
            };
            let older = format!("{}.v{previous}", descriptor.type_name);
            // The previous version as published: declared here, or only
            // left as a snapshot beside this one.
            let old_schema = match published.get(&(descriptor.type_name, previous)) {
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
            let new_schema = published
                .get(&(descriptor.type_name, descriptor.version))
                .cloned()
                .unwrap_or_else(|| descriptor.schema());
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

        if problems.is_empty() {
            Ok(report)
        } else {
            Err(ContractError { problems })
        }
    }
}

/// Checks the contracts of the crate this is written in; panics with every
/// problem found. Put it in a test of the crate that declares the events.
#[macro_export]
macro_rules! check_contracts {
    () => {
        if let ::core::result::Result::Err(error) =
            $crate::contracts::Contracts::of_crate(::core::env!("CARGO_CRATE_NAME")).check()
        {
            ::core::panic!("{error}");
        }
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
