//! The events and hand-written equivalents the benchmarks compare.

use event_core::prelude::*;
use serde::{Deserialize, Serialize};

/// A product was put on sale.
#[domain_event]
pub struct ProductPutOnSale {
    pub product_id: String,
    pub sale_price_cents: u32,
    #[event(pii)]
    pub merchant_email: String,
    pub tags: Vec<String>,
}

/// Its public form, mapped by the macro.
#[integration_event(version = 1, maps_from = ProductPutOnSale)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
    #[event(from = sale_price_cents)]
    pub price_cents: u64,
    #[event(pii)]
    pub merchant_email: String,
    pub tags: Vec<String>,
}

/// The same public form, mapped by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandWrittenProductUpdated {
    pub product_id: String,
    pub price_cents: u64,
    pub merchant_email: String,
    pub tags: Vec<String>,
}

impl From<&ProductPutOnSale> for HandWrittenProductUpdated {
    fn from(source: &ProductPutOnSale) -> Self {
        HandWrittenProductUpdated {
            product_id: source.product_id.clone(),
            price_cents: source.sale_price_cents.into(),
            merchant_email: source.merchant_email.clone(),
            tags: source.tags.clone(),
        }
    }
}

/// A CloudEvents envelope written as a plain serde struct: the baseline for
/// `Envelope`'s encoding and decoding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandWrittenEnvelope {
    pub specversion: String,
    pub id: String,
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub time: String,
    pub datacontenttype: String,
    pub dataschema: String,
    pub correlationid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub causationid: Option<String>,
    pub data: HandWrittenProductUpdated,
}

pub fn sale(n: u64) -> ProductPutOnSale {
    ProductPutOnSale {
        product_id: format!("product-{n}"),
        sale_price_cents: 1_999,
        merchant_email: "kettles@example.com".into(),
        tags: vec!["kitchen".into(), "sale".into()],
    }
}

/// Runs `case` `calls` times when the environment asks for it
/// (`EVENT_CORE_BENCH_CASE`, `EVENT_CORE_BENCH_CALLS`, default 10,000) and
/// returns `true`, so that valgrind counts its instructions without
/// criterion's warm-up and statistics; `false` when it does not ask. Run it
/// twice, with N and 2N calls, and the difference over N is the cost of one
/// call, setup excluded.
pub fn instruction_count_run(cases: &mut [(&str, &mut dyn FnMut())]) -> bool {
    let Ok(name) = std::env::var("EVENT_CORE_BENCH_CASE") else {
        return false;
    };
    let calls: usize = std::env::var("EVENT_CORE_BENCH_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let Some((_, case)) = cases.iter_mut().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = cases.iter().map(|(n, _)| *n).collect();
        panic!("no case `{name}`; the cases: {}", names.join(", "));
    };
    for _ in 0..calls {
        case();
    }
    true
}
