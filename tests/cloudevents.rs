//! Conformance with CloudEvents 1.0.2 and its JSON event format: what any
//! producer may send is read, what the rules forbid is refused with the
//! error that names it, and whatever the builders accept decodes.

use event_core::cloudevent::{CloudEvent, Data, ExtensionValue};
use event_core::prelude::*;
use event_core::{DecodeError, Timestamp};
use serde_json::{Value, json};

/// An order was paid.
#[integration_event(version = 1)]
pub struct OrderPaidIntegrationEvent {
    pub order_id: String,
    #[event(pii)]
    pub email: String,
    pub amount_cents: u64,
}

fn minimal() -> Value {
    json!({
        "specversion": "1.0",
        "id": "A234-1234-1234",
        "source": "/mycontext",
        "type": "com.example.someevent",
    })
}

fn with(mut document: Value, key: &str, value: Value) -> Value {
    document[key] = value;
    document
}

fn read(document: &Value) -> Result<CloudEvent, DecodeError> {
    CloudEvent::from_json(document.to_string().as_bytes())
}

/// The document re-encoded, as JSON, for comparing documents by value.
fn reencoded(event: &CloudEvent) -> Value {
    serde_json::from_str(&event.to_json()).unwrap()
}

/// Reads, re-encodes and reads again: the same event, and the same
/// document less its `null` members.
fn round_trip(document: &Value) -> CloudEvent {
    let event = read(document).unwrap_or_else(|e| panic!("{document}: {e}"));
    let again = CloudEvent::from_json(event.to_json().as_bytes()).unwrap();
    assert_eq!(again, event, "{document}");
    let mut expected = document.clone();
    expected
        .as_object_mut()
        .unwrap()
        .retain(|_, value| !value.is_null());
    if let Some(data) = document.get("data") {
        // `data: null` is a payload, not an unset attribute.
        expected["data"] = data.clone();
    }
    assert_eq!(reencoded(&event), expected, "{document}");
    event
}

#[test]
fn the_required_attributes_alone_make_an_event() {
    let event = round_trip(&minimal());
    assert_eq!(event.id(), "A234-1234-1234");
    assert_eq!(event.time(), None);
    assert_eq!(event.data(), None);
}

#[test]
fn every_optional_attribute_is_kept() {
    let document = json!({
        "specversion": "1.0",
        "id": "B-1",
        "source": "https://github.com/cloudevents",
        "type": "com.example.someevent",
        "datacontenttype": "application/json",
        "dataschema": "https://example.com/schemas/some.json",
        "subject": "mynewfile.jpg",
        "time": "2018-04-05T17:31:00Z",
        "comexampleextension1": "value",
        "comexampleothervalue": 5,
        "comexampleflag": false,
        "data": { "appinfoA": "abc", "appinfoB": 123, "appinfoC": true },
    });
    let event = round_trip(&document);
    assert_eq!(event.subject(), Some("mynewfile.jpg"));
    assert_eq!(
        event.extension("comexampleothervalue"),
        Some(&ExtensionValue::Integer(5))
    );
    assert_eq!(
        event.extension("comexampleflag"),
        Some(&ExtensionValue::Boolean(false))
    );
    assert_eq!(event.extensions().len(), 3);
}

#[test]
fn null_attributes_are_unset() {
    let document = json!({
        "specversion": "1.0",
        "id": "C-1",
        "source": "/mycontext",
        "type": "com.example.someevent",
        "subject": null,
        "time": null,
        "datacontenttype": null,
        "dataschema": null,
        "data_base64": null,
        "unsetextension": null,
    });
    let event = round_trip(&document);
    assert_eq!(event.subject(), None);
    assert!(event.extensions().is_empty());
    assert_eq!(event.data(), None);
    // A required attribute that is null is missing.
    for name in ["specversion", "id", "source", "type"] {
        assert_eq!(
            read(&with(minimal(), name, Value::Null)).unwrap_err(),
            DecodeError::MissingAttribute { name },
            "{name}"
        );
    }
}

#[test]
fn each_missing_required_attribute_is_named() {
    for name in ["specversion", "id", "source", "type"] {
        let mut document = minimal();
        document.as_object_mut().unwrap().remove(name);
        assert_eq!(
            read(&document).unwrap_err(),
            DecodeError::MissingAttribute { name },
            "{name}"
        );
    }
}

