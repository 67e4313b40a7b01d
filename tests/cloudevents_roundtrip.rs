//! Round trips over generated events: every valid event the builders accept,
//! extreme times and extension sets included, encodes to a document that
//! decodes back to the same event, in the JSON format and through the
//! bindings; and whatever text a builder is given, it either refuses it or
//! encodes something that decodes.

use event_core::binding::{self, HTTP, KAFKA};
use event_core::cloudevent::{CloudEvent, Data, ExtensionValue};
use event_core::prelude::*;
use event_core::{Message, Timestamp};
use proptest::prelude::*;

/// A reading of a meter.
#[integration_event(version = 1)]
pub struct MeterReadIntegrationEvent {
    pub meter_id: String,
    pub value: i64,
    pub tags: Vec<String>,
}

/// 0000-01-01T00:00:00 and 9999-12-31T23:59:59, in seconds from the epoch.
const MIN_SECS: i64 = -62_167_219_200;
const MAX_SECS: i64 = 253_402_300_799;

/// Any RFC 3339 time: local time over years 0000-9999, any offset, any
/// precision, the extremes weighted up.
fn time() -> impl Strategy<Value = Timestamp> {
    let local = prop_oneof![
        MIN_SECS..=MAX_SECS,
        Just(MIN_SECS),
        Just(MAX_SECS),
        MIN_SECS..MIN_SECS + 86_400 * 2,
        MAX_SECS - 86_400 * 2..=MAX_SECS,
    ];
    let nanos = prop_oneof![Just(0u32), Just(999_999_999u32), 0u32..1_000_000_000];
    let offset = prop_oneof![Just(0i16), Just(1439i16), Just(-1439i16), -1439i16..=1439];
    (local, nanos, offset).prop_map(|(local, nanos, offset)| {
        let utc = local - i64::from(offset) * 60;
        Timestamp::from_unix(utc, nanos)
            .and_then(|t| t.with_offset(offset))
            .unwrap()
    })
}

/// Text of the String type: any characters but controls and noncharacters.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            proptest::char::range(' ', '~'),
            proptest::char::range('\u{a0}', '\u{fdcf}'),
            proptest::char::range('\u{10000}', '\u{1fffd}'),
        ],
        1..24,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn uri_reference() -> impl Strategy<Value = String> {
    let segment = "[A-Za-z0-9._~!$&'()*+,;=:@-]{0,8}|%[0-9A-F]{2}";
    prop_oneof![
        // A first segment, so that `//` (an authority) never starts it.
        ("[a-z0-9]{1,4}", proptest::collection::vec(segment, 0..4))
            .prop_map(|(first, rest)| format!("/{first}/{}", rest.join("/"))),
        ("[a-z][a-z0-9+.-]{0,6}", "[a-z0-9]{1,8}")
            .prop_map(|(scheme, rest)| format!("{scheme}:{rest}")),
        ("[a-z]{1,8}", 0u16..65535, "[a-z]{0,6}")
            .prop_map(|(host, port, path)| format!("https://{host}.example:{port}/{path}?q#f")),
        "[0-9-]{1,12}",
    ]
}

fn extension_value() -> impl Strategy<Value = ExtensionValue> {
    prop_oneof![
        any::<i32>().prop_map(ExtensionValue::Integer),
        Just(ExtensionValue::Integer(i32::MIN)),
        Just(ExtensionValue::Integer(i32::MAX)),
        any::<bool>().prop_map(ExtensionValue::Boolean),
        text().prop_map(ExtensionValue::String),
        Just(ExtensionValue::String(String::new())),
    ]
}

fn extensions() -> impl Strategy<Value = Vec<(String, ExtensionValue)>> {
    proptest::collection::vec(("[a-z0-9]{1,20}", extension_value()), 0..6).prop_map(|pairs| {
        pairs
            .into_iter()
            .filter(|(name, _)| {
                ![
                    "specversion",
                    "id",
                    "source",
                    "type",
                    "datacontenttype",
                    "dataschema",
                    "subject",
                    "time",
                    "data",
                ]
                .contains(&name.as_str())
            })
            .collect()
    })
}

fn data() -> impl Strategy<Value = Option<(Option<&'static str>, Data)>> {
    let json = prop_oneof![
        any::<i64>().prop_map(serde_json::Value::from),
        text().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        proptest::collection::vec(any::<bool>(), 0..4).prop_map(serde_json::Value::from),
    ];
    prop_oneof![
        Just(None),
        (
            prop_oneof![
                Just(None),
                Just(Some("application/json")),
                Just(Some("text/json")),
                Just(Some("application/vnd.acme+json")),
            ],
            json
        )
            .prop_map(|(ct, value)| Some((ct, Data::json(&value).unwrap()))),
        (
            prop_oneof![Just("application/xml"), Just("text/plain; charset=utf-8")],
            text()
        )
            .prop_map(|(ct, text)| Some((Some(ct), Data::Text(text)))),
        (
            prop_oneof![Just(None), Just(Some("image/png"))],
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(ct, bytes)| Some((ct, Data::Binary(bytes)))),
    ]
}

