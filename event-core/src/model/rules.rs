//! The constraints CloudEvents 1.0.2 puts on context attribute values, shared
//! by the decoder and the builders so that whatever is built can be read.

/// Why a value is not acceptable for its attribute; a fixed text, so that no
/// input is ever quoted.
pub(crate) type Reason = &'static str;

/// A value of the String type: no control characters (U+0000-U+001F,
/// U+007F-U+009F) and no noncharacters. Surrogates cannot occur in a Rust
/// string, and the JSON parser refuses unpaired ones.
pub(crate) fn string(value: &str) -> Result<(), Reason> {
    // The common case, printable ASCII, in one pass over the bytes without
    // an early exit, which the compiler vectorises.
    if value
        .bytes()
        .fold(true, |ok, b| ok & (b.wrapping_sub(0x20) < 0x5f))
    {
        return Ok(());
    }
    for c in value.chars() {
        let code = u32::from(c);
        if code < 0x20 || (0x7f..=0x9f).contains(&code) {
            return Err("it holds a control character");
        }
        if (0xfdd0..=0xfdef).contains(&code) || code & 0xfffe == 0xfffe {
            return Err("it holds a Unicode noncharacter");
        }
    }
    Ok(())
}

/// A String that must not be empty (`id`, `type`, `subject`).
pub(crate) fn non_empty_string(value: &str) -> Result<(), Reason> {
    if value.is_empty() {
        return Err("it is empty");
    }
    string(value)
}

/// A non-empty URI-reference (RFC 3986, section 4.1): `source`.
pub(crate) fn uri_reference(value: &str) -> Result<(), Reason> {
    if value.is_empty() {
        return Err("it is empty");
    }
    if !uri_ref(value, false) {
        return Err("it is not a URI-reference (RFC 3986)");
    }
    Ok(())
}

/// A non-empty absolute URI (RFC 3986, section 3): `dataschema`.
pub(crate) fn uri(value: &str) -> Result<(), Reason> {
    if value.is_empty() {
        return Err("it is empty");
    }
    if !uri_ref(value, true) {
        return Err("it is not an absolute URI (RFC 3986)");
    }
    Ok(())
}

/// Whether two strings are equal, in a const context.
#[must_use]
pub(crate) const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The name of an attribute: lowercase ASCII letters and digits.
pub(crate) fn attribute_name(name: &str) -> Result<(), Reason> {
    if name.is_empty() {
        return Err("an attribute name is not empty");
    }
    // One pass without an early exit, which the compiler vectorises.
    let ok = name.bytes().fold(true, |ok, b| {
        ok & (b.wrapping_sub(b'a') < 26 || b.wrapping_sub(b'0') < 10)
    });
    if !ok {
        return Err("an attribute name holds only lowercase letters `a`-`z` and digits `0`-`9`");
    }
    Ok(())
}

/// A media type (RFC 2046): `type/subtype` and optional `; name=value`
/// parameters. Empty and malformed values are refused.
pub(crate) fn content_type(value: &str) -> Result<(), Reason> {
    const WRONG: Reason = "it is not a media type like `application/json` (RFC 2046)";
    if value == "application/json" {
        return Ok(());
    }
    if plain_media_type(value).is_some() {
        return Ok(());
    }
    if value.is_empty() {
        return Err("it is empty");
    }
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return Err(WRONG);
    };
    if !is_token(kind) || !is_token(subtype) {
        return Err(WRONG);
    }
    for parameter in parts {
        let parameter = parameter.trim();
        // `text/plain;`: an empty parameter list.
        if parameter.is_empty() {
            continue;
        }
        let Some((name, value)) = parameter.split_once('=') else {
            return Err(WRONG);
        };
        let quoted = value.len() >= 2 && value.starts_with('"') && value.ends_with('"');
        let printable = value.bytes().all(|b| (0x20..0x7f).contains(&b));
        if !is_token(name.trim_end()) || !(is_token(value) || quoted && printable) {
            return Err(WRONG);
        }
    }
    Ok(())
}

/// Whether a media type declares JSON: its subtype, without parameters, is
/// `json` or ends in `+json` (`application/json`, `text/json`,
/// `application/cloudevents+json`). An absent content type counts as
/// `application/json`.
#[must_use]
pub fn is_json_content_type(content_type: Option<&str>) -> bool {
    let Some(content_type) = content_type else {
        return true;
    };
    if content_type == "application/json" {
        return true;
    }
    let subtype = match plain_media_type(content_type) {
        Some(slash) => &content_type[slash + 1..],
        None => {
            let essence = content_type.split(';').next().unwrap_or_default().trim();
            let Some((_, subtype)) = essence.split_once('/') else {
                return false;
            };
            subtype
        }
    };
    let subtype = subtype.as_bytes();
    let json = b"json";
    subtype.eq_ignore_ascii_case(json)
        || subtype.len() > 5
            && subtype[subtype.len() - 5] == b'+'
            && subtype[subtype.len() - 4..].eq_ignore_ascii_case(json)
}
/// The common form of a media type, `type/subtype` of token characters
/// with no parameters and no spaces, found in one pass over the bytes: the
/// position of its `/`. `None` for any other text, valid or not.
fn plain_media_type(value: &str) -> Option<usize> {
    let bytes = value.as_bytes();
    let slash = bytes.iter().position(|&b| b == b'/')?;
    let (kind, subtype) = (&bytes[..slash], &bytes[slash + 1..]);
    // `/` is not a token character: a second one fails the subtype.
    let tokens = |part: &[u8]| {
        !part.is_empty() && part.iter().fold(true, |ok, &b| ok & TOKEN[usize::from(b)])
    };
    (tokens(kind) && tokens(subtype)).then_some(slash)
}