#[test]
fn sources_are_uri_references() {
    for source in [
        "https://github.com/cloudevents",
        "mailto:cncf-wg-serverless@lists.cncf.io",
        "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
        "cloudevents/spec/pull/123",
        "/sensors/tn-1234567/alerts",
        "1-555-123-4567",
        "//host.example:8080/a?b=c#d",
        "/with%20escape",
    ] {
        round_trip(&with(minimal(), "source", json!(source)));
    }
    for source in [
        "",
        "has space",
        "1a:b",
        "/bad%zz",
        "/ünïcode",
        "a\"b",
        "/a#b#c",
    ] {
        assert!(
            matches!(
                read(&with(minimal(), "source", json!(source))),
                Err(DecodeError::InvalidAttribute { name: "source", .. })
            ),
            "{source}"
        );
    }
}

#[test]
fn strings_are_non_empty_and_free_of_control_characters() {
    for name in ["id", "type", "subject"] {
        for bad in ["", "line\nbreak", "nul\u{0}", "c1\u{85}", "non\u{fffe}char"] {
            let error = read(&with(minimal(), name, json!(bad))).unwrap_err();
            assert!(
                matches!(&error, DecodeError::InvalidAttribute { name: got, .. } if got == &name),
                "{name} = {bad:?}: {error:?}"
            );
        }
        round_trip(&with(minimal(), name, json!("ünïcödé ✓ and spaces")));
    }
}

#[test]
fn attributes_have_their_json_types() {
    let cases = [
        ("specversion", json!(1.0)),
        ("id", json!(5)),
        ("source", json!(true)),
        ("type", json!(["a"])),
        ("subject", json!({})),
        ("time", json!(1_522_949_460)),
        ("datacontenttype", json!(false)),
        ("dataschema", json!(7)),
        ("data_base64", json!(12)),
    ];
    for (name, value) in cases {
        let error = read(&with(minimal(), name, value.clone())).unwrap_err();
        assert!(
            matches!(&error, DecodeError::InvalidAttribute { name: got, .. } if *got == name),
            "{name} = {value}: {error:?}"
        );
    }
}

#[test]
fn only_specversion_1_0_is_read() {
    for version in ["0.3", "1.0.2", "1", ""] {
        assert!(matches!(
            read(&with(minimal(), "specversion", json!(version))),
            Err(DecodeError::InvalidAttribute {
                name: "specversion",
                ..
            })
        ));
    }
}

#[test]
fn times_over_the_whole_rfc_3339_range() {
    for time in [
        "2018-04-05T17:31:00Z",
        "2018-04-05t17:31:00z",
        "0000-01-01T00:00:00Z",
        "0000-01-01T00:00:00+01:00",
        "0000-01-01T00:00:00.000000001+23:59",
        "9999-12-31T23:59:59.999999999Z",
        "9999-12-31T23:59:59-23:59",
        "2024-02-29T12:00:00.5-05:30",
    ] {
        let event = read(&with(minimal(), "time", json!(time))).unwrap();
        let again = CloudEvent::from_json(event.to_json().as_bytes()).unwrap();
        assert_eq!(again.time(), event.time(), "{time}");
        let written = event.time().unwrap().to_string();
        assert_eq!(
            written.parse::<Timestamp>().unwrap(),
            time.parse::<Timestamp>().unwrap()
        );
    }
    for time in [
        "2018-04-05 17:31:00Z",
        "2018-04-05T17:31:00",
        "2018-02-30T00:00:00Z",
        "2018-04-05T24:00:00Z",
        "10000-01-01T00:00:00Z",
        "2018-04-05T17:31:00+24:00",
        "",
    ] {
        assert!(
            matches!(
                read(&with(minimal(), "time", json!(time))),
                Err(DecodeError::InvalidAttribute { name: "time", .. })
            ),
            "{time}"
        );
    }
}

