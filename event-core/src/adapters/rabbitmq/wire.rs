//! Messages as AMQP 0-9-1 publishes and back, the names of the topology,
//! and the checks that turn bad input into a typed error.

use core::time::Duration;

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable, ShortString};

use crate::delivery::transport::TransportError;
use crate::encoding::binding::{self, AMQP};
use crate::encoding::message::Message;

/// The header that carries the attempt a re-published message is on (a
/// delayed redelivery); absent on a message's first life in its queue.
pub(super) const ATTEMPT_HEADER: &str = "x-event-core-attempt";

/// The header a quorum queue sets on a message it delivers again: how many
/// times it was returned (negatively acknowledged, or its channel closed).
const DELIVERY_COUNT_HEADER: &str = "x-delivery-count";

/// The longest AMQP short string (names, routing keys, property values).
const SHORT_MAX: usize = 255;

/// Room left in a queue name for the suffix of its wait queues
/// (`:wait:` and up to ten digits).
const WAIT_SUFFIX_MAX: usize = 16;

/// The longest delay a wait queue holds a message for: RabbitMQ's TTLs are
/// 32-bit milliseconds (about 49.7 days).
pub(super) const MAX_DELAY_MS: u64 = u32::MAX as u64;

/// How long a wait queue outlives its last use: it is declared again at
/// every delayed redelivery, and deleted by the broker once it has held no
/// message for its TTL and this margin.
const WAIT_QUEUE_MARGIN_MS: u64 = 60_000;

/// How a transport carries a CloudEvent in an AMQP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ContentMode {
    /// CloudEvents binary mode (AMQP binding): the data as the body, its
    /// content type as the `content-type` property, and every other
    /// attribute as an application header named `cloudEvents_<name>`, so
    /// that brokers, routers and other AMQP clients read the attributes
    /// without parsing the body.
    #[default]
    Binary,
    /// CloudEvents structured mode: the event's JSON as the body, with the
    /// content type `application/cloudevents+json`.
    Structured,
}

fn rejected(why: impl Into<String>) -> TransportError {
    TransportError::Rejected(why.into())
}

/// `value` as an AMQP short string, or a typed error naming `what`.
pub(super) fn short(value: &str, what: &str) -> Result<ShortString, TransportError> {
    ShortString::try_new(value).map_err(|_| {
        rejected(format!(
            "the {what} is {} bytes long; AMQP allows at most {SHORT_MAX}",
            value.len()
        ))
    })
}

/// Checks a full event type as routing key words: not empty, no empty word,
/// none of the binding wildcards `*` and `#`, no `:` (it separates the parts
/// of queue names), no control characters.
pub(super) fn check_event_type(event_type: &str) -> Result<(), TransportError> {
    let why = if event_type.is_empty() {
        "it is empty"
    } else if event_type.split('.').any(str::is_empty) {
        "it has an empty dot-separated word"
    } else if event_type.contains(['*', '#']) {
        "it holds a routing wildcard (`*` or `#`)"
    } else if event_type.contains(':') {
        "it holds a `:`"
    } else if event_type.chars().any(char::is_control) {
        "it holds a control character"
    } else if event_type.len() > SHORT_MAX / 2 {
        "it is longer than 127 bytes"
    } else {
        return Ok(());
    };
    Err(rejected(format!(
        "`{}` is not an event type this transport can route: {why}",
        event_type.escape_debug()
    )))
}

/// The name of the queue of consumer group `consumer` for `event_type`:
/// `<exchange>:<event type>:<consumer>`.
pub(super) fn group_queue(
    exchange: &str,
    event_type: &str,
    consumer: &str,
) -> Result<String, TransportError> {
    check_event_type(event_type)?;
    if consumer.is_empty() {
        return Err(rejected("the consumer name is empty"));
    }
    if consumer.chars().any(char::is_control) {
        return Err(rejected(format!(
            "the consumer name `{}` holds a control character",
            consumer.escape_debug()
        )));
    }
    let name = format!("{exchange}:{event_type}:{consumer}");
    if name.len() > SHORT_MAX - WAIT_SUFFIX_MAX {
        return Err(rejected(format!(
            "the queue name of consumer `{consumer}` for `{event_type}` would be {} bytes \
             long; at most {} fit",
            name.len(),
            SHORT_MAX - WAIT_SUFFIX_MAX
        )));
    }
    Ok(name)
}

