//! The test kit (`event_core::testing`): deterministic ids and times,
//! event assertions with a diff, given/when/then over a translator, and
//! the consumer harness.

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
    serde_json::from_slice(encode(envelope).unwrap().payload()).unwrap()
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
    assert_eq!(message.id(), "00000000-0000-7000-8000-000000000001");
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

// The consumer harness: a hosted consumer fed a script of messages.

mod harness {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::rc::Rc;
    use std::sync::Arc;
    use std::time::Duration;

    use event_core::host::MemoryInbox;
    use event_core::prelude::*;
    use event_core::retry::RetryPolicy;
    use event_core::sqlite::{InboxConnection, SqliteInbox};
    use event_core::testing::{self, HarnessError, Outcome};

    /// A book was lent (first version).
    #[integration_event(version = 1)]
    pub struct BookLentIntegrationEvent {
        pub book_id: String,
    }

    /// A book was lent, to a member.
    #[integration_event(version = 2, upcast_from = BookLentIntegrationEvent)]
    pub struct BookLentIntegrationEventV2 {
        pub book_id: String,
        #[serde(default)]
        pub member_id: Option<String>,
    }

    /// A book came back.
    #[integration_event(version = 1)]
    pub struct BookReturnedIntegrationEvent {
        pub book_id: String,
    }

