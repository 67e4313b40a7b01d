//! An event struct whose fields carry no serde attributes is written and
//! read by the runtime's generic writer and reader rather than serde's
//! derive: it must write what the derive writes, read what the derive
//! reads and refuse what the derive refuses, with the same messages. Each
//! event here has a twin with serde's derive, and every document is given
//! to both, from text and from a `serde_json::Value`.

use event_core::prelude::*;
use event_core::schemars::JsonSchema;
use event_core::serde::{self, Deserialize, Serialize};
use serde_json::{Value, json};

/// A book was lent.
#[domain_event]
pub struct BookLent {
    pub book_id: String,
    pub copies: u32,
    pub note: Option<String>,
    pub tags: Vec<String>,
    pub r#type: Kind,
    pub due: Option<Option<u64>>,
}

/// The same fields, read by serde's derive.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(crate = "event_core::serde")]
pub struct BookLentTwin {
    pub book_id: String,
    pub copies: u32,
    pub note: Option<String>,
    pub tags: Vec<String>,
    pub r#type: Kind,
    pub due: Option<Option<u64>>,
}

/// A nested value with serde's derive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(crate = "event_core::serde")]
#[schemars(crate = "event_core::schemars")]
pub enum Kind {
    Paper,
    Audio { minutes: u32 },
}

/// One field.
#[integration_event(version = 1)]
pub struct ShelfEmptiedIntegrationEvent {
    pub shelf: u8,
}

/// Its twin.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(crate = "event_core::serde")]
pub struct ShelfEmptiedTwin {
    pub shelf: u8,
}

/// What reading `text` gives, from text and from a `Value` when the text
/// is JSON: the value as JSON, or the error's message (a twin's name in it
/// read as its event's).
fn outcomes<T: serde::de::DeserializeOwned + Serialize>(text: &str) -> Vec<Result<Value, String>> {
    let show = |r: Result<T, serde_json::Error>| {
        r.map(|v| serde_json::to_value(v).unwrap()).map_err(|e| {
            e.to_string()
                .replace("BookLentTwin", "BookLent")
                .replace("ShelfEmptiedTwin", "ShelfEmptiedIntegrationEvent")
        })
    };
    let mut out = vec![show(serde_json::from_str::<T>(text))];
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        out.push(show(serde_json::from_value::<T>(value)));
    }
    out
}

const BOOK_DOCUMENTS: &[&str] = &[
    r#"{"book_id":"b-1","copies":2,"note":"n","tags":["a"],"type":"Paper","due":7}"#,
    r#"{"book_id":"b-1","copies":2,"tags":[],"type":{"Audio":{"minutes":3}}}"#,
    r#"{"book_id":"b-1","copies":2,"note":null,"tags":[],"type":"Paper","due":null}"#,
    r#"{"type":"Paper","tags":[],"copies":2,"book_id":"b-1","unknown":{"deep":[1,2]}}"#,
    r#"{"book_id":"b-1","book_id":"b-2","copies":2,"tags":[],"type":"Paper"}"#,
    r#"{"book_id":"b-1","copies":2,"tags":[],"type":"Paper","note":"x","note":"y"}"#,
    r#"{"book_id":"b-1","tags":[],"type":"Paper"}"#,
    r#"{"copies":2,"tags":[],"type":"Paper"}"#,
    r#"{"book_id":"b-1","copies":-2,"tags":[],"type":"Paper"}"#,
    r#"{"book_id":"b-1","copies":2,"tags":"a","type":"Paper"}"#,
    r#"{"book_id":"b-1","copies":2,"tags":[],"type":"Vinyl"}"#,
    r#"{"book_id":"b-1","copies":2,"tags":[],"type":"Paper","unknown":1,"unknown":2}"#,
    r#"{}"#,
    r#"["b-1",2,null,[],"Paper",null]"#,
    r#"["b-1",2,"n",["a"],"Paper",5]"#,
    r#"["b-1",2]"#,
    r#"[]"#,
    r#"["b-1",2,null,[],"Paper",null,"more"]"#,
    r#"[1,2,null,[],"Paper",null]"#,
    r#"null"#,
    r#"3"#,
    r#""book""#,
    r#"{"book_id":"b-1","copies":2,"tags":[],"type":"Paper""#,
    r#"{"book_id":"b-1","copies":2,"tags":[],"type":"Paper"} trailing"#,
    r#"{"book_\u0069d":"b-1","copies":2,"tags":[],"type":"Paper"}"#,
];