/// The wait queue of a group's queue for delays of `ms` milliseconds.
pub(super) fn wait_queue(group_queue: &str, ms: u64) -> String {
    format!("{group_queue}:wait:{ms}")
}

/// The arguments of a group's queue: a quorum queue, whose deliveries carry
/// `x-delivery-count`.
pub(super) fn group_queue_arguments() -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    arguments
}

/// The arguments of a wait queue: every message expires after `ms` and is
/// dead-lettered, through the default exchange, to `group_queue`; the queue
/// goes once unused for longer than any message stays in it.
pub(super) fn wait_queue_arguments(group_queue: &str, ms: u64) -> FieldTable {
    let ttl = i64::try_from(ms).unwrap_or(i64::MAX);
    let expires = i64::try_from(ms.saturating_add(WAIT_QUEUE_MARGIN_MS)).unwrap_or(i64::MAX);
    let mut arguments = FieldTable::default();
    arguments
        .insert(
            "x-queue-type".into(),
            AMQPValue::LongString("classic".into()),
        )
        .insert("x-message-ttl".into(), AMQPValue::LongLongInt(ttl))
        .insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString("".into()),
        )
        .insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(group_queue.into()),
        )
        .insert("x-expires".into(), AMQPValue::LongLongInt(expires));
    arguments
}

/// The wait of a delayed redelivery in whole milliseconds: the delay rounded
/// up to two significant digits (1234 ms waits 1300 ms), so that the jittered
/// delays of a retry policy share a few wait queues; at most
/// [`MAX_DELAY_MS`].
pub(super) fn delay_bucket(delay: Duration) -> u64 {
    let ms = u64::try_from(delay.as_nanos().div_ceil(1_000_000))
        .unwrap_or(u64::MAX)
        .clamp(1, MAX_DELAY_MS);
    let mut scale = 1;
    while ms / scale >= 100 {
        scale *= 10;
    }
    ms.div_ceil(scale).saturating_mul(scale).min(MAX_DELAY_MS)
}

/// The routing key of a message: its event type, then, when it has a
/// partition key, that key as one more word (its `.` and `%` escaped as
/// `%2E` and `%25`), unless the whole would be too long for a routing key.
/// A group binds both `<type>` and `<type>.*`.
pub(super) fn routing_key(message: &Message) -> Result<ShortString, TransportError> {
    check_event_type(message.event_type())?;
    if let Some(key) = message.partition_key().filter(|key| !key.is_empty()) {
        let escaped = key.replace('%', "%25").replace('.', "%2E");
        let routing = format!("{}.{escaped}", message.event_type());
        if let Ok(routing) = ShortString::try_new(routing) {
            return Ok(routing);
        }
    }
    short(message.event_type(), "event type")
}

/// The binding keys of a group of `event_type`: the type alone, and the type
/// with a partition key.
pub(super) fn binding_keys(event_type: &str) -> [String; 2] {
    [event_type.to_owned(), format!("{event_type}.*")]
}

/// A message ready to publish.
pub(super) struct Outgoing {
    pub(super) routing_key: ShortString,
    pub(super) properties: BasicProperties,
    pub(super) body: Vec<u8>,
}

fn is_broker_header(name: &str) -> bool {
    name.get(..2)
        .is_some_and(|head| head.eq_ignore_ascii_case("x-"))
}

