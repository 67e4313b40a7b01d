//! The hosted consumer runtime on the in-memory transport and inbox:
//! handlers receive, the inbox skips duplicates and redeliveries, older
//! versions arrive upcast, deliveries with one partition key are handled in
//! order while others run beside them, failures are retried then
//! dead-lettered (undecodable messages too), the counters match, and
//! shutdown gives back what it did not handle.

mod support;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use event_core::host::{Host, MemoryInbox, Metrics};
use event_core::integration::{IntegrationPublisher, encode};
use event_core::prelude::*;
use event_core::retry::RetryPolicy;
use event_core::transport::{InMemoryTransport, Message, Transport};
use support::{block_on, wait_until};

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
    pub seq: u32,
}

fn lent_v1(book: &str) -> Envelope<BookLentIntegrationEvent> {
    Envelope::new(
        "/library",
        BookLentIntegrationEvent {
            book_id: book.into(),
        },
    )
}

fn lent_v2(book: &str, member: &str) -> Envelope<BookLentIntegrationEventV2> {
    Envelope::new(
        "/library",
        BookLentIntegrationEventV2 {
            book_id: book.into(),
            member_id: Some(member.into()),
        },
    )
}

/// Resolves once `done` holds for the metrics.
async fn until(metrics: Metrics, done: impl Fn(&event_core::host::MetricsSnapshot) -> bool) {
    wait_until("the host did its work", || done(&metrics.snapshot())).await;
}

#[test]
fn handlers_receive_once_and_old_versions_arrive_upcast() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let inbox = Arc::new(MemoryInbox::new());
        let seen = Rc::new(RefCell::new(Vec::new()));
        let returned = Rc::new(Cell::new(0));
        let (lent, back) = (Rc::clone(&seen), Rc::clone(&returned));
        let host = Host::new(transport.clone())
            .consumer("desk", Arc::clone(&inbox))
            .handle::<BookLentIntegrationEventV2>(async move |(), envelope| {
                let data = envelope.data();
                lent.borrow_mut()
                    .push((data.book_id.clone(), data.member_id.clone()));
                Ok(())
            })
            .handle::<BookReturnedIntegrationEvent>(async move |(), _| {
                back.set(back.get() + 1);
                Ok(())
            });
        let metrics = host.metrics();
        host.declare().await.unwrap();

        let publisher = IntegrationPublisher::new(transport.clone());
        let first = lent_v2("b-1", "m-1");
        publisher.publish(&first).await.unwrap();
        publisher.publish(&lent_v1("b-2")).await.unwrap();
        // The broker delivers the first one twice.
        publisher.publish(&first).await.unwrap();
        let returned_event = Envelope::new(
            "/library",
            BookReturnedIntegrationEvent {
                book_id: "b-1".into(),
                seq: 1,
            },
        );
        publisher.publish(&returned_event).await.unwrap();

        let summary = host
            .run(until(metrics, |m| m.handled == 3 && m.duplicates == 1))
            .await
            .unwrap();

        let mut seen = seen.borrow().clone();
        seen.sort();
        assert_eq!(
            seen,
            [
                ("b-1".to_owned(), Some("m-1".to_owned())),
                ("b-2".to_owned(), None)
            ]
        );
        assert_eq!(returned.get(), 1);
        assert_eq!(inbox.processed("desk"), 3);
        let desk = &summary.consumers[0];
        assert_eq!(desk.consumer, "desk");
        assert_eq!(
            (desk.metrics.handled, desk.metrics.duplicates),
            (3, 1),
            "{desk:?}"
        );
        assert_eq!(desk.metrics.in_flight, 0);
        assert!(desk.finished_in_time);
    });
}

#[test]
fn one_key_in_order_while_keys_run_side_by_side() {
    block_on(async {
        const KEYS: u32 = 4;
        const EACH: u32 = 50;
        let transport = InMemoryTransport::new();
        let order: Rc<RefCell<BTreeMap<String, Vec<u32>>>> = Rc::default();
        let (running, most) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let (log, now, max) = (Rc::clone(&order), Rc::clone(&running), Rc::clone(&most));
        let host = Host::new(transport.clone())
            .consumer("desk", MemoryInbox::new())
            .concurrency(8)
            .handle::<BookReturnedIntegrationEvent>(async move |(), envelope| {
                now.set(now.get() + 1);
                max.set(max.get().max(now.get()));
                // Gives the other handlers their turn.
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
                let data = envelope.data();
                log.borrow_mut()
                    .entry(data.book_id.clone())
                    .or_default()
                    .push(data.seq);
                now.set(now.get() - 1);
                Ok(())
            });
        let metrics = host.metrics();
        host.declare().await.unwrap();

        let publisher = IntegrationPublisher::new(transport.clone());
        for seq in 0..EACH {
            for key in 0..KEYS {
                let book = format!("b-{key}");
                let envelope = Envelope::new(
                    "/library",
                    BookReturnedIntegrationEvent {
                        book_id: book.clone(),
                        seq,
                    },
                )
                .with_partition_key(book);
                publisher.publish(&envelope).await.unwrap();
            }
        }
        let summary = host
            .run(until(metrics, |m| m.handled == u64::from(KEYS * EACH)))
            .await
            .unwrap();

        let order = order.borrow();
        assert_eq!(order.len(), KEYS as usize);
        for (key, seqs) in order.iter() {
            assert_eq!(*seqs, (0..EACH).collect::<Vec<_>>(), "key {key}");
        }
        assert!(most.get() > 1, "the handlers never overlapped");
        assert!(most.get() <= 8, "{} ran at once", most.get());
        assert_eq!(summary.consumers[0].metrics.handled, u64::from(KEYS * EACH));
    });
}

