//! The JSON written straight into a buffer (a generic event's, an
//! envelope's) is the text serde_json writes through the `Serialize` impls.

use event_core::cloudevent::CloudEvent;
use event_core::prelude::*;
use event_core::{Timestamp, encode};

/// A product's price changed.
#[integration_event(version = 1)]
pub struct PriceChangedIntegrationEvent {
    pub product_id: String,
    pub price_cents: u64,
    #[event(pii)]
    pub merchant_email: String,
    pub tags: Vec<String>,
}

fn event() -> PriceChangedIntegrationEvent {
    PriceChangedIntegrationEvent {
        product_id: "product-1".into(),
        price_cents: 1_999,
        merchant_email: "kettles@example.com".into(),
        tags: vec!["kitchen".into(), "sale \"50%\"\n".into()],
    }
}

fn envelopes() -> Vec<Envelope<PriceChangedIntegrationEvent>> {
    let parent = Envelope::new("/catalog", event());
    vec![
        Envelope::new("/catalog", event()),
        Envelope::caused_by(&parent, event())
            .with_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .with_subject("products/1 \"kettle\"")
            .with_partition_key("product-1")
            .with_extension("attempt", 3)
            .with_extension("replayed", false)
            .with_time(
                Timestamp::from_unix(1_795_343_730, 120_000)
                    .and_then(|t| t.with_offset(-330))
                    .unwrap(),
            ),
        Envelope::new("/catalog", event()).without_time(),
    ]
}

#[test]
fn an_envelope_is_written_as_serde_json_writes_it() {
    for envelope in envelopes() {
        let text = envelope.to_json().unwrap();
        assert_eq!(text, serde_json::to_string(&envelope).unwrap());
        let message = encode(&envelope).unwrap();
        assert_eq!(message.payload(), text.as_bytes());
        let back = Envelope::<PriceChangedIntegrationEvent>::from_json(message.payload()).unwrap();
        assert_eq!(back.data(), envelope.data());
    }
}

#[test]
fn a_generic_event_is_written_as_serde_json_writes_it() {
    let mut documents: Vec<Vec<u8>> = envelopes()
        .iter()
        .map(|e| e.to_json().unwrap().into_bytes())
        .collect();
    documents.extend([
        br#"{"specversion":"1.0","type":"com.example.someevent","source":"/mycontext","id":"B234-1234-1234","time":"2018-04-05T17:31:00Z","comexampleextension1":"value","comexampleothervalue":-5,"datacontenttype":"application/xml","data":"<much wow=\"xml\"/>\u0001\t"}"#.to_vec(),
        br#"{"specversion":"1.0","type":"com.example.someevent","source":"https://example.com/sensors/7","id":"A234-1234-1234","time":"2018-04-05T17:31:00.123+02:00","subject":"reading","datacontenttype":"application/octet-stream","data_base64":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw=="}"#.to_vec(),
        br#"{"specversion":"1.0","type":"t","source":"/s","id":"i","data_base64":"AQ=="}"#.to_vec(),
        br#"{"specversion":"1.0","type":"t","source":"/s","id":"i","flag":true,"data":{"a":[1,2.5,null]}}"#.to_vec(),
        br#"{"specversion":"1.0","type":"t","source":"/s","id":"i"}"#.to_vec(),
    ]);
    for document in documents {
        let event = CloudEvent::from_json(&document).unwrap();
        assert_eq!(
            event.to_json_vec(),
            serde_json::to_vec(&event).unwrap(),
            "{}",
            String::from_utf8_lossy(&document)
        );
        assert_eq!(event.to_json().into_bytes(), event.to_json_vec());
        assert_eq!(CloudEvent::from_json(event.to_json_vec()).unwrap(), event);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Any text in the data, and any text an attribute may hold (quotes,
    /// backslashes, DEL, any code point, any length around the escaper's
    /// eight-byte steps), is written as serde_json writes it.
    #[test]
    fn any_text_is_escaped_as_serde_json_escapes_it(
        text in proptest::prelude::any::<String>(),
        ascii in "[\\x00-\\x7f]{0,40}",
    ) {
        let mut data = event();
        data.product_id = text.clone();
        data.tags = vec![ascii.clone(), format!("{ascii}{text}")];
        // Attributes hold no control characters (CloudEvents forbids them).
        let printable = |s: &str| s.chars().filter(|c| !c.is_control()).collect::<String>();
        let attribute = format!("x{}{}", printable(&ascii), printable(&text));
        let envelope = Envelope::new("/catalog", data)
            .with_extension("comexampletext", attribute.clone())
            .with_subject(attribute);
        let written = envelope.to_json().unwrap();
        proptest::prop_assert_eq!(&written, &serde_json::to_string(&envelope).unwrap());
        let back = Envelope::<PriceChangedIntegrationEvent>::from_json(written.as_bytes()).unwrap();
        proptest::prop_assert_eq!(back.data(), envelope.data());

        // The same document as a generic CloudEvent, written by its own
        // writer.
        let event = CloudEvent::from_json(written.as_bytes()).unwrap();
        proptest::prop_assert_eq!(event.to_json_vec(), serde_json::to_vec(&event).unwrap());
    }
}