/// A table of the bytes `set` holds, and of ASCII letters and digits, for
/// one lookup per byte.
const fn table(set: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < set.len() {
        table[set[i] as usize] = true;
        i += 1;
    }
    let mut b = 0u8;
    while b < 128 {
        if b.is_ascii_alphanumeric() {
            table[b as usize] = true;
        }
        b += 1;
    }
    table
}

// token = 1*<any CHAR except SPACE, CTLs, or tspecials> (RFC 2045)
const TOKEN: [bool; 256] = table(b"!#$%&'*+-.^_`{|}~");

// unreserved / sub-delims / ":" / "@"; "%" HEXDIG HEXDIG is checked apart
const PCHAR: [bool; 256] = table(b"-._~!$&'()*+,;=:@");

// ALPHA / DIGIT / "+" / "-" / ".": what a scheme holds
const SCHEME: [bool; 256] = table(b"+-.");

// unreserved / sub-delims: what a registered name holds besides "%" HEXDIG
// HEXDIG
const HOST: [bool; 256] = table(b"-._~!$&'()*+,;=");

// pchar / "/" / "?": what a path, a query and a fragment hold
const URIC: [bool; 256] = table(b"-._~!$&'()*+,;=:@/?");

fn is_token(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| TOKEN[usize::from(b)])
}

fn is_pchar(b: u8) -> bool {
    PCHAR[usize::from(b)]
}

