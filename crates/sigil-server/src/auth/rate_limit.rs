//! Failed authentications per client: token buckets refused at zero, so a guesser gets 429
//! before its guess is even checked.
//!
//! Two buckets stand behind each attempt: one per client address and claimed name (the
//! username, API key id, access key or client id the credential names; nameless credentials
//! such as Bearer tokens share the name ""), holding the configured burst, and one per client
//! address for every name together, holding [`ADDRESS_BURST_FACTOR`] times more. So guessing
//! one account stops after the small burst, spraying many accounts from one address after the
//! large one, and clients sharing an address behind a proxy do not lock each other out unless
//! they fail together more than that. An IPv6 client is its /64 (what one host or site is
//! given), an IPv4 client its address. Both buckets refill completely in [`REFILL`].
//!
//! Every attempt that must be verified is charged *before* it is verified and given back
//! when it did not fail, so guesses sent in parallel cannot outrun the limit while the first
//! ones are still being checked. When a bucket is empty only because attempts are still in
//! flight, a new attempt is told to wait rather than refused: a client opening many
//! connections at once with a good credential is slowed for milliseconds, never refused.
//! Hand-written because governor's keyed limiters can neither refund nor tell the two apart.
//!
//! Buckets live in a bounded cache: a bucket untouched for [`REFILL`] is full again and is
//! dropped, and beyond [`MAX_TRACKED`] buckets the least recently used goes first.

use moka::ops::compute::Op;
use moka::policy::EvictionPolicy;
use moka::sync::Cache;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// An empty bucket is full again after this long.
pub const REFILL: Duration = Duration::from_secs(50);
/// The budget of an address for all names together, as a multiple of the per-name burst.
pub const ADDRESS_BURST_FACTOR: u32 = 10;
/// Buckets kept at most (each about a hundred bytes).
const MAX_TRACKED: u64 = 200_000;

/// Who an attempt is charged to: an IPv4 address, or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Client(u128);

