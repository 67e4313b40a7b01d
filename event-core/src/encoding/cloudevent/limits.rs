//! The bounds a document must fit before it is parsed at all.

use core::sync::atomic::{AtomicUsize, Ordering};

use crate::model::error::DecodeError;

/// How large and how deeply nested a document the decoders read. Both are
/// checked before parsing, in one pass over the bytes that allocates
/// nothing.
///
/// ```
/// use event_core::decode::{DecodeLimits, set_default_limits};
///
/// // Every decoder of the process, including the integration consumers.
/// set_default_limits(DecodeLimits { max_size: 256 * 1024, max_depth: 16 });
/// # set_default_limits(DecodeLimits::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// The largest document, in bytes. Default: 4 MiB.
    pub max_size: usize,
    /// The deepest nesting of objects and arrays, the envelope's own object
    /// counting as 1. Default: 64; at most 127, the JSON parser's own bound.
    pub max_depth: usize,
}

/// The JSON parser refuses nesting deeper than this on its own.
pub(crate) const PARSER_DEPTH: usize = 127;

const DEFAULT: DecodeLimits = DecodeLimits {
    max_size: 4 * 1024 * 1024,
    max_depth: 64,
};

impl Default for DecodeLimits {
    fn default() -> Self {
        DEFAULT
    }
}

static MAX_SIZE: AtomicUsize = AtomicUsize::new(DEFAULT.max_size);
static MAX_DEPTH: AtomicUsize = AtomicUsize::new(DEFAULT.max_depth);

/// Sets the limits of every decoder that is not given its own: `decode`,
/// `identify`, `CloudEvent::from_json`, the integration consumers.
pub fn set_default_limits(limits: DecodeLimits) {
    MAX_SIZE.store(limits.max_size, Ordering::Relaxed);
    MAX_DEPTH.store(limits.max_depth, Ordering::Relaxed);
}

/// The limits set by [`set_default_limits`], or the defaults.
#[must_use]
pub fn default_limits() -> DecodeLimits {
    DecodeLimits {
        max_size: MAX_SIZE.load(Ordering::Relaxed),
        max_depth: MAX_DEPTH.load(Ordering::Relaxed),
    }
}

impl DecodeLimits {
    /// Checks `bytes` against both limits.
    ///
    /// # Errors
    ///
    /// [`DecodeError::TooLarge`] or [`DecodeError::TooDeep`].
    pub fn check(&self, bytes: &[u8]) -> Result<(), DecodeError> {
        self.check_at(bytes, 0)
    }

    /// Checks the data of an event given alone (a binary-mode body) as it
    /// would be checked inside the envelope's object, in structured mode:
    /// one level deeper.
    #[cfg(feature = "tokio")]
    pub(crate) fn check_data(&self, bytes: &[u8]) -> Result<(), DecodeError> {
        self.check_at(bytes, 1)
    }

    /// Checks `bytes` nested `outer` levels deep.
    fn check_at(&self, bytes: &[u8], outer: usize) -> Result<(), DecodeError> {
        if bytes.len() > self.max_size {
            return Err(DecodeError::TooLarge {
                size: bytes.len(),
                limit: self.max_size,
            });
        }
        let limit = self.max_depth.min(PARSER_DEPTH);
        // The levels around the bytes alone are too deep already.
        let Some(left) = limit.checked_sub(outer) else {
            return Err(DecodeError::TooDeep { limit });
        };
        // Nesting deeper than the limit needs more opening brackets than
        // the limit: counting them all (a loop the compiler vectorises)
        // settles most documents without following strings.
        if opening_brackets(bytes) > left && exceeds_depth(bytes, left) {
            return Err(DecodeError::TooDeep { limit });
        }
        Ok(())
    }
}

/// How many `{` and `[` the bytes hold, strings included. `[` and `{` differ
/// only in the bit 0x20, and a count in bytes per chunk of 255 lets the
/// compiler compare and add 16 or 32 bytes at a time.
fn opening_brackets(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|chunk| {
            let count = chunk
                .iter()
                .fold(0u8, |count, &b| count + u8::from(b | 0x20 == b'{'));
            usize::from(count)
        })
        .sum()
}

/// Eight bytes at once: a high bit in each byte of the result where `word`
/// holds a `"` or a `\`.
fn quote_or_backslash(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    zero_byte(word ^ (ONES * u64::from(b'"'))) | zero_byte(word ^ (ONES * u64::from(b'\\')))
}

/// Whether the brackets outside strings nest deeper than `limit`. Malformed
/// input is left to the parser: this only counts.
fn exceeds_depth(bytes: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'"' => i = string_end(bytes, i + 1),
            _ => i += 1,
        }
    }
    false
}

/// The index after the `"` that closes the string starting at `i`.
fn string_end(bytes: &[u8], mut i: usize) -> usize {
    loop {
        // Most of a document is inside strings: skip eight bytes at a time
        // while none of them is a quote or a backslash.
        while let Some(chunk) = bytes.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let found = quote_or_backslash(u64::from_le_bytes(word));
            if found != 0 {
                i += (found.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match bytes.get(i) {
            None => return i,
            Some(b'"') => return i + 1,
            Some(b'\\') => i += 2,
            Some(_) => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_outside_strings() {
        assert!(!exceeds_depth(br#"{"a":[1,{"b":2}]}"#, 3));
        assert!(exceeds_depth(br#"{"a":[1,{"b":2}]}"#, 2));
        assert!(!exceeds_depth(br#"{"a":"[[[[{{{{\"[[[[","b":1}"#, 1));
        assert!(!exceeds_depth(
            br#"{"long string without brackets \\":"x"}"#,
            1
        ));
        assert!(exceeds_depth(&[b'['; 200], 127));
        assert!(!exceeds_depth(b"\"unterminated [[[[", 0));
    }

    #[test]
    fn counts_opening_brackets() {
        assert_eq!(opening_brackets(b"{[}]{ \"[\" ;"), 4);
        assert_eq!(opening_brackets(&[b'['; 1000]), 1000);
    }

    #[test]
    fn finds_the_first_quote_or_backslash() {
        let text = br#"abcdefghij\"klmnop" tail"#;
        assert_eq!(string_end(text, 0), 19);
        assert_eq!(string_end(b"ab\"", 0), 3);
    }
}
