//! `Envelope::to_redacted_json`: the wire JSON, attributes and fields in
//! their order, with `pii` and `secret` values replaced wherever the schema
//! marks them, nested events and lists included.

use event_core::prelude::*;

/// A parcel's recipient, written inside the event below.
#[domain_event(allow(non_past_tense))]
pub struct Recipient {
    #[event(pii)]
    pub name: String,
    pub country: String,
}

/// Parcels were handed to the carrier.
#[domain_event]
pub struct ParcelsDispatched {
    pub batch_id: String,
    #[event(secret)]
    pub carrier_token: String,
    pub recipients: Vec<Recipient>,
    pub lead: Recipient,
    #[event(pii)]
    pub notes: Option<String>,
}

fn dispatched() -> Envelope<ParcelsDispatched> {
    let ada = Recipient {
        name: "Ada Lovelace".into(),
        country: "GB".into(),
    };
    let grace = Recipient {
        name: "Grace Hopper".into(),
        country: "US".into(),
    };
    Envelope::new(
        "/shipping",
        ParcelsDispatched {
            batch_id: "b-1".into(),
            carrier_token: "tok-123".into(),
            recipients: vec![ada.clone(), grace],
            lead: ada,
            notes: Some("ring twice".into()),
        },
    )
}

#[test]
fn personal_and_secret_values_are_replaced_at_every_depth() {
    let shown = dispatched().to_redacted_json().unwrap();
    for clear in ["Ada Lovelace", "Grace Hopper", "tok-123", "ring twice"] {
        assert!(!shown.contains(clear), "{clear} in {shown}");
    }
    let value: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let data = &value["data"];
    assert_eq!(data["batch_id"], "b-1");
    assert_eq!(data["carrier_token"], "<redacted>");
    assert_eq!(data["notes"], "<redacted>");
    assert_eq!(data["lead"]["name"], "<redacted>");
    assert_eq!(data["lead"]["country"], "GB");
    assert_eq!(data["recipients"][0]["name"], "<redacted>");
    assert_eq!(data["recipients"][1]["name"], "<redacted>");
    assert_eq!(data["recipients"][1]["country"], "US");
}

#[test]
fn everything_else_is_the_wire_json_as_written() {
    let envelope = dispatched();
    let wire = envelope.to_json().unwrap();
    let shown = envelope.to_redacted_json().unwrap();
    // The same text once the redacted values are put back.
    let restored = shown
        .replacen(
            r#""carrier_token":"<redacted>""#,
            r#""carrier_token":"tok-123""#,
            1,
        )
        .replacen(r#""name":"<redacted>""#, r#""name":"Ada Lovelace""#, 1)
        .replacen(r#""name":"<redacted>""#, r#""name":"Grace Hopper""#, 1)
        .replacen(r#""name":"<redacted>""#, r#""name":"Ada Lovelace""#, 1)
        .replacen(r#""notes":"<redacted>""#, r#""notes":"ring twice""#, 1);
    assert_eq!(restored, wire);
}

#[test]
fn an_event_without_personal_data_prints_as_on_the_wire() {
    /// Stock was counted.
    #[domain_event]
    pub struct StockCounted {
        pub sku: String,
        pub units: u32,
    }
    let envelope = Envelope::new(
        "/stock",
        StockCounted {
            sku: "k-1".into(),
            units: 4,
        },
    );
    assert_eq!(
        envelope.to_redacted_json().unwrap(),
        envelope.to_json().unwrap()
    );
}
