//! Async handlers on the domain bus: they run with the synchronous ones in
//! subscription order, the first failure (async or not) stops the dispatch
//! and discards what it staged, a dropped dispatch discards it too, and a
//! synchronous publish refuses an event that has an async handler.

use std::sync::{Arc, Mutex};

use event_core::prelude::*;
use event_core::{AsyncPublishRequired, BoxError, DomainBus, Staged, TranslateError};

/// A loan was recorded.
#[domain_event]
pub struct LoanRecorded {
    pub loan_id: String,
}

/// A loan was recorded, for other contexts.
#[integration_event(version = 1, maps_from = LoanRecorded)]
pub struct LoanRecordedIntegrationEvent {
    pub loan_id: String,
    #[event(context)]
    pub branch: String,
}

type Log = Arc<Mutex<Vec<String>>>;

fn loan(id: &str) -> Envelope<LoanRecorded> {
    Envelope::new("/library", LoanRecorded { loan_id: id.into() })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

/// A synchronous handler that logs `name`.
fn log_sync(bus: &mut DomainBus, log: &Log, name: &'static str) {
    let log = Arc::clone(log);
    bus.subscribe(move |_: &Envelope<LoanRecorded>| -> Result<(), BoxError> {
        log.lock().unwrap().push(name.to_owned());
        Ok(())
    });
}

/// An async handler that yields to the runtime before it logs `name`.
fn log_async(bus: &mut DomainBus, log: &Log, name: &'static str) {
    let log = Arc::clone(log);
    bus.subscribe_async(move |_: &Envelope<LoanRecorded>, ()| {
        let log = Arc::clone(&log);
        Box::pin(async move {
            tokio::task::yield_now().await;
            log.lock().unwrap().push(name.to_owned());
            Ok(())
        })
    });
}

#[test]
fn sync_and_async_handlers_run_in_subscription_order() {
    let log = Log::default();
    let mut bus = DomainBus::new();
    log_async(&mut bus, &log, "a1");
    log_sync(&mut bus, &log, "s1");
    log_sync(&mut bus, &log, "s2");
    log_async(&mut bus, &log, "a2");
    log_sync(&mut bus, &log, "s3");
    log_async(&mut bus, &log, "a3");
    assert_eq!(bus.handler_count::<LoanRecorded>(), 6);
    runtime()
        .block_on(bus.publish_async(&mut Staged::new(), &loan("l-1")))
        .unwrap();
    assert_eq!(*log.lock().unwrap(), ["a1", "s1", "s2", "a2", "s3", "a3"]);
}

#[test]
fn sync_and_async_translators_stage_in_subscription_order() {
    let mut bus = DomainBus::new();
    bus.translate::<LoanRecorded, LoanRecordedIntegrationEvent>(|_| {
        Ok(LoanRecordedIntegrationEventContext {
            branch: "sync".into(),
        })
    });
    bus.translate_async::<LoanRecorded, LoanRecordedIntegrationEvent>(|_, ()| {
        Box::pin(async {
            tokio::task::yield_now().await;
            Ok(LoanRecordedIntegrationEventContext {
                branch: "async".into(),
            })
        })
    });
    bus.translate_with_async::<LoanRecorded, LoanRecordedIntegrationEvent>(|e, ()| {
        Box::pin(async move {
            Ok(LoanRecordedIntegrationEvent {
                loan_id: e.data().loan_id.clone(),
                branch: "by hand".into(),
            })
        })
    });
    let recorded = loan("l-1");
    let mut work = Staged::new();
    runtime()
        .block_on(bus.publish_async(&mut work, &recorded))
        .unwrap();
    let staged: Vec<(String, String)> = work
        .messages()
        .iter()
        .map(|m| {
            let e = Envelope::<LoanRecordedIntegrationEvent>::from_json(m.payload()).unwrap();
            assert_eq!(e.causation_id(), Some(recorded.id()));
            let data = e.into_data();
            (data.loan_id, data.branch)
        })
        .collect();
    assert_eq!(
        staged,
        [
            ("l-1".to_owned(), "sync".to_owned()),
            ("l-1".to_owned(), "async".to_owned()),
            ("l-1".to_owned(), "by hand".to_owned()),
        ]
    );
}

#[test]
fn an_async_handler_error_stops_the_dispatch_and_discards_what_it_staged() {
    let log = Log::default();
    let mut bus = DomainBus::new();
    bus.translate::<LoanRecorded, LoanRecordedIntegrationEvent>(|_| {
        Ok(LoanRecordedIntegrationEventContext {
            branch: "main".into(),
        })
    });
    bus.subscribe_async(|e: &Envelope<LoanRecorded>, ()| {
        Box::pin(async move {
            tokio::task::yield_now().await;
            if e.data().loan_id == "l-bad" {
                return Err(BoxError::from("the member is suspended"));
            }
            Ok(())
        })
    });
    log_sync(&mut bus, &log, "after");
    let runtime = runtime();

    let mut work = Staged::new();
    runtime
        .block_on(bus.publish_async(&mut work, &loan("l-1")))
        .unwrap();
    assert_eq!(work.len(), 1);
    let error = runtime
        .block_on(bus.publish_async(&mut work, &loan("l-bad")))
        .unwrap_err();
    assert_eq!(error.event_type, "loan.recorded.v1");
    assert_eq!(error.error.to_string(), "the member is suspended");
    assert!(error.handler.contains("closure"), "{}", error.handler);
    // The failed dispatch's message is gone, the earlier one stays; the
    // handler after the failure did not run.
    assert_eq!(work.len(), 1);
    assert_eq!(*log.lock().unwrap(), ["after"]);
}

#[test]
fn a_failed_async_enrichment_is_a_translate_error() {
    let mut bus = DomainBus::new();
    bus.translate::<LoanRecorded, LoanRecordedIntegrationEvent>(|_| {
        Ok(LoanRecordedIntegrationEventContext {
            branch: "main".into(),
        })
    });
    bus.translate_async::<LoanRecorded, LoanRecordedIntegrationEvent>(|_, ()| {
        Box::pin(async { Err(BoxError::from("the catalog is down")) })
    });
    let mut work = Staged::new();
    let error = runtime()
        .block_on(bus.publish_async(&mut work, &loan("l-1")))
        .unwrap_err();
    assert!(matches!(
        error.error.downcast_ref::<TranslateError>(),
        Some(TranslateError::Enrich(e)) if e.to_string() == "the catalog is down"
    ));
    assert_eq!(
        error.handler,
        "translator from `loan.recorded.v1` to `loan.recorded.v1`"
    );
    assert!(work.is_empty(), "{} message(s) survived", work.len());
}

#[test]
fn a_dropped_dispatch_discards_what_it_staged() {
    let mut bus = DomainBus::new();
    bus.translate::<LoanRecorded, LoanRecordedIntegrationEvent>(|_| {
        Ok(LoanRecordedIntegrationEventContext {
            branch: "main".into(),
        })
    });
    // Never completes: the use case gives up on it (a timeout, a shutdown).
    bus.subscribe_async(|_: &Envelope<LoanRecorded>, ()| {
        Box::pin(std::future::pending::<Result<(), BoxError>>())
    });
    let mut work = Staged::new();
    let recorded = loan("l-1");
    let outcome = runtime().block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_millis(1),
            bus.publish_async(&mut work, &recorded),
        )
        .await
    });
    assert!(outcome.is_err(), "the dispatch cannot complete");
    assert!(work.is_empty(), "{} message(s) survived", work.len());
}

#[test]
fn a_synchronous_publish_refuses_an_event_with_async_handlers() {
    let log = Log::default();
    let mut bus = DomainBus::new();
    log_sync(&mut bus, &log, "sync");
    log_async(&mut bus, &log, "async");
    let mut work = Staged::new();
    let error = bus.publish(&mut work, &loan("l-1")).unwrap_err();
    let required = error.error.downcast_ref::<AsyncPublishRequired>();
    assert_eq!(required.map(|r| r.event_type), Some("loan.recorded.v1"));
    assert!(error.to_string().contains("publish_async"), "{error}");
    // No handler ran, not even the synchronous one before it.
    assert!(log.lock().unwrap().is_empty());
}

#[test]
fn the_dispatch_is_send_without_a_transaction() {
    fn send<T: Send>(_: &T) {}
    let mut bus = DomainBus::new();
    bus.subscribe_async(|_: &Envelope<LoanRecorded>, ()| Box::pin(async { Ok(()) }));
    let mut work = Staged::new();
    let recorded = loan("l-1");
    let dispatch = bus.publish_async(&mut work, &recorded);
    send(&dispatch);
    runtime().block_on(dispatch).unwrap();
}
