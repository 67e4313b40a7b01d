//! What every store keeps of a message it gave up on, and what a consumer's
//! inbox reports: the same for each adapter, so that an operator's tooling
//! reads dead letters alike whichever database holds them.

use core::fmt;

use crate::delivery::transport::TransportError;
use crate::encoding::message::Message;

/// A message the relay gave up on, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeadLetter {
    /// The event id.
    pub id: String,
    /// The full event type.
    pub event_type: String,
    /// The headers stored beside the payload.
    pub headers: Vec<(String, String)>,
    /// The envelope's bytes, as appended.
    pub payload: Vec<u8>,
    /// How many publishes were rejected.
    pub attempts: u32,
    /// The last error.
    pub last_error: String,
    /// The first failed publish, in milliseconds since the Unix epoch; the
    /// time it was buried for a row that was corrupt from the start.
    pub first_failure_ms: i64,
    /// The last failed publish (when it was buried), in milliseconds since
    /// the Unix epoch.
    pub last_failure_ms: i64,
}

/// What became of one delivered event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxOutcome {
    /// Handled now, for the first time.
    Processed,
    /// Handled before: skipped.
    Duplicate,
    /// Failed too often: moved to the inbox's dead letters.
    DeadLettered,
}

/// A delivery a consumer gave up on, kept in its inbox for an operator to
/// inspect, then requeue or discard.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboxDeadLetter {
    /// The consumer that gave up.
    pub consumer: String,
    /// The event id.
    pub event_id: String,
    /// The full event type of the message.
    pub event_type: String,
    /// The message's headers.
    pub headers: Vec<(String, String)>,
    /// The message's bytes: the envelope's CloudEvents JSON, or whatever
    /// arrived instead.
    pub payload: Vec<u8>,
    /// The delivery attempt that failed last (1 for the first delivery).
    pub attempts: u32,
    /// The last error.
    pub last_error: String,
    /// When the first failure this inbox recorded for the event happened, in
    /// milliseconds since the Unix epoch; `None` when it is not known (a
    /// delivery buried at a later attempt whose earlier failures were not
    /// recorded here).
    pub first_failed_at_ms: Option<i64>,
    /// When the last failure happened and the event was dead-lettered, in
    /// milliseconds since the Unix epoch.
    pub last_failed_at_ms: i64,
}

impl InboxDeadLetter {
    /// The message as it was delivered.
    #[must_use]
    pub fn message(&self) -> Message {
        Message::from_parts(
            &self.event_id,
            &self.event_type,
            self.headers.iter().map(|(n, v)| (n, v)),
            self.payload.clone(),
        )
    }
}

/// Why an inbox dead letter was not requeued; `E` is the database client's
/// error.
#[derive(Debug)]
#[non_exhaustive]
pub enum RequeueError<E> {
    /// The inbox's database failed.
    Storage(E),
    /// The transport did not take the message back; the dead letter is kept.
    Transport(TransportError),
}

impl<E: fmt::Display> fmt::Display for RequeueError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequeueError::Storage(e) => write!(f, "the inbox could not be read or written: {e}"),
            RequeueError::Transport(e) => write!(f, "the message could not be requeued: {e}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for RequeueError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RequeueError::Storage(e) => Some(e),
            RequeueError::Transport(e) => Some(e),
        }
    }
}

impl<E> From<E> for RequeueError<E> {
    fn from(error: E) -> Self {
        RequeueError::Storage(error)
    }
}