#[test]
fn failures_are_retried_then_dead_lettered_and_counted() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let inbox = Arc::new(MemoryInbox::new());
        let attempts = Rc::new(Cell::new(0));
        let tries = Rc::clone(&attempts);
        let policy = RetryPolicy {
            immediate_retries: 1,
            delayed_retries: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        };
        let host = Host::new(transport.clone())
            .consumer("desk", Arc::clone(&inbox))
            .retry(policy)
            .handle::<BookLentIntegrationEventV2>(async move |(), envelope| {
                if envelope.data().book_id == "poison" {
                    tries.set(tries.get() + 1);
                    return Err("the shelf is full".into());
                }
                Ok(())
            });
        let metrics = host.metrics();
        host.declare().await.unwrap();

        let publisher = IntegrationPublisher::new(transport.clone());
        let poison = lent_v2("poison", "m-1");
        publisher.publish(&poison).await.unwrap();
        publisher.publish(&lent_v2("fine", "m-2")).await.unwrap();
        // Bytes that are no event at all, under the handler's type.
        let garbage = Message::new(
            "not-json",
            BookLentIntegrationEventV2::FULL_TYPE,
            b"{ not json".to_vec(),
        );
        transport.publish(garbage).await.unwrap();

        let summary = host
            .run(until(metrics, |m| m.dead_lettered == 2 && m.handled == 1))
            .await
            .unwrap();

        assert_eq!(attempts.get(), 3, "1 + 1 immediate + 1 delayed");
        let m = summary.consumers[0].metrics;
        assert_eq!(
            (m.handled, m.retried, m.dead_lettered, m.duplicates),
            (1, 2, 2, 0),
            "{m:?}"
        );
        let dead = inbox.dead_letters("desk");
        let mut ids: Vec<_> = dead.iter().map(|d| d.event_id.as_str()).collect();
        ids.sort_unstable();
        let mut expected = vec![poison.id().as_str(), "not-json"];
        expected.sort_unstable();
        assert_eq!(ids, expected);
        let buried = dead
            .iter()
            .find(|d| d.event_id == poison.id().as_str())
            .unwrap();
        assert_eq!(buried.attempts, 3);
        assert_eq!(buried.last_error, "the shelf is full");
        assert_eq!(buried.message(), encode(&poison).unwrap());
        assert_eq!(inbox.processed("desk"), 1);
    });
}

/// Handlers that never wait, on a transport that always has the next
/// message ready: the host still takes turns with the other tasks of its
/// thread, so a shutdown asked for meanwhile is seen before the backlog
/// is through.
#[test]
fn shutdown_is_seen_while_every_message_is_handled_at_once() {
    block_on(async {
        const N: u32 = 1000;
        let transport = InMemoryTransport::new();
        let stop = Rc::new(tokio::sync::Notify::new());
        let seen = Rc::new(Cell::new(0_u32));
        let (asked, count) = (Rc::clone(&stop), Rc::clone(&seen));
        let host = Host::new(transport.clone())
            .consumer("desk", MemoryInbox::new())
            .handle::<BookReturnedIntegrationEvent>(async move |(), _| {
                count.set(count.get() + 1);
                if count.get() == 50 {
                    asked.notify_one();
                }
                Ok(())
            });
        host.declare().await.unwrap();
        let publisher = IntegrationPublisher::new(transport.clone());
        for seq in 0..N {
            let returned = BookReturnedIntegrationEvent {
                book_id: "b".into(),
                seq,
            };
            publisher
                .publish(&Envelope::new("/library", returned))
                .await
                .unwrap();
        }
        let summary = host.run(stop.notified()).await.unwrap();
        let handled = summary.consumers[0].metrics.handled;
        assert_eq!(handled, u64::from(seen.get()));
        assert!(handled >= 50 && handled < u64::from(N), "{handled} handled");
        // The rest waits for the next run.
        let rest = event_core::integration::Consumer::<BookReturnedIntegrationEvent, _>::subscribe(
            &transport, "desk",
        )
        .await
        .unwrap();
        assert_eq!(rest.lag(), Some(u64::from(N) - handled));
    });
}

