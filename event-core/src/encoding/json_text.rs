//! CloudEvents JSON written straight into a byte buffer: the attributes are
//! strings, numbers and booleans of known keys, which need none of serde's
//! machinery. The text is byte for byte what serde_json writes for the same
//! values (the tests of the callers compare the two).

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
    let mut start = 0;
    let mut i = 0;
    // Eight bytes at a time; a word with a byte to escape byte by byte.
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
    out.push(b'"');
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
    use super::{integer, string};

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
        for n in [0, 1, -1, 9, 10, 1_234_567, i32::MAX, i32::MIN] {
            let mut out = Vec::new();
            integer(&mut out, n);
            assert_eq!(out, serde_json::to_vec(&n).unwrap(), "{n}");
        }
    }
}
