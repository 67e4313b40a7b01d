//! The domain bus: handlers in subscription order, errors back to the
//! publisher, several event types on one bus.

use std::sync::{Arc, Mutex};

use event_core::prelude::*;
use event_core::{BoxError, DomainBus, Handler};

/// A payment was captured.
#[domain_event]
pub struct PaymentCaptured {
    pub payment_id: String,
}

/// A payment was refunded.
#[domain_event]
pub struct PaymentRefunded {
    pub payment_id: String,
}

type Log = Arc<Mutex<Vec<String>>>;

fn recorder<E: DomainEvent>(log: &Log, name: &'static str) -> impl Handler<E> {
    let log = Arc::clone(log);
    move |_: &Envelope<E>| -> Result<(), BoxError> {
        log.lock().unwrap().push(name.to_owned());
        Ok(())
    }
}

fn captured() -> Envelope<PaymentCaptured> {
    Envelope::new(
        "/payments",
        PaymentCaptured {
            payment_id: "pay-1".into(),
        },
    )
}

#[test]
fn handlers_run_in_subscription_order() {
    let log = Log::default();
    let mut bus = DomainBus::new();
    bus.subscribe(recorder::<PaymentCaptured>(&log, "email"))
        .subscribe(recorder::<PaymentCaptured>(&log, "ledger"))
        .subscribe(recorder::<PaymentCaptured>(&log, "screening"));
    bus.publish(&captured()).unwrap();
    assert_eq!(*log.lock().unwrap(), ["email", "ledger", "screening"]);
    assert_eq!(bus.handler_count::<PaymentCaptured>(), 3);
}

#[test]
fn errors_reach_the_publisher_and_later_handlers_still_run() {
    let log = Log::default();
    let mut bus = DomainBus::new();
    bus.subscribe(recorder::<PaymentCaptured>(&log, "first"));
    bus.subscribe(|_: &Envelope<PaymentCaptured>| -> Result<(), BoxError> {
        Err("ledger is closed".into())
    });
    bus.subscribe(recorder::<PaymentCaptured>(&log, "third"));
    let error = bus.publish(&captured()).unwrap_err();
    assert_eq!(error.event_type, "payment.captured.v1");
    assert_eq!(error.failures.len(), 1);
    assert_eq!(error.failures[0].error.to_string(), "ledger is closed");
    assert!(error.to_string().contains("ledger is closed"), "{error}");
    assert_eq!(*log.lock().unwrap(), ["first", "third"]);
}

#[test]
fn each_type_reaches_only_its_handlers() {
    let log = Log::default();
    let mut bus = DomainBus::new();
    bus.subscribe(recorder::<PaymentCaptured>(&log, "captured"));
    bus.subscribe(recorder::<PaymentRefunded>(&log, "refunded"));
    bus.publish(&Envelope::new(
        "/payments",
        PaymentRefunded {
            payment_id: "pay-1".into(),
        },
    ))
    .unwrap();
    assert_eq!(*log.lock().unwrap(), ["refunded"]);
    bus.publish(&captured()).unwrap();
    assert_eq!(*log.lock().unwrap(), ["refunded", "captured"]);
}

#[test]
fn publishing_with_no_handler_is_fine() {
    let bus = DomainBus::new();
    bus.publish(&captured()).unwrap();
    assert_eq!(bus.handler_count::<PaymentCaptured>(), 0);
}

/// A handler written as a type, with its own name in errors.
struct Screening {
    blocked: &'static str,
}

impl Handler<PaymentCaptured> for Screening {
    fn handle(&self, envelope: &Envelope<PaymentCaptured>) -> Result<(), BoxError> {
        if envelope.data().payment_id == self.blocked {
            return Err(format!("payment {} is blocked", self.blocked).into());
        }
        Ok(())
    }

    fn name(&self) -> &str {
        "screening"
    }
}

#[test]
fn handler_types_and_the_envelope_they_receive() {
    let mut bus = DomainBus::new();
    bus.subscribe(Screening { blocked: "pay-1" });
    let seen: Arc<Mutex<Option<String>>> = Arc::default();
    let sink = Arc::clone(&seen);
    bus.subscribe(
        move |e: &Envelope<PaymentCaptured>| -> Result<(), BoxError> {
            *sink.lock().unwrap() = Some(e.correlation_id().to_string());
            Ok(())
        },
    );
    let envelope = captured();
    let error = bus.publish(&envelope).unwrap_err();
    assert_eq!(error.failures[0].handler, "screening");
    assert_eq!(
        seen.lock().unwrap().as_deref(),
        Some(envelope.correlation_id().as_str())
    );
}