#[test]
fn an_event_reads_every_document_as_serde_derive_does() {
    let mut compared = 0;
    for text in BOOK_DOCUMENTS {
        let ours = outcomes::<BookLent>(text);
        let twin = outcomes::<BookLentTwin>(text);
        assert_eq!(ours, twin, "{text}");
        compared += ours.len();
    }
    // Some documents read, some refused, for each way of reading.
    let read = BOOK_DOCUMENTS
        .iter()
        .filter(|t| serde_json::from_str::<BookLent>(t).is_ok())
        .count();
    assert_eq!(read, 8, "the documents that read");
    assert!(compared > BOOK_DOCUMENTS.len());
}

#[test]
fn an_event_of_one_field_reads_as_serde_derive_does() {
    for text in [
        r#"{"shelf":3}"#,
        r#"{"shelf":300}"#,
        r#"{}"#,
        r#"{"shelf":1,"shelf":2}"#,
        r#"[4]"#,
        r#"[]"#,
        r#"[4,5]"#,
        r#"{"Shelf":1}"#,
    ] {
        assert_eq!(
            outcomes::<ShelfEmptiedIntegrationEvent>(text),
            outcomes::<ShelfEmptiedTwin>(text),
            "{text}"
        );
    }
}

#[test]
fn the_messages_name_the_field_and_the_struct() {
    let error = |text: &str| {
        serde_json::from_str::<BookLent>(text)
            .unwrap_err()
            .to_string()
    };
    assert!(error(r#"{"book_id":"b"}"#).starts_with("missing field `copies`"));
    assert!(error(r#"{"copies":1,"copies":2}"#).starts_with("duplicate field `copies`"));
    assert!(error("[]").starts_with("invalid length 0, expected struct BookLent with 6 elements"));
    assert!(error("true").starts_with("invalid type: boolean `true`, expected struct BookLent"));
}

/// A format that gives field names as numbers: serde's derive reads a
/// field's position as the field.
#[test]
fn a_field_given_by_its_position_is_read() {
    use serde::de::value::{Error, MapDeserializer};
    let entries = vec![(0u64, 9u64)];
    let ours: Result<ShelfEmptiedIntegrationEvent, Error> =
        ShelfEmptiedIntegrationEvent::deserialize(MapDeserializer::new(
            entries.clone().into_iter(),
        ));
    let twin: Result<ShelfEmptiedTwin, Error> =
        ShelfEmptiedTwin::deserialize(MapDeserializer::new(entries.into_iter()));
    assert_eq!(ours.unwrap().shelf, 9);
    assert_eq!(twin.unwrap().shelf, 9);
    // A position past the last field is an unknown field, skipped.
    let entries = vec![(0u64, 9u64), (7, 1)];
    let ours: Result<ShelfEmptiedIntegrationEvent, Error> =
        ShelfEmptiedIntegrationEvent::deserialize(MapDeserializer::new(entries.into_iter()));
    assert_eq!(ours.unwrap().shelf, 9);
}

/// A struct with serde attributes keeps serde's derive, which honours them.
#[domain_event]
#[serde(deny_unknown_fields)]
pub struct ShelfMoved {
    pub shelf: u8,
}

#[test]
fn serde_attributes_are_honoured() {
    let error = serde_json::from_value::<ShelfMoved>(json!({"shelf": 1, "room": 2}))
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("unknown field `room`"), "{error}");
}

/// As many fields as the generic reader takes.
#[domain_event]
pub struct LedgerBalanced {
    pub a0: u8,
    pub a1: u8,
    pub a2: u8,
    pub a3: u8,
    pub a4: u8,
    pub a5: u8,
    pub a6: u8,
    pub a7: u8,
    pub a8: u8,
    pub a9: u8,
    pub a10: u8,
    pub a11: u8,
    pub a12: u8,
    pub a13: u8,
    pub a14: u8,
    pub a15: u8,
    pub a16: u8,
    pub a17: u8,
    pub a18: u8,
    pub a19: u8,
    pub a20: u8,
    pub a21: u8,
    pub a22: u8,
    pub a23: u8,
    pub a24: u8,
    pub a25: u8,
    pub a26: u8,
    pub a27: u8,
    pub a28: u8,
    pub a29: u8,
    pub a30: u8,
    pub a31: u8,
}

/// One more: serde's derive reads it.
#[integration_event(version = 1)]
pub struct LedgerBalancedIntegrationEvent {
    pub a0: u8,
    pub a1: u8,
    pub a2: u8,
    pub a3: u8,
    pub a4: u8,
    pub a5: u8,
    pub a6: u8,
    pub a7: u8,
    pub a8: u8,
    pub a9: u8,
    pub a10: u8,
    pub a11: u8,
    pub a12: u8,
    pub a13: u8,
    pub a14: u8,
    pub a15: u8,
    pub a16: u8,
    pub a17: u8,
    pub a18: u8,
    pub a19: u8,
    pub a20: u8,
    pub a21: u8,
    pub a22: u8,
    pub a23: u8,
    pub a24: u8,
    pub a25: u8,
    pub a26: u8,
    pub a27: u8,
    pub a28: u8,
    pub a29: u8,
    pub a30: u8,
    pub a31: u8,
    pub a32: u8,
}

#[test]
fn the_longest_structs_read_their_fields() {
    let fields = |n: u8| {
        (0..n)
            .map(|i| (format!("a{i}"), json!(i)))
            .collect::<serde_json::Map<String, Value>>()
    };
    let ledger: LedgerBalanced = serde_json::from_value(Value::Object(fields(32))).unwrap();
    assert_eq!((ledger.a0, ledger.a31), (0, 31));
    let wide: LedgerBalancedIntegrationEvent =
        serde_json::from_value(Value::Object(fields(33))).unwrap();
    assert_eq!((wide.a0, wide.a32), (0, 32));
    let error = serde_json::from_value::<LedgerBalanced>(Value::Object(fields(31)))
        .unwrap_err()
        .to_string();
    assert_eq!(error, "missing field `a31`");
}

#[test]
fn an_event_writes_what_serde_derive_writes() {
    for text in BOOK_DOCUMENTS {
        let (Ok(ours), Ok(twin)) = (
            serde_json::from_str::<BookLent>(text),
            serde_json::from_str::<BookLentTwin>(text),
        ) else {
            continue;
        };
        // The same text, fields in the same order, compact and pretty.
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&twin).unwrap()
        );
        assert_eq!(
            serde_json::to_string_pretty(&ours).unwrap(),
            serde_json::to_string_pretty(&twin).unwrap()
        );
    }
    let shelf = serde_json::to_string(&ShelfEmptiedIntegrationEvent { shelf: 4 }).unwrap();
    assert_eq!(shelf, r#"{"shelf":4}"#);
}

/// A constant of the user's named like the generated code's own.
pub const SHAPE: usize = 2;

/// A field whose type names the user's constant.
#[domain_event]
pub struct GridDrawn {
    pub cells: [u8; SHAPE],
}

#[test]
fn the_users_names_are_the_users() {
    let grid: GridDrawn = serde_json::from_str(r#"{"cells":[1,2]}"#).unwrap();
    assert_eq!(grid.cells, [1, 2]);
    assert_eq!(serde_json::to_string(&grid).unwrap(), r#"{"cells":[1,2]}"#);
}
