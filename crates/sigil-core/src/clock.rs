//! Time is a parameter: rules take a [`Clock`] so expiry can be tested without sleeping.

use chrono::{DateTime, SubsecRound, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// The time to the millisecond, for what a wire format shows in milliseconds
    /// (Elasticsearch's `creation`, `expiration`, `invalidation`): keys made within one
    /// second still sort in the order they were made. [`now`](Self::now) by default.
    fn now_millis(&self) -> DateTime<Utc> {
        self.now()
    }

    /// A reading of the monotonic clock, for intervals only (never shown, never stored): a
    /// test that moves [`now`](Self::now) by hours does not move it.
    #[allow(clippy::disallowed_methods)]
    fn instant(&self) -> std::time::Instant {
        std::time::Instant::now()
    }
}

/// The wall clock, truncated to whole seconds because every wire format shows seconds.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(0)
    }

    #[allow(clippy::disallowed_methods)]
    fn now_millis(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(3)
    }
}

/// A clock tests move by hand.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(Arc::new(AtomicI64::new(t.timestamp())))
    }

    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.0.load(Ordering::SeqCst), 0).unwrap_or_default()
    }
}

/// Renders a time the way every Atlas-style face does: RFC 3339, UTC, `Z`, whole seconds.
pub fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