fn has_prefix(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// `message` as an AMQP publish in `mode`.
///
/// # Errors
///
/// [`TransportError::Rejected`] for a message that cannot be carried: an
/// empty or too long id, an event type that is no routing key, a header
/// name too long for AMQP or starting with `x-` (the broker's), a content
/// type too long, or, in binary mode, a payload that is no CloudEvent.
pub(super) fn outgoing(message: &Message, mode: ContentMode) -> Result<Outgoing, TransportError> {
    if message.id().is_empty() {
        return Err(rejected("the message id is empty"));
    }
    let message_id = short(message.id(), "message id")?;
    let routing_key = routing_key(message)?;
    let event_type = short(message.event_type(), "event type")?;
    let (headers, body) = match mode {
        ContentMode::Structured => (
            message
                .headers()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            message.payload().to_vec(),
        ),
        ContentMode::Binary => {
            let event = message.to_cloud_event(&AMQP).map_err(|error| {
                rejected(format!(
                    "message `{}` holds no CloudEvent to send in binary mode: {error}",
                    message.id().escape_debug()
                ))
            })?;
            let (mut headers, body) = binding::to_binary(&event, &AMQP);
            // The headers beside the attributes (correlation id, trace
            // parent, partition key) travel as they are.
            for (name, value) in message.headers() {
                if !name.eq_ignore_ascii_case(AMQP.content_type)
                    && !has_prefix(name, AMQP.prefix)
                    && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
                {
                    headers.push((name.to_owned(), value.to_owned()));
                }
            }
            (headers, body)
        }
    };
    let mut table = FieldTable::default();
    let mut properties = BasicProperties::default();
    for (name, value) in &headers {
        if name.eq_ignore_ascii_case(AMQP.content_type) {
            properties = properties.with_content_type(short(value, "content type")?);
            continue;
        }
        if is_broker_header(name) {
            return Err(rejected(format!(
                "the header `{}` is reserved: names starting with `x-` are the broker's",
                name.escape_debug()
            )));
        }
        table.insert(
            short(name, "header name")?,
            AMQPValue::LongString(value.as_str().into()),
        );
    }
    let properties = properties
        .with_message_id(message_id)
        .with_type(event_type)
        .with_delivery_mode(2)
        .with_headers(table);
    Ok(Outgoing {
        routing_key,
        properties,
        body,
    })
}

/// The properties of a delivery to re-publish into a wait queue: the same,
/// without the broker's headers, with the attempt it will be delivered at.
pub(super) fn republished(properties: &BasicProperties, attempt: u32) -> BasicProperties {
    let mut table = FieldTable::default();
    if let Some(headers) = properties.headers() {
        for (name, value) in headers {
            if !is_broker_header(name.as_str()) {
                table.insert(name.clone(), value.clone());
            }
        }
    }
    table.insert(
        ATTEMPT_HEADER.into(),
        AMQPValue::LongLongInt(i64::from(attempt)),
    );
    properties.clone().with_headers(table)
}

fn number(value: &AMQPValue) -> Option<i64> {
    match value {
        AMQPValue::ShortShortInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortShortUInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortUInt(n) => Some(i64::from(*n)),
        AMQPValue::LongInt(n) => Some(i64::from(*n)),
        AMQPValue::LongUInt(n) => Some(i64::from(*n)),
        AMQPValue::LongLongInt(n) => Some(*n),
        AMQPValue::Timestamp(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

/// A header value as text: strings as they are, numbers and booleans
/// written out; `None` for tables, arrays and bytes that are not UTF-8.
fn text(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(s) => String::from_utf8(s.as_bytes().to_vec()).ok(),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        AMQPValue::ByteArray(bytes) => String::from_utf8(bytes.as_slice().to_vec()).ok(),
        AMQPValue::Boolean(b) => Some(b.to_string()),
        AMQPValue::Float(f) => Some(f.to_string()),
        AMQPValue::Double(f) => Some(f.to_string()),
        other => number(other).map(|n| n.to_string()),
    }
}

/// A delivery of a group of `event_type` as a message, with its attempt:
/// the attempt it was re-published at (1 when it was not) plus the times
/// its queue delivered it before. A message in binary mode comes back in
/// structured mode, as [`encode`](crate::encoding::message::encode) makes
/// them, so that every consumer reads it; one whose attributes do not
/// decode comes as it is, for its consumer to dead-letter.
pub(super) fn incoming(
    event_type: &str,
    properties: &BasicProperties,
    body: Vec<u8>,
) -> (Message, u32) {
    let mut headers = Vec::new();
    if let Some(content_type) = properties.content_type() {
        headers.push((
            AMQP.content_type.to_owned(),
            content_type.as_str().to_owned(),
        ));
    }
    let (mut attempt, mut returned) = (1_u32, 0_u32);
    if let Some(table) = properties.headers() {
        for (name, value) in table {
            let name = name.as_str();
            if name == ATTEMPT_HEADER {
                attempt = number(value)
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(1)
                    .max(1);
            } else if name == DELIVERY_COUNT_HEADER {
                returned = number(value)
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0);
            } else if is_broker_header(name) {
                // `x-death` and the like: the broker's bookkeeping.
            } else if let Some(value) = text(value) {
                headers.push((name.to_owned(), value));
            }
        }
    }
    let id = properties
        .message_id()
        .as_ref()
        .map(|id| id.as_str().to_owned())
        .unwrap_or_default();
    let message = Message::from_parts(&id, event_type, headers, body);
    (structured(message), attempt.saturating_add(returned))
}

/// A message in binary mode as the same event in structured mode; any other
/// message as it is.
fn structured(message: Message) -> Message {
    let specversion = format!("{}specversion", AMQP.prefix);
    if message.header(&specversion).is_none() {
        return message;
    }
    let Ok(event) = message.to_cloud_event(&AMQP) else {
        return message;
    };
    let out = Message::structured(&event);
    // The headers beside the attributes, after the structured message's.
    let others = message.headers().filter(|(name, _)| {
        !name.eq_ignore_ascii_case(AMQP.content_type)
            && !has_prefix(name, AMQP.prefix)
            && !out.headers().any(|(n, _)| n.eq_ignore_ascii_case(name))
    });
    let id = if message.id().is_empty() {
        out.id()
    } else {
        message.id()
    };
    Message::from_parts(
        id,
        message.event_type(),
        out.headers().chain(others),
        out.payload().to_vec(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(value: &str) -> AMQPValue {
        AMQPValue::LongString(value.into())
    }

    #[test]
    fn delays_round_up_to_two_significant_digits() {
        let ms = |n| delay_bucket(Duration::from_millis(n));
        assert_eq!(ms(0), 1);
        assert_eq!(ms(7), 7);
        assert_eq!(ms(99), 99);
        assert_eq!(ms(100), 100);
        assert_eq!(ms(101), 110);
        assert_eq!(ms(1234), 1300);
        assert_eq!(ms(60_000), 60_000);
        assert_eq!(delay_bucket(Duration::from_nanos(1_000_001)), 2);
        assert_eq!(delay_bucket(Duration::MAX), MAX_DELAY_MS);
        for n in [1, 37, 480, 999, 12_345, 3_600_000] {
            assert!(ms(n) >= n);
        }
    }

    #[test]
    fn partition_keys_are_one_routing_word() {
        let message = Message::new("1", "order.placed.v1", Vec::new())
            .with_header("partitionkey", "eu.shop%1");
        assert_eq!(
            routing_key(&message).unwrap().as_str(),
            "order.placed.v1.eu%2Eshop%251"
        );
        let long_key = Message::new("1", "order.placed.v1", Vec::new())
            .with_header("partitionkey", &"k".repeat(300));
        assert_eq!(routing_key(&long_key).unwrap().as_str(), "order.placed.v1");
    }

    #[test]
    fn bad_names_are_typed_errors() {
        for bad in ["", "a..b", ".a", "a.*", "a.#", "a:b", "a\nb"] {
            assert!(matches!(
                check_event_type(bad),
                Err(TransportError::Rejected(_))
            ));
        }
        assert!(group_queue("events", "a.b.v1", "").is_err());
        assert!(group_queue("events", "a.b.v1", &"c".repeat(250)).is_err());
        assert_eq!(
            group_queue("events", "a.b.v1", "billing").unwrap(),
            "events:a.b.v1:billing"
        );
    }

    #[test]
    fn attempts_add_the_republished_attempt_and_the_returns() {
        let mut table = FieldTable::default();
        table
            .insert(ATTEMPT_HEADER.into(), AMQPValue::LongLongInt(3))
            .insert(DELIVERY_COUNT_HEADER.into(), AMQPValue::LongInt(2))
            .insert("x-death".into(), long("gone"))
            .insert("correlationid".into(), long("c-1"));
        let properties = BasicProperties::default().with_headers(table);
        let (message, attempt) = incoming("a.b.v1", &properties, b"{}".to_vec());
        assert_eq!(attempt, 5);
        assert!(message.headers().eq([("correlationid", "c-1")]));
        let again = republished(&properties, 6);
        let headers = again.headers().as_ref().unwrap();
        assert_eq!(
            headers.inner().get(ATTEMPT_HEADER),
            Some(&AMQPValue::LongLongInt(6))
        );
        assert!(!headers.inner().contains_key("x-death"));
        assert!(!headers.inner().contains_key(DELIVERY_COUNT_HEADER));
    }
}
