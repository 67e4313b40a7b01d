//! `events compat`: is a new schema compatible with an old one?

use std::path::Path;

use clap::{Arg, ArgMatches, Command};
use event_compat::json::{self, Json};
use event_compat::{Compatibility, check};

use crate::{Failure, one_line};

pub(crate) fn command() -> Command {
    Command::new("compat")
        .about("Checks that NEW.json is compatible with OLD.json; prints each breaking change")
        .arg(
            Arg::new("mode")
                .long("mode")
                .value_name("MODE")
                .default_value("backward")
                .value_parser([
                    "backward",
                    "forward",
                    "full",
                    "backward-transitive",
                    "forward-transitive",
                    "full-transitive",
                ])
                .help("backward: readers on NEW read what OLD wrote; forward: readers on OLD read what NEW writes; full: both"),
        )
        .arg(
            Arg::new("format")
                .long("format")
                .value_name("FORMAT")
                .default_value("text")
                .value_parser(["text", "json"])
                .help("text: one breaking change per line; json: one JSON document"),
        )
        .arg(Arg::new("old").value_name("OLD.json").required(true))
        .arg(Arg::new("new").value_name("NEW.json").required(true))
}

/// Reads and parses a schema file.
fn schema(path: &str) -> Result<Json, Failure> {
    let bytes = std::fs::read(Path::new(path))
        .map_err(|e| Failure::Usage(format!("{path}: cannot read it: {e}")))?;
    json::parse(&bytes).map_err(|e| Failure::Usage(format!("{path}: not JSON: {}", one_line(&e))))
}

pub(crate) fn run(args: &ArgMatches) -> Result<(), Failure> {
    let old_path = args.get_one::<String>("old").map_or("", String::as_str);
    let new_path = args.get_one::<String>("new").map_or("", String::as_str);
    let mode_name = args
        .get_one::<String>("mode")
        .map_or("backward", String::as_str);
    let mode = Compatibility::parse(mode_name)
        .ok_or_else(|| Failure::Usage(format!("unknown mode `{mode_name}`")))?;
    let old = schema(old_path)?;
    let new = schema(new_path)?;
    let violations = check(&old, &new, mode);
    if args.get_one::<String>("format").map(String::as_str) == Some("json") {
        let document = serde_json::json!({
            "compatible": violations.is_empty(),
            "mode": mode_name,
            "old": old_path,
            "new": new_path,
            "violations": violations.iter().map(|v| serde_json::json!({
                "rule": v.rule.as_str(),
                "direction": v.direction.as_str(),
                "old_pointer": v.old_pointer,
                "new_pointer": v.new_pointer,
                "path": v.path,
                "message": v.message,
            })).collect::<Vec<_>>(),
        });
        println!("{document}");
    } else {
        for violation in &violations {
            println!("{new_path}: {}", one_line(&violation.to_string()));
        }
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(Failure::Found(format!(
            "{new_path} is not {mode_name} compatible with {old_path}: {} breaking change(s)",
            violations.len()
        )))
    }
}