impl Client {
    fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(u128::from(v4.to_ipv6_mapped())),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::of(IpAddr::V4(v4)),
                None => Self(u128::from(v6) & !u128::from(u64::MAX)),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum BucketKey {
    Address(Client),
    /// The client and a keyed hash of the claimed name (names can be long; a collision only
    /// shares a budget).
    Name(Client, u64),
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

pub struct FailureLimiter {
    name_burst: f64,
    address_burst: f64,
    /// Seconds an empty bucket takes to fill.
    refill: f64,
    buckets: Cache<BucketKey, Bucket>,
    names: RandomState,
    /// The monotonic clock the buckets refill by; unit tests move their own.
    now: Box<dyn Fn() -> Instant + Send + Sync>,
}

impl FailureLimiter {
    /// `burst` failures per address and name; [`ADDRESS_BURST_FACTOR`] × `burst` per address.
    pub fn new(burst: u32) -> Self {
        Self::build(burst, REFILL, MAX_TRACKED, Box::new(Instant::now))
    }

    fn build(
        burst: u32,
        refill: Duration,
        capacity: u64,
        now: Box<dyn Fn() -> Instant + Send + Sync>,
    ) -> Self {
        Self {
            name_burst: f64::from(burst),
            address_burst: f64::from(burst.saturating_mul(ADDRESS_BURST_FACTOR)),
            refill: refill.as_secs_f64(),
            buckets: Cache::builder()
                .max_capacity(capacity)
                .eviction_policy(EvictionPolicy::lru())
                .time_to_idle(refill)
                .build(),
            names: RandomState::new(),
            now,
        }
    }

    fn keys(&self, ip: IpAddr, name: Option<&str>) -> [(BucketKey, f64); 2] {
        let client = Client::of(ip);
        let name = self.names.hash_one(name.unwrap_or_default());
        [
            (BucketKey::Address(client), self.address_burst),
            (BucketKey::Name(client, name), self.name_burst),
        ]
    }

    fn refilled(&self, b: &Bucket, burst: f64, now: Instant) -> f64 {
        let rate = burst / self.refill;
        (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(burst)
    }

    /// Applies `f` to the bucket (refilled to now) under that bucket's lock; `None` only if
    /// the cache never ran it.
    fn update<T>(&self, key: BucketKey, burst: f64, f: impl FnOnce(&mut Bucket) -> T) -> Option<T> {
        let now = (self.now)();
        let mut f = Some(f);
        let mut out = None;
        self.buckets.entry(key).and_compute_with(|entry| {
            let mut bucket = match entry {
                Some(e) => {
                    let mut b = e.into_value();
                    b.tokens = self.refilled(&b, burst, now);
                    b
                }
                None => Bucket {
                    tokens: burst,
                    at: now,
                    in_flight: 0,
                },
            };
            bucket.at = now;
            out = f.take().map(|f| f(&mut bucket));
            Op::Put(bucket)
        });
        out
    }

    /// Whether failures have not used up the attempts of `ip` and of `name` from it (attempts
    /// in flight still count as possibly given back). Charges nothing.
    pub fn allows(&self, ip: IpAddr, name: Option<&str>) -> bool {
        let now = (self.now)();
        self.keys(ip, name).iter().all(|(key, burst)| {
            self.buckets
                .get(key)
                .is_none_or(|b| self.refilled(&b, *burst, now) + f64::from(b.in_flight) >= 1.0)
        })
    }

    fn take(&self, key: BucketKey, burst: f64) -> Admission {
        self.update(key, burst, |b| {
            if b.tokens >= 1.0 {
                b.tokens -= 1.0;
                b.in_flight += 1;
                Admission::Admitted
            } else if b.in_flight > 0 {
                Admission::Wait
            } else {
                Admission::Limited
            }
        })
        .unwrap_or(Admission::Limited)
    }

    fn give_back(&self, key: BucketKey, burst: f64, failed: bool) {
        self.update(key, burst, |b| {
            b.in_flight = b.in_flight.saturating_sub(1);
            if !failed {
                b.tokens = (b.tokens + 1.0).min(burst);
            }
        });
    }

    /// Charges one attempt to `ip` and to `name` from it when both have one left.
    pub fn admit(&self, ip: IpAddr, name: Option<&str>) -> Admission {
        let [(address, address_burst), (named, name_burst)] = self.keys(ip, name);
        match self.take(address, address_burst) {
            Admission::Admitted => {}
            refused => return refused,
        }
        match self.take(named, name_burst) {
            Admission::Admitted => Admission::Admitted,
            refused => {
                self.give_back(address, address_burst, false);
                refused
            }
        }
    }

    /// Settles an admitted attempt: a failure keeps its charge, anything else gives it back.
    pub fn settle(&self, ip: IpAddr, name: Option<&str>, failed: bool) {
        for (key, burst) in self.keys(ip, name) {
            self.give_back(key, burst, failed);
        }
    }

    /// Buckets held now (for tests of the bound).
    #[cfg(test)]
    fn tracked(&self) -> u64 {
        self.buckets.run_pending_tasks();
        self.buckets.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A limiter whose buckets do not refill during a test.
    fn limiter(burst: u32) -> FailureLimiter {
        FailureLimiter::build(
            burst,
            Duration::from_secs(1_000_000),
            MAX_TRACKED,
            Box::new(Instant::now),
        )
    }

    /// A monotonic clock the test moves.
    #[derive(Clone)]
    struct Hands(Arc<Mutex<Instant>>);

    impl Hands {
        fn new() -> Self {
            Self(Arc::new(Mutex::new(Instant::now())))
        }
        fn clock(&self) -> Box<dyn Fn() -> Instant + Send + Sync> {
            let hands = self.clone();
            Box::new(move || *hands.0.lock().unwrap())
        }
        fn advance(&self, by: Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    fn fail(l: &FailureLimiter, ip: IpAddr, name: Option<&str>, times: usize) {
        for _ in 0..times {
            assert_eq!(l.admit(ip, name), Admission::Admitted);
            l.settle(ip, name, true);
        }
    }

    #[test]
    fn a_burst_of_failures_then_refusal_per_address_and_name() {
        let limiter = limiter(3);
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        fail(&limiter, a, Some("kim"), 3);
        assert_eq!(limiter.admit(a, Some("kim")), Admission::Limited);
        assert!(!limiter.allows(a, Some("kim")));
        assert!(
            limiter.allows(b, Some("kim")),
            "other addresses are not affected"
        );
        assert_eq!(
            limiter.admit(a, Some("lee")),
            Admission::Admitted,
            "nor other names from the same address"
        );
    }

    /// Behind a proxy, one client's failures do not refuse everyone; spraying many names
    /// from one address still ends at the address's budget.
    #[test]
    fn an_address_has_a_larger_budget_for_all_names() {
        let limiter = limiter(2);
        let proxy: IpAddr = [10, 0, 0, 9].into();
        let names: Vec<String> = (0..ADDRESS_BURST_FACTOR).map(|i| format!("u{i}")).collect();
        for name in &names {
            fail(&limiter, proxy, Some(name), 2);
        }
        assert_eq!(limiter.admit(proxy, Some("fresh")), Admission::Limited);
        assert!(!limiter.allows(proxy, Some("fresh")));
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        let limiter = limiter(2);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        fail(&limiter, a, None, 2);
        assert_eq!(limiter.admit(same, None), Admission::Limited);
        assert_eq!(limiter.admit(other, None), Admission::Admitted);
        let v4: IpAddr = [192, 0, 2, 1].into();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        fail(&limiter, v4, None, 2);
        assert_eq!(limiter.admit(mapped, None), Admission::Limited);
        let neighbour: IpAddr = [192, 0, 2, 2].into();
        assert_eq!(limiter.admit(neighbour, None), Admission::Admitted);
    }

    #[test]
    fn attempts_in_flight_make_others_wait_not_fail() {
        let limiter = limiter(2);
        let a: IpAddr = [10, 0, 0, 1].into();
        assert_eq!(limiter.admit(a, None), Admission::Admitted);
        assert_eq!(limiter.admit(a, None), Admission::Admitted);
        assert_eq!(
            limiter.admit(a, None),
            Admission::Wait,
            "two in flight, none failed"
        );
        assert!(limiter.allows(a, None), "not limited: nothing has failed");
        limiter.settle(a, None, false);
        assert_eq!(
            limiter.admit(a, None),
            Admission::Admitted,
            "a success gave its attempt back"
        );
        limiter.settle(a, None, true);
        limiter.settle(a, None, true);
        assert_eq!(
            limiter.admit(a, None),
            Admission::Limited,
            "two failures used the burst up"
        );
    }

    #[test]
    fn parallel_guesses_cannot_outrun_the_burst() {
        let limiter = limiter(10);
        let a: IpAddr = [10, 0, 0, 1].into();
        let admitted = (0..1000)
            .filter(|_| limiter.admit(a, Some("kim")) == Admission::Admitted)
            .count();
        assert_eq!(admitted, 10);
        for _ in 0..10 {
            limiter.settle(a, Some("kim"), true);
        }
        assert_eq!(limiter.admit(a, Some("kim")), Admission::Limited);
    }

    #[test]
    fn a_refund_never_exceeds_the_burst_and_buckets_refill() {
        let hands = Hands::new();
        let limiter = FailureLimiter::build(1, Duration::from_secs(5), MAX_TRACKED, hands.clock());
        let a: IpAddr = [10, 0, 0, 1].into();
        assert_eq!(limiter.admit(a, None), Admission::Admitted);
        limiter.settle(a, None, false);
        limiter.settle(a, None, false);
        assert_eq!(limiter.admit(a, None), Admission::Admitted);
        assert_eq!(limiter.admit(a, None), Admission::Wait);
        limiter.settle(a, None, true);
        assert_eq!(limiter.admit(a, None), Admission::Limited);
        hands.advance(Duration::from_secs(4));
        assert_eq!(
            limiter.admit(a, None),
            Admission::Limited,
            "not refilled yet"
        );
        hands.advance(Duration::from_secs(1));
        assert_eq!(limiter.admit(a, None), Admission::Admitted, "refilled");
    }

    /// However many addresses fail, the buckets held stay under the cap (idle ones also go
    /// after the refill time through the cache's time-to-idle, which is the cache's own rule).
    #[test]
    fn buckets_are_bounded() {
        let bounded = FailureLimiter::build(
            1,
            Duration::from_secs(1_000_000),
            1_000,
            Box::new(Instant::now),
        );
        for i in 0..5_000u32 {
            let ip: IpAddr = std::net::Ipv4Addr::from(i).into();
            bounded.settle(ip, None, true);
        }
        assert!(bounded.tracked() <= 1_000, "{}", bounded.tracked());
    }
}
