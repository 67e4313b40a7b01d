//! RFC 3339 timestamps in UTC, without a date-time dependency.

use core::fmt;
use core::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An instant, written and read as an RFC 3339 timestamp.
///
/// A timestamp read with an offset (`2026-11-22T12:15:30+02:00`) keeps it and
/// is written back with it, so that every RFC 3339 time, including those of
/// years 0000 and 9999 whose UTC instant falls outside four-digit years,
/// reads and writes back to the same instant. New timestamps are in UTC
/// (`2026-11-22T10:15:30.25Z`). Two timestamps are equal, and ordered, by the
/// instant alone.
#[derive(Debug, Clone, Copy)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    secs: i64,
    /// Nanoseconds within the second.
    nanos: u32,
    /// The offset from UTC it is written with, in minutes.
    offset: i16,
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        (self.secs, self.nanos) == (other.secs, other.nanos)
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        (self.secs, self.nanos).cmp(&(other.secs, other.nanos))
    }
}

impl core::hash::Hash for Timestamp {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (self.secs, self.nanos).hash(state);
    }
}

/// The largest offset RFC 3339 can write: 23:59.
const MAX_OFFSET_MINUTES: i16 = 23 * 60 + 59;

impl Timestamp {
    /// The current time of the system clock (with the `testing` feature,
    /// the deterministic clock of `event_core::testing::deterministic` while
    /// one of its guards lives on this thread).
    #[must_use]
    pub fn now() -> Self {
        #[cfg(feature = "testing")]
        if let Some(time) = crate::model::testing::next_time() {
            return time;
        }
        Self::from(SystemTime::now())
    }

    /// The instant `secs` seconds and `nanos` nanoseconds after the Unix
    /// epoch; `None` when `nanos` is a second or more.
    #[must_use]
    pub const fn from_unix(secs: i64, nanos: u32) -> Option<Self> {
        if nanos >= 1_000_000_000 {
            return None;
        }
        Some(Timestamp {
            secs,
            nanos,
            offset: 0,
        })
    }

    /// The same instant, written with an offset from UTC of `minutes`
    /// (`+02:00` is 120); `None` beyond the ±23:59 RFC 3339 can write.
    #[must_use]
    pub const fn with_offset(self, minutes: i16) -> Option<Self> {
        if minutes < -MAX_OFFSET_MINUTES || minutes > MAX_OFFSET_MINUTES {
            return None;
        }
        Some(Timestamp {
            offset: minutes,
            ..self
        })
    }

    /// The offset from UTC this timestamp is written with, in minutes.
    #[must_use]
    pub const fn offset_minutes(self) -> i16 {
        self.offset
    }

    /// Whether RFC 3339 can write this timestamp: its year, at its offset,
    /// is between 0000 and 9999.
    #[must_use]
    pub fn is_rfc3339(self) -> bool {
        let local = self.secs.checked_add(i64::from(self.offset) * 60);
        local.is_some_and(|local| (MIN_SECS..=MAX_SECS).contains(&local))
    }

    /// Seconds since the Unix epoch.
    #[must_use]
    pub const fn unix_seconds(self) -> i64 {
        self.secs
    }

    /// Nanoseconds within the second.
    #[must_use]
    pub const fn subsec_nanos(self) -> u32 {
        self.nanos
    }
}

/// 0000-01-01T00:00:00 and 9999-12-31T23:59:59, in seconds from the epoch.
const MIN_SECS: i64 = -62_167_219_200;
const MAX_SECS: i64 = 253_402_300_799;

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Self {
        let (secs, nanos) = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => (
                i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
                after.subsec_nanos(),
            ),
            Err(before) => {
                let before = before.duration();
                let secs = -i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                if before.subsec_nanos() == 0 {
                    (secs, 0)
                } else {
                    (secs - 1, 1_000_000_000 - before.subsec_nanos())
                }
            }
        };
        Timestamp {
            secs,
            nanos,
            offset: 0,
        }
    }
}

impl From<Timestamp> for SystemTime {
    fn from(t: Timestamp) -> Self {
        let nanos = Duration::from_nanos(u64::from(t.nanos));
        if t.secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(t.secs.unsigned_abs()) + nanos
        } else {
            UNIX_EPOCH - Duration::from_secs(t.secs.unsigned_abs()) + nanos
        }
    }
}

// Days from 1970-01-01 to a civil date, and back (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both are in range by construction: day 1..=31, month 1..=12.
    (year, day_or_month(month), day_or_month(day))
}