#[test]
fn shutdown_releases_what_is_unfinished_and_a_restart_handles_it_once() {
    block_on(async {
        const N: u32 = 200;
        let transport = InMemoryTransport::new();
        let inbox = Arc::new(MemoryInbox::new());
        let effects: Rc<RefCell<BTreeMap<u32, u32>>> = Rc::default();
        // The first host is asked to stop by its 50th handler.
        let stop = Rc::new(tokio::sync::Notify::new());
        let host = |effects: Rc<RefCell<BTreeMap<u32, u32>>>, stop: Rc<tokio::sync::Notify>| {
            Host::new(transport.clone())
                .shutdown_deadline(Duration::from_millis(1))
                .consumer("desk", Arc::clone(&inbox))
                .concurrency(8)
                .handle::<BookReturnedIntegrationEvent>(async move |(), envelope| {
                    tokio::task::yield_now().await;
                    let mut effects = effects.borrow_mut();
                    *effects.entry(envelope.data().seq).or_default() += 1;
                    if effects.len() == 50 {
                        stop.notify_one();
                    }
                    Ok(())
                })
        };
        let first = host(Rc::clone(&effects), Rc::clone(&stop));
        first.declare().await.unwrap();
        let publisher = IntegrationPublisher::new(transport.clone());
        for seq in 0..N {
            let envelope = Envelope::new(
                "/library",
                BookReturnedIntegrationEvent {
                    book_id: "b".into(),
                    seq,
                },
            );
            publisher.publish(&envelope).await.unwrap();
        }
        let summary = first.run(stop.notified()).await.unwrap();
        let stopped = summary.consumers[0].metrics;
        assert!(stopped.handled < u64::from(N), "{stopped:?}");

        let second = host(Rc::clone(&effects), Rc::default());
        let metrics = second.metrics();
        let restarted = second
            .run(until(metrics, |m| {
                m.handled + stopped.handled >= u64::from(N)
            }))
            .await
            .unwrap();

        let effects = effects.borrow();
        assert_eq!(effects.len(), N as usize);
        assert!(effects.values().all(|n| *n == 1), "{effects:?}");
        assert_eq!(
            stopped.handled + restarted.consumers[0].metrics.handled,
            u64::from(N)
        );
        assert_eq!(inbox.processed("desk"), u64::from(N));
    });
}

#[test]
fn two_handlers_of_one_type_are_a_typed_error() {
    block_on(async {
        let error = Host::new(InMemoryTransport::new())
            .consumer("desk", MemoryInbox::new())
            .handle::<BookLentIntegrationEventV2>(async |(), _| Ok(()))
            .handle::<BookLentIntegrationEvent>(async |(), _| Ok(()))
            .run(async {})
            .await
            .unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains(BookLentIntegrationEvent::FULL_TYPE)
                && message.contains("two handlers"),
            "{message}"
        );
    });
}

#[test]
fn a_consumer_without_handlers_is_a_typed_error() {
    block_on(async {
        let error = Host::new(InMemoryTransport::new())
            .consumer("desk", MemoryInbox::new())
            .run(async {})
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("`desk` has no handler"),
            "{error}"
        );
    });
}

#[test]
fn a_handler_past_the_deadline_is_released_and_its_key_keeps_its_order() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let inbox = Arc::new(MemoryInbox::new());
        let order = Rc::new(RefCell::new(Vec::new()));
        let started = Rc::new(tokio::sync::Notify::new());
        // The first host's handler never finishes the first message.
        let host = |stuck: bool| {
            let (order, started) = (Rc::clone(&order), Rc::clone(&started));
            Host::new(transport.clone())
                .shutdown_deadline(Duration::from_millis(20))
                .consumer("desk", Arc::clone(&inbox))
                .concurrency(8)
                .handle::<BookReturnedIntegrationEvent>(async move |(), envelope| {
                    if stuck {
                        started.notify_one();
                        std::future::pending::<()>().await;
                    }
                    order.borrow_mut().push(envelope.data().seq);
                    Ok(())
                })
        };
        let first = host(true);
        first.declare().await.unwrap();
        let publisher = IntegrationPublisher::new(transport.clone());
        for seq in 0..3 {
            let envelope = Envelope::new(
                "/library",
                BookReturnedIntegrationEvent {
                    book_id: "b-1".into(),
                    seq,
                },
            )
            .with_partition_key("b-1");
            publisher.publish(&envelope).await.unwrap();
        }
        let metrics = first.metrics();
        // Stops once the stuck handler ran and the two others wait behind
        // it.
        let stop = async {
            started.notified().await;
            wait_until("the others were fetched", || {
                metrics.snapshot().in_flight == 1
            })
            .await;
            tokio::task::yield_now().await;
        };
        let summary = first.run(stop).await.unwrap();
        let desk = &summary.consumers[0];
        assert!(!desk.finished_in_time);
        assert_eq!(desk.metrics.handled, 0);
        assert_eq!(desk.metrics.released, 3, "{desk:?}");
        assert_eq!(desk.metrics.in_flight, 0);

        let second = host(false);
        let metrics = second.metrics();
        second
            .run(until(metrics, |m| m.handled == 3))
            .await
            .unwrap();
        assert_eq!(*order.borrow(), [0, 1, 2]);
        assert_eq!(inbox.processed("desk"), 3);
    });
}