#[test]
fn extension_names_are_lowercase_letters_and_digits() {
    round_trip(&with(minimal(), "ext1withdigits2", json!("v")));
    round_trip(&with(
        minimal(),
        "averyveryverylongextensionname",
        json!("v"),
    ));
    for name in ["camelCase", "with_underscore", "with-dash", "ümlaut", ""] {
        assert!(
            matches!(
                read(&with(minimal(), name, json!("v"))),
                Err(DecodeError::InvalidExtension { .. })
            ),
            "{name}"
        );
    }
}

#[test]
fn extension_values_are_strings_integers_or_booleans() {
    for (value, expected) in [
        (json!("text"), ExtensionValue::String("text".into())),
        (json!(""), ExtensionValue::String(String::new())),
        (json!(i32::MAX), ExtensionValue::Integer(i32::MAX)),
        (json!(i32::MIN), ExtensionValue::Integer(i32::MIN)),
        (json!(true), ExtensionValue::Boolean(true)),
    ] {
        let event = round_trip(&with(minimal(), "ext", value));
        assert_eq!(event.extension("ext"), Some(&expected));
    }
    for value in [
        json!(1.5),
        json!(5.0),
        json!(1e3),
        json!(2_147_483_648_i64),
        json!(-2_147_483_649_i64),
        json!({}),
        json!([1]),
        json!("tab\there"),
    ] {
        assert!(
            matches!(
                read(&with(minimal(), "ext", value.clone())),
                Err(DecodeError::InvalidExtension { .. })
            ),
            "{value}"
        );
    }
}

#[test]
fn json_content_types_carry_json_data() {
    for content_type in [
        None,
        Some("application/json"),
        Some("text/json"),
        Some("application/vnd.acme+json"),
        Some("application/cloudevents+json"),
        Some("application/json; charset=utf-8"),
    ] {
        for data in [
            json!({"a": [1, 2, {"b": null}]}),
            json!("I'm just a string"),
            json!(42),
            json!([]),
            json!(null),
        ] {
            let mut document = with(minimal(), "data", data.clone());
            if let Some(content_type) = content_type {
                document["datacontenttype"] = json!(content_type);
            }
            let event = round_trip(&document);
            let Some(Data::Json(raw)) = event.data() else {
                panic!("{document}: {:?}", event.data());
            };
            assert_eq!(serde_json::from_str::<Value>(raw.get()).unwrap(), data);
        }
    }
}

#[test]
fn other_content_types_carry_strings_and_bytes() {
    let xml = with(
        with(minimal(), "datacontenttype", json!("application/xml")),
        "data",
        json!("<much wow=\"xml\"/>"),
    );
    let event = round_trip(&xml);
    assert_eq!(
        event.data(),
        Some(&Data::Text("<much wow=\"xml\"/>".into()))
    );

    let binary = with(
        with(
            minimal(),
            "datacontenttype",
            json!("application/vnd.apache.thrift.binary"),
        ),
        "data_base64",
        json!("Zm9vYg=="),
    );
    let event = round_trip(&binary);
    assert_eq!(event.data(), Some(&Data::Binary(b"foob".to_vec())));
    // Binary data needs no content type.
    let event = round_trip(&with(minimal(), "data_base64", json!("AAEC/w==")));
    assert_eq!(event.data(), Some(&Data::Binary(vec![0, 1, 2, 255])));

    // Not a string for a content type other than JSON.
    let error = read(&with(
        with(minimal(), "datacontenttype", json!("text/plain")),
        "data",
        json!({"a": 1}),
    ))
    .unwrap_err();
    assert!(matches!(
        error,
        DecodeError::InvalidAttribute { name: "data", .. }
    ));
}

#[test]
fn data_and_data_base64_exclude_each_other() {
    let both = with(
        with(minimal(), "data", json!({})),
        "data_base64",
        json!("Zm9v"),
    );
    assert!(matches!(
        read(&both),
        Err(DecodeError::InvalidAttribute {
            name: "data_base64",
            ..
        })
    ));
    for bad in ["Zm9", "Zm9v!", "Zg", "Zh=="] {
        assert!(
            matches!(
                read(&with(minimal(), "data_base64", json!(bad))),
                Err(DecodeError::InvalidAttribute {
                    name: "data_base64",
                    ..
                })
            ),
            "{bad}"
        );
    }
}

