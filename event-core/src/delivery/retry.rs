//! One retry policy for every place a message can fail: the relay publishing
//! the outbox, and a consumer handling a delivery.
//!
//! A failure is retried at once a few times (a lost race, a dropped
//! connection), then after delays that double up to a cap, each scaled by a
//! random factor so that many failing consumers do not retry in step, and
//! finally dead-lettered, where an operator can inspect and requeue it.
//!
//! ```
//! use std::time::Duration;
//! use event_core::retry::{RetryDecision, RetryPolicy};
//!
//! let policy = RetryPolicy {
//!     immediate_retries: 1,
//!     delayed_retries: 3,
//!     base_delay: Duration::from_millis(100),
//!     max_delay: Duration::from_millis(250),
//! };
//! assert_eq!(policy.decide(1), RetryDecision::Immediately);
//! // The second failure waits 50-100 ms, the third 100-200 ms, the fourth
//! // 125-250 ms (capped), the fifth is final.
//! let RetryDecision::After(wait) = policy.decide(2) else { unreachable!() };
//! assert!(wait >= Duration::from_millis(50) && wait <= Duration::from_millis(100));
//! let RetryDecision::After(wait) = policy.decide(4) else { unreachable!() };
//! assert!(wait >= Duration::from_millis(125) && wait <= Duration::from_millis(250));
//! assert_eq!(policy.decide(5), RetryDecision::DeadLetter);
//! ```

use std::time::Duration;

/// When to try a failed message again.
///
/// With the defaults, a message that keeps failing is tried 9 times over about
/// 30 seconds: twice more at once, then after about 0.5, 1, 2, 4, 8 and 16
/// seconds (each between half and all of that), and then dead-lettered. A
/// dependency that is down for a few seconds does not dead-letter anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries made at once after a failure, before any delay.
    pub immediate_retries: u32,
    /// Retries made after a delay, once the immediate ones are used up.
    pub delayed_retries: u32,
    /// The delay before the first delayed retry; it doubles with each one.
    pub base_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            immediate_retries: 2,
            delayed_retries: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// What to do with a message that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again now.
    Immediately,
    /// Try again after this long.
    After(Duration),
    /// Give up: move it to the dead letters.
    DeadLetter,
}

impl RetryPolicy {
    /// Never retry: the first failure is final.
    #[must_use]
    pub const fn none() -> Self {
        RetryPolicy {
            immediate_retries: 0,
            delayed_retries: 0,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// How many attempts a message gets in all, the first one included.
    #[must_use]
    pub const fn max_attempts(&self) -> u32 {
        self.immediate_retries
            .saturating_add(self.delayed_retries)
            .saturating_add(1)
    }

    /// What to do after the `failures`-th failed attempt (1 after the first).
    #[must_use]
    pub fn decide(&self, failures: u32) -> RetryDecision {
        if failures >= self.max_attempts() {
            RetryDecision::DeadLetter
        } else if failures <= self.immediate_retries {
            RetryDecision::Immediately
        } else {
            let delayed = failures - self.immediate_retries;
            RetryDecision::After(backoff(self.base_delay, self.max_delay, delayed))
        }
    }
}

/// The wait before the `n`-th retry (from 1) of something that keeps failing:
/// `base * 2^(n - 1)`, at most `max`, scaled by a random factor between 0.5
/// and 1 ("equal jitter": never less than half the step, and callers spread
/// out).
#[must_use]
pub fn backoff(base: Duration, max: Duration, n: u32) -> Duration {
    let doubled = base.saturating_mul(1_u32 << n.saturating_sub(1).min(31));
    let capped = doubled.min(max);
    // The random bits of a UUID v7 serve as jitter.
    let random = (crate::model::uuid7::random_u64() & 0xffff) as u32;
    let factor = 0.5 + f64::from(random) / f64::from(0xffff_u32) / 2.0;
    // Rounding may lift a scaled `Duration::MAX` past the range: keep the cap.
    Duration::try_from_secs_f64(capped.as_secs_f64() * factor).map_or(capped, |d| d.min(capped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immediate_then_delayed_then_dead() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.max_attempts(), 9);
        assert_eq!(policy.decide(1), RetryDecision::Immediately);
        assert_eq!(policy.decide(2), RetryDecision::Immediately);
        for (failures, step_ms) in [(3, 500), (4, 1000), (5, 2000), (8, 16_000)] {
            let RetryDecision::After(wait) = policy.decide(failures) else {
                panic!("failure {failures} should wait");
            };
            assert!(wait >= Duration::from_millis(step_ms / 2), "{wait:?}");
            assert!(wait <= Duration::from_millis(step_ms), "{wait:?}");
        }
        assert_eq!(policy.decide(9), RetryDecision::DeadLetter);
        assert_eq!(policy.decide(u32::MAX), RetryDecision::DeadLetter);
    }

    #[test]
    fn no_retries() {
        assert_eq!(RetryPolicy::none().decide(1), RetryDecision::DeadLetter);
    }

    #[test]
    fn backoff_saturates_and_caps() {
        let max = Duration::from_secs(60);
        for n in [1, 10, 31, 32, 1000, u32::MAX] {
            assert!(backoff(Duration::from_secs(1), max, n) <= max);
        }
        let huge = backoff(Duration::MAX, Duration::MAX, u32::MAX);
        assert!(huge >= Duration::MAX / 2 - Duration::from_secs(1));
    }

    #[test]
    fn jitter_spreads_waits() {
        let waits: std::collections::HashSet<_> = (0..50)
            .map(|_| backoff(Duration::from_secs(1), Duration::from_secs(1), 1))
            .collect();
        assert!(waits.len() > 10, "only {} distinct waits", waits.len());
    }
}
