//! Base64 (RFC 4648, section 4: the standard alphabet, with padding) for
//! `data_base64`.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The Base64 text of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len().div_ceil(3) * 4);
    encode_into(bytes, &mut out);
    // Only bytes of the alphabet and `=` were written.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends the Base64 text of `bytes` to `out`: the buffer is grown once,
/// then each group of three bytes fills its four characters in place.
pub(crate) fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    let sextet = |n: u32, shift: u32| ALPHABET[(n >> shift & 63) as usize];
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let (whole, tail) = out[start..].split_at_mut(bytes.len() / 3 * 4);
    let mut chunks = bytes.chunks_exact(3);
    for (chunk, text) in (&mut chunks).zip(whole.chunks_exact_mut(4)) {
        let n = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
        text.copy_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6), sextet(n, 0)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            tail.copy_from_slice(&[sextet(n, 18), sextet(n, 12), b'=', b'=']);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            tail.copy_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6), b'=']);
        }
        _ => {}
    }
}

/// The value of each byte as the character at `position` (0 to 3) of a
/// group: its sextet shifted into place among the group's 24 bits, or, for
/// a byte outside the alphabet, bits above those 24 (which no sextet sets).
const fn sextets(position: u32) -> [u32; 256] {
    let mut table = [0xff00_0000; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = (i as u32) << (18 - 6 * position);
        i += 1;
    }
    table
}

static SEXTETS: [[u32; 256]; 4] = [sextets(0), sextets(1), sextets(2), sextets(3)];

/// The 24 bits of four characters; a bit above them where any of them is
/// outside the alphabet.
#[inline(always)]
fn quad(text: &[u8; 4]) -> u32 {
    SEXTETS[0][usize::from(text[0])]
        | SEXTETS[1][usize::from(text[1])]
        | SEXTETS[2][usize::from(text[2])]
        | SEXTETS[3][usize::from(text[3])]
}

/// The bytes of Base64 text; `None` for anything but canonical padded
/// Base64 of the standard alphabet.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let Some((body, last)) = bytes.split_last_chunk::<4>() else {
        return Some(Vec::new());
    };
    // Only the last group may be padded, with one or two `=`.
    let padding = match last {
        [_, _, b'=', b'='] => 2,
        [_, _, _, b'='] => 1,
        _ => 0,
    };
    if last[..4 - padding].contains(&b'=') {
        return None;
    }
    let mut last_text = *last;
    // `A` stands for each `=`: zero bits, within the alphabet.
    for c in &mut last_text[4 - padding..] {
        *c = b'A';
    }
    let n = quad(&last_text);
    let mut refused = n;
    let [_, tail @ ..] = n.to_be_bytes();
    // Bits that padding leaves unused are zero in canonical text.
    if tail[3 - padding..].iter().any(|&b| b != 0) {
        return None;
    }
    let whole = body.len() / 4 * 3;
    let mut out = Vec::with_capacity(whole + 3 - padding);
    out.resize(whole, 0);
    for (text, decoded) in body.as_chunks::<4>().0.iter().zip(out.chunks_exact_mut(3)) {
        let n = quad(text);
        refused |= n;
        let [_, bytes @ ..] = n.to_be_bytes();
        decoded.copy_from_slice(&bytes);
    }
    if refused >> 24 != 0 {
        return None;
    }
    out.extend_from_slice(&tail[..3 - padding]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"\xff\xfe\x00", "//4A"),
        ] {
            assert_eq!(encode(bytes), text);
            assert_eq!(decode(text).as_deref(), Some(bytes));
        }
    }

    /// The reading of Base64 that [`decode`] must agree with: one group at
    /// a time, each character looked up on its own.
    fn decode_by_group(text: &str) -> Option<Vec<u8>> {
        let bytes = text.as_bytes();
        if !bytes.len().is_multiple_of(4) {
            return None;
        }
        let value = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|v| v as u32);
        let mut out = Vec::new();
        let groups = bytes.len() / 4;
        for (index, group) in bytes.chunks_exact(4).enumerate() {
            let padding = if index + 1 == groups {
                group.iter().rev().take_while(|&&c| c == b'=').count()
            } else {
                0
            };
            if padding > 2 {
                return None;
            }
            let mut n = 0u32;
            for &c in &group[..4 - padding] {
                n = n << 6 | value(c)?;
            }
            n <<= 6 * padding as u32;
            let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            if decoded[3 - padding..].iter().any(|&b| b != 0) {
                return None;
            }
            out.extend_from_slice(&decoded[..3 - padding]);
        }
        Some(out)
    }

    #[test]
    fn agrees_with_a_reading_by_group_on_every_short_text() {
        // Characters of zero bits and of a low bit, padding, and bytes
        // outside the alphabet (one of them above ASCII); two groups.
        let chars = ["A", "B", "/", "=", "-", "\u{e9}"];
        let mut texts = vec![String::new()];
        let mut level = texts.clone();
        for _ in 0..8 {
            level = level
                .iter()
                .flat_map(|text| chars.iter().map(move |c| format!("{text}{c}")))
                .collect();
            texts.extend(level.iter().cloned());
        }
        for text in &texts {
            assert_eq!(decode(text), decode_by_group(text), "{text:?}");
        }
    }

    #[test]
    fn round_trips_every_length() {
        let bytes: Vec<u8> = (0..=255).collect();
        for len in 0..bytes.len() {
            let text = encode(&bytes[..len]);
            assert_eq!(text.len(), len.div_ceil(3) * 4);
            assert_eq!(decode(&text).as_deref(), Some(&bytes[..len]));
            let mut out = b"prefix".to_vec();
            encode_into(&bytes[..len], &mut out);
            assert_eq!(&out[..6], b"prefix");
            assert_eq!(&out[6..], text.as_bytes());
        }
    }

    #[test]
    fn refuses_what_is_not_canonical() {
        for bad in [
            "Zg",
            "Zg=",
            "Zh==",
            "Z===",
            "Zg==Zg==",
            "Zm9v\n",
            "Zm-v",
            "====",
            "=Zg=",
            "Zg=A",
            "Zm8",
            "Zm9=",
            "Zm9vZm=v",
            "Zm\u{e9}v",
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