#[test]
fn content_types_and_schemas_are_well_formed() {
    for bad in ["", "json", "application/", "text/plain; charset"] {
        assert!(
            matches!(
                read(&with(minimal(), "datacontenttype", json!(bad))),
                Err(DecodeError::InvalidAttribute {
                    name: "datacontenttype",
                    ..
                })
            ),
            "{bad}"
        );
    }
    for bad in ["", "/relative/schema", "no scheme", "http://a b"] {
        assert!(
            matches!(
                read(&with(minimal(), "dataschema", json!(bad))),
                Err(DecodeError::InvalidAttribute {
                    name: "dataschema",
                    ..
                })
            ),
            "{bad}"
        );
    }
}

#[test]
fn a_member_twice_is_a_duplicate() {
    let text = r#"{"specversion":"1.0","id":"1","source":"/s","type":"a","type":"b"}"#;
    assert_eq!(
        CloudEvent::from_json(text.as_bytes()).unwrap_err(),
        DecodeError::DuplicateAttribute {
            name: "type".into()
        }
    );
    let text = r#"{"specversion":"1.0","id":"1","source":"/s","type":"a","ext":1,"ext":2}"#;
    assert_eq!(
        CloudEvent::from_json(text.as_bytes()).unwrap_err(),
        DecodeError::DuplicateAttribute { name: "ext".into() }
    );
    for text in [
        r#"{"specversion":"1.0","id":"1","source":"/s","type":"a","ext":null,"ext":2}"#,
        r#"{"specversion":"1.0","id":"1","source":"/s","type":"a","ext":2,"ext":null}"#,
    ] {
        assert_eq!(
            CloudEvent::from_json(text.as_bytes()).unwrap_err(),
            DecodeError::DuplicateAttribute { name: "ext".into() },
            "{text}"
        );
    }
    let text = r#"{"specversion":"1.0","id":"1","source":"/s","type":"a","type":"b"}"#;
    assert_eq!(
        event_core::decode::identify(text.as_bytes()).unwrap_err(),
        DecodeError::DuplicateAttribute {
            name: "type".into()
        }
    );
}

#[test]
fn what_is_not_an_object_or_not_json() {
    for text in ["[]", "1", "\"event\"", "null", "true"] {
        assert_eq!(
            CloudEvent::from_json(text.as_bytes()).unwrap_err(),
            DecodeError::NotAnObject,
            "{text}"
        );
    }
    for text in ["", "{", "{\"id\":}", "{} {}", "\u{feff}{}"] {
        assert!(
            matches!(
                CloudEvent::from_json(text.as_bytes()),
                Err(DecodeError::MalformedJson { .. })
            ),
            "{text}"
        );
    }
}

// --- typed envelopes -------------------------------------------------------

fn order_paid() -> Value {
    json!({
        "specversion": "1.0",
        "id": "evt-1",
        "source": "urn:acme:billing",
        "type": "order.paid.v1",
        "data": { "order_id": "o-1", "email": "alice@example.com", "amount_cents": 500 },
    })
}

fn typed(document: &Value) -> Result<Envelope<OrderPaidIntegrationEvent>, DecodeError> {
    event_core::decode::decode(document.to_string().as_bytes())
}

#[test]
fn a_foreign_event_decodes_into_its_registered_type_and_back() {
    let document = with(
        with(
            with(
                order_paid(),
                "dataschema",
                json!("https://acme.example/order-paid"),
            ),
            "comacmetenant",
            json!(7),
        ),
        "datacontenttype",
        json!("application/vnd.acme.order+json"),
    );
    let envelope = typed(&document).unwrap();
    assert_eq!(envelope.time(), None);
    assert_eq!(
        envelope.dataschema(),
        Some("https://acme.example/order-paid")
    );
    assert_eq!(
        envelope.extension("comacmetenant"),
        Some(&ExtensionValue::Integer(7))
    );
    // No correlation id was sent: none is written back.
    let written: Value = serde_json::from_str(&envelope.to_json().unwrap()).unwrap();
    assert_eq!(written, document);
    // The generic reading and the typed one agree.
    let generic = read(&document).unwrap();
    assert_eq!(Envelope::from_cloud_event(generic).unwrap(), envelope);
    let back = envelope.to_cloud_event().unwrap();
    assert_eq!(reencoded(&back), document);
}

