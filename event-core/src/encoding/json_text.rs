//! CloudEvents JSON written straight into a byte buffer: the attributes are
//! strings, numbers and booleans of known keys, which need none of serde's
//! machinery. The text is byte for byte what serde_json writes for the same
//! values (the tests of the callers compare the two).

/// The start of a member whose key JSON writes as it is (no `"`, `\\` or
/// control character), `"key":`, quoted when compiled: see [`key!`].
#[derive(Clone, Copy)]
pub(crate) struct Key(&'static str);

impl Key {
    /// `quoted` must be `"key":` for a key without a byte to escape; use
    /// [`key!`].
    pub(crate) const fn quoted(quoted: &'static str) -> Self {
        Key(quoted)
    }
}

/// The [`Key`] of a member, from the key's literal text.
macro_rules! key {
    ($name:literal) => {
        $crate::encoding::json_text::Key::quoted(concat!("\"", $name, "\":"))
    };
}
pub(crate) use key;

/// Appends JSON text to a buffer.
pub(crate) struct JsonText<'a> {
    out: &'a mut Vec<u8>,
    /// Whether a member was written: the next one starts with a comma.
    members: bool,
}

impl<'a> JsonText<'a> {
    /// Opens an object in `out`.
    pub(crate) fn object(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        JsonText {
            out,
            members: false,
        }
    }

    /// Writes the start of a member: `"key":`, after a comma if needed.
    pub(crate) fn key(&mut self, key: &str) {
        if self.members {
            self.out.push(b',');
        }
        self.members = true;
        string(self.out, key);
        self.out.push(b':');
    }

    /// Writes the start of a member of a known key, after a comma if
    /// needed.
    pub(crate) fn known(&mut self, key: Key) {
        if self.members {
            self.out.push(b',');
        }
        self.members = true;
        self.out.extend_from_slice(key.0.as_bytes());
    }

    /// A member of a known key whose value is a string.
    pub(crate) fn known_string(&mut self, key: Key, value: &str) {
        self.out.reserve(key.0.len() + value.len() + 3);
        self.known(key);
        string(self.out, value);
    }

    /// A member of a known key whose value is JSON text already.
    pub(crate) fn known_raw(&mut self, key: Key, json: &str) {
        self.out.reserve(key.0.len() + json.len() + 1);
        self.known(key);
        self.out.extend_from_slice(json.as_bytes());
    }

    /// A member whose value is a string.
    pub(crate) fn string(&mut self, key: &str, value: &str) {
        self.key(key);
        string(self.out, value);
    }

    /// A member whose value is JSON text already (written by serde_json or
    /// read and checked as JSON).
    pub(crate) fn raw(&mut self, key: &str, json: &str) {
        self.key(key);
        self.out.extend_from_slice(json.as_bytes());
    }

    /// The buffer, for a value written by someone else after [`Self::key`].
    pub(crate) fn out(&mut self) -> &mut Vec<u8> {
        self.out
    }

    /// Closes the object.
    pub(crate) fn end(self) {
        self.out.push(b'}');
    }
}

/// What a byte of a string is written as: itself (0), a two-character
/// escape (its letter), or `\u00XX` (`u`).
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Whether any of the eight bytes of `word` needs an escape: below 0x20,
/// `"` or `\`.
#[inline(always)]
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte below n (n <= 128) leaves its high bit set in x - n*ONES & !x.
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero_quote = quote.wrapping_sub(ONES) & !quote;
    let zero_backslash = backslash.wrapping_sub(ONES) & !backslash;
    (below_space | zero_quote | zero_backslash) & HIGH != 0
}

