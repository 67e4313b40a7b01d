//! The CloudEvents attributes of an envelope: extension values, the rules
//! every attribute keeps to, and the error of a value that breaks one.

use core::fmt;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::error::echo;
use crate::model::rules;
use crate::model::time::Timestamp;

/// The extension attributes of an event, by name.
pub type Extensions = BTreeMap<String, ExtensionValue>;

/// The value of an extension attribute, with the CloudEvents type it has in
/// JSON. Binary, URI, URI-reference and Timestamp values are strings in JSON,
/// and stay [`ExtensionValue::String`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExtensionValue {
    /// A String (a JSON string).
    String(String),
    /// An Integer (a JSON number without fraction or exponent).
    Integer(i32),
    /// A Boolean (a JSON `true` or `false`).
    Boolean(bool),
}

impl ExtensionValue {
    /// The value as text, as protocol bindings carry it: `5`, `true`.
    #[must_use]
    pub fn to_text(&self) -> String {
        match self {
            ExtensionValue::String(text) => text.clone(),
            ExtensionValue::Integer(n) => n.to_string(),
            ExtensionValue::Boolean(b) => b.to_string(),
        }
    }
}

impl From<String> for ExtensionValue {
    fn from(value: String) -> Self {
        ExtensionValue::String(value)
    }
}

impl From<&str> for ExtensionValue {
    fn from(value: &str) -> Self {
        ExtensionValue::String(value.to_owned())
    }
}

impl From<&String> for ExtensionValue {
    fn from(value: &String) -> Self {
        ExtensionValue::String(value.clone())
    }
}

impl From<i32> for ExtensionValue {
    fn from(value: i32) -> Self {
        ExtensionValue::Integer(value)
    }
}

impl From<bool> for ExtensionValue {
    fn from(value: bool) -> Self {
        ExtensionValue::Boolean(value)
    }
}

impl Serialize for ExtensionValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ExtensionValue::String(text) => serializer.serialize_str(text),
            ExtensionValue::Integer(n) => serializer.serialize_i32(*n),
            ExtensionValue::Boolean(b) => serializer.serialize_bool(*b),
        }
    }
}

/// A value the builder refused: which attribute, and why. Whatever a builder
/// accepts, the decoder reads back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeError {
    name: String,
    reason: &'static str,
}

impl AttributeError {
    pub(crate) fn new(name: &str, reason: &'static str) -> Self {
        AttributeError {
            name: echo(name),
            reason,
        }
    }

    /// The attribute's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What is wrong with its value.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for AttributeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the CloudEvents attribute `{}` is invalid: {}",
            self.name, self.reason
        )
    }
}

impl std::error::Error for AttributeError {}

pub(crate) fn check(
    name: &str,
    rule: fn(&str) -> Result<(), rules::Reason>,
    value: &str,
) -> Result<(), AttributeError> {
    rule(value).map_err(|reason| AttributeError::new(name, reason))
}

/// The names an extension may not take: the specification's own
/// attributes, and the members of the JSON format.
pub(crate) const RESERVED: [&str; 10] = [
    "specversion",
    "id",
    "source",
    "type",
    "datacontenttype",
    "dataschema",
    "subject",
    "time",
    "data",
    "data_base64",
];

/// Checks an extension attribute's name and value, for a builder.
pub(crate) fn check_extension(
    name: &str,
    value: &ExtensionValue,
    reserved: &[&str],
) -> Result<(), AttributeError> {
    check(name, rules::attribute_name, name)?;
    if RESERVED.contains(&name) || reserved.contains(&name) {
        return Err(AttributeError::new(
            name,
            "it is not an extension: set it with its own method",
        ));
    }
    if let ExtensionValue::String(text) = value {
        check(name, rules::string, text)?;
    }
    Ok(())
}

/// Checks a timestamp, for a builder: RFC 3339 writes years 0000 to 9999.
pub(crate) fn check_time(time: Timestamp) -> Result<(), AttributeError> {
    if time.is_rfc3339() {
        Ok(())
    } else {
        Err(AttributeError::new(
            "time",
            "RFC 3339 writes only the years 0000 to 9999",
        ))
    }
}
