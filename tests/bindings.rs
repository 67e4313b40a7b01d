//! The protocol bindings: HTTP binary and structured modes on plain header
//! lists and on the `http` crate's types, and the broker header mappings.

mod support;

use event_core::Message;
use event_core::binding::{self, AMQP, HTTP, KAFKA, NATS};
use event_core::cloudevent::{CloudEvent, Data, ExtensionValue};
use event_core::prelude::*;
use event_core::{DecodeError, Timestamp};
use serde_json::json;

fn event() -> CloudEvent {
    CloudEvent::new("B234-1234-1234", "/mycontext", "com.example.someevent")
        .unwrap()
        .with_subject("ünïcode subject with \"quotes\" and 100%")
        .unwrap()
        .with_time("2018-04-05T17:31:00+02:00".parse::<Timestamp>().unwrap())
        .unwrap()
        .with_dataschema("https://example.com/schema")
        .unwrap()
        .with_extension("comexampleextension1", "value")
        .unwrap()
        .with_data(
            Some("application/xml"),
            Data::Text("<much wow=\"xml\"/>".into()),
        )
        .unwrap()
}

fn pairs(headers: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
}

#[test]
fn binary_mode_puts_each_attribute_in_a_header() {
    let (headers, body) = binding::to_binary(&event(), &HTTP);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("ce-specversion"), Some("1.0"));
    assert_eq!(header("ce-id"), Some("B234-1234-1234"));
    assert_eq!(header("ce-source"), Some("/mycontext"));
    assert_eq!(header("ce-time"), Some("2018-04-05T17:31:00+02:00"));
    assert_eq!(header("ce-comexampleextension1"), Some("value"));
    assert_eq!(header("content-type"), Some("application/xml"));
    // Space, quote, percent and non-ASCII are percent-encoded.
    assert_eq!(
        header("ce-subject"),
        Some("%C3%BCn%C3%AFcode%20subject%20with%20%22quotes%22%20and%20100%25")
    );
    assert_eq!(body, b"<much wow=\"xml\"/>");
    let back = binding::from_headers(pairs(&headers), &body, &HTTP).unwrap();
    assert_eq!(back, event());
}

