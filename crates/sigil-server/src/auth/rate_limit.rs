//! Failed authentications per client address: a token bucket refused at zero, so a guesser
//! gets 429 before its guess is even checked.
//!
//! Hand-written because it must *peek* before verifying and *charge* only on failure;
//! governor's keyed limiters charge on every check.

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

    /// Whether `ip` has failures left; does not charge.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        match buckets.get(&ip) {
            Some(&(tokens, at)) => self.refilled(tokens, at, Instant::now()) >= 1.0,
            None => true,
        }
    }

    /// Charges one failure to `ip`.
    pub fn record_failure(&self, ip: IpAddr) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_TRACKED {
            let burst = self.burst;
            buckets.retain(|_, (tokens, at)| {
                (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second) < burst
            });
        }
        let (tokens, at) = buckets.get(&ip).copied().unwrap_or((self.burst, now));
        let left = (self.refilled(tokens, at, now) - 1.0).max(0.0);
        buckets.insert(ip, (left, now));
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
            assert!(limiter.allows(a));
            limiter.record_failure(a);
        }
        assert!(!limiter.allows(a));
        assert!(limiter.allows(b), "other addresses are not affected");
    }

    #[test]
    fn buckets_refill_over_time() {
        let limiter = FailureLimiter::new(1, 1000.0);
        let a: IpAddr = [10, 0, 0, 1].into();
        limiter.record_failure(a);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(limiter.allows(a));
    }
}