prop_compose! {
    fn cloud_event()(
        id in text(),
        source in uri_reference(),
        event_type in text(),
        subject in proptest::option::of(text()),
        time in proptest::option::of(time()),
        schema in proptest::option::of("[a-z]{1,8}"),
        extensions in extensions(),
        data in data(),
    ) -> CloudEvent {
        let mut event = CloudEvent::new(id, source, event_type).unwrap();
        if let Some(subject) = subject {
            event = event.with_subject(subject).unwrap();
        }
        if let Some(time) = time {
            event = event.with_time(time).unwrap();
        }
        if let Some(schema) = schema {
            event = event.with_dataschema(format!("https://schemas.example/{schema}")).unwrap();
        }
        for (name, value) in extensions {
            event = event.with_extension(name, value).unwrap();
        }
        if let Some((content_type, data)) = data {
            event = event.with_data(content_type, data).unwrap();
        }
        event
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_json_format_round_trips(event in cloud_event()) {
        let json = event.to_json();
        let back = CloudEvent::from_json(json.as_bytes()).unwrap();
        prop_assert_eq!(&back, &event);
        prop_assert_eq!(back.to_json(), json);
    }

    #[test]
    fn times_round_trip_through_text(time in time()) {
        let text = time.to_string();
        let back: Timestamp = text.parse().unwrap();
        prop_assert_eq!(back, time);
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn the_bindings_round_trip(event in cloud_event()) {
        for mapping in [HTTP, KAFKA] {
            let message = Message::binary(&event, &mapping);
            let back = message.to_cloud_event(&mapping).unwrap();
            prop_assert_eq!(back.id(), event.id());
            prop_assert_eq!(back.source(), event.source());
            prop_assert_eq!(back.event_type(), event.event_type());
            prop_assert_eq!(back.subject(), event.subject());
            prop_assert_eq!(back.time(), event.time());
            prop_assert_eq!(back.dataschema(), event.dataschema());
            // Binary mode carries every extension as text.
            for (name, value) in event.extensions() {
                prop_assert_eq!(
                    back.extension(name),
                    Some(&ExtensionValue::String(value.to_text()))
                );
            }
            prop_assert_eq!(
                back.data().map(Data::as_bytes).filter(|b| !b.is_empty()),
                event.data().map(Data::as_bytes).filter(|b| !b.is_empty())
            );
        }
        let (headers, body) = binding::to_structured(&event);
        let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        prop_assert_eq!(binding::from_headers(pairs, &body, &HTTP).unwrap(), event);
    }

    #[test]
    fn typed_envelopes_round_trip(
        meter_id in text(),
        value in any::<i64>(),
        tags in proptest::collection::vec(text(), 0..3),
        source in uri_reference(),
        subject in proptest::option::of(text()),
        time in proptest::option::of(time()),
        extensions in extensions(),
    ) {
        let mut envelope = Envelope::new(source, MeterReadIntegrationEvent { meter_id, value, tags });
        if let Some(subject) = subject {
            envelope = envelope.with_subject(subject);
        }
        envelope = match time {
            Some(time) => envelope.with_time(time),
            None => envelope.without_time(),
        };
        for (name, value) in extensions {
            if !["correlationid", "causationid", "traceparent"].contains(&name.as_str()) {
                envelope = envelope.with_extension(name, value);
            }
        }
        let envelope = envelope.checked().unwrap();
        let json = envelope.to_json().unwrap();
        let back: Envelope<MeterReadIntegrationEvent> =
            event_core::decode::decode(json.as_bytes()).unwrap();
        prop_assert_eq!(&back, &envelope);
        prop_assert_eq!(back.to_json().unwrap(), json.clone());
        let generic = CloudEvent::from_json(json.as_bytes()).unwrap();
        prop_assert_eq!(Envelope::from_cloud_event(generic).unwrap(), envelope);
    }

    /// Any text at all: what the builders accept, the decoders read.
    #[test]
    fn what_the_builders_accept_decodes(
        id in ".{0,12}",
        source in ".{0,12}",
        subject in ".{0,12}",
        name in ".{0,6}",
        value in ".{0,12}",
        content_type in ".{0,16}",
    ) {
        if let Ok(event) = CloudEvent::new(id.clone(), source.clone(), "t") {
            let event = event.with_subject(subject.clone()).unwrap_or_else(|_| {
                CloudEvent::new(id.clone(), source.clone(), "t").unwrap()
            });
            let event = match event.clone().with_extension(name.clone(), value.clone()) {
                Ok(event) => event,
                Err(_) => event,
            };
            let event = match event.clone().with_data(Some(&content_type), Data::Binary(vec![1])) {
                Ok(event) => event,
                Err(_) => event,
            };
            prop_assert_eq!(CloudEvent::from_json(event.to_json().as_bytes()).unwrap(), event);
        }
        let envelope = Envelope::new(
            source,
            MeterReadIntegrationEvent { meter_id: id, value: 1, tags: vec![] },
        )
        .with_subject(subject)
        .with_extension(name, value)
        .with_data_content_type(Some(content_type));
        match envelope.validate() {
            Ok(()) => {
                let json = envelope.to_json().unwrap();
                let back: Envelope<MeterReadIntegrationEvent> =
                    event_core::decode::decode(json.as_bytes()).unwrap();
                prop_assert_eq!(back, envelope);
            }
            Err(_) => prop_assert!(envelope.to_json().is_err()),
        }
    }
}
