//! The test server's clock: the wall clock plus an offset the test moves forward, so a test
//! reaches an expiry, a retention period or the next second at once instead of sleeping.

use chrono::{DateTime, SubsecRound, Utc};
use sigil_core::clock::Clock;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Runs with the wall clock (so tokens a fake issuer stamps with the real time are current)
/// until the test moves it, or stops it ([`TestClock::freeze`]) to check a boundary to the
/// second; clones share one state.
#[derive(Debug, Clone)]
pub struct TestClock {
    offset_ms: Arc<AtomicI64>,
    /// Milliseconds since the epoch while frozen; [`FLOWING`] otherwise.
    frozen_ms: Arc<AtomicI64>,
}

const FLOWING: i64 = i64::MIN;

impl Default for TestClock {
    fn default() -> Self {
        Self {
            offset_ms: Arc::default(),
            frozen_ms: Arc::new(AtomicI64::new(FLOWING)),
        }
    }
}

impl TestClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by` (and every clone with it).
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).expect("a test moves the clock by less than an age");
        if self.frozen_ms.load(Ordering::SeqCst) == FLOWING {
            self.offset_ms.fetch_add(ms, Ordering::SeqCst);
        } else {
            self.frozen_ms.fetch_add(ms, Ordering::SeqCst);
        }
    }

    /// Stops the clock at the start of its current second: from now on only
    /// [`TestClock::advance`] moves it, so a test reaches a boundary to the second.
    pub fn freeze(&self) {
        let at = self.now().timestamp_millis();
        self.frozen_ms.store(at, Ordering::SeqCst);
    }

    /// Moves the clock just past the start of its next whole second: what is stamped from
    /// now on carries a later second than what was stamped before.
    pub fn next_second(&self) {
        let now = self.precise_now();
        let into = now.timestamp_subsec_millis();
        self.advance(Duration::from_millis(u64::from(1000 - into)));
    }

    /// The time down to the millisecond (the server sees whole seconds).
    fn precise_now(&self) -> DateTime<Utc> {
        let frozen = self.frozen_ms.load(Ordering::SeqCst);
        if frozen != FLOWING {
            return DateTime::from_timestamp_millis(frozen).expect("a time");
        }
        #[allow(clippy::disallowed_methods)]
        let wall = Utc::now();
        wall + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }
}

impl Clock for TestClock {
    /// Whole seconds, as the server's own clock reads.
    fn now(&self) -> DateTime<Utc> {
        self.precise_now().trunc_subsecs(0)
    }

    /// Milliseconds, as the server's own clock reads them for Elasticsearch times.
    fn now_millis(&self) -> DateTime<Utc> {
        self.precise_now().trunc_subsecs(3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone() {
        let clock = TestClock::new();
        let other = clock.clone();
        let before = other.now();
        clock.advance(Duration::from_secs(3600));
        let after = other.now();
        let moved = (after - before).num_seconds();
        assert!((3600..=3601).contains(&moved), "moved {moved} s");
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let clock = TestClock::new();
        clock.freeze();
        let at = clock.now();
        assert_eq!(at.timestamp_subsec_millis(), 0, "at a whole second");
        assert_eq!(clock.clone().now(), at, "frozen");
        clock.advance(Duration::from_secs(59));
        assert_eq!((clock.now() - at).num_seconds(), 59);
        clock.next_second();
        assert_eq!((clock.now() - at).num_seconds(), 60);
    }

    #[test]
    fn next_second_starts_a_new_second() {
        let clock = TestClock::new();
        let before = clock.now();
        clock.next_second();
        assert!(clock.now() > before);
    }
}