    fn lent(book: &str, member: &str) -> Envelope<BookLentIntegrationEventV2> {
        Envelope::new(
            "/library",
            BookLentIntegrationEventV2 {
                book_id: book.into(),
                member_id: Some(member.into()),
            },
        )
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// One immediate retry, one delayed, then the dead letters.
    const POLICY: RetryPolicy = RetryPolicy {
        immediate_retries: 1,
        delayed_retries: 1,
        base_delay: Duration::from_secs(30),
        max_delay: Duration::from_secs(30),
    };

    #[test]
    fn duplicates_redeliveries_old_versions_undecodable_and_failures() {
        block_on(async {
            let inbox = Arc::new(MemoryInbox::new());
            // The service's state: book -> who has it.
            let loans = Rc::new(RefCell::new(BTreeMap::new()));
            let state = Rc::clone(&loans);
            let first = lent("b-1", "m-1");
            let old = Envelope::new(
                "/library",
                BookLentIntegrationEvent {
                    book_id: "b-3".into(),
                },
            );
            let report = testing::consumer("loans", Arc::clone(&inbox))
                .retry(POLICY)
                .handle::<BookLentIntegrationEventV2>(async move |(), envelope| {
                    let event = envelope.data();
                    let member = event.member_id.clone().unwrap_or_else(|| "?".into());
                    let mut loans = state.borrow_mut();
                    let (holder, times) = loans
                        .entry(event.book_id.clone())
                        .or_insert((member.clone(), 0));
                    *holder = member;
                    *times += 1;
                    Ok(())
                })
                .deliver(&first)
                .deliver(&first)
                .redeliver(&lent("b-2", "m-2"), 3)
                .deliver(&old)
                .undecodable(BookLentIntegrationEventV2::FULL_TYPE, "not json")
                .failing(&lent("b-4", "m-4"), 1)
                .failing(&lent("b-5", "m-5"), 5)
                .run()
                .await
                .unwrap();

            report.assert_outcomes(&[
                Outcome::Processed,
                Outcome::Duplicate,
                Outcome::Processed,
                Outcome::Processed,
                Outcome::DeadLettered,
                Outcome::Retried,
                Outcome::Processed,
                Outcome::Retried,
                Outcome::Retried,
                Outcome::DeadLettered,
            ]);
            assert_eq!(
                report.final_outcomes(),
                [
                    Outcome::Processed,
                    Outcome::Duplicate,
                    Outcome::Processed,
                    Outcome::Processed,
                    Outcome::DeadLettered,
                    Outcome::Processed,
                    Outcome::DeadLettered,
                ]
            );
            let d = report.deliveries();
            // The redelivery kept the attempt the transport told.
            assert_eq!(d[2].attempt, 3);
            // The old version was sent as it was and handled upcast.
            assert_eq!(d[3].event_type, BookLentIntegrationEvent::FULL_TYPE);
            // The failing ones: at once, then after the policy's delay.
            assert_eq!((d[5].attempt, d[6].attempt), (1, 2));
            assert_eq!(d[5].retry_after, Some(Duration::ZERO));
            let delay = d[8].retry_after.unwrap();
            assert!(
                delay > Duration::ZERO && delay <= Duration::from_secs(30),
                "{report}"
            );
            assert_eq!(d[9].attempt, 3);
            assert!(
                d[7].error.as_deref().unwrap().contains("scripted"),
                "{report}"
            );

            // Each book's effect once (b-5 never).
            let books: Vec<_> = loans.borrow().clone().into_iter().collect();
            assert_eq!(
                books,
                [
                    ("b-1".to_owned(), ("m-1".to_owned(), 1)),
                    ("b-2".to_owned(), ("m-2".to_owned(), 1)),
                    // The first version has no member: upcast to `None`.
                    ("b-3".to_owned(), ("?".to_owned(), 1)),
                    ("b-4".to_owned(), ("m-4".to_owned(), 1)),
                ]
            );
            assert_eq!(inbox.processed("loans"), 4);
            let dead: Vec<_> = inbox
                .dead_letters("loans")
                .into_iter()
                .map(|d| d.event_id)
                .collect();
            assert_eq!(dead, ["undecodable-4".to_owned(), lent_id(&report, 9)]);
            let metrics = report.metrics();
            assert_eq!(
                (
                    metrics.handled,
                    metrics.duplicates,
                    metrics.retried,
                    metrics.dead_lettered
                ),
                (4, 1, 3, 2)
            );
        });
    }

    fn lent_id(report: &testing::Report, delivery: usize) -> String {
        report.deliveries()[delivery].event_id.clone()
    }

    #[test]
    fn a_redelivery_past_the_policys_attempts_is_dead_lettered_at_its_first_failure() {
        block_on(async {
            let inbox = Arc::new(MemoryInbox::new());
            let late = lent("b-1", "m-1");
            let report = testing::consumer("loans", Arc::clone(&inbox))
                .retry(POLICY)
                .handle::<BookLentIntegrationEventV2>(async |(), _| {
                    Err("the shelf is locked".into())
                })
                .redeliver(&late, 3)
                .run()
                .await
                .unwrap();
            report.assert_outcomes(&[Outcome::DeadLettered]);
            assert_eq!(
                inbox.dead_letters("loans")[0].last_error,
                "the shelf is locked"
            );
        });
    }

    #[test]
    fn the_users_sqlite_inbox_keeps_the_effects_once() {
        block_on(async {
            let conn = rusqlite::Connection::open_in_memory().unwrap();
            conn.execute(
                "CREATE TABLE loans (book_id TEXT PRIMARY KEY, member_id TEXT)",
                [],
            )
            .unwrap();
            let inbox = InboxConnection::new(conn).unwrap();
            let first = lent("b-1", "m-1");
            let returned = Envelope::new(
                "/library",
                BookReturnedIntegrationEvent {
                    book_id: "b-1".into(),
                },
            );
            let report = testing::consumer("loans", inbox.clone())
                .handle::<BookLentIntegrationEventV2>(async |tx, envelope| {
                    let event = envelope.data();
                    tx.execute(
                        "INSERT INTO loans (book_id, member_id) VALUES (?1, ?2)",
                        (&event.book_id, &event.member_id),
                    )?;
                    Ok(())
                })
                .handle::<BookReturnedIntegrationEvent>(async |tx, envelope| {
                    tx.execute(
                        "DELETE FROM loans WHERE book_id = ?1",
                        [&envelope.data().book_id],
                    )?;
                    Ok(())
                })
                .deliver(&first)
                .redeliver(&first, 2)
                .deliver(&lent("b-2", "m-2"))
                // Its handler's insert rolls back with the failed attempt,
                // so the next one can insert it again.
                .failing_after(&lent("b-3", "m-3"), 1)
                .deliver(&returned)
                .run()
                .await
                .unwrap();
            report.assert_outcomes(&[
                Outcome::Processed,
                Outcome::Duplicate,
                Outcome::Processed,
                Outcome::Retried,
                Outcome::Processed,
                Outcome::Processed,
            ]);
            let conn = inbox.lock().await;
            let loans: Vec<(String, String)> = conn
                .prepare("SELECT book_id, member_id FROM loans ORDER BY book_id")
                .unwrap()
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(
                loans,
                [
                    ("b-2".to_owned(), "m-2".to_owned()),
                    ("b-3".to_owned(), "m-3".to_owned()),
                ]
            );
            assert_eq!(SqliteInbox::processed(&conn, "loans").unwrap(), 4);
        });
    }

    /// With the inbox in memory, the handler's own state is not rolled back:
    /// a failure after the handler shows each attempt's effect.
    #[test]
    fn a_failure_after_the_handler_shows_state_outside_the_transaction() {
        block_on(async {
            let calls = Rc::new(RefCell::new(0));
            let counted = Rc::clone(&calls);
            let report = testing::consumer("loans", MemoryInbox::new())
                .handle::<BookLentIntegrationEventV2>(async move |(), _| {
                    *counted.borrow_mut() += 1;
                    Ok(())
                })
                .failing_after(&lent("b-1", "m-1"), 2)
                .run()
                .await
                .unwrap();
            report.assert_outcomes(&[Outcome::Retried, Outcome::Retried, Outcome::Processed]);
            assert_eq!(*calls.borrow(), 3);
        });
    }

    #[test]
    fn a_message_no_handler_takes_is_a_typed_error() {
        block_on(async {
            let returned = Envelope::new(
                "/library",
                BookReturnedIntegrationEvent {
                    book_id: "b-1".into(),
                },
            );
            let error = testing::consumer("loans", MemoryInbox::new())
                .handle::<BookLentIntegrationEventV2>(async |(), _| Ok(()))
                .deliver(&returned)
                .run()
                .await
                .unwrap_err();
            assert!(
                matches!(&error, HarnessError::NotHandled { step: 0, event_type, .. }
                    if event_type == BookReturnedIntegrationEvent::FULL_TYPE),
                "{error}"
            );
            assert!(error.to_string().contains(".handle::<"), "{error}");
        });
    }

    #[test]
    fn a_policy_that_never_gives_up_is_reported_not_looped_on() {
        block_on(async {
            let forever = RetryPolicy {
                immediate_retries: u32::MAX,
                ..RetryPolicy::none()
            };
            let error = testing::consumer("loans", MemoryInbox::new())
                .retry(forever)
                .handle::<BookLentIntegrationEventV2>(async |(), _| Ok(()))
                .failing(&lent("b-1", "m-1"), u32::MAX)
                .run()
                .await
                .unwrap_err();
            assert!(
                matches!(error, HarnessError::NeverSettled { step: 0, deliveries } if deliveries == testing::MAX_DELIVERIES),
                "{error}"
            );
        });
    }

    #[test]
    fn differing_outcomes_name_the_delivery_and_show_the_run() {
        block_on(async {
            let first = lent("b-1", "m-1");
            let report = testing::consumer("loans", MemoryInbox::new())
                .handle::<BookLentIntegrationEventV2>(async |(), _| Ok(()))
                .deliver(&first)
                .deliver(&first)
                .run()
                .await
                .unwrap();
            let panic = catch_unwind(AssertUnwindSafe(|| {
                report.assert_outcomes(&[Outcome::Processed, Outcome::Processed]);
            }))
            .unwrap_err();
            let message = panic.downcast_ref::<String>().unwrap();
            let want = format!(
                "delivery 1 (step 1, `{}` attempt 1): expected Processed, actual Duplicate",
                BookLentIntegrationEventV2::FULL_TYPE
            );
            assert!(message.contains(&want), "{message}");
            assert!(message.contains(first.id().as_str()), "{message}");
        });
    }

    /// The in-memory inbox, whose dead letters cannot be written the first
    /// time.
    #[derive(Default)]
    struct FullDisk {
        inner: MemoryInbox,
        refused: std::sync::atomic::AtomicBool,
    }

    impl event_core::host::Inbox for FullDisk {
        type Tx<'t> = ();

        async fn deliver<E, F>(
            &self,
            consumer: &str,
            received: event_core::integration::Received<E>,
            policy: &RetryPolicy,
            handler: &F,
        ) -> Result<event_core::dead_letter::InboxOutcome, event_core::BoxError>
        where
            E: IntegrationEvent,
            F: AsyncFn((), &Envelope<E>) -> Result<(), event_core::BoxError>,
        {
            event_core::host::Inbox::deliver(&self.inner, consumer, received, policy, handler).await
        }

        async fn bury(
            &self,
            consumer: &str,
            delivery: &event_core::transport::Delivery,
            error: &str,
        ) -> Result<(), event_core::BoxError> {
            if !self
                .refused
                .swap(true, std::sync::atomic::Ordering::Relaxed)
            {
                return Err("the disk is full".into());
            }
            self.inner.bury(consumer, delivery, error);
            Ok(())
        }
    }

    #[test]
    fn a_dead_letter_that_could_not_be_written_is_reported_as_such() {
        block_on(async {
            let report = testing::consumer("loans", FullDisk::default())
                .handle::<BookLentIntegrationEventV2>(async |(), _| Ok(()))
                .undecodable(BookLentIntegrationEventV2::FULL_TYPE, "not json")
                .run()
                .await
                .unwrap();
            // Released after the failed write, then dead-lettered.
            report.assert_outcomes(&[Outcome::Retried, Outcome::DeadLettered]);
            let error = report.deliveries()[0].error.as_deref().unwrap_or_default();
            assert!(
                error.contains("could not be written") && error.contains("the disk is full"),
                "{report}"
            );
        });
    }

    #[test]
    fn a_stuck_handler_is_waited_for_once() {
        block_on(async {
            // The clock is paused: the bound passes as soon as nothing else
            // can happen, and the time it took is known (the timer counts in
            // whole milliseconds).
            tokio::time::pause();
            let start = tokio::time::Instant::now();
            let failed = testing::consumer("loans", MemoryInbox::new())
                .handle::<BookLentIntegrationEventV2>(async |(), _| {
                    std::future::pending::<()>().await;
                    Ok(())
                })
                .deliver(&lent("b-1", "m-1"))
                .run()
                .await
                .unwrap_err();
            assert!(
                matches!(failed, HarnessError::Stuck { step: 0, .. }),
                "{failed}"
            );
            let waited = start.elapsed();
            assert!(
                waited >= testing::STEP_BOUND && waited < testing::STEP_BOUND * 3 / 2,
                "waited {waited:?}"
            );
        });
    }
}
