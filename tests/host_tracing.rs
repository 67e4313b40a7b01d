//! The hosted consumer opens a `tracing` span per message carrying the
//! CloudEvents id and type, the correlation and causation ids, the W3C
//! trace parent and the attempt; the handler runs inside it.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use event_core::BoxError;
use event_core::dead_letter::InboxOutcome;
use event_core::host::{Host, Inbox, MemoryInbox};
use event_core::integration::{IntegrationPublisher, Received, encode};
use event_core::prelude::*;
use event_core::retry::RetryPolicy;
use event_core::transport::InMemoryTransport;
use event_core::transport::{Delivery, Transport};
use support::{block_on, wait_until};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event as TracingEvent, Metadata, Subscriber};

/// A book was reserved.
#[integration_event(version = 1)]
pub struct BookReservedIntegrationEvent {
    pub book_id: String,
}

/// A span as recorded: its name and fields.
type Recorded = (String, BTreeMap<String, String>);

/// Records every span and which span each event was emitted in.
#[derive(Default)]
struct Spans {
    next: AtomicU64,
    spans: Mutex<Vec<Recorded>>,
    entered: Mutex<Vec<u64>>,
    /// (message, the span entered when it was emitted).
    events: Mutex<Vec<(String, Option<u64>)>>,
    /// (message, its `error` field) of the events that have one.
    errors: Mutex<Vec<(String, String)>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Spans {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        self.spans
            .lock()
            .unwrap()
            .push((span.metadata().name().to_owned(), fields));
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &TracingEvent<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let message = fields.remove("message").unwrap_or_default();
        if let Some(error) = fields.remove("error") {
            self.errors.lock().unwrap().push((message.clone(), error));
        }
        let current = self.entered.lock().unwrap().last().copied();
        self.events.lock().unwrap().push((message, current));
    }

    fn enter(&self, span: &Id) {
        self.entered.lock().unwrap().push(span.into_u64());
    }

    fn exit(&self, _: &Id) {
        self.entered.lock().unwrap().pop();
    }
}

#[test]
fn each_message_is_handled_in_a_span_with_its_attributes() {
    let spans = Arc::new(Spans::default());
    let dispatch = tracing::Dispatch::from(Arc::clone(&spans) as Arc<dyn Subscriber + Send + Sync>);
    tracing::dispatcher::with_default(&dispatch, || {
        block_on(async {
            let transport = InMemoryTransport::new();
            let host = Host::new(transport.clone())
                .consumer("holds", MemoryInbox::new())
                .handle::<BookReservedIntegrationEvent>(async |(), envelope| {
                    tracing::info!(book = envelope.data().book_id.as_str(), "reserving");
                    Ok(())
                });
            let metrics = host.metrics();
            host.declare().await.unwrap();
            let parent = Envelope::new(
                "/desk",
                BookReservedIntegrationEvent {
                    book_id: "b-0".into(),
                },
            );
            let envelope = Envelope::caused_by(
                &parent,
                BookReservedIntegrationEvent {
                    book_id: "b-1".into(),
                },
            )
            .with_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
            IntegrationPublisher::new(transport)
                .publish(&envelope)
                .await
                .unwrap();
            host.run(wait_until("handled", || metrics.snapshot().handled == 1))
                .await
                .unwrap();

            let recorded = spans.spans.lock().unwrap().clone();
            let (index, (_, fields)) = recorded
                .iter()
                .enumerate()
                .find(|(_, (name, _))| name == "handle integration event")
                .expect("a span per message");
            let field = |name: &str| fields.get(name).map(String::as_str);
            assert_eq!(field("consumer"), Some("holds"));
            assert_eq!(field("event_id"), Some(envelope.id().as_str()));
            assert_eq!(
                field("event_type"),
                Some(BookReservedIntegrationEvent::FULL_TYPE)
            );
            assert_eq!(
                field("correlation_id"),
                Some(parent.correlation_id().as_str())
            );
            assert_eq!(field("causation_id"), Some(parent.id().as_str()));
            assert_eq!(
                field("traceparent"),
                Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            );
            assert_eq!(field("attempt"), Some("1"));

            // The handler's own event was emitted inside that span.
            let span_id = index as u64 + 1;
            let events = spans.events.lock().unwrap();
            assert!(
                events
                    .iter()
                    .any(|(message, span)| message == "reserving" && *span == Some(span_id)),
                "{events:?}"
            );
        });
    });
}

/// The in-memory inbox, whose dead letters cannot be written the first
/// time.
#[derive(Default)]
struct FullDisk {
    inner: MemoryInbox,
    refused: std::sync::atomic::AtomicBool,
}

impl Inbox for FullDisk {
    type Tx<'t> = ();

    async fn deliver<E, F>(
        &self,
        consumer: &str,
        received: Received<E>,
        policy: &RetryPolicy,
        handler: &F,
    ) -> Result<InboxOutcome, BoxError>
    where
        E: IntegrationEvent,
        F: AsyncFn((), &Envelope<E>) -> Result<(), BoxError>,
    {
        Inbox::deliver(&self.inner, consumer, received, policy, handler).await
    }

    async fn bury(&self, consumer: &str, delivery: &Delivery, error: &str) -> Result<(), BoxError> {
        if !self.refused.swap(true, Ordering::Relaxed) {
            return Err("the disk is full".into());
        }
        self.inner.bury(consumer, delivery, error);
        Ok(())
    }
}

#[test]
fn a_dead_letter_that_cannot_be_written_is_logged_and_counted() {
    let spans = Arc::new(Spans::default());
    let dispatch = tracing::Dispatch::from(Arc::clone(&spans) as Arc<dyn Subscriber + Send + Sync>);
    tracing::dispatcher::with_default(&dispatch, || {
        block_on(async {
            let transport = InMemoryTransport::new();
            let inbox = Arc::new(FullDisk::default());
            let host = Host::new(transport.clone())
                .consumer("holds", Arc::clone(&inbox))
                .handle::<BookReservedIntegrationEvent>(async |(), _| Ok(()));
            let metrics = host.metrics();
            host.declare().await.unwrap();
            let message = encode(&Envelope::new(
                "/desk",
                BookReservedIntegrationEvent {
                    book_id: "b-1".into(),
                },
            ))
            .unwrap()
            .with_payload(b"not json".to_vec());
            transport.publish(message).await.unwrap();
            host.run(wait_until("dead-lettered", || {
                metrics.snapshot().dead_lettered == 1
            }))
            .await
            .unwrap();

            // The first try failed to write it: counted as a retry, and its
            // error logged.
            assert_eq!(metrics.snapshot().retried, 1);
            assert_eq!(inbox.inner.dead_letters("holds").len(), 1);
            let errors = spans.errors.lock().unwrap();
            assert!(
                errors
                    .iter()
                    .any(|(_, error)| error.contains("the disk is full")),
                "{errors:?}"
            );
        });
    });
}
