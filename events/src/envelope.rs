//! `events envelope check`: is a document a valid CloudEvent?

use std::io::Read;

use clap::{Arg, ArgMatches, Command, value_parser};
use event_core::cloudevent::CloudEvent;
use event_core::decode::{DecodeLimits, default_limits};

use crate::Failure;

pub(crate) fn command() -> Command {
    Command::new("check")
        .about(
            "Decodes a CloudEvents JSON document (any producer, any type) and prints it re-encoded",
        )
        .arg(
            Arg::new("max-size")
                .long("max-size")
                .value_name("BYTES")
                .value_parser(value_parser!(usize))
                .help("The largest document accepted (default 4 MiB)"),
        )
        .arg(
            Arg::new("max-depth")
                .long("max-depth")
                .value_name("N")
                .value_parser(value_parser!(usize))
                .help("The deepest nesting accepted (default 64)"),
        )
        .arg(
            Arg::new("file")
                .value_name("FILE")
                .required(true)
                .help("The document, or - for standard input"),
        )
}

pub(crate) fn run(args: &ArgMatches) -> Result<(), Failure> {
    let mut limits: DecodeLimits = default_limits();
    if let Some(size) = args.get_one::<usize>("max-size") {
        limits.max_size = *size;
    }
    if let Some(depth) = args.get_one::<usize>("max-depth") {
        limits.max_depth = *depth;
    }
    let file = args.get_one::<String>("file").map_or("-", String::as_str);
    // Read one byte past the limit, so that a larger input is refused by the
    // decoder's own size check without being read whole.
    let cap = u64::try_from(limits.max_size)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    let read = if file == "-" {
        std::io::stdin().take(cap).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|f| f.take(cap).read_to_end(&mut bytes))
    };
    let name = if file == "-" { "<stdin>" } else { file };
    read.map_err(|e| Failure::Usage(format!("{name}: cannot read it: {e}")))?;
    let event = CloudEvent::from_json_with(&bytes, &limits)
        .map_err(|e| Failure::Found(format!("{name}: {e}")))?;
    println!("{}", event.to_json());
    Ok(())
}
