//! The HTTP binding on the `http` crate's types (feature `http`).
//!
//! ```
//! use event_core::binding::http::{Mode, from_request, into_request};
//! use event_core::cloudevent::{CloudEvent, Data};
//!
//! let event = CloudEvent::new("A-1", "/orders", "com.acme.order.placed")
//!     .unwrap()
//!     .with_data(None, Data::json(&serde_json::json!({"order": 1})).unwrap())
//!     .unwrap();
//! let request = into_request(http::Request::post("/events"), &event, Mode::Binary).unwrap();
//! assert_eq!(request.headers()["ce-id"], "A-1");
//! assert_eq!(from_request(&request).unwrap().id(), "A-1");
//! ```

use http::header::{HeaderName, HeaderValue};

use super::HTTP;
use crate::encoding::cloudevent::CloudEvent;
use crate::model::error::{DecodeError, echo};

/// Which content mode to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Attributes in `ce-` headers, the data as the body.
    Binary,
    /// The event's CloudEvents JSON as the body.
    Structured,
}

fn parts(event: &CloudEvent, mode: Mode) -> (Vec<(String, String)>, Vec<u8>) {
    match mode {
        Mode::Binary => super::to_binary(event, &HTTP),
        Mode::Structured => super::to_structured(event),
    }
}

/// Adds the event's headers and body to a request being built.
///
/// # Errors
///
/// What the builder already held, or a header it refused (none of the
/// headers written here is refused: names are lowercase tokens, values
/// percent-encoded).
pub fn into_request(
    mut builder: http::request::Builder,
    event: &CloudEvent,
    mode: Mode,
) -> Result<http::Request<Vec<u8>>, http::Error> {
    let (headers, body) = parts(event, mode);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(body)
}

/// Adds the event's headers and body to a response being built.
///
/// # Errors
///
/// As [`into_request`].
pub fn into_response(
    mut builder: http::response::Builder,
    event: &CloudEvent,
    mode: Mode,
) -> Result<http::Response<Vec<u8>>, http::Error> {
    let (headers, body) = parts(event, mode);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(body)
}

/// Reads the event of a request, in either mode.
///
/// # Errors
///
/// As [`super::from_headers`]; a header value that is not text is
/// [`DecodeError::InvalidExtension`].
pub fn from_request<B: AsRef<[u8]>>(request: &http::Request<B>) -> Result<CloudEvent, DecodeError> {
    from_header_map(request.headers(), request.body().as_ref())
}

/// Reads the event of a response, in either mode.
///
/// # Errors
///
/// As [`from_request`].
pub fn from_response<B: AsRef<[u8]>>(
    response: &http::Response<B>,
) -> Result<CloudEvent, DecodeError> {
    from_header_map(response.headers(), response.body().as_ref())
}

/// Reads an event from a header map and a body, in either mode.
///
/// # Errors
///
/// As [`from_request`].
pub fn from_header_map(headers: &http::HeaderMap, body: &[u8]) -> Result<CloudEvent, DecodeError> {
    let mut pairs = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        // Header names are lowercase in the `http` crate; only the event's
        // own are read.
        if name.as_str().starts_with(HTTP.prefix) || name == http::header::CONTENT_TYPE {
            pairs.push((name.as_str(), text(name, value)?));
        }
    }
    super::from_headers(pairs, body, &HTTP)
}

fn text<'a>(name: &HeaderName, value: &'a HeaderValue) -> Result<&'a str, DecodeError> {
    value.to_str().map_err(|_| DecodeError::InvalidExtension {
        name: echo(name.as_str()),
        reason: "its value is not visible ASCII".into(),
    })
}