#[test]
fn typed_data_from_json_content_types_and_base64() {
    for content_type in ["application/json", "text/json", "application/x+json"] {
        let envelope = typed(&with(order_paid(), "datacontenttype", json!(content_type)));
        assert_eq!(envelope.unwrap().data().amount_cents, 500);
    }
    let mut binary = order_paid();
    let data = binary.as_object_mut().unwrap().remove("data").unwrap();
    let bytes = data.to_string().into_bytes();
    let encoded = CloudEvent::new("x", "/x", "x")
        .unwrap()
        .with_data(None, Data::Binary(bytes))
        .unwrap()
        .to_json();
    let encoded: Value = serde_json::from_str(&encoded).unwrap();
    binary["data_base64"] = encoded["data_base64"].clone();
    assert_eq!(typed(&binary).unwrap().data().order_id, "o-1");
}

#[test]
fn typed_errors_name_the_fault() {
    assert!(matches!(
        typed(&with(
            order_paid(),
            "datacontenttype",
            json!("application/xml")
        )),
        Err(DecodeError::InvalidAttribute {
            name: "datacontenttype",
            ..
        })
    ));
    let mut no_data = order_paid();
    no_data.as_object_mut().unwrap().remove("data");
    assert_eq!(
        typed(&no_data).unwrap_err(),
        DecodeError::MissingAttribute { name: "data" }
    );
    // An explicit null payload is data, which does not fit the event.
    match typed(&with(order_paid(), "data", Value::Null)).unwrap_err() {
        DecodeError::PayloadMismatch { message, .. } => {
            assert_eq!(
                message,
                "at `data`: expected struct OrderPaidIntegrationEvent, found null"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        typed(&with(order_paid(), "correlationid", json!(5))),
        Err(DecodeError::InvalidAttribute {
            name: "correlationid",
            ..
        })
    ));
}

#[test]
fn errors_never_quote_payload_values() {
    let secret = "alice@example.com";
    let cases = [
        json!({ "order_id": "o-1", "email": secret, "amount_cents": secret }),
        json!({ "order_id": secret, "email": 5, "amount_cents": 1 }),
        json!({ "order_id": "o", "email": "e", "amount_cents": -1, "extra": secret }),
        json!([secret]),
        json!(secret),
    ];
    for data in cases {
        let error = typed(&with(order_paid(), "data", data.clone())).unwrap_err();
        assert!(
            matches!(error, DecodeError::PayloadMismatch { .. }),
            "{error:?}"
        );
        assert!(!error.to_string().contains("alice"), "{error}");
        assert!(!format!("{error:?}").contains("alice"), "{error:?}");
    }
    let error = typed(&with(
        order_paid(),
        "data",
        json!({ "order_id": "o", "email": "e", "amount_cents": "x" }),
    ))
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the data does not fit `order.paid.v1`: at `data.amount_cents`: expected u64, found a string"
    );
}

