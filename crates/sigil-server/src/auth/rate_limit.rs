//! Failed authentications per client address: a token bucket refused at zero, so a guesser
//! gets 429 before its guess is even checked.
//!
//! Every attempt is charged *before* it is verified and refunded when it did not fail, so
//! guesses sent in parallel cannot outrun the limit while the first ones are still being
//! checked. Hand-written because governor's keyed limiters cannot refund.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

pub struct FailureLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Beyond this many tracked addresses, full buckets are forgotten.
const MAX_TRACKED: usize = 100_000;

impl FailureLimiter {
    pub fn new(burst: u32, per_second: f64) -> Self {
        Self {
            burst: f64::from(burst),
            per_second,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, tokens: f64, since: Instant, now: Instant) -> f64 {
        (tokens + now.duration_since(since).as_secs_f64() * self.per_second).min(self.burst)
    }

    /// Whether `ip` has attempts left, without charging one.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets
            .get(&ip)
            .is_none_or(|&(tokens, at)| self.refilled(tokens, at, Instant::now()) >= 1.0)
    }

    /// Charges one attempt to `ip`; `false` (nothing charged) when it has no failures left.
    pub fn try_charge(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED {
            let burst = self.burst;
            buckets.retain(|_, (tokens, at)| {
                (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second) < burst
            });
        }
        let (tokens, at) = buckets.get(&ip).copied().unwrap_or((self.burst, now));
        let tokens = self.refilled(tokens, at, now);
        if tokens < 1.0 {
            return false;
        }
        buckets.insert(ip, (tokens - 1.0, now));
        true
    }

    /// Gives back the attempt charged to `ip`: it did not fail.
    pub fn refund(&self, ip: IpAddr) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((tokens, at)) = buckets.get(&ip).copied() {
            buckets.insert(
                ip,
                ((self.refilled(tokens, at, now) + 1.0).min(self.burst), now),
            );
        }
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
            assert!(limiter.try_charge(a));
        }
        assert!(!limiter.try_charge(a));
        assert!(!limiter.allows(a));
        assert!(limiter.allows(b));
        assert!(limiter.try_charge(b), "other addresses are not affected");
    }

    #[test]
    fn attempts_that_did_not_fail_are_refunded() {
        let limiter = FailureLimiter::new(2, 0.0);
        let a: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..10 {
            assert!(limiter.try_charge(a));
            limiter.refund(a);
        }
        assert!(limiter.try_charge(a));
        assert!(limiter.try_charge(a));
        assert!(!limiter.try_charge(a));
        limiter.refund(a);
        limiter.refund(a);
        limiter.refund(a);
        assert!(limiter.try_charge(a) && limiter.try_charge(a));
        assert!(!limiter.try_charge(a), "a refund never exceeds the burst");
    }

    #[test]
    fn buckets_refill_over_time() {
        let limiter = FailureLimiter::new(1, 1000.0);
        let a: IpAddr = [10, 0, 0, 1].into();
        assert!(limiter.try_charge(a));
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(limiter.try_charge(a));
    }
}
