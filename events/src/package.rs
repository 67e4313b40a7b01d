//! `events schema export`, `events catalog` and `events contracts check`:
//! what the build-time export and catalog and `check_contracts!()` do, for a
//! package, from outside its tests.
//!
//! A package's events are known only to a program that links it: the
//! registry is filled at link time. So both commands write a small runner
//! crate under the package's target folder, depending on the package and on
//! the same event-core it uses (with the package's lock file, so nothing is
//! resolved anew), and run it with cargo.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use clap::{Arg, ArgMatches};
use serde_json::Value;

use crate::Failure;

pub(crate) fn manifest_arg() -> Arg {
    Arg::new("manifest-path")
        .long("manifest-path")
        .value_name("PATH")
        .help("The package's Cargo.toml (default: the package in the current directory)")
}

/// What the runner needs to know of the package.
struct Package {
    name: String,
    version: String,
    manifest_dir: PathBuf,
    target_dir: PathBuf,
    workspace_root: PathBuf,
    /// Its dependency on event-core, as a Cargo.toml value.
    event_core: String,
    /// The crate name it uses for event-core (`event_core` unless renamed).
    event_core_name: String,
    /// Its dependency key for event-core (`event-core` unless renamed).
    event_core_key: String,
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// A string as a TOML basic string.
fn toml(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn locate(args: &ArgMatches) -> Result<Package, Failure> {
    let mut cargo = Process::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.args(["metadata", "--format-version", "1", "--no-deps"]);
    let manifest = args.get_one::<String>("manifest-path");
    if let Some(path) = manifest {
        cargo.args(["--manifest-path", path]);
    }
    let output = cargo
        .output()
        .map_err(|e| Failure::Usage(format!("cannot run cargo: {e}")))?;
    if !output.status.success() {
        let why = String::from_utf8_lossy(&output.stderr);
        let why = why
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or("cargo metadata failed");
        return Err(Failure::Usage(why.to_owned()));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| Failure::Usage(format!("cargo metadata: unexpected output: {e}")))?;
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let wanted =
        manifest.map(|path| std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path)));
    let package = match &wanted {
        Some(path) => packages
            .iter()
            .find(|p| text(p, "manifest_path").is_some_and(|m| Path::new(m) == path.as_path())),
        None => {
            let here = std::env::current_dir().ok();
            packages
                .iter()
                .find(|p| {
                    text(p, "manifest_path")
                        .and_then(|m| Path::new(m).parent())
                        .is_some_and(|dir| Some(dir) == here.as_deref())
                })
                .or(if packages.len() == 1 {
                    packages.first()
                } else {
                    None
                })
        }
    }
    .ok_or_else(|| {
        Failure::Usage("no single package here; name its Cargo.toml with --manifest-path".into())
    })?;
    let name = text(package, "name").unwrap_or_default().to_owned();
    // The runner links the library under the name `package`; it only has to
    // exist.
    package["targets"]
        .as_array()
        .and_then(|targets| {
            targets.iter().find(|t| {
                t["kind"].as_array().is_some_and(|kinds| {
                    kinds
                        .iter()
                        .any(|k| matches!(k.as_str(), Some("lib" | "rlib")))
                })
            })
        })
        .ok_or_else(|| {
            Failure::Usage(format!(
                "package `{name}` has no library whose events could be linked"
            ))
        })?;
    let dependency = package["dependencies"]
        .as_array()
        .and_then(|deps| deps.iter().find(|d| text(d, "name") == Some("event-core")))
        .ok_or_else(|| Failure::Usage(format!("package `{name}` does not depend on event-core")))?;
    let mut spec = String::from("package = \"event-core\", ");
    spec.push_str(&match text(dependency, "path") {
        Some(path) => format!("path = {}", toml(path)),
        None => format!("version = {}", toml(text(dependency, "req").unwrap_or("*"))),
    });
    let features: Vec<String> = dependency["features"]
        .as_array()
        .map(|f| f.iter().filter_map(Value::as_str).map(toml).collect())
        .unwrap_or_default();
    if !features.is_empty() {
        spec.push_str(&format!(", features = [{}]", features.join(", ")));
    }
    if dependency["uses_default_features"] == Value::Bool(false) {
        spec.push_str(", default-features = false");
    }
    let manifest_path = PathBuf::from(text(package, "manifest_path").unwrap_or_default());
    Ok(Package {
        name,
        version: text(package, "version").unwrap_or("0.0.0").to_owned(),
        manifest_dir: manifest_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        target_dir: PathBuf::from(text(&metadata, "target_directory").unwrap_or("target")),
        workspace_root: PathBuf::from(text(&metadata, "workspace_root").unwrap_or(".")),
        event_core: format!("{{ {spec} }}"),
        event_core_name: text(dependency, "rename")
            .unwrap_or("event_core")
            .replace('-', "_"),
        event_core_key: text(dependency, "rename")
            .unwrap_or("event-core")
            .to_owned(),
    })
}

/// Writes `contents` to `path` unless it already holds them (an unchanged
/// runner is not rebuilt).
fn write(path: &Path, contents: &str) -> Result<(), Failure> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Usage(format!("{}: {e}", dir.display())))?;
    }
    std::fs::write(path, contents).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))
}