/// The year, month and day of a day counted from 0000-01-01 (day 0) up to
/// 9999-12-31: [`civil_from_days`] in unsigned arithmetic, its years counted
/// from March, one era (400 years) earlier so that none is negative.
fn civil_from_days_since_year_zero(days: u32) -> (u32, u32, u32) {
    // 0000-03-01 is day 60 (0000 is a leap year).
    let z = days + 146_097 - 60;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    // At least 400: the era added above is taken off again.
    let year = yoe + era * 400 + u32::from(month <= 2) - 400;
    (year, month, day)
}

fn day_or_month(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(1)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rfc3339() {
            Some(text) => f.write_str(text.as_str()),
            None => self.fmt_outside_rfc3339(f),
        }
    }
}

/// The longest RFC 3339 text [`Timestamp::rfc3339`] writes:
/// `9999-12-31T23:59:59.999999999+23:59`.
const RFC3339_MAX: usize = 35;

/// A timestamp's RFC 3339 text in a buffer of its own, written without the
/// `fmt` machinery: encoding an envelope writes one each time.
#[derive(Clone, Copy)]
pub(crate) struct Rfc3339 {
    bytes: [u8; RFC3339_MAX],
    len: u8,
}

impl Rfc3339 {
    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits and separators are written.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// The two-digit numbers 00 to 99, one after the other.
const PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut n = 0;
    while n < 100 {
        pairs[2 * n] = b'0' + (n / 10) as u8;
        pairs[2 * n + 1] = b'0' + (n % 10) as u8;
        n += 1;
    }
    pairs
};

/// The length of `YYYY-MM-DDTHH:MM`.
const MINUTE_LEN: usize = 16;

std::thread_local! {
    /// The minute (counted from 0000-01-01T00:00) of the last timestamp
    /// written on this thread, and its text up to the minute; no minute at
    /// first.
    static LAST_MINUTE: core::cell::Cell<(u64, [u8; MINUTE_LEN])> =
        const { core::cell::Cell::new((u64::MAX, [0; MINUTE_LEN])) };
}

/// `YYYY-MM-DDTHH:MM` of a minute counted from 0000-01-01T00:00, before
/// 10000-01-01.
fn minute_text(minute: u64) -> [u8; MINUTE_LEN] {
    // Below 2^22 days.
    let days = (minute / 1440) as u32;
    let in_day = (minute % 1440) as u32;
    let (year, month, day) = civil_from_days_since_year_zero(days);
    let mut bytes = *b"0000-00-00T00:00:00.000000000+00:00";
    put2(&mut bytes, 0, year / 100);
    put2(&mut bytes, 2, year % 100);
    put2(&mut bytes, 5, month);
    put2(&mut bytes, 8, day);
    put2(&mut bytes, 11, in_day / 60);
    put2(&mut bytes, 14, in_day % 60);
    let mut text = [0; MINUTE_LEN];
    text.copy_from_slice(&bytes[..MINUTE_LEN]);
    text
}

/// Writes `value`, below 100, as two digits at `at`.
#[inline(always)]
fn put2(bytes: &mut [u8; RFC3339_MAX], at: usize, value: u32) {
    let i = 2 * (value as usize % 100);
    bytes[at] = PAIRS[i];
    bytes[at + 1] = PAIRS[i + 1];
}

impl Timestamp {
    /// The RFC 3339 text, fixed-width fields written straight into a
    /// buffer; `None` when the year at the offset is outside 0000 to 9999
    /// (see [`Timestamp::is_rfc3339`]), which [`fmt::Display`] writes its
    /// own way.
    pub(crate) fn rfc3339(self) -> Option<Rfc3339> {
        let local = self.secs.checked_add(i64::from(self.offset) * 60)?;
        if !(MIN_SECS..=MAX_SECS).contains(&local) {
            return None;
        }
        // Seconds since 0000-01-01T00:00:00, below 2^39: unsigned arithmetic
        // from here, whose divisions by constants are cheaper.
        let since = u64::try_from(local - MIN_SECS).ok()?;
        let minute = since / 60;
        // The events of one minute share their text up to the minute: the
        // last one written on this thread is kept, as servers keep the text
        // of their `Date` header.
        let prefix = LAST_MINUTE
            .try_with(|last| {
                let (at, text) = last.get();
                if at == minute {
                    return text;
                }
                let text = minute_text(minute);
                last.set((minute, text));
                text
            })
            .unwrap_or_else(|_| minute_text(minute));
        let mut bytes = *b"0000-00-00T00:00:00.000000000+00:00";
        bytes[..MINUTE_LEN].copy_from_slice(&prefix);
        put2(&mut bytes, 17, (since % 60) as u32);
        let mut len = 19;
        if self.nanos != 0 {
            let n = self.nanos;
            put2(&mut bytes, 20, n / 10_000_000);
            put2(&mut bytes, 22, n / 100_000 % 100);
            put2(&mut bytes, 24, n / 1000 % 100);
            put2(&mut bytes, 26, n / 10 % 100);
            // A digit: the remainder of a division by ten.
            bytes[28] = b'0' + (n % 10) as u8;
            len = 29;
            while bytes[len - 1] == b'0' {
                len -= 1;
            }
        }
        if self.offset == 0 {
            bytes[len] = b'Z';
            len += 1;
        } else {
            let minutes = u32::from(self.offset.unsigned_abs());
            bytes[len] = if self.offset < 0 { b'-' } else { b'+' };
            bytes[len + 3] = b':';
            put2(&mut bytes, len + 1, minutes / 60);
            put2(&mut bytes, len + 4, minutes % 60);
            len += 6;
        }
        Some(Rfc3339 {
            bytes,
            // At most 35.
            len: len as u8,
        })
    }

