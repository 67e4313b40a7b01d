//! The `events` command line: exit status, one-line errors, and the same
//! checker and decoder as the library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[path = "../../tests/support/fixture.rs"]
mod fixture;

fn events(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_events"))
        .args(args)
        // The fixture package builds where the contract tests build it, so
        // its dependencies are compiled once.
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("parcel-events-target"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("EVENT_CONTRACTS")
        .env_remove("CI")
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        // The command may stop reading early (a size limit); that is fine.
        let _ = child.stdin.take().unwrap().write_all(input);
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A folder of this test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("events-cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn file(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

const V1: &str = r#"{"type":"object","properties":{"id":{"type":"string"},"amount":{"type":"integer"}},"required":["id","amount"],"additionalProperties":false}"#;
const V2_OPTIONAL: &str = r#"{"type":"object","properties":{"id":{"type":"string"},"amount":{"type":"integer"},"note":{"type":"string"}},"required":["id","amount"],"additionalProperties":false}"#;
const V2_RETYPED: &str = r#"{"type":"object","properties":{"id":{"type":"string"},"amount":{"type":"string"}},"required":["id","amount"],"additionalProperties":false}"#;

#[test]
fn compat_exits_0_when_compatible_and_1_with_each_breaking_change() {
    let dir = scratch("compat");
    let old = file(&dir, "old.json", V1);
    let optional = file(&dir, "optional.json", V2_OPTIONAL);
    let retyped = file(&dir, "retyped.json", V2_RETYPED);

    let ok = events(&["compat", &old, &optional], None);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).is_empty());

    let broken = events(&["compat", "--mode", "full", &old, &retyped], None);
    assert_eq!(broken.status.code(), Some(1));
    let lines: Vec<String> = stdout(&broken).lines().map(str::to_owned).collect();
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|l| l.contains("/properties/amount")),
        "{lines:?}"
    );
    assert_eq!(stderr(&broken).lines().count(), 1, "{}", stderr(&broken));

    let json = events(&["compat", "--format", "json", &old, &retyped], None);
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["compatible"], false);
    assert_eq!(report["violations"][0]["path"], "amount");
    assert_eq!(report["violations"][0]["new_pointer"], "/properties/amount");
}

#[test]
fn compat_usage_and_io_errors_exit_2_on_one_line_naming_the_file() {
    let dir = scratch("compat-errors");
    let old = file(&dir, "old.json", V1);
    let broken = file(&dir, "broken.json", r#"{"type": "object","#);
    let missing = dir.join("missing.json").to_string_lossy().into_owned();
    for (args, names) in [
        (
            vec!["compat", old.as_str(), missing.as_str()],
            missing.as_str(),
        ),
        (
            vec!["compat", old.as_str(), broken.as_str()],
            broken.as_str(),
        ),
        (
            vec!["compat", "--mode", "sideways", old.as_str(), old.as_str()],
            "sideways",
        ),
        (vec!["compat", old.as_str()], "NEW.json"),
    ] {
        let output = events(&args, None);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let error = stderr(&output);
        assert!(error.contains(names), "{args:?}: {error}");
    }
    let missing_file = events(&["compat", old.as_str(), missing.as_str()], None);
    assert_eq!(stderr(&missing_file).lines().count(), 1);
}

const EVENT: &str = r#"{"specversion":"1.0","id":"e-1","source":"https://example.com/billing","type":"com.example.invoice.paid","datacontenttype":"application/json","comexampletenant":"acme","data":{"invoice":"in-7"}}"#;

#[test]
fn envelope_check_prints_the_normalized_document_or_one_line_of_error() {
    let ok = events(&["envelope", "check", "-"], Some(EVENT.as_bytes()));
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let printed: serde_json::Value = serde_json::from_str(stdout(&ok).trim()).unwrap();
    let original: serde_json::Value = serde_json::from_str(EVENT).unwrap();
    assert_eq!(
        printed, original,
        "an event without `time` and with an extension"
    );

    let dir = scratch("envelope");
    let path = file(
        &dir,
        "bad.json",
        r#"{"specversion":"1.0","id":"e-1","type":"t"}"#,
    );
    let bad = events(&["envelope", "check", &path], None);
    assert_eq!(bad.status.code(), Some(1));
    let error = stderr(&bad);
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(
        error.contains("bad.json") && error.contains("source"),
        "{error}"
    );

    let big = format!(
        r#"{{"specversion":"1.0","id":"e","source":"/s","type":"t","data":"{}"}}"#,
        "x".repeat(10_000)
    );
    let refused = events(
        &["envelope", "check", "--max-size", "1000", "-"],
        Some(big.as_bytes()),
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));

    let missing = events(
        &[
            "envelope",
            "check",
            &dir.join("none.json").to_string_lossy(),
        ],
        None,
    );
    assert_eq!(missing.status.code(), Some(2));
}

