//! `events`: the event-core command line.
//!
//! ```text
//! events compat [--mode MODE] [--format text|json] OLD.json NEW.json
//! events envelope check [--max-size BYTES] [--max-depth N] FILE|-
//! events schema export [--manifest-path PATH] [--out DIR]
//! events catalog --format asyncapi|markdown|mermaid [--manifest-path PATH] [--out DIR]
//! events contracts check [--manifest-path PATH] [--freeze]
//! ```
//!
//! Exit status: 0 when all is well, 1 when the input is incompatible,
//! invalid or breaks a contract, 2 for a usage or I/O error. Errors are one
//! line on standard error, naming the file.

use std::process::ExitCode;

use clap::{Arg, ArgAction, Command};

mod compat;
mod envelope;
mod package;

/// What a command found wrong with its input (exit 1), or why it could not
/// run (exit 2); the message is one line.
pub(crate) enum Failure {
    /// The input is incompatible, invalid, or breaks a contract.
    Found(String),
    /// A usage or I/O error.
    Usage(String),
}

/// A message on one line: line breaks and other control characters become
/// spaces.
pub(crate) fn one_line(message: &str) -> String {
    message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn cli() -> Command {
    Command::new("events")
        .about("Schema compatibility, CloudEvents checks, schema export, event catalogs and contract checks for event-core")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(compat::command())
        .subcommand(
            Command::new("envelope")
                .about("CloudEvents documents")
                .subcommand_required(true)
                .subcommand(envelope::command()),
        )
        .subcommand(
            Command::new("schema")
                .about("JSON Schemas of a package's events")
                .subcommand_required(true)
                .subcommand(
                    Command::new("export")
                        .about("Writes the schema of every event the package declares, and an index.json")
                        .arg(package::manifest_arg())
                        .arg(
                            Arg::new("out")
                                .long("out")
                                .value_name("DIR")
                                .default_value("schemas")
                                .help("The folder to write (relative to the current directory)"),
                        ),
                ),
        )
        .subcommand(
            Command::new("catalog")
                .about("The catalog of a package's events: an AsyncAPI 3.0 document, Markdown pages or Mermaid diagrams")
                .arg(
                    Arg::new("format")
                        .long("format")
                        .value_name("FORMAT")
                        .required(true)
                        .value_parser(["asyncapi", "markdown", "mermaid"])
                        .help("asyncapi (asyncapi.json), markdown (index.md and a page per event) or mermaid (flow.mmd, versions.mmd)"),
                )
                .arg(package::manifest_arg())
                .arg(
                    Arg::new("out")
                        .long("out")
                        .value_name("DIR")
                        .help("The folder to write the files to (default: print them)"),
                ),
        )
        .subcommand(
            Command::new("contracts")
                .about("Published contracts of a package's integration events")
                .subcommand_required(true)
                .subcommand(
                    Command::new("check")
                        .about("What check_contracts!() does, for a package: drift from snapshots, compatibility between versions")
                        .arg(package::manifest_arg())
                        .arg(
                            Arg::new("freeze")
                                .long("freeze")
                                .action(ArgAction::SetTrue)
                                .help("Write the snapshots of drafts and refresh compatible ones (not when CI=true)"),
                        ),
                ),
        )
}

fn main() -> ExitCode {
    let matches = match cli().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => {
            // Help and version go to standard output with status 0.
            let status = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(status);
        }
    };
    let result = match matches.subcommand() {
        Some(("compat", args)) => compat::run(args),
        Some(("envelope", args)) => match args.subcommand() {
            Some(("check", args)) => envelope::run(args),
            _ => Err(Failure::Usage("no such envelope command".into())),
        },
        Some(("schema", args)) => match args.subcommand() {
            Some(("export", args)) => package::export(args),
            _ => Err(Failure::Usage("no such schema command".into())),
        },
        Some(("catalog", args)) => package::catalog(args),
        Some(("contracts", args)) => match args.subcommand() {
            Some(("check", args)) => package::check(args),
            _ => Err(Failure::Usage("no such contracts command".into())),
        },
        _ => Err(Failure::Usage("no such command".into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Found(message)) => {
            eprintln!("events: {}", one_line(&message));
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("events: {}", one_line(&message));
            ExitCode::from(2)
        }
    }
}
