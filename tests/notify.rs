//! The best-effort notification dispatcher, observed through its counters and
//! queue, never through timing: each test runs on one thread with tokio's
//! clock paused, so the dispatcher's task runs only when the test yields.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use event_core::BoxError;
use event_core::notify::{
    Dispatch, NotificationConfig, NotificationDispatcher, NotificationStats, Notifier,
};
use event_core::prelude::*;

/// Tells a customer their parcel shipped.
#[notification_event]
pub struct ParcelShippedNotification {
    pub parcel_id: u32,
}

fn note(id: u32) -> Envelope<ParcelShippedNotification> {
    Envelope::new("/shipping", ParcelShippedNotification { parcel_id: id })
}

/// Records the size of every batch it sends.
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<Vec<u32>>>>);

impl Notifier<ParcelShippedNotification> for Recording {
    async fn send(&self, batch: Vec<Envelope<ParcelShippedNotification>>) -> Result<(), BoxError> {
        self.0
            .lock()
            .unwrap()
            .push(batch.iter().map(|e| e.data().parcel_id).collect());
        Ok(())
    }
}

struct Failing;

impl Notifier<ParcelShippedNotification> for Failing {
    async fn send(&self, _: Vec<Envelope<ParcelShippedNotification>>) -> Result<(), BoxError> {
        Err("the mail server refused".into())
    }
}

struct Stalled;

impl Notifier<ParcelShippedNotification> for Stalled {
    async fn send(&self, _: Vec<Envelope<ParcelShippedNotification>>) -> Result<(), BoxError> {
        std::future::pending().await
    }
}

/// Runs a test body on a one-thread runtime whose clock only moves when the
/// test advances it.
fn paused<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// Lets the dispatcher's task run until `done` holds (at most 100 turns).
async fn run_until(
    dispatcher: &NotificationDispatcher<ParcelShippedNotification>,
    done: impl Fn(&NotificationStats) -> bool,
) -> NotificationStats {
    for _ in 0..100 {
        let stats = dispatcher.stats();
        if done(&stats) {
            return stats;
        }
        tokio::task::yield_now().await;
    }
    panic!("the dispatcher did not get there: {:?}", dispatcher.stats());
}

#[test]
fn batches_are_formed_by_size_then_by_delay() {
    paused(async {
        let notifier = Recording::default();
        let dispatcher = NotificationDispatcher::spawn(
            notifier.clone(),
            NotificationConfig {
                capacity: 100,
                max_batch: 3,
                max_delay: Duration::from_secs(10),
                send_timeout: Duration::from_secs(60),
            },
        );
        for id in 1..=7 {
            assert_eq!(dispatcher.publish(note(id)), Dispatch::Queued);
        }
        let stats = run_until(&dispatcher, |s| s.batches == 2).await;
        assert_eq!(*notifier.0.lock().unwrap(), [vec![1, 2, 3], vec![4, 5, 6]]);
        // The seventh waits for company until its batch's delay runs out.
        assert_eq!(stats.sent, 6);
        tokio::time::advance(Duration::from_secs(10)).await;
        let stats = run_until(&dispatcher, |s| s.batches == 3).await;
        assert_eq!(notifier.0.lock().unwrap().last(), Some(&vec![7]));
        assert_eq!(
            stats,
            NotificationStats {
                accepted: 7,
                dropped: 0,
                sent: 7,
                failed: 0,
                batches: 3,
                queued: 0,
            }
        );
    })
}

#[test]
fn a_failing_notifier_loses_its_batches_and_nothing_else() {
    paused(async {
        let dispatcher = NotificationDispatcher::spawn(
            Failing,
            NotificationConfig {
                capacity: 100,
                max_batch: 10,
                ..NotificationConfig::default()
            },
        );
        for id in 0..25 {
            assert_eq!(dispatcher.publish(note(id)), Dispatch::Queued);
        }
        let stats = dispatcher.shutdown().await;
        assert_eq!(
            stats,
            NotificationStats {
                accepted: 25,
                dropped: 0,
                sent: 0,
                failed: 25,
                batches: 3,
                queued: 0,
            }
        );
    })
}

#[test]
fn a_stalled_notifier_never_blocks_publishing() {
    paused(async {
        let dispatcher = NotificationDispatcher::spawn(
            Stalled,
            NotificationConfig {
                capacity: 4,
                max_batch: 2,
                max_delay: Duration::from_millis(1),
                send_timeout: Duration::from_secs(3600),
            },
        );
        // The queue takes four; the rest are dropped at once, never waited for.
        let outcomes: Vec<Dispatch> = (0..10).map(|id| dispatcher.publish(note(id))).collect();
        assert_eq!(
            outcomes.iter().filter(|d| **d == Dispatch::Queued).count(),
            4
        );
        assert_eq!(dispatcher.stats().dropped, 6);
        assert_eq!(dispatcher.stats().queued, 4);

        // The task takes one batch and hangs in the notifier.
        let stats = run_until(&dispatcher, |s| s.batches == 1).await;
        assert_eq!(stats.queued, 2);
        assert_eq!(stats.sent + stats.failed, 0);

        // Publishing goes on while the notifier hangs: two places are free.
        let more: Vec<Dispatch> = (10..20).map(|id| dispatcher.publish(note(id))).collect();
        assert_eq!(more.iter().filter(|d| **d == Dispatch::Queued).count(), 2);
        let stats = dispatcher.stats();
        assert_eq!((stats.accepted, stats.dropped, stats.queued), (6, 14, 4));

        // Once the send timeout passes, the hung batch counts as failed and the
        // task moves on to the next one.
        tokio::time::advance(Duration::from_secs(3600)).await;
        let stats = run_until(&dispatcher, |s| s.batches == 2).await;
        assert_eq!(stats.failed, 2);
        assert_eq!(stats.queued, 2);
        // Every notification is accounted for.
        assert_eq!(
            stats.accepted + stats.dropped,
            20,
            "accepted and dropped cover every publish"
        );
    })
}
