//! The test kit (`event_core::testing`): deterministic ids and times,
//! event assertions with a diff, and given/when/then over a translator.

use event_core::prelude::*;
use event_core::{DomainBus, encode, testing};
use serde_json::{Value, json};

/// A product was put on sale.
#[domain_event]
#[serde(rename_all = "camelCase")]
pub struct ProductPutOnSale {
    pub product_id: String,
    pub sale_price_cents: u32,
    #[event(pii)]
    pub merchant_email: String,
}

/// A product's public state changed.
#[integration_event(version = 2, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
    #[event(from = sale_price_cents)]
    pub price_cents: u64,
    #[event(context)]
    pub title: String,
}

fn sale() -> Envelope<ProductPutOnSale> {
    Envelope::new(
        "/catalog",
        ProductPutOnSale {
            product_id: "p-7".into(),
            sale_price_cents: 1100,
            merchant_email: "merchant@example.com".into(),
        },
    )
}

fn json_of<E: Event>(envelope: &Envelope<E>) -> Value {
    serde_json::from_slice(&encode(envelope).unwrap().payload).unwrap()
}

#[test]
fn deterministic_ids_and_times_give_the_same_envelope_twice() {
    let first = {
        let _guard = testing::deterministic();
        let parent = sale();
        let child = Envelope::caused_by(
            &parent,
            ProductUpdatedIntegrationEvent {
                product_id: "p-7".into(),
                price_cents: 1100,
                title: "Lamp".into(),
            },
        );
        (json_of(&parent), json_of(&child))
    };
    let second = {
        let _guard = testing::deterministic();
        let parent = sale();
        let child = Envelope::caused_by(
            &parent,
            ProductUpdatedIntegrationEvent {
                product_id: "p-7".into(),
                price_cents: 1100,
                title: "Lamp".into(),
            },
        );
        (json_of(&parent), json_of(&child))
    };
    assert_eq!(first, second);

    let (parent, child) = first;
    assert_eq!(parent["id"], "00000000-0000-7000-8000-000000000001");
    assert_eq!(
        parent["correlationid"],
        "00000000-0000-7000-8000-000000000002"
    );
    assert_eq!(parent["time"], "2026-01-01T00:00:00Z");
    assert_eq!(child["id"], "00000000-0000-7000-8000-000000000003");
    assert_eq!(child["causationid"], "00000000-0000-7000-8000-000000000001");
    assert_eq!(
        child["correlationid"],
        "00000000-0000-7000-8000-000000000002"
    );
    assert_eq!(child["time"], "2026-01-01T00:00:00.001Z");
}

#[test]
fn deterministic_envelopes_validate() {
    let _guard = testing::deterministic();
    let envelope = sale();
    envelope.validate().unwrap();
    let message = encode(&envelope).unwrap();
    assert_eq!(message.id, "00000000-0000-7000-8000-000000000001");
}

#[test]
fn the_override_ends_with_its_guard_and_nests() {
    let outer = testing::deterministic();
    assert_eq!(sale().id().as_str(), "00000000-0000-7000-8000-000000000001");
    {
        let _inner = testing::deterministic();
        assert_eq!(sale().id().as_str(), "00000000-0000-7000-8000-000000000001");
    }
    // The outer sequence goes on where it was.
    assert_eq!(sale().id().as_str(), "00000000-0000-7000-8000-000000000003");
    drop(outer);
    let random = sale();
    assert!(!random.id().as_str().starts_with("00000000-0000"));
    assert_ne!(
        random.time().unwrap().to_string(),
        "2026-01-01T00:00:00.003Z"
    );
}

#[test]
fn other_threads_keep_random_ids() {
    let _guard = testing::deterministic();
    let there = std::thread::spawn(|| sale().id().to_string())
        .join()
        .unwrap();
    assert!(!there.starts_with("00000000-0000"), "{there}");
}

#[test]
fn matching_events_pass_and_id_and_time_are_ignored() {
    let message = encode(&sale()).unwrap();
    testing::assert_events(
        &[message],
        &[json!({
            "type": "product.put.on.sale.v1",
            "source": "/catalog",
            "data": {
                "productId": "p-7",
                "salePriceCents": 1100,
                "merchantEmail": "merchant@example.com",
            },
        })],
    );
}

#[test]
fn the_diff_names_each_differing_path() {
    let message = encode(&sale()).unwrap();
    let diff = testing::diff_events(
        &[message],
        &[json!({
            "type": "product.put.on.sale.v1",
            "source": "/shop",
            "data": {
                "productId": "p-7",
                "salePriceCents": 1200,
                "currency": "EUR",
            },
        })],
    )
    .expect("a difference");
    let lines: Vec<&str> = diff.lines().collect();
    assert_eq!(
        lines,
        [
            r#"[0].data.currency: expected "EUR", actual absent"#,
            r#"[0].data.salePriceCents: expected 1200, actual 1100"#,
            r#"[0].data.merchantEmail: expected absent, actual "merchant@example.com""#,
            r#"[0].source: expected "/shop", actual "/catalog""#,
        ],
        "{diff}"
    );
}

#[test]
fn the_diff_names_a_difference_in_number() {
    let message = encode(&sale()).unwrap();
    let diff = testing::diff_events(&[message], &[]).expect("a difference");
    assert_eq!(
        diff,
        "expected 0 event(s), actual 1: expected types [], actual types [product.put.on.sale.v1]"
    );
}

#[test]
#[should_panic(expected = "[0].data.salePriceCents: expected 1, actual 1100")]
fn assert_events_panics_with_the_diff() {
    let message = encode(&sale()).unwrap();
    testing::assert_events(
        &[message],
        &[
            json!({ "data": { "productId": "p-7", "salePriceCents": 1, "merchantEmail": "merchant@example.com" } }),
        ],
    );
}

/// Given a bus translating the sale with a title from the catalogue.
fn bus() -> DomainBus {
    let mut bus = DomainBus::new();
    bus.translate::<ProductPutOnSale, ProductUpdatedIntegrationEvent>(|_| {
        Ok(ProductUpdatedIntegrationEventContext {
            title: "Lamp".to_owned(),
        })
    });
    bus
}

#[test]
fn given_a_translator_when_a_sale_is_published_then_the_update_is_staged() {
    let _guard = testing::deterministic();
    let bus = bus();
    let sale = sale();

    let staged = testing::staged(&bus, |bus, work| bus.publish(work, &sale)).unwrap();

    testing::assert_events(
        &staged,
        &[json!({
            "type": "product.updated.v2",
            "id": "00000000-0000-7000-8000-000000000003",
            "causationid": sale.id().as_str(),
            "correlationid": sale.correlation_id().as_str(),
            "time": "2026-01-01T00:00:00.001Z",
            "data": { "product_id": "p-7", "price_cents": 1100, "title": "Lamp" },
        })],
    );
}

#[test]
fn a_failing_use_case_stages_nothing() {
    let bus = bus();
    let result = testing::staged(&bus, |bus, work| {
        bus.publish(work, &sale()).unwrap();
        assert_eq!(work.len(), 1);
        Err::<(), _>("refused")
    });
    assert_eq!(result.unwrap_err(), "refused");
}