#[test]
fn dropping_the_running_host_leaves_nothing_counted_in_flight() {
    block_on(async {
        let transport = InMemoryTransport::new();
        let inbox = Arc::new(MemoryInbox::new());
        // The handler never finishes: the host is dropped while it runs.
        let host = Host::new(transport.clone())
            .consumer("desk", Arc::clone(&inbox))
            .handle::<BookLentIntegrationEvent>(async move |(), _| {
                std::future::pending::<()>().await;
                Ok(())
            });
        let metrics = host.metrics();
        host.declare().await.unwrap();
        IntegrationPublisher::new(transport.clone())
            .publish(&lent_v1("b-1"))
            .await
            .unwrap();

        // The host's own future is dropped by whatever awaits it, once the
        // handler is running (a timeout, another branch of a select).
        let running = until(metrics.clone(), |m| m.in_flight == 1);
        let run = host.run(std::future::pending::<()>());
        tokio::select! {
            _ = run => panic!("the host stopped on its own"),
            () = running => {}
        }

        assert_eq!(metrics.snapshot().in_flight, 0, "{:?}", metrics.snapshot());
        assert_eq!(inbox.processed("desk"), 0);
    });
}

/// Two deliveries of one event at once: the second waits for the first,
/// and runs the handler only if the first failed.
#[test]
fn a_second_delivery_of_an_event_being_handled_waits_for_the_first() {
    use event_core::dead_letter::InboxOutcome;
    use event_core::integration::Consumer;
    for first_fails in [false, true] {
        block_on(async {
            let transport = InMemoryTransport::new();
            let mut consumer =
                Consumer::<BookLentIntegrationEvent, _>::subscribe(&transport, "shelf")
                    .await
                    .unwrap();
            let message = encode(&lent_v1("b-1")).unwrap();
            transport.publish(message.clone()).await.unwrap();
            transport.publish(message).await.unwrap();
            let first = consumer.next().await.unwrap().unwrap();
            let second = consumer.next().await.unwrap().unwrap();
            let inbox = MemoryInbox::new();
            let policy = RetryPolicy::default();
            let (release, released) = tokio::sync::oneshot::channel::<()>();
            let (second_done, runs) = (Cell::new(false), Cell::new(0));
            let one = inbox.deliver("shelf", first, &policy, async |_| {
                runs.set(runs.get() + 1);
                released.await.unwrap();
                if first_fails {
                    return Err("the shelf is full".into());
                }
                Ok(())
            });
            let two = async {
                let outcome = inbox
                    .deliver("shelf", second, &policy, async |_| {
                        runs.set(runs.get() + 1);
                        Ok(())
                    })
                    .await;
                second_done.set(true);
                outcome
            };
            let gate = async {
                // Both deliveries have started and the second is waiting.
                wait_until("the first handler to run", || runs.get() == 1).await;
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
                assert!(!second_done.get(), "the second delivery did not wait");
                assert_eq!(runs.get(), 1);
                release.send(()).unwrap();
            };
            // A wake-up lost would leave the second waiting for good.
            let both = async { tokio::join!(one, two, gate) };
            let (one, two, ()) = tokio::time::timeout(Duration::from_secs(60), both)
                .await
                .expect("the second delivery was never woken");
            if first_fails {
                assert!(one.is_err());
                assert_eq!(two.unwrap(), InboxOutcome::Processed);
                assert_eq!(runs.get(), 2);
            } else {
                assert_eq!(one.unwrap(), InboxOutcome::Processed);
                assert_eq!(two.unwrap(), InboxOutcome::Duplicate);
                assert_eq!(runs.get(), 1);
            }
            assert_eq!(inbox.processed("shelf"), 1);
        });
    }
}