#[test]
fn echoed_input_is_escaped_and_bounded() {
    let long = format!("evil`\"{}", "x".repeat(10_000));
    let error = typed(&with(order_paid(), "type", json!(long))).unwrap_err();
    let DecodeError::UnknownType { event_type } = &error else {
        panic!("{error:?}");
    };
    assert!(
        event_type.len() <= 256 + '…'.len_utf8(),
        "{}",
        event_type.len()
    );
    assert!(event_type.starts_with("evil`\\\"xxx"), "{event_type}");
    // Control characters are refused in a type, and escaped where echoed.
    let version = format!("\u{1b}[31m\n{}", "x".repeat(10_000));
    let error = read(&with(minimal(), "specversion", json!(version))).unwrap_err();
    let text = error.to_string();
    assert!(text.len() < 400, "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains('\n'), "{text}");
    assert!(text.contains("\\u{1b}[31m\\n"), "{text}");
}

#[test]
fn debug_output_hides_personal_data() {
    let envelope = typed(&order_paid()).unwrap();
    let shown = format!("{envelope:?}");
    assert!(!shown.contains("alice"), "{shown}");
    assert!(
        shown.contains("<redacted>") && shown.contains("o-1"),
        "{shown}"
    );
    let message = event_core::encode(&envelope).unwrap();
    assert!(!format!("{message:?}").contains("alice"));
    let generic = read(&order_paid()).unwrap();
    assert!(!format!("{generic:?}").contains("alice"));
}

// --- builders ----------------------------------------------------------------

#[test]
fn the_generic_builder_refuses_what_the_decoder_refuses() {
    assert!(CloudEvent::new("", "/s", "t").is_err());
    assert!(CloudEvent::new("1", "", "t").is_err());
    assert!(CloudEvent::new("1", "not a uri", "t").is_err());
    assert!(CloudEvent::new("1", "/s", "").is_err());
    assert!(CloudEvent::new("1\n", "/s", "t").is_err());
    let event = CloudEvent::new("1", "/s", "t").unwrap();
    assert!(event.clone().with_subject("").is_err());
    assert!(event.clone().with_subject("a\u{7f}").is_err());
    assert!(event.clone().with_dataschema("relative").is_err());
    assert!(event.clone().with_extension("Upper", 1).is_err());
    assert!(event.clone().with_extension("id", "x").is_err());
    assert!(event.clone().with_extension("ok", "bad\u{0}").is_err());
    // A `String` the caller keeps is given by reference, as to the other
    // builders.
    let tenant = String::from("t-1");
    let tagged = event.clone().with_extension("tenant", &tenant).unwrap();
    assert!(tagged.to_json().contains(r#""tenant":"t-1""#));
    let far = Timestamp::from_unix(300_000_000_000, 0).unwrap();
    assert!(event.clone().with_time(far).is_err());
    assert!(
        event
            .clone()
            .with_data(Some("text/plain"), Data::json(&1).unwrap())
            .is_err()
    );
    assert!(
        event
            .clone()
            .with_data(Some("not a type"), Data::Binary(vec![1]))
            .is_err()
    );
    // Text given a JSON content type is a JSON string.
    let text = event
        .with_data(Some("application/json"), Data::Text("hi".into()))
        .unwrap();
    assert_eq!(
        CloudEvent::from_json(text.to_json().as_bytes()).unwrap(),
        text
    );
}

#[test]
fn the_envelope_builder_refuses_what_the_decoder_refuses() {
    let event = || OrderPaidIntegrationEvent {
        order_id: "o-1".into(),
        email: "e".into(),
        amount_cents: 1,
    };
    assert!(Envelope::try_new("/billing", event()).is_ok());
    assert!(Envelope::try_new("", event()).is_err());
    assert!(Envelope::try_new("not a uri", event()).is_err());
    let far = Timestamp::from_unix(-70_000_000_000, 0).unwrap();
    let refused = [
        Envelope::new("/billing", event()).with_subject(""),
        Envelope::new("/billing", event()).with_subject("line\nbreak"),
        Envelope::new("/billing", event()).with_source("a b"),
        Envelope::new("/billing", event()).with_correlation_id(""),
        Envelope::new("/billing", event()).with_traceparent("\u{0}"),
        Envelope::new("/billing", event()).with_time(far),
        Envelope::new("/billing", event()).with_extension("Bad", 1),
        Envelope::new("/billing", event()).with_extension("correlationid", "x"),
        Envelope::new("/billing", event()).with_dataschema(Some("relative".into())),
        Envelope::new("/billing", event()).with_data_content_type(Some("text/xml".into())),
    ];
    for envelope in refused {
        let error = envelope.validate().unwrap_err();
        assert!(envelope.to_json().is_err(), "{error}");
        assert!(event_core::encode(&envelope).is_err());
    }
    let accepted = Envelope::new("urn:acme:billing", event())
        .with_subject("order/o-1")
        .with_extension("comacmetenant", 7)
        .with_extension("comacmeregion", "eu")
        .with_data_content_type(Some("application/vnd.acme+json".into()))
        .with_time("9999-12-31T23:59:59-23:59".parse().unwrap())
        .checked()
        .unwrap();
    let decoded: Envelope<OrderPaidIntegrationEvent> =
        event_core::decode::decode(accepted.to_json().unwrap().as_bytes()).unwrap();
    assert_eq!(decoded, accepted);
    assert_eq!(decoded.to_json().unwrap(), accepted.to_json().unwrap());
}
