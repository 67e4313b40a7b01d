//! A [`Message`] as a NATS message and back: subjects, headers and the
//! CloudEvents mode.

use core::str::FromStr;

use async_nats::HeaderMap;
use async_nats::header::{HeaderName, HeaderValue};

use super::{Mode, subject};
use crate::delivery::transport::TransportError;
use crate::encoding::binding;
use crate::encoding::message::{Message, headers};

/// The header the server de-duplicates on: the event id.
pub(crate) const MSG_ID: &str = "Nats-Msg-Id";
/// The event id of a requeued message or a dead letter, whose `Nats-Msg-Id`
/// is its own.
pub(crate) const EVENT_ID: &str = "Event-Core-Id";
/// On a dead letter: the consumer group that gave up on it.
pub(crate) const DEAD_CONSUMER: &str = "Event-Core-Dead-Consumer";
/// On a dead letter: how many times it was delivered.
pub(crate) const DEAD_ATTEMPTS: &str = "Event-Core-Dead-Attempts";

/// Headers the server and this adapter set, not part of the message.
fn internal(name: &str) -> bool {
    let starts = |prefix: &str| {
        name.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    starts("Nats-") || starts("Event-Core-")
}

/// The attributes `encode` sets beside a structured payload, which binary
/// mode carries as `ce-` headers already.
const STRUCTURED_ONLY: [&str; 5] = [
    headers::CONTENT_TYPE,
    headers::CORRELATION_ID,
    headers::CAUSATION_ID,
    headers::TRACEPARENT,
    headers::PARTITION_KEY,
];

/// Headers and a payload, as sent.
pub(crate) type Wire = (Vec<(String, String)>, Vec<u8>);

/// The headers and payload to send for `message` in `mode`.
///
/// # Errors
///
/// [`TransportError::Rejected`] for a message that does not decode as a
/// CloudEvent (binary mode needs its attributes) or whose headers NATS
/// cannot carry.
pub(crate) fn outgoing(message: &Message, mode: Mode) -> Result<Wire, TransportError> {
    let reject = |error: crate::model::error::DecodeError| {
        TransportError::Rejected(format!(
            "message `{}` is not a CloudEvent this transport can carry: {error}",
            message.id()
        ))
    };
    let is_structured = message.header("ce-specversion").is_none();
    match mode {
        Mode::Binary => {
            let event = message.to_cloud_event(&binding::NATS).map_err(reject)?;
            let (mut out, payload) = binding::to_binary(&event, &binding::NATS);
            // Headers of the producer's own, beside the attributes.
            for (name, value) in message.headers() {
                let known = STRUCTURED_ONLY.iter().any(|n| n.eq_ignore_ascii_case(name))
                    || out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
                if !known {
                    out.push((name.to_owned(), value.to_owned()));
                }
            }
            Ok((out, payload))
        }
        Mode::Structured if is_structured => Ok((owned(message), message.payload().to_vec())),
        Mode::Structured => {
            let event = message.to_cloud_event(&binding::NATS).map_err(reject)?;
            let structured = Message::structured(&event);
            Ok((owned(&structured), structured.into_payload()))
        }
    }
}

/// The headers of `message`, as owned pairs.
fn owned(message: &Message) -> Vec<(String, String)> {
    message
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

/// A header map from pairs, with the internal headers after them.
///
/// # Errors
///
/// [`TransportError::Rejected`] for a name or value NATS cannot carry
/// (control characters, a `:` in a name, non-ASCII names).
pub(crate) fn header_map<'a>(
    id: &str,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    internal_headers: &[(&'a str, &'a str)],
) -> Result<HeaderMap, TransportError> {
    let mut map = HeaderMap::new();
    let all = pairs
        .into_iter()
        .filter(|(name, _)| !internal(name))
        .chain(internal_headers.iter().copied());
    for (name, value) in all {
        let bad = |what: &str| {
            TransportError::Rejected(format!(
                "message `{}` has a header NATS cannot carry: {what} `{}`",
                crate::encoding::decode::echo(id),
                crate::encoding::decode::echo(name)
            ))
        };
        let header_name = HeaderName::from_str(name).map_err(|_| bad("the name of"))?;
        let header_value = HeaderValue::from_str(value).map_err(|_| bad("the value of"))?;
        map.append(header_name, header_value);
    }
    Ok(map)
}

/// The subject a message of `event_type` with `partition_key` is
/// published on: `<prefix>.<type tokens>.<key token>`, with `_` for no key.
pub(crate) fn publish_subject(
    prefix: &str,
    event_type: &str,
    partition_key: Option<&str>,
) -> String {
    let key = partition_key.map_or_else(|| "_".to_owned(), subject::token);
    format!("{prefix}.{}.{key}", subject::type_tokens(event_type))
}

/// The filter of the group consumers of `event_type`: every key.
pub(crate) fn type_filter(prefix: &str, event_type: &str) -> String {
    format!("{prefix}.{}.*", subject::type_tokens(event_type))
}

/// The subject of the messages requeued to, or dead-lettered by, one group
/// of one type under `root` (the requeue or the dead-letter prefix).
pub(crate) fn group_subject(root: &str, consumer: &str, event_type: &str) -> String {
    format!(
        "{root}.{}.{}",
        subject::token(consumer),
        subject::type_tokens(event_type)
    )
}

/// The message a NATS message carries, as a subscription of `event_type`
/// hands it out: its id from the headers (`Event-Core-Id`, `Nats-Msg-Id`,
/// or the binary mode's `ce-id`; empty when none is there, and the payload
/// still says), the NATS and adapter headers left out.
pub(crate) fn incoming(event_type: &str, headers: Option<&HeaderMap>, payload: &[u8]) -> Message {
    let mut pairs = Vec::new();
    let mut ids: [Option<String>; 3] = [None, None, None];
    if let Some(headers) = headers {
        for (name, values) in headers.iter() {
            let name: &str = name.as_ref();
            let Some(value) = values.last() else { continue };
            let value = value.as_str();
            if name.eq_ignore_ascii_case(EVENT_ID) {
                ids[0] = Some(value.to_owned());
            } else if name.eq_ignore_ascii_case(MSG_ID) {
                ids[1] = Some(value.to_owned());
            }
            if internal(name) {
                continue;
            }
            if name.eq_ignore_ascii_case("ce-id") {
                ids[2] = binding::percent_decode(value);
            }
            for value in values {
                pairs.push((name, value.as_str()));
            }
        }
    }
    // The server's header map has no order; the message's headers do.
    pairs.sort_unstable();
    let id = ids.into_iter().flatten().next().unwrap_or_default();
    Message::from_parts(&id, event_type, pairs, payload.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn structured() -> Message {
        let event = crate::encoding::cloudevent::CloudEvent::new("E-1", "/shop", "order.placed.v1")
            .unwrap()
            .with_extension("partitionkey", "order-7")
            .unwrap()
            .with_data(
                Some("application/json"),
                crate::encoding::cloudevent::Data::Json(
                    serde_json::value::RawValue::from_string("{\"n\":1}".into()).unwrap(),
                ),
            )
            .unwrap();
        Message::structured(&event).with_header("x-tenant", "acme")
    }

    #[test]
    fn binary_mode_moves_attributes_to_headers_and_keeps_the_others() {
        let message = structured();
        let (headers, payload) = outgoing(&message, Mode::Binary).unwrap();
        assert_eq!(payload, b"{\"n\":1}");
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("ce-id"), Some("E-1"));
        assert_eq!(get("ce-partitionkey"), Some("order-7"));
        assert_eq!(get("content-type"), Some("application/json"));
        assert_eq!(get("x-tenant"), Some("acme"));
        assert_eq!(get("partitionkey"), None);

        let map = header_map(
            message.id(),
            headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            &[(MSG_ID, "E-1")],
        )
        .unwrap();
        let back = incoming("order.placed.v1", Some(&map), &payload);
        assert_eq!(back.id(), "E-1");
        assert_eq!(back.partition_key().as_deref(), Some("order-7"));
        assert!(back.header(MSG_ID).is_none());
        let event = back.to_cloud_event(&binding::NATS).unwrap();
        assert_eq!(event, message.to_cloud_event(&binding::NATS).unwrap());
    }

    #[test]
    fn structured_mode_sends_the_message_as_it_is() {
        let message = structured();
        let (headers, payload) = outgoing(&message, Mode::Structured).unwrap();
        assert_eq!(headers, owned(&message));
        assert_eq!(payload, message.payload());
        // A binary-mode message is made structured.
        let (binary_headers, binary_payload) = outgoing(&message, Mode::Binary).unwrap();
        let binary = Message::from_parts(
            message.id(),
            message.event_type(),
            binary_headers,
            binary_payload,
        );
        let (_, payload) = outgoing(&binary, Mode::Structured).unwrap();
        let event = crate::encoding::cloudevent::CloudEvent::from_json(&payload).unwrap();
        assert_eq!(event.id(), "E-1");
    }

    #[test]
    fn bad_input_is_rejected_not_a_panic() {
        let garbage = Message::new("G-1", "t.v1", b"not json".to_vec());
        assert!(matches!(
            outgoing(&garbage, Mode::Binary),
            Err(TransportError::Rejected(_))
        ));
        // Structured mode sends whatever the producer encoded.
        assert!(outgoing(&garbage, Mode::Structured).is_ok());
        for (name, value) in [("bad:name", "v"), ("x", "line\r\nbreak"), ("ü", "v")] {
            assert!(matches!(
                header_map("G-1", [(name, value)], &[]),
                Err(TransportError::Rejected(_))
            ));
        }
        // Headers named like the server's are not the producer's to set.
        let map = header_map("G-1", [("Nats-Msg-Id", "forged")], &[]).unwrap();
        assert!(map.get(MSG_ID).is_none());
        // A message without any id header still arrives, with an empty id.
        assert_eq!(incoming("t.v1", None, b"{}").id(), "");
    }

    #[test]
    fn subjects() {
        assert_eq!(
            publish_subject("events", "parcel.shipped.v1", None),
            "events.parcel.shipped.v1._"
        );
        assert_eq!(
            publish_subject("events", "parcel.shipped.v1", Some("eu.west 1")),
            "events.parcel.shipped.v1.eu~2Ewest~201"
        );
        assert_eq!(
            type_filter("events", "parcel.shipped.v1"),
            "events.parcel.shipped.v1.*"
        );
        assert_eq!(
            group_subject("events-requeue", "billing.eu", "parcel.shipped.v1"),
            "events-requeue.billing~2Eeu.parcel.shipped.v1"
        );
    }
}
