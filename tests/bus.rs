//! The domain bus: handlers in subscription order, the first error back to
//! the publisher, several event types on one bus, and what translators stage
//! belonging to one unit of work.

use std::sync::{Arc, Mutex};

use event_core::prelude::*;
use event_core::{BoxError, DomainBus, Handler, Staged, TranslateError};

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
    bus.publish(&mut Staged::new(), &captured()).unwrap();
    assert_eq!(*log.lock().unwrap(), ["email", "ledger", "screening"]);
    assert_eq!(bus.handler_count::<PaymentCaptured>(), 3);
}

#[test]
fn the_first_error_reaches_the_publisher_and_stops_the_dispatch() {
    let log = Log::default();
    let mut bus = DomainBus::new();
    bus.subscribe(recorder::<PaymentCaptured>(&log, "first"));
    bus.subscribe(|_: &Envelope<PaymentCaptured>| -> Result<(), BoxError> {
        Err("ledger is closed".into())
    });
    bus.subscribe(recorder::<PaymentCaptured>(&log, "third"));
    let error = bus.publish(&mut Staged::new(), &captured()).unwrap_err();
    assert_eq!(error.event_type, "payment.captured.v1");
    assert_eq!(error.error.to_string(), "ledger is closed");
    assert!(error.to_string().contains("ledger is closed"), "{error}");
    assert_eq!(*log.lock().unwrap(), ["first"]);
}

#[test]
fn each_type_reaches_only_its_handlers() {
    let log = Log::default();
    let mut bus = DomainBus::new();
    bus.subscribe(recorder::<PaymentCaptured>(&log, "captured"));
    bus.subscribe(recorder::<PaymentRefunded>(&log, "refunded"));
    bus.publish(
        &mut Staged::new(),
        &Envelope::new(
            "/payments",
            PaymentRefunded {
                payment_id: "pay-1".into(),
            },
        ),
    )
    .unwrap();
    assert_eq!(*log.lock().unwrap(), ["refunded"]);
    bus.publish(&mut Staged::new(), &captured()).unwrap();
    assert_eq!(*log.lock().unwrap(), ["refunded", "captured"]);
}

#[test]
fn publishing_with_no_handler_is_fine() {
    let bus = DomainBus::new();
    bus.publish(&mut Staged::new(), &captured()).unwrap();
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
    let error = bus.publish(&mut Staged::new(), &envelope).unwrap_err();
    assert_eq!(error.handler, "screening");
    // Screening failed first, so the handler after it never ran.
    assert_eq!(seen.lock().unwrap().as_deref(), None);
    bus.publish(
        &mut Staged::new(),
        &Envelope::new(
            "/payments",
            PaymentCaptured {
                payment_id: "pay-2".into(),
            },
        ),
    )
    .unwrap();
    assert!(seen.lock().unwrap().is_some());
}

/// A payment was captured, for other contexts.
#[integration_event(version = 1, maps_from = PaymentCaptured)]
pub struct PaymentCapturedIntegrationEvent {
    pub payment_id: String,
}

/// Two translators, then a handler that fails for one payment id.
fn bus_failing_for(blocked: &'static str) -> DomainBus {
    let mut bus = DomainBus::new();
    bus.translate::<PaymentCaptured, PaymentCapturedIntegrationEvent>(|_| Ok(()));
    bus.subscribe(Screening { blocked });
    bus.translate::<PaymentCaptured, PaymentCapturedIntegrationEvent>(|_| Ok(()));
    bus
}

fn payment(id: &str) -> Envelope<PaymentCaptured> {
    Envelope::new(
        "/payments",
        PaymentCaptured {
            payment_id: id.into(),
        },
    )
}

fn staged_ids(work: &Staged) -> Vec<String> {
    work.messages()
        .iter()
        .map(|m| {
            Envelope::<PaymentCapturedIntegrationEvent>::from_json(m.payload())
                .unwrap()
                .data()
                .payment_id
                .clone()
        })
        .collect()
}

#[test]
fn a_failed_dispatch_leaves_nothing_staged_and_the_next_unit_of_work_sees_none_of_it() {
    let bus = bus_failing_for("pay-bad");
    // The failing use case: the first translator ran before screening
    // failed; what it staged is gone with the failure.
    let mut failed = Staged::new();
    let error = bus.publish(&mut failed, &payment("pay-bad")).unwrap_err();
    assert_eq!(error.handler, "screening");
    assert!(failed.is_empty(), "{} message(s) survived", failed.len());
    // The next use case commits only its own messages.
    let mut next = Staged::new();
    bus.publish(&mut next, &payment("pay-ok")).unwrap();
    assert_eq!(staged_ids(&next), ["pay-ok", "pay-ok"]);
}

#[test]
fn a_failed_dispatch_keeps_what_earlier_dispatches_of_the_same_unit_staged() {
    let bus = bus_failing_for("pay-bad");
    let mut work = Staged::new();
    bus.publish(&mut work, &payment("pay-1")).unwrap();
    assert!(bus.publish(&mut work, &payment("pay-bad")).is_err());
    // The use case decides: it may roll back (dropping `work`), or go on
    // with what succeeded; the failed dispatch added nothing.
    assert_eq!(staged_ids(&work), ["pay-1", "pay-1"]);
}

#[test]
fn concurrent_units_of_work_never_see_each_others_messages() {
    let bus = Arc::new(bus_failing_for("never"));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let bus = Arc::clone(&bus);
            std::thread::spawn(move || {
                for i in 0..200 {
                    let id = format!("pay-{t}-{i}");
                    let mut work = Staged::new();
                    bus.publish(&mut work, &payment(&id)).unwrap();
                    assert_eq!(staged_ids(&work), [id.clone(), id]);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

#[test]
fn a_failed_enrichment_names_the_translator() {
    let mut bus = DomainBus::new();
    bus.translate::<PaymentCaptured, PaymentCapturedIntegrationEvent>(|_| {
        Err("catalog is down".into())
    });
    let error = bus
        .publish(&mut Staged::new(), &payment("pay-1"))
        .unwrap_err();
    assert!(matches!(
        error.error.downcast_ref::<TranslateError>(),
        Some(TranslateError::Enrich(_))
    ));
    assert!(error.handler.contains("translator"), "{}", error.handler);
}

#[test]
fn a_handler_that_panics_leaves_nothing_staged() {
    let mut bus = DomainBus::new();
    bus.translate::<PaymentCaptured, PaymentCapturedIntegrationEvent>(|_| Ok(()));
    bus.subscribe(|e: &Envelope<PaymentCaptured>| -> Result<(), BoxError> {
        assert_ne!(e.data().payment_id, "pay-panic", "the handler panics");
        Ok(())
    });
    let mut work = Staged::new();
    bus.publish(&mut work, &payment("pay-1")).unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        bus.publish(&mut work, &payment("pay-panic"))
    }));
    assert!(caught.is_err());
    assert_eq!(staged_ids(&work), ["pay-1"]);
}