/// SplitMix64, for reproducible random inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Mutates a document: flips, drops and duplicates bytes.
fn mutate(rng: &mut Rng, input: &str) -> Vec<u8> {
    let mut bytes = input.as_bytes().to_vec();
    for _ in 0..=rng.next() % 6 {
        if bytes.is_empty() {
            break;
        }
        let at = (rng.next() % bytes.len() as u64) as usize;
        match rng.next() % 3 {
            0 => bytes[at] = rng.next() as u8,
            1 => {
                bytes.remove(at);
            }
            _ => bytes.insert(at, bytes[at]),
        }
    }
    bytes
}

#[test]
fn no_input_makes_it_panic() {
    let dir = scratch("fuzz");
    let mut rng = Rng(0xe7e7);
    for round in 0..120 {
        let document = mutate(&mut rng, EVENT);
        let output = events(&["envelope", "check", "-"], Some(&document));
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "round {round}: {:?} {}",
            output.status,
            stderr(&output)
        );
        assert!(stderr(&output).lines().count() <= 1, "round {round}");

        let schema = mutate(&mut rng, V2_RETYPED);
        let new = dir.join("new.json");
        std::fs::write(&new, &schema).unwrap();
        let old = file(&dir, "old.json", V1);
        let output = events(&["compat", &old, &new.to_string_lossy()], None);
        assert!(
            matches!(output.status.code(), Some(0..=2)),
            "round {round}: {:?} {}",
            output.status,
            stderr(&output)
        );
        assert!(stderr(&output).lines().count() <= 1, "round {round}");
    }
}

#[test]
fn schema_export_catalog_and_contracts_check_work_on_a_package() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let package = fixture::parcel_events(root, tmp.join("parcel-events-cli"));
    let manifest = package.join("Cargo.toml").to_string_lossy().into_owned();
    let out = tmp.join("parcel-events-cli-schemas");
    let _ = std::fs::remove_dir_all(&out);

    let export = events(
        &[
            "schema",
            "export",
            "--manifest-path",
            &manifest,
            "--out",
            &out.to_string_lossy(),
        ],
        None,
    );
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    let listed = index.to_string();
    assert!(listed.contains("parcel.sent"), "{listed}");

    // The catalog, printed and written.
    let asyncapi = events(
        &[
            "catalog",
            "--format",
            "asyncapi",
            "--manifest-path",
            &manifest,
        ],
        None,
    );
    assert_eq!(asyncapi.status.code(), Some(0), "{}", stderr(&asyncapi));
    let document: serde_json::Value = serde_json::from_slice(&asyncapi.stdout).unwrap();
    assert_eq!(document["asyncapi"], "3.0.0");
    assert_eq!(document["info"]["title"], "parcel-events events");
    assert_eq!(document["info"]["version"], "0.0.0");
    assert_eq!(
        document["channels"]["parcel.sent.v1"]["address"],
        "parcel.sent.v1"
    );
    assert_eq!(
        document["components"]["messages"]["parcel.lost.v1"]["payload"]["$id"],
        "urn:event:parcel-events:integration:parcel.lost.v1",
        "the default schema base names the package"
    );
    let pages = tmp.join("parcel-events-cli-catalog");
    let _ = std::fs::remove_dir_all(&pages);
    let markdown = events(
        &[
            "catalog",
            "--format",
            "markdown",
            "--manifest-path",
            &manifest,
            "--out",
            &pages.to_string_lossy(),
        ],
        None,
    );
    assert_eq!(markdown.status.code(), Some(0), "{}", stderr(&markdown));
    let index = std::fs::read_to_string(pages.join("index.md")).unwrap();
    assert!(
        index.contains("[`parcel.sent`](integration/parcel.sent.md)"),
        "{index}"
    );
    let page = std::fs::read_to_string(pages.join("integration/parcel.sent.md")).unwrap();
    assert!(page.contains("A parcel was sent."), "{page}");
    let mermaid = events(
        &[
            "catalog",
            "--format",
            "mermaid",
            "--manifest-path",
            &manifest,
        ],
        None,
    );
    assert_eq!(mermaid.status.code(), Some(0), "{}", stderr(&mermaid));
    let diagrams = stdout(&mermaid);
    assert!(
        diagrams.starts_with("%% flow.mmd\nflowchart LR\n"),
        "{diagrams}"
    );
    assert!(diagrams.contains("%% versions.mmd\n"), "{diagrams}");
    let wrong = events(
        &["catalog", "--format", "html", "--manifest-path", &manifest],
        None,
    );
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));

    let check = events(&["contracts", "check", "--manifest-path", &manifest], None);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );

    // A changed doc comment is fine; a retyped field of a frozen contract is
    // not.
    let lib = package.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    assert!(source.contains("pub parcel_id: String"), "{source}");
    std::fs::write(
        &lib,
        source.replace("pub parcel_id: String", "pub parcel_id: u64"),
    )
    .unwrap();
    let check = events(&["contracts", "check", "--manifest-path", &manifest], None);
    assert_ne!(check.status.code(), Some(0), "{}", stdout(&check));
}
