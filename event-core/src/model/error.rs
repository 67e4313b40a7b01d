//! What is wrong with bytes that were to be an envelope: the error of
//! decoding, which the event model's own signatures name.

use core::fmt;

use crate::model::event::Event;

/// What is wrong with bytes that were to be an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes are not JSON.
    MalformedJson {
        /// The parser's message, with line and column.
        message: String,
    },
    /// The JSON is not an object.
    NotAnObject,
    /// A required CloudEvents attribute is absent.
    MissingAttribute {
        /// The attribute's name.
        name: &'static str,
    },
    /// An attribute is present but its value is not acceptable.
    InvalidAttribute {
        /// The attribute's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No event of this type name is registered, in any version.
    UnknownType {
        /// The full type as received.
        event_type: String,
    },
    /// The type name is registered, but not in this version.
    UnknownVersion {
        /// The type name.
        type_name: String,
        /// The version received.
        version: u32,
        /// The versions that are registered.
        known: Vec<u32>,
    },
    /// The envelope holds another event than the one asked for.
    UnexpectedType {
        /// The full type that was asked for.
        expected: &'static str,
        /// The full type received.
        found: String,
    },
    /// An older version of the type arrived, and no `upcast_from` chain
    /// leads from it to the version asked for (or a newer version arrived).
    NoUpcastPath {
        /// The full type received, which could not be upcast.
        found: String,
        /// The full type asked for, which no chain from `found` reaches.
        target: &'static str,
    },
    /// The `data` does not fit the event's type.
    PayloadMismatch {
        /// The full type.
        event_type: String,
        /// Where the data does not fit, as a JSON path (`data.items[0].sku`),
        /// and what was expected there; never the value found.
        message: String,
    },
    /// The document is larger than the decoder's
    /// [`DecodeLimits::max_size`](crate::decode::DecodeLimits::max_size); it was not parsed.
    TooLarge {
        /// Its size, in bytes.
        size: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The document nests objects and arrays deeper than the decoder's
    /// [`DecodeLimits::max_depth`](crate::decode::DecodeLimits::max_depth); it was not parsed.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// A member appears twice in the envelope's object.
    DuplicateAttribute {
        /// The attribute's name (escaped and bounded).
        name: String,
    },
    /// An extension attribute has a name or a value CloudEvents does not
    /// allow.
    InvalidExtension {
        /// The attribute's name (escaped and bounded).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::MalformedJson { message } => write!(f, "malformed JSON: {message}"),
            DecodeError::NotAnObject => f.write_str("a CloudEvents envelope is a JSON object"),
            DecodeError::MissingAttribute { name } => {
                write!(f, "the CloudEvents attribute `{name}` is missing")
            }
            DecodeError::InvalidAttribute { name, reason } => {
                write!(f, "the CloudEvents attribute `{name}` is invalid: {reason}")
            }
            DecodeError::UnknownType { event_type } => {
                write!(f, "no event of type `{event_type}` is registered")
            }
            DecodeError::UnknownVersion {
                type_name,
                version,
                known,
            } => write!(
                f,
                "`{type_name}` has no version {version}; registered versions: {known:?}"
            ),
            DecodeError::UnexpectedType { expected, found } => {
                write!(f, "expected an event of type `{expected}`, found `{found}`")
            }
            DecodeError::NoUpcastPath { found, target } => {
                write!(f, "no upcast path from `{found}` to `{target}`")?;
                let older = split_full_type(found)
                    .zip(split_full_type(target))
                    .is_some_and(|((_, from), (_, to))| from < to);
                if older {
                    f.write_str("; declare `upcast_from` on each version after it")?;
                }
                Ok(())
            }
            DecodeError::PayloadMismatch {
                event_type,
                message,
            } => write!(f, "the data does not fit `{event_type}`: {message}"),
            DecodeError::TooLarge { size, limit } => write!(
                f,
                "the document is {size} bytes, more than the limit of {limit}"
            ),
            DecodeError::TooDeep { limit } => write!(
                f,
                "the document nests objects and arrays deeper than the limit of {limit}"
            ),
            DecodeError::DuplicateAttribute { name } => {
                write!(f, "the CloudEvents attribute `{name}` appears twice")
            }
            DecodeError::InvalidExtension { name, reason } => {
                write!(f, "the extension attribute `{name}` is invalid: {reason}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// The error of a version that no `upcast_from` chain of `E` covers.
    pub(crate) fn no_upcast_path<E: Event>(version: u32) -> Self {
        DecodeError::NoUpcastPath {
            found: format!("{}.v{version}", E::TYPE_NAME),
            target: E::FULL_TYPE,
        }
    }
}

/// The most of the input an error repeats, in bytes.
pub const ECHO_LIMIT: usize = 256;

/// Input repeated in an error: escaped (`\n`, `\u{1b}`, `\"`) and cut to
/// [`ECHO_LIMIT`] bytes, with `…` where it was cut.
#[must_use]
pub fn echo(input: &str) -> String {
    let mut out = String::new();
    for c in input.chars() {
        let before = out.len();
        out.extend(c.escape_debug());
        if out.len() > ECHO_LIMIT {
            out.truncate(before);
            out.push('…');
            break;
        }
    }
    out
}

/// `product.updated.v2` -> (`product.updated`, 2).
pub fn split_full_type(full_type: &str) -> Option<(&str, u32)> {
    let (name, version) = full_type.rsplit_once(".v")?;
    if name.is_empty() || version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name, version.parse().ok()?))
}