    /// A timestamp whose year at its offset has more or fewer than four
    /// digits: no RFC 3339 text, written in the same shape in UTC.
    fn fmt_outside_rfc3339(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.secs.saturating_add(i64::from(self.offset) * 60);
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400).unsigned_abs();
        let (year, month, day) = civil_from_days(days);
        let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
        write!(f, "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}")?;
        if self.nanos != 0 {
            let (mut digits, mut width) = (self.nanos, 9);
            while digits % 10 == 0 {
                digits /= 10;
                width -= 1;
            }
            write!(f, ".{digits:0width$}")?;
        }
        if self.offset == 0 {
            return f.write_str("Z");
        }
        let sign = if self.offset < 0 { '-' } else { '+' };
        let minutes = self.offset.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

/// A string that is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampError {
    input: String,
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an RFC 3339 timestamp like `2026-11-22T10:15:30Z`",
            self.input.escape_debug()
        )
    }
}

impl std::error::Error for TimestampError {}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse(input.as_bytes()).ok_or_else(|| TimestampError {
            input: input.chars().take(64).collect(),
        })
    }
}

fn digits(bytes: &[u8], at: usize, len: usize) -> Option<u32> {
    let slice = bytes.get(at..at + len)?;
    slice.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
fn parse(b: &[u8]) -> Option<Timestamp> {
    let year = i64::from(digits(b, 0, 4)?);
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let (hour, minute, second) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    // RFC 3339's grammar: `T` (either case) between date and time.
    if separators.iter().any(|&(i, c)| b[i] != c) || !matches!(b[10], b'T' | b't') {
        return None;
    }
    // A leap second (60) is read as the last second of its minute.
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(b[at] - b'0');
            }
            at += 1;
        }
        let len = at - start;
        if len == 0 {
            return None;
        }
        for _ in len..9 {
            nanos *= 10;
        }
    }
    let offset = match b.get(at)? {
        b'Z' | b'z' if b.len() == at + 1 => 0,
        sign @ (b'+' | b'-') if b.len() == at + 6 && b[at + 3] == b':' => {
            let (h, m) = (digits(b, at + 1, 2)?, digits(b, at + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            // Both are in range: at most 23 * 60 + 59.
            let minutes = i16::try_from(h * 60 + m).ok()?;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second.min(59))
        - i64::from(offset) * 60;
    Some(Timestamp {
        secs,
        nanos,
        offset,
    })
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339() {
            Some(text) => serializer.serialize_str(text.as_str()),
            None => serializer.collect_str(self),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_utc() {
        assert_eq!(
            Timestamp::from_unix(0, 0).unwrap().to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            Timestamp::from_unix(1_795_343_730, 250_000_000)
                .unwrap()
                .to_string(),
            "2026-11-22T10:35:30.25Z"
        );
        assert_eq!(
            Timestamp::from_unix(-1, 999_999_999).unwrap().to_string(),
            "1969-12-31T23:59:59.999999999Z"
        );
        assert_eq!(
            Timestamp::from_unix(951_782_400, 0).unwrap().to_string(),
            "2000-02-29T00:00:00Z"
        );
    }

    /// The text as the `fmt` machinery writes it, field by field.
    fn reference(t: Timestamp) -> String {
        let local = t.unix_seconds() + i64::from(t.offset_minutes()) * 60;
        let (year, month, day) = civil_from_days(local.div_euclid(86_400));
        let rem = local.rem_euclid(86_400);
        let mut text = format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        );
        if t.subsec_nanos() != 0 {
            let fraction = format!("{:09}", t.subsec_nanos());
            text.push('.');
            text.push_str(fraction.trim_end_matches('0'));
        }
        match t.offset_minutes() {
            0 => text.push('Z'),
            m => {
                let sign = if m < 0 { '-' } else { '+' };
                let m = m.unsigned_abs();
                text.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
            }
        }
        text
    }

    #[test]
    fn the_fixed_width_writer_writes_what_fmt_would() {
        // A simple generator: the same values every run.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let span = (MAX_SECS - MIN_SECS) as u64;
        for i in 0..20_000 {
            let secs = MIN_SECS + (next() % span) as i64;
            let nanos = match i % 4 {
                0 => 0,
                1 => (next() % 1000) as u32 * 1_000_000,
                _ => (next() % 1_000_000_000) as u32,
            };
            let offset = match i % 3 {
                0 => 0,
                _ => (next() % 2879) as i16 - 1439,
            };
            let Some(t) = Timestamp::from_unix(secs, nanos).and_then(|t| t.with_offset(offset))
            else {
                continue;
            };
            if !t.is_rfc3339() {
                assert!(t.rfc3339().is_none());
                continue;
            }
            let text = t.rfc3339().map(|text| text.as_str().to_owned());
            assert_eq!(
                text.as_deref(),
                Some(reference(t).as_str()),
                "{secs} {nanos} {offset}"
            );
            // Another second of the same minute, whose text up to the
            // minute is the one kept.
            let later = Timestamp::from_unix(secs - secs.rem_euclid(60) + 59, nanos / 7)
                .and_then(|l| l.with_offset(offset));
            if let Some(later) = later.filter(|l| l.is_rfc3339()) {
                assert_eq!(
                    later.rfc3339().map(|text| text.as_str().to_owned()),
                    Some(reference(later)),
                    "{secs} {nanos} {offset}"
                );
            }
            assert_eq!(t.to_string(), reference(t));
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{}\"", reference(t))
            );
        }
        for (secs, text) in [
            (MIN_SECS, "0000-01-01T00:00:00Z"),
            (MAX_SECS, "9999-12-31T23:59:59Z"),
            (MAX_SECS + 1, "10000-01-01T00:00:00Z"),
        ] {
            assert_eq!(Timestamp::from_unix(secs, 0).unwrap().to_string(), text);
        }
        let before = Timestamp::from_unix(MIN_SECS - 1, 500_000_000).unwrap();
        assert!(before.rfc3339().is_none());
        assert_eq!(before.to_string(), "-001-12-31T23:59:59.5Z");
        assert_eq!(
            before.with_offset(-60).unwrap().to_string(),
            "-001-12-31T22:59:59.5-01:00"
        );
    }

    #[test]
    fn parses_with_offsets() {
        let utc: Timestamp = "2026-11-22T10:35:30.25Z".parse().unwrap();
        assert_eq!(
            utc,
            Timestamp::from_unix(1_795_343_730, 250_000_000).unwrap()
        );
        let offset: Timestamp = "2026-11-22T12:35:30.250+02:00".parse().unwrap();
        assert_eq!(offset, utc);
        let negative: Timestamp = "2026-11-22T05:35:30.25-05:00".parse().unwrap();
        assert_eq!(negative, utc);
        let nanos: Timestamp = "2026-11-22T10:35:30.123456789123Z".parse().unwrap();
        assert_eq!(nanos.subsec_nanos(), 123_456_789);
    }

    #[test]
    fn round_trips_through_text() {
        for secs in [-86_401, 0, 59, 1_000_000_000, 4_102_444_800] {
            for nanos in [0, 1, 500_000_000, 999_999_999] {
                let t = Timestamp::from_unix(secs, nanos).unwrap();
                assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
            }
        }
    }

    #[test]
    fn keeps_the_offset_of_extreme_years() {
        for text in [
            "0000-01-01T00:00:00+01:00",
            "0000-01-01T00:00:00.5+23:59",
            "9999-12-31T23:59:59.999999999-23:59",
            "9999-12-31T23:30:00-05:00",
            "2026-11-22T12:35:30.25+02:00",
        ] {
            let t: Timestamp = text.parse().unwrap();
            assert!(t.is_rfc3339(), "{text}");
            assert_eq!(t.to_string(), text);
            assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
        }
        let utc: Timestamp = "0000-01-01T00:00:00Z".parse().unwrap();
        assert!(utc.is_rfc3339());
        let before = Timestamp::from_unix(utc.unix_seconds() - 1, 0).unwrap();
        assert!(!before.is_rfc3339());
        assert!(before.with_offset(60).unwrap().is_rfc3339());
        assert!(utc.with_offset(24 * 60).is_none());
    }

    #[test]
    fn rejects_what_is_not_rfc_3339() {
        for bad in [
            "",
            "2026-11-22",
            "2026-11-22T10:35:30",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T10:35:30.Z",
            "2026-11-22T10:35:30Zjunk",
            "2026-11-22T10:35:30+2:00",
            "２０２６-11-22T10:35:30Z",
            "2026-11-22 10:35:30Z",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }
    }
}
