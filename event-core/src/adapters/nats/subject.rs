//! Subjects and consumer names derived from event types, consumer groups and
//! partition keys.

use core::fmt::Write as _;

/// One subject token (or a consumer-name part) for arbitrary text: ASCII
/// letters, digits, `_` and `-` are kept, every other byte is written as
/// `~` and two hex digits, so that two different texts never share a token.
/// The empty text is `~`.
pub(crate) fn token(text: &str) -> String {
    if text.is_empty() {
        return "~".to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            // Writing to a `String` cannot fail.
            let _ = write!(out, "~{b:02X}");
        }
    }
    out
}

/// The subject tokens of a full event type: one per dot-separated part
/// (`parcel.shipped.v1` → `parcel.shipped.v1`), each made safe by [`token`].
pub(crate) fn type_tokens(event_type: &str) -> String {
    event_type
        .split('.')
        .map(token)
        .collect::<Vec<_>>()
        .join(".")
}

/// The part of a consumer name that stands for an event type: its
/// dot-separated parts joined with `_` (dots are not allowed in consumer
/// names), `_` and every byte but ASCII letters, digits and `-` written as
/// `~` and two hex digits.
pub(crate) fn type_name_part(event_type: &str) -> String {
    let mut out = String::with_capacity(event_type.len());
    for &b in event_type.as_bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            out.push(char::from(b));
        } else if b == b'.' {
            out.push('_');
        } else {
            let _ = write!(out, "~{b:02X}");
        }
    }
    out
}

/// The durable consumer of a group for one event type: the group's
/// [`token`], `~~`, and the type's [`type_name_part`]. Neither part holds
/// `~~`, so two different pairs never share a name.
pub(crate) fn consumer_name(consumer: &str, event_type: &str) -> String {
    format!("{}~~{}", token(consumer), type_name_part(event_type))
}

/// The durable consumer of a group's requeued messages of one type.
pub(crate) fn requeue_consumer_name(consumer: &str, event_type: &str) -> String {
    format!("{}~~requeue", consumer_name(consumer, event_type))
}

/// Whether `prefix` is usable as the first tokens of a subject: non-empty
/// tokens of printable ASCII without wildcards.
pub(crate) fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'*' && b != b'>')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_safe_and_distinct() {
        assert_eq!(token("billing"), "billing");
        assert_eq!(token("a.b"), "a~2Eb");
        assert_eq!(token("a_b"), "a_b");
        assert_eq!(token("*"), "~2A");
        assert_eq!(token(">"), "~3E");
        assert_eq!(token("x y"), "x~20y");
        assert_eq!(token("~"), "~7E");
        assert_eq!(token(""), "~");
        assert_eq!(token("é"), "~C3~A9");
        for text in ["a.b", "a b", "a*b", "a>b", "ü", "\r\n", ""] {
            let t = token(text);
            assert!(
                t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'~'),
                "{t}"
            );
        }
    }

    #[test]
    fn types_keep_their_dots_as_subject_tokens() {
        assert_eq!(type_tokens("parcel.shipped.v1"), "parcel.shipped.v1");
        assert_eq!(type_tokens("a..b"), "a.~.b");
        assert_eq!(type_tokens("com.acme.*"), "com.acme.~2A");
        assert_eq!(type_name_part("parcel.shipped.v1"), "parcel_shipped_v1");
        assert_eq!(type_name_part("parcel_shipped.v1"), "parcel~5Fshipped_v1");
        assert_eq!(
            consumer_name("billing", "parcel.shipped.v1"),
            "billing~~parcel_shipped_v1"
        );
        assert_ne!(consumer_name("a~~b", "c"), consumer_name("a", "b~~c"));
        assert_eq!(
            requeue_consumer_name("billing", "parcel.shipped.v1"),
            "billing~~parcel_shipped_v1~~requeue"
        );
    }

    #[test]
    fn prefixes() {
        assert!(valid_prefix("events"));
        assert!(valid_prefix("acme.events"));
        assert!(!valid_prefix(""));
        assert!(!valid_prefix("a..b"));
        assert!(!valid_prefix("events.>"));
        assert!(!valid_prefix("ev ents"));
    }
}
