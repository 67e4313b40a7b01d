//! Best-effort delivery of notifications to people and outside systems.

use core::fmt;
use core::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout, timeout_at};

use crate::delivery::bus::BoxError;
use crate::model::envelope::Envelope;
use crate::model::event::NotificationEvent;

/// Sends batches of notifications: email, SMS, push. Implemented by the user.
pub trait Notifier<N: NotificationEvent>: Send + Sync + 'static {
    /// Sends one batch.
    ///
    /// # Errors
    ///
    /// Any error; the batch is counted as failed and not retried.
    fn send(&self, batch: Vec<Envelope<N>>) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// How a [`NotificationDispatcher`] queues and batches.
#[derive(Debug, Clone, Copy)]
pub struct NotificationConfig {
    /// How many notifications wait at most; beyond that, new ones are dropped.
    pub capacity: usize,
    /// How many notifications a batch holds at most.
    pub max_batch: usize,
    /// How long the first notification of a batch waits for others.
    pub max_delay: Duration,
    /// How long one batch may take to send before it counts as failed.
    pub send_timeout: Duration,
}

impl Default for NotificationConfig {
    fn default() -> Self {
        NotificationConfig {
            capacity: 1024,
            max_batch: 100,
            max_delay: Duration::from_millis(50),
            send_timeout: Duration::from_secs(10),
        }
    }
}

/// What happened to the notifications given to a dispatcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotificationStats {
    /// Taken into the queue.
    pub accepted: u64,
    /// Refused because the queue was full or the dispatcher stopped.
    pub dropped: u64,
    /// In batches the notifier sent.
    pub sent: u64,
    /// In batches the notifier failed to send, or did not send in time.
    pub failed: u64,
    /// Batches handed to the notifier, sent or not.
    pub batches: u64,
    /// Waiting in the queue now.
    pub queued: u64,
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    dropped: AtomicU64,
    sent: AtomicU64,
    failed: AtomicU64,
    batches: AtomicU64,
}

impl Counters {
    fn snapshot(&self, queued: u64) -> NotificationStats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        NotificationStats {
            accepted: load(&self.accepted),
            dropped: load(&self.dropped),
            sent: load(&self.sent),
            failed: load(&self.failed),
            batches: load(&self.batches),
            queued,
        }
    }
}

/// Whether [`NotificationDispatcher::publish`] took the notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Dispatch {
    /// Queued for sending.
    Queued,
    /// Dropped: the queue was full, or the dispatcher stopped.
    Dropped,
}

/// Queues notifications and sends them in batches on a tokio task.
///
/// Publishing never waits and never fails the caller. The queue is bounded:
/// when it is full, the new notification is dropped and counted (the oldest
/// ones, already waiting, go first). A batch goes out when it holds
/// `max_batch` notifications or its first one has waited `max_delay`. A
/// notifier that fails or stalls (past `send_timeout`) loses its batch, which
/// is counted as failed; the core flow is never held up.
pub struct NotificationDispatcher<N> {
    sender: mpsc::Sender<Envelope<N>>,
    counters: Arc<Counters>,
    capacity: usize,
    worker: JoinHandle<()>,
}

impl<N> fmt::Debug for NotificationDispatcher<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotificationDispatcher")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<N: NotificationEvent> NotificationDispatcher<N> {
    /// Starts the dispatcher's task on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as `tokio::spawn` does.
    pub fn spawn(notifier: impl Notifier<N>, config: NotificationConfig) -> Self {
        let capacity = config.capacity.max(1);
        let (sender, receiver) = mpsc::channel(capacity);
        let counters = Arc::new(Counters::default());
        let worker = tokio::spawn(run(notifier, config, receiver, Arc::clone(&counters)));
        NotificationDispatcher {
            sender,
            counters,
            capacity,
            worker,
        }
    }

    /// Queues a notification, or drops it when the queue is full. Never waits.
    pub fn publish(&self, envelope: Envelope<N>) -> Dispatch {
        match self.sender.try_send(envelope) {
            Ok(()) => {
                self.counters.accepted.fetch_add(1, Ordering::Relaxed);
                Dispatch::Queued
            }
            Err(_) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                trace_debug!(event_type = N::FULL_TYPE, "notification dropped");
                Dispatch::Dropped
            }
        }
    }

    /// The counters so far.
    #[must_use]
    pub fn stats(&self) -> NotificationStats {
        self.counters
            .snapshot((self.capacity - self.sender.capacity()) as u64)
    }

    /// Stops taking notifications, sends what is queued, and returns the
    /// final counters.
    pub async fn shutdown(self) -> NotificationStats {
        let NotificationDispatcher {
            sender,
            counters,
            worker,
            ..
        } = self;
        drop(sender);
        // The worker only ends by itself once the queue is closed and empty;
        // a worker that panicked (a notifier's panic) has nothing left to do.
        let _ = worker.await;
        counters.snapshot(0)
    }
}

async fn run<N: NotificationEvent>(
    notifier: impl Notifier<N>,
    config: NotificationConfig,
    mut receiver: mpsc::Receiver<Envelope<N>>,
    counters: Arc<Counters>,
) {
    let max_batch = config.max_batch.max(1);
    while let Some(first) = receiver.recv().await {
        let deadline = Instant::now() + config.max_delay;
        let mut batch = Vec::with_capacity(max_batch);
        batch.push(first);
        while batch.len() < max_batch {
            match timeout_at(deadline, receiver.recv()).await {
                Ok(Some(next)) => batch.push(next),
                // Closed or timed out: send what there is.
                Ok(None) | Err(_) => break,
            }
        }
        let size = batch.len() as u64;
        counters.batches.fetch_add(1, Ordering::Relaxed);
        match timeout(config.send_timeout, notifier.send(batch)).await {
            Ok(Ok(())) => {
                counters.sent.fetch_add(size, Ordering::Relaxed);
            }
            // The error goes only to the log.
            #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
            Ok(Err(error)) => {
                counters.failed.fetch_add(size, Ordering::Relaxed);
                trace_warn!(event_type = N::FULL_TYPE, %error, size, "notification batch failed");
            }
            Err(_) => {
                counters.failed.fetch_add(size, Ordering::Relaxed);
                trace_warn!(
                    event_type = N::FULL_TYPE,
                    size,
                    "notification batch timed out"
                );
            }
        }
    }
}