/// Appends `value` as a JSON string, escaped as serde_json escapes it.
pub(crate) fn string(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if any_needs_escape(bytes) {
        escaped(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
    out.push(b'"');
}

/// Whether any byte of `bytes` needs an escape: eight bytes at a time, the
/// last eight (overlapping the others) for a length not a multiple of
/// eight, and a table lookup per byte for a text shorter than eight.
#[inline(always)]
fn any_needs_escape(bytes: &[u8]) -> bool {
    let (words, rest) = bytes.as_chunks::<8>();
    if words.is_empty() {
        return rest.iter().any(|&b| ESCAPE[usize::from(b)] != 0);
    }
    let mut found = false;
    for word in words {
        found |= needs_escape(u64::from_le_bytes(*word));
    }
    if let Some(last) = bytes.last_chunk::<8>()
        && !rest.is_empty()
    {
        found |= needs_escape(u64::from_le_bytes(*last));
    }
    found
}

/// Appends the escaped text of `bytes`: the words without a byte to escape
/// at once, the others byte by byte.
fn escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if needs_escape(u64::from_le_bytes(word)) {
            for at in i..i + 8 {
                start = escape_at(out, bytes, start, at);
            }
        }
        i += 8;
    }
    for at in i..bytes.len() {
        start = escape_at(out, bytes, start, at);
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Writes the escape of the byte at `at`, if it needs one, after the
/// unwritten text from `start`; the new start of the unwritten text.
#[inline(always)]
fn escape_at(out: &mut Vec<u8>, bytes: &[u8], start: usize, at: usize) -> usize {
    let byte = bytes[at];
    let escape = ESCAPE[usize::from(byte)];
    if escape == 0 {
        return start;
    }
    out.extend_from_slice(&bytes[start..at]);
    if escape == b'u' {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(byte >> 4)],
            HEX[usize::from(byte & 0xf)],
        ]);
    } else {
        out.extend_from_slice(&[b'\\', escape]);
    }
    at + 1
}

/// Appends an integer.
pub(crate) fn integer(out: &mut Vec<u8>, value: i32) {
    let mut digits = [0u8; 11];
    let mut at = digits.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        // A digit: the remainder of a division by ten.
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        at -= 1;
        digits[at] = b'-';
    }
    out.extend_from_slice(&digits[at..]);
}

#[cfg(test)]
mod tests {
    use super::{JsonText, integer, string};

    #[test]
    fn known_keys_are_written_as_other_keys() {
        let mut known = Vec::new();
        let mut json = JsonText::object(&mut known);
        json.known_raw(key!("specversion"), "\"1.0\"");
        json.known_string(key!("data_base64"), "AA==");
        json.known(key!("n"));
        json.out().push(b'1');
        json.end();
        let mut other = Vec::new();
        let mut json = JsonText::object(&mut other);
        json.raw("specversion", "\"1.0\"");
        json.string("data_base64", "AA==");
        json.key("n");
        json.out().push(b'1');
        json.end();
        assert_eq!(known, other);
        assert_eq!(
            known,
            br#"{"specversion":"1.0","data_base64":"AA==","n":1}"#
        );
    }

    #[test]
    fn strings_and_integers_are_written_as_serde_json_writes_them() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("é€😀\u{2028}");
        let long = format!("{all}{}{all}", "x".repeat(37));
        for text in [
            "",
            "plain",
            "a\"b\\c",
            "\u{7f}\u{1f}\n",
            "sixteen bytes ok\"then\\more text past eight",
            all.as_str(),
            long.as_str(),
        ] {
            let mut out = Vec::new();
            string(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text:?}");
        }
        // A byte to escape at every position of every length around the
        // eight-byte words, and none at all.
        for len in 0..26 {
            for at in 0..=len {
                for special in ['"', '\\', '\n', '\u{1}'] {
                    let text: String = (0..len)
                        .map(|i| if i == at { special } else { 'a' })
                        .collect();
                    let mut out = Vec::new();
                    string(&mut out, &text);
                    assert_eq!(out, serde_json::to_vec(&text).unwrap(), "{text:?}");
                }
            }
        }
        for n in [0, 1, -1, 9, 10, 1_234_567, i32::MAX, i32::MIN] {
            let mut out = Vec::new();
            integer(&mut out, n);
            assert_eq!(out, serde_json::to_vec(&n).unwrap(), "{n}");
        }
    }
}