#[test]
fn binary_mode_reads_headers_in_any_case() {
    let headers = [
        ("CE-SpecVersion", "1.0"),
        ("Ce-Id", "1"),
        ("ce-SOURCE", "/s"),
        ("ce-type", "t"),
        ("Ce-Ext", "x"),
        ("Content-Type", "application/json"),
        ("X-Other", "ignored"),
    ];
    let event = binding::from_headers(headers, br#"{"a":1}"#, &HTTP).unwrap();
    assert_eq!(event.id(), "1");
    assert_eq!(
        event.extension("ext"),
        Some(&ExtensionValue::String("x".into()))
    );
    assert_eq!(event.data(), Some(&Data::json(&json!({"a": 1})).unwrap()));
}

#[test]
fn binary_mode_refuses_what_the_rules_refuse() {
    let base = [
        ("ce-specversion", "1.0"),
        ("ce-id", "1"),
        ("ce-source", "/s"),
        ("ce-type", "t"),
    ];
    let read = |extra: &[(&'static str, &'static str)], skip: &str, body: &[u8]| {
        let headers: Vec<_> = base
            .iter()
            .copied()
            .filter(|(n, _)| *n != skip)
            .chain(extra.iter().copied())
            .collect();
        binding::from_headers(headers, body, &HTTP)
    };
    assert!(read(&[], "", b"").is_ok());
    for name in ["specversion", "id", "source", "type"] {
        assert_eq!(
            read(&[], &format!("ce-{name}"), b"").unwrap_err(),
            DecodeError::MissingAttribute {
                name: match name {
                    "specversion" => "specversion",
                    "id" => "id",
                    "source" => "source",
                    _ => "type",
                }
            }
        );
    }
    let invalid = [
        ("ce-source", "a b"),
        ("ce-time", "yesterday"),
        ("ce-subject", ""),
        ("ce-dataschema", "relative"),
        ("ce-specversion", "0.3"),
    ];
    for (name, value) in invalid {
        let headers: Vec<_> = base
            .iter()
            .copied()
            .filter(|(n, _)| *n != name)
            .chain([(name, value)])
            .collect();
        assert!(
            matches!(
                binding::from_headers(headers, b"", &HTTP),
                Err(DecodeError::InvalidAttribute { .. })
            ),
            "{name}: {value}"
        );
    }
    assert!(matches!(
        read(&[("ce-Bad_Name", "x")], "", b""),
        Err(DecodeError::InvalidExtension { .. })
    ));
    assert!(matches!(
        read(&[("ce-ext", "%zz")], "", b""),
        Err(DecodeError::InvalidExtension { .. })
    ));
    assert!(matches!(
        read(&[("ce-id", "2")], "", b""),
        Err(DecodeError::DuplicateAttribute { .. })
    ));
    // A body that is not the JSON its content type says is kept as bytes.
    assert_eq!(
        read(&[("content-type", "application/json")], "", b"{not json")
            .unwrap()
            .into_data(),
        Some(Data::Binary(b"{not json".to_vec()))
    );
    // A batch is a structured mode this binding does not read.
    assert!(matches!(
        read(
            &[("content-type", "application/cloudevents-batch+json")],
            "",
            b"[]"
        ),
        Err(DecodeError::InvalidAttribute { .. })
    ));
}

#[test]
fn binary_mode_bodies_by_content_type() {
    let headers = |content_type: &'static str| {
        vec![
            ("ce-specversion", "1.0"),
            ("ce-id", "1"),
            ("ce-source", "/s"),
            ("ce-type", "t"),
            ("content-type", content_type),
        ]
    };
    let data = |content_type, body: &[u8]| {
        binding::from_headers(headers(content_type), body, &HTTP)
            .unwrap()
            .into_data()
            .unwrap()
    };
    assert!(matches!(data("text/json", b"[1]"), Data::Json(_)));
    assert!(matches!(
        data("application/a+json", b"\"s\""),
        Data::Json(_)
    ));
    assert_eq!(data("text/plain", b"hello"), Data::Text("hello".into()));
    assert_eq!(data("application/xml", b"<a/>"), Data::Text("<a/>".into()));
    assert_eq!(
        data("image/png", b"\x89PNG"),
        Data::Binary(b"\x89PNG".to_vec())
    );
    // Binary data crosses to the JSON format as `data_base64`.
    let event = binding::from_headers(headers("image/png"), b"\x89PNG", &HTTP).unwrap();
    assert!(event.to_json().contains(r#""data_base64":"iVBORw==""#));
}

#[test]
fn structured_mode_carries_the_json_format() {
    let (headers, body) = binding::to_structured(&event());
    assert_eq!(
        headers,
        vec![(
            "content-type".to_owned(),
            "application/cloudevents+json".to_owned()
        )]
    );
    let back = binding::from_headers(pairs(&headers), &body, &HTTP).unwrap();
    assert_eq!(back, event());
    let with_charset = [(
        "Content-Type",
        "application/cloudevents+json; charset=utf-8",
    )];
    assert_eq!(
        binding::from_headers(with_charset, &body, &HTTP).unwrap(),
        event()
    );
}

#[test]
fn json_data_without_content_type_is_sent_as_application_json() {
    let event = CloudEvent::new("1", "/s", "t")
        .unwrap()
        .with_data(None, Data::json("I'm just a string").unwrap())
        .unwrap();
    let (headers, body) = binding::to_binary(&event, &HTTP);
    assert!(headers.contains(&("content-type".into(), "application/json".into())));
    assert_eq!(body, br#""I'm just a string""#);
}

#[test]
fn broker_mappings_name_headers_their_way() {
    for (mapping, id_header) in [(NATS, "ce-id"), (KAFKA, "ce_id"), (AMQP, "cloudEvents_id")] {
        let message = Message::binary(&event(), &mapping);
        assert_eq!(message.header(id_header), Some("B234-1234-1234"));
        assert_eq!(message.content_type(), Some("application/xml"));
        assert_eq!(message.payload(), b"<much wow=\"xml\"/>");
        assert_eq!(message.to_cloud_event(&mapping).unwrap(), event());
    }
    let structured = Message::structured(&event());
    assert_eq!(
        structured.content_type(),
        Some("application/cloudevents+json")
    );
    assert_eq!(structured.to_cloud_event(&NATS).unwrap(), event());
}

#[test]
fn http_requests_and_responses_in_both_modes() {
    use event_core::binding::http::{
        Mode, from_request, from_response, into_request, into_response,
    };
    for mode in [Mode::Binary, Mode::Structured] {
        let request = into_request(http::Request::post("/events"), &event(), mode).unwrap();
        assert_eq!(from_request(&request).unwrap(), event(), "{mode:?}");
        let response = into_response(http::Response::builder(), &event(), mode).unwrap();
        assert_eq!(from_response(&response).unwrap(), event(), "{mode:?}");
    }
    let request = into_request(http::Request::post("/"), &event(), Mode::Binary).unwrap();
    assert_eq!(request.headers()["ce-type"], "com.example.someevent");
}

/// A parcel was weighed.
#[integration_event(version = 1)]
pub struct ParcelWeighedIntegrationEvent {
    pub parcel_id: String,
    pub grams: u32,
}

#[test]
fn a_consumer_reads_binary_mode_messages_of_other_producers() {
    use event_core::integration::Consumer;
    use event_core::transport::{InMemoryTransport, Transport};
    support::block_on(async {
        let transport = InMemoryTransport::new();
        let mut consumer =
            Consumer::<ParcelWeighedIntegrationEvent, _>::subscribe(&transport, "billing")
                .await
                .unwrap();
        let event = CloudEvent::new("w-1", "urn:other:scales", "parcel.weighed.v1")
            .unwrap()
            .with_extension("comotherscale", 3)
            .unwrap()
            .with_data(
                Some("application/json"),
                Data::json(&json!({"parcel_id": "p-1", "grams": 1200})).unwrap(),
            )
            .unwrap();
        transport
            .publish(Message::binary(&event, &NATS))
            .await
            .unwrap();
        let received = consumer.next().await.unwrap().unwrap();
        assert_eq!(received.envelope.data().grams, 1200);
        assert_eq!(received.envelope.source(), "urn:other:scales");
        assert_eq!(
            received.envelope.extension("comotherscale"),
            Some(&ExtensionValue::String("3".into()))
        );
        received.ack().await.unwrap();
    });
}

/// What a consumer of `ParcelWeighedIntegrationEvent` makes of `message`:
/// the envelope's JSON, or the decode error's text.
async fn consumed(message: Message) -> Result<String, String> {
    use event_core::integration::{ConsumeError, Consumer};
    use event_core::transport::{InMemoryTransport, Transport};
    let transport = InMemoryTransport::new();
    let mut consumer = Consumer::<ParcelWeighedIntegrationEvent, _>::subscribe(&transport, "read")
        .await
        .unwrap();
    transport.publish(message).await.unwrap();
    match consumer.next().await.unwrap() {
        Ok(received) => Ok(received.envelope.to_json().unwrap()),
        Err(ConsumeError::Decode { error, .. }) => Err(error.to_string()),
        Err(other) => panic!("not a decode error: {other}"),
    }
}

#[test]
fn binary_mode_is_read_as_the_same_event_in_structured_mode_would_be() {
    let nested = |depth: usize| {
        let mut json = "[".repeat(depth) + &"]".repeat(depth);
        json = format!(r#"{{"parcel_id": "p-1", "grams": 5, "extra": {json}}}"#);
        json
    };
    const NONE: &str = "<none>";
    let headers = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = [
            ("ce-specversion", "1.0"),
            ("ce-id", "w-1"),
            ("ce-source", "urn:other:scales"),
            ("ce-type", "parcel.weighed.v1"),
            ("ce-time", "2026-03-04T05:06:07.5+01:00"),
            ("ce-correlationid", "c-1"),
            ("ce-comotherscale", "3"),
            ("content-type", "application/json"),
        ]
        .into_iter()
        .filter(|(name, _)| !extra.iter().any(|(n, _)| n == name))
        // `None` leaves the header out.
        .chain(extra.iter().copied().filter(|(_, v)| *v != NONE))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
        headers.sort();
        headers
    };
    let good = r#"{"parcel_id": "p-1", "grams": 1200}"#.to_owned();
    let cases: Vec<(Vec<(String, String)>, String)> = vec![
        (headers(&[]), good.clone()),
        (headers(&[("content-type", NONE)]), good.clone()),
        // Without a content type the body crosses as bytes, whose nesting
        // the envelope's limits do not count.
        (headers(&[("content-type", NONE)]), nested(63)),
        (
            headers(&[
                ("ce-causationid", "e-0"),
                (
                    "ce-traceparent",
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                ),
            ]),
            good.clone(),
        ),
        (
            headers(&[("content-type", "application/vnd.parcel+json; charset=utf-8")]),
            good.clone(),
        ),
        (headers(&[("ce-subject", "p%C3%BC-1")]), good.clone()),
        // As deep as the limits let data nest inside an envelope.
        (headers(&[]), nested(62)),
        // Each of these is refused, the same way in both modes.
        (headers(&[("ce-correlationid", "%")]), good.clone()),
        // Two faults: the JSON names the first in the order of the names.
        (
            headers(&[("ce-correlationid", ""), ("ce-causationid", "")]),
            good.clone(),
        ),
        (
            headers(&[("ce-traceparent", ""), ("ce-correlationid", "")]),
            good.clone(),
        ),
        // A broken body with a wrong type, a text type or too deep: the
        // limits and the type come first, as in the JSON.
        (headers(&[("ce-correlationid", "")]), nested(63)),
        (headers(&[("content-type", "text/plain")]), nested(63)),
        (
            headers(&[
                ("content-type", "text/plain"),
                ("ce-type", "parcel.weighed.v7"),
            ]),
            good.clone(),
        ),
        // A content type whose 23rd byte is inside a character.
        (
            headers(&[("content-type", "application/cloudeventé+json")]),
            good.clone(),
        ),
        (headers(&[("content-type", "text/plain")]), good.clone()),
        (headers(&[]), String::new()),
        (headers(&[]), "{\"parcel_id\": ".to_owned()),
        (headers(&[]), r#"{"parcel_id": "p-1"}"#.to_owned()),
        (
            headers(&[]),
            r#"{"parcel_id": "p-1", "grams": "heavy"}"#.to_owned(),
        ),
        (headers(&[]), "[1, 2]".to_owned()),
        (headers(&[]), nested(63)),
        (headers(&[("ce-type", "parcel.weighed.v7")]), good.clone()),
        (headers(&[("ce-type", "parcel.unknown.v1")]), good.clone()),
    ];
    support::block_on(async {
        let mut read = 0;
        for (headers, body) in cases {
            let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
            // The same event in structured mode; where the headers
            // themselves are refused, the error they give.
            let expected = match binding::from_headers(pairs.clone(), body.as_bytes(), &NATS) {
                Ok(event) => {
                    // On the consumer's own queue whatever its type says.
                    let structured = Message::structured(&event);
                    let payload = structured.payload().to_vec();
                    let message = Message::from_parts(
                        "w-1",
                        "parcel.weighed.v1",
                        structured.headers(),
                        payload,
                    );
                    consumed(message).await
                }
                Err(error) => Err(error.to_string()),
            };
            let binary =
                Message::from_parts("w-1", "parcel.weighed.v1", pairs, body.clone().into_bytes());
            let found = consumed(binary).await;
            assert_eq!(found, expected, "headers {headers:?}, body {body}");
            read += usize::from(found.is_ok());
        }
        // The first seven are events; the rest are refused.
        assert_eq!(read, 7);
    });
}
