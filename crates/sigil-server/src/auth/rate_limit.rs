//! Failed authentications per client address: a token bucket refused at zero, so a guesser
//! gets 429 before its guess is even checked.
//!
//! Every attempt that must be verified is charged *before* it is verified and given back
//! when it did not fail, so guesses sent in parallel cannot outrun the limit while the first
//! ones are still being checked. When the bucket is empty only because attempts are still in
//! flight, a new attempt is told to wait rather than refused: a client opening many
//! connections at once with a good credential is slowed for milliseconds, never refused.
//! Hand-written because governor's keyed limiters can neither refund nor tell the two apart.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

pub struct FailureLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
    /// Attempts charged and not yet settled.
    in_flight: u32,
}

/// Whether an attempt may be verified now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Charged: settle it when verified.
    Admitted,
    /// Nothing left now, but attempts in flight may give theirs back: try again shortly.
    Wait,
    /// Nothing left: failures used it up.
    Limited,
}

/// Beyond this many tracked addresses, idle full buckets are forgotten.
const MAX_TRACKED: usize = 100_000;

impl FailureLimiter {
    pub fn new(burst: u32, per_second: f64) -> Self {
        Self {
            burst: f64::from(burst),
            per_second,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, b: &Bucket, now: Instant) -> f64 {
        (b.tokens + now.duration_since(b.at).as_secs_f64() * self.per_second).min(self.burst)
    }

    fn with_bucket<T>(&self, ip: IpAddr, f: impl FnOnce(&mut Bucket, f64) -> T) -> T {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED {
            buckets.retain(|_, b| b.in_flight > 0 || self.refilled(b, now) < self.burst);
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: self.burst,
            at: now,
            in_flight: 0,
        });
        let tokens = self.refilled(bucket, now);
        bucket.tokens = tokens;
        bucket.at = now;
        f(bucket, tokens)
    }

    /// Whether failures have not used up `ip`'s attempts (attempts in flight still count as
    /// possibly given back). Charges nothing.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.with_bucket(ip, |b, tokens| tokens + f64::from(b.in_flight) >= 1.0)
    }

    /// Charges one attempt to `ip` when it has one left.
    pub fn admit(&self, ip: IpAddr) -> Admission {
        self.with_bucket(ip, |b, tokens| {
            if tokens >= 1.0 {
                b.tokens = tokens - 1.0;
                b.in_flight += 1;
                Admission::Admitted
            } else if b.in_flight > 0 {
                Admission::Wait
            } else {
                Admission::Limited
            }
        })
    }

    /// Settles an admitted attempt: a failure keeps its charge, anything else gives it back.
    pub fn settle(&self, ip: IpAddr, failed: bool) {
        let burst = self.burst;
        self.with_bucket(ip, |b, tokens| {
            b.in_flight = b.in_flight.saturating_sub(1);
            if !failed {
                b.tokens = (tokens + 1.0).min(burst);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_failures_then_refusal_per_address() {
        let limiter = FailureLimiter::new(3, 0.0);
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        for _ in 0..3 {
            assert_eq!(limiter.admit(a), Admission::Admitted);
            limiter.settle(a, true);
        }
        assert_eq!(limiter.admit(a), Admission::Limited);
        assert!(!limiter.allows(a));
        assert!(limiter.allows(b));
        assert_eq!(
            limiter.admit(b),
            Admission::Admitted,
            "other addresses are not affected"
        );
    }

    #[test]
    fn attempts_in_flight_make_others_wait_not_fail() {
        let limiter = FailureLimiter::new(2, 0.0);
        let a: IpAddr = [10, 0, 0, 1].into();
        assert_eq!(limiter.admit(a), Admission::Admitted);
        assert_eq!(limiter.admit(a), Admission::Admitted);
        assert_eq!(
            limiter.admit(a),
            Admission::Wait,
            "two in flight, none failed yet"
        );
        assert!(limiter.allows(a), "not limited: nothing has failed");
        limiter.settle(a, false);
        assert_eq!(
            limiter.admit(a),
            Admission::Admitted,
            "a success gave its attempt back"
        );
        limiter.settle(a, true);
        limiter.settle(a, true);
        assert_eq!(
            limiter.admit(a),
            Admission::Limited,
            "two failures used the burst up"
        );
    }

    #[test]
    fn parallel_guesses_cannot_outrun_the_burst() {
        let limiter = FailureLimiter::new(10, 0.0);
        let a: IpAddr = [10, 0, 0, 1].into();
        let admitted = (0..1000)
            .filter(|_| limiter.admit(a) == Admission::Admitted)
            .count();
        assert_eq!(admitted, 10);
        for _ in 0..10 {
            limiter.settle(a, true);
        }
        assert_eq!(limiter.admit(a), Admission::Limited);
    }

    #[test]
    fn a_refund_never_exceeds_the_burst_and_buckets_refill() {
        let limiter = FailureLimiter::new(1, 1000.0);
        let a: IpAddr = [10, 0, 0, 1].into();
        assert_eq!(limiter.admit(a), Admission::Admitted);
        limiter.settle(a, false);
        limiter.settle(a, false);
        assert_eq!(limiter.admit(a), Admission::Admitted);
        assert_eq!(limiter.admit(a), Admission::Wait);
        limiter.settle(a, true);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(limiter.admit(a), Admission::Admitted);
    }
}