/// Writes the runner crate and runs it with `args`.
fn run_runner(package: &Package, args: &[&str], freeze: bool) -> Result<(), Failure> {
    let dir = package.target_dir.join("events-runner").join(&package.name);
    let manifest = format!(
        "[package]\nname = \"events-runner\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\npackage = {{ package = {}, path = {} }}\n{} = {}\n\n[workspace]\n",
        toml(&package.name),
        toml(&package.manifest_dir.to_string_lossy()),
        toml(&package.event_core_key),
        package.event_core,
    );
    let main = format!(
        r#"//! Generated by `events`: links the package so that its events register.
extern crate package as _;

use std::process::ExitCode;

use {core} as event_core;

fn main() -> ExitCode {{
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {{
        Some("export") => {{
            let dir = std::path::Path::new(args.get(1).map_or("schemas", String::as_str));
            match event_core::registry::export(dir) {{
                Ok(exported) => {{
                    println!("{{}} schema(s) written to {{}}", exported.files.len(), dir.display());
                    ExitCode::SUCCESS
                }}
                Err(error) => {{
                    eprintln!("events: {{}}: {{error}}", dir.display());
                    ExitCode::from(2)
                }}
            }}
        }}
        Some("catalog") => {{
            let Some(format) = args.get(1).and_then(|f| f.parse::<event_core::catalog::Format>().ok()) else {{
                eprintln!("events: no such catalog format");
                return ExitCode::from(2);
            }};
            let catalog = event_core::catalog::Catalog::from_registry().version({version});
            match args.get(2) {{
                Some(dir) => match catalog.write(format, std::path::Path::new(dir)) {{
                    Ok(files) => {{
                        println!("{{}} file(s) written to {{dir}}", files.len());
                        ExitCode::SUCCESS
                    }}
                    Err(error) => {{
                        eprintln!("events: {{dir}}: {{error}}");
                        ExitCode::from(2)
                    }}
                }},
                None => {{
                    let pages = catalog.render(format);
                    let many = pages.len() > 1;
                    for page in pages {{
                        if many {{
                            match format {{
                                event_core::catalog::Format::Mermaid => println!("%% {{}}", page.path),
                                _ => println!("<!-- {{}} -->", page.path),
                            }}
                        }}
                        print!("{{}}", page.text);
                    }}
                    ExitCode::SUCCESS
                }}
            }}
        }}
        Some("check") => {{
            let contracts = event_core::contracts::Contracts::of_package({name}, {dir}, "events_runner");
            match contracts.check() {{
                Ok(report) => {{
                    println!("{{report:?}}");
                    ExitCode::SUCCESS
                }}
                Err(error) => {{
                    for line in error.to_string().lines() {{
                        eprintln!("events: {{line}}");
                    }}
                    ExitCode::from(1)
                }}
            }}
        }}
        _ => ExitCode::from(2),
    }}
}}
"#,
        core = package.event_core_name,
        name = toml(&package.name),
        dir = toml(&package.manifest_dir.to_string_lossy()),
        version = toml(&package.version),
    );
    write(&dir.join("Cargo.toml"), &manifest)?;
    write(&dir.join("src/main.rs"), &main)?;
    // The package's own lock file: the runner builds what the package built.
    if let Ok(lock) = std::fs::read_to_string(package.workspace_root.join("Cargo.lock")) {
        write(&dir.join("Cargo.lock"), &lock)?;
    }
    let mut cargo = Process::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo
        .args(["run", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        // The package's own target folder: what it built is reused.
        .arg("--target-dir")
        .arg(&package.target_dir)
        .arg("--")
        .args(args)
        .env_remove("EVENT_CONTRACTS");
    if freeze {
        cargo.env("EVENT_CONTRACTS", "freeze");
    }
    let status = cargo
        .status()
        .map_err(|e| Failure::Usage(format!("cannot run cargo: {e}")))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(1) => Err(Failure::Found(format!(
            "the contracts of package `{}` do not hold",
            package.name
        ))),
        _ => Err(Failure::Usage(format!(
            "the runner of package `{}` failed ({status})",
            package.name
        ))),
    }
}

pub(crate) fn export(args: &ArgMatches) -> Result<(), Failure> {
    let package = locate(args)?;
    let out = args
        .get_one::<String>("out")
        .map_or("schemas", String::as_str);
    let out = std::path::absolute(out).map_err(|e| Failure::Usage(format!("{out}: {e}")))?;
    run_runner(&package, &["export", &out.to_string_lossy()], false)
}

pub(crate) fn catalog(args: &ArgMatches) -> Result<(), Failure> {
    let format = args
        .get_one::<String>("format")
        .map_or("markdown", String::as_str);
    if let Err(error) = format.parse::<event_core::catalog::Format>() {
        return Err(Failure::Usage(error.to_string()));
    }
    let package = locate(args)?;
    match args.get_one::<String>("out") {
        Some(out) => {
            let out =
                std::path::absolute(out).map_err(|e| Failure::Usage(format!("{out}: {e}")))?;
            run_runner(
                &package,
                &["catalog", format, &out.to_string_lossy()],
                false,
            )
        }
        None => run_runner(&package, &["catalog", format], false),
    }
}

pub(crate) fn check(args: &ArgMatches) -> Result<(), Failure> {
    let package = locate(args)?;
    run_runner(&package, &["check"], args.get_flag("freeze"))
}
