//! UUID version 7 (RFC 9562) for event and correlation ids, without a
//! dependency: 48 bits of Unix milliseconds, a 12-bit counter that keeps the
//! ids of one process in creation order within a millisecond, and 62 random
//! bits.
//!
//! The random bits come from SipHash under the standard library's per-thread
//! random keys (seeded by the operating system), applied to a per-thread
//! counter: unpredictable from outside and distinct between processes and
//! threads, which is what an event id needs. They are not meant as secrets.

use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The last timestamp handed out: milliseconds shifted left by 12, plus the
/// counter. Each id takes a value greater than the one before.
static LAST: AtomicU64 = AtomicU64::new(0);

/// A new UUID v7 as lower-case hyphenated text.
pub(crate) fn new_v7() -> String {
    // The deterministic ids of `event_core::testing`: timestamp and counter
    // zero, the id's number in the random bits.
    #[cfg(feature = "testing")]
    if let Some(n) = crate::model::testing::next_id() {
        return format_v7(0, n);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    format_v7(next_stamp(now), random_u64())
}

/// Milliseconds and counter for the next id: the current time when it is
/// ahead of the last id, else one more than the last (a full counter carries
/// into the milliseconds, so ids stay ordered even if the clock steps back).
fn next_stamp(now_ms: u64) -> u64 {
    let now = (now_ms & ((1 << 48) - 1)) << 12;
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = if now > last { now } else { last + 1 };
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(actual) => last = actual,
        }
    }
}

/// 64 random bits.
pub(crate) fn random_u64() -> u64 {
    thread_local! {
        static STATE: (RandomState, Cell<u64>) = (RandomState::new(), Cell::new(0));
    }
    STATE.with(|(keys, counter)| {
        let n = counter.get().wrapping_add(1);
        counter.set(n);
        keys.hash_one(n)
    })
}

/// The text of the UUID with this timestamp and counter (`stamp`, 60 bits)
/// and random bits.
fn format_v7(stamp: u64, random: u64) -> String {
    let millis = stamp >> 12;
    let counter = stamp & 0xfff;
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    // Version 7, then the counter.
    bytes[6] = 0x70 | ((counter >> 8) as u8 & 0x0f);
    bytes[7] = (counter & 0xff) as u8;
    // Variant 0b10, then 62 random bits.
    let random = random.to_be_bytes();
    bytes[8] = 0x80 | (random[0] & 0x3f);
    bytes[9..].copy_from_slice(&random[1..]);

    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(char::from(HEX[usize::from(byte >> 4)]));
        text.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn is_v7(id: &str) -> bool {
        let bytes = id.as_bytes();
        id.len() == 36
            && [8, 13, 18, 23].iter().all(|&i| bytes[i] == b'-')
            && bytes.iter().enumerate().all(|(i, b)| {
                [8, 13, 18, 23].contains(&i) || matches!(b, b'0'..=b'9' | b'a'..=b'f')
            })
            && bytes[14] == b'7'
            && matches!(bytes[19], b'8' | b'9' | b'a' | b'b')
    }

    #[test]
    fn layout_is_rfc_9562_version_7() {
        let id = format_v7((0x0123_4567_89ab << 12) | 0xcde, u64::MAX);
        assert_eq!(id, "01234567-89ab-7cde-bfff-ffffffffffff");
        let id = format_v7(0, 0);
        assert_eq!(id, "00000000-0000-7000-8000-000000000000");
        assert!(is_v7(&new_v7()), "{}", new_v7());
    }

    #[test]
    fn the_timestamp_is_now() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let id = new_v7();
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        let millis = u128::from_str_radix(&id[..8], 16).unwrap() << 16
            | u128::from_str_radix(&id[9..13], 16).unwrap();
        // Ids made earlier in this process may have run ahead by a few
        // counter carries, never by a second.
        assert!(
            millis >= before && millis <= after + 1000,
            "{before} {millis} {after}"
        );
    }

    #[test]
    fn ids_of_one_thread_sort_in_creation_order() {
        let ids: Vec<String> = (0..20_000).map(|_| new_v7()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn ids_are_unique_across_threads() {
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..10_000).map(|_| new_v7()).collect::<Vec<_>>()))
            .collect();
        let mut all = HashSet::new();
        for thread in threads {
            for id in thread.join().unwrap() {
                assert!(is_v7(&id), "{id}");
                assert!(all.insert(id), "duplicate id");
            }
        }
        assert_eq!(all.len(), 40_000);
    }

    #[test]
    fn a_clock_stepping_back_keeps_the_order() {
        let now = u64::try_from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap();
        let first = next_stamp(now);
        let second = next_stamp(now - 10_000);
        assert!(second > first);
    }

    #[test]
    fn random_bits_differ_between_calls_and_threads() {
        let here: HashSet<u64> = (0..1000).map(|_| random_u64()).collect();
        assert_eq!(here.len(), 1000);
        let there = std::thread::spawn(random_u64).join().unwrap();
        assert!(!here.contains(&there));
    }
}