/// Every `%` is followed by two hex digits, and every other byte passes
/// `allowed`.
fn chars_ok(part: &str, allowed: impl Fn(u8) -> bool) -> bool {
    let bytes = part.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_hexdigit);
            if !hex(i + 1) || !hex(i + 2) {
                return false;
            }
            i += 3;
        } else if allowed(bytes[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

// URI-reference = URI / relative-ref
// URI           = scheme ":" hier-part [ "?" query ] [ "#" fragment ]
// relative-ref  = relative-part [ "?" query ] [ "#" fragment ]
//
// One pass over the bytes: the scheme, the authority, then the path, query
// and fragment, each byte looked up in a table.
fn uri_ref(value: &str, absolute: bool) -> bool {
    let bytes = value.as_bytes();
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    let scheme_len = bytes
        .iter()
        .position(|&b| !SCHEME[usize::from(b)])
        .unwrap_or(bytes.len());
    let has_scheme =
        scheme_len > 0 && bytes[0].is_ascii_alphabetic() && bytes.get(scheme_len) == Some(&b':');
    if absolute && !has_scheme {
        return false;
    }
    let mut i = if has_scheme { scheme_len + 1 } else { 0 };
    if bytes[i..].starts_with(b"//") {
        let start = i + 2;
        let end = bytes[start..]
            .iter()
            .position(|&b| matches!(b, b'/' | b'?' | b'#'))
            .map_or(bytes.len(), |at| start + at);
        // Only ASCII bytes were passed over: `start..end` is on char bounds.
        if !authority_ok(&value[start..end]) {
            return false;
        }
        i = end;
    }
    // Without a scheme, a colon in the first segment would make one.
    if !has_scheme
        && bytes[i..]
            .iter()
            .take_while(|&&b| !matches!(b, b'/' | b'?' | b'#'))
            .any(|&b| b == b':')
    {
        return false;
    }
    // Path, query and fragment: `/` and `?` may appear in each, and one `#`
    // starts the fragment. Most hold neither `%` nor `#`: one pass without
    // an early exit tells.
    if bytes[i..]
        .iter()
        .fold(true, |ok, &b| ok & URIC[usize::from(b)])
    {
        return true;
    }
    let mut fragment = false;
    while i < bytes.len() {
        let b = bytes[i];
        if URIC[usize::from(b)] {
            i += 1;
        } else if b == b'%' {
            let hex = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_hexdigit);
            if !hex(i + 1) || !hex(i + 2) {
                return false;
            }
            i += 3;
        } else if b == b'#' && !fragment {
            fragment = true;
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// The text before and after the last `delimiter`, an ASCII byte: a plain
/// loop over the bytes, cheaper than a search built for long texts on an
/// authority of a few bytes.
fn rsplit_at(text: &str, delimiter: u8) -> Option<(&str, &str)> {
    let at = text.bytes().rposition(|b| b == delimiter)?;
    // An ASCII byte is at `at`: both sides are on char bounds.
    Some((&text[..at], &text[at + 1..]))
}

// authority = [ userinfo "@" ] host [ ":" port ]
fn authority_ok(authority: &str) -> bool {
    // The common case, a registered name alone (no userinfo, no port, no
    // IP literal, no percent-encoding), in one pass over the bytes.
    if authority
        .bytes()
        .fold(true, |ok, b| ok & HOST[usize::from(b)])
    {
        return true;
    }
    let host_port = match rsplit_at(authority, b'@') {
        Some((userinfo, host_port)) => {
            if !chars_ok(userinfo, |b| is_pchar(b) && b != b'@') {
                return false;
            }
            host_port
        }
        None => authority,
    };
    let (host, port) = if let Some(literal) = host_port.strip_prefix('[') {
        // IP-literal = "[" ( IPv6address / IPvFuture ) "]"
        let Some((inside, after)) = literal.split_once(']') else {
            return false;
        };
        let inside_ok = !inside.is_empty()
            && inside
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:".contains(&b));
        if !inside_ok {
            return false;
        }
        match after.strip_prefix(':') {
            Some(port) => ("", port),
            None if after.is_empty() => ("", ""),
            None => return false,
        }
    } else {
        match rsplit_at(host_port, b':') {
            Some((host, port)) => (host, port),
            None => (host_port, ""),
        }
    };
    port.bytes().all(|b| b.is_ascii_digit())
        && chars_ok(host, |b| is_pchar(b) && b != b':' && b != b'@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_references() {
        for good in [
            "https://github.com/cloudevents",
            "mailto:cncf-wg-serverless@lists.cncf.io",
            "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
            "cloudevents/spec/pull/123",
            "/sensors/tn-1234567/alerts",
            "1-555-123-4567",
            "//host:8080/path?q=1#frag",
            "http://[::1]:80/x",
            "//user:pw@host:1/",
            "//host/",
            "//a.b-c_d~e!f$g&h'i(j)k*l+m,n;o=p/",
            "//",
            "/a%20b",
            "#only-fragment",
            "?q",
        ] {
            assert_eq!(uri_reference(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "a b",
            "/a%2",
            "/a%zz",
            "x:y:z/../a b",
            "1a:b",
            "/päth",
            "/a#b#c",
            "//host:port/",
            "//us er@host/",
            "//user@ho:st:1/",
            "//a@b@host/",
            "http://[::1/x",
            "/a\\b",
            "/a<b>",
            "a\"b",
        ] {
            assert!(uri_reference(bad).is_err(), "{bad}");
        }
        assert_eq!(uri("https://example.com/schema.json"), Ok(()));
        assert!(uri("/relative/schema").is_err());
    }

    #[test]
    fn strings() {
        assert_eq!(string("plain ascii"), Ok(()));
        assert_eq!(string("ünïcödé ✓"), Ok(()));
        assert_eq!(string(""), Ok(()));
        assert!(non_empty_string("").is_err());
        for bad in [
            "a\nb",
            "\u{0}",
            "\u{7f}",
            "\u{85}",
            "\u{fdd0}",
            "\u{fffe}",
            "\u{1ffff}",
        ] {
            assert!(string(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn content_types() {
        for good in [
            "application/json",
            "text/json",
            "application/vnd.acme+json",
            "text/plain; charset=utf-8",
            "multipart/form-data; boundary=\"a b\"",
            "image/png",
        ] {
            assert_eq!(content_type(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "json",
            "application/",
            "/json",
            "a b/c",
            "text/plain; charset",
        ] {
            assert!(content_type(bad).is_err(), "{bad}");
        }
        for json in [
            "application/json",
            "TEXT/JSON",
            "application/vnd.acme+json; v=1",
        ] {
            assert!(is_json_content_type(Some(json)), "{json}");
        }
        assert!(is_json_content_type(None));
        for other in [
            "application/xml",
            "application/jsonx",
            "application/+json2",
            "json",
        ] {
            assert!(!is_json_content_type(Some(other)), "{other}");
        }
    }

    #[test]
    fn plain_media_types() {
        assert_eq!(plain_media_type("application/xml"), Some(11));
        assert_eq!(plain_media_type("a/b"), Some(1));
        for other in [
            "",
            "/",
            "a/",
            "/b",
            "a/b/c",
            "ab",
            " a/b",
            "a/b;",
            "a/b; c=d",
            "a b/c",
            "\u{a0}a/b",
        ] {
            assert_eq!(plain_media_type(other), None, "{other:?}");
        }
        // What the general reading accepts, with and without parameters.
        for text in [
            "text/plain",
            "application/octet-stream",
            "A/B",
            "x-y/z.w+json",
        ] {
            assert_eq!(content_type(text), Ok(()), "{text}");
        }
        assert_eq!(content_type("\u{a0}text/plain\u{a0}"), Ok(()));
        assert!(content_type("a/b/c").is_err());
        assert!(is_json_content_type(Some(" text/json ")));
        assert!(is_json_content_type(Some("A/JSON")));
        assert!(!is_json_content_type(Some("a/json/x")));
    }

    #[test]
    fn attribute_names() {
        assert_eq!(attribute_name("comexampleextension1"), Ok(()));
        for bad in ["", "Upper", "with_underscore", "with-dash", "ümlaut"] {
            assert!(attribute_name(bad).is_err(), "{bad}");
        }
    }
}
