//! Holding every node to every change: each node applies the store's change log to its
//! in-memory revocations and caches, woken by notifications and on a timer, by sequence
//! number and never by its own clock.

mod position;

pub use position::{HOLE_PATIENCE_SECONDS, RESTART_AFTER_SECONDS};

use crate::audit::{kind, AuditEvent};
use crate::error::{CoreError, CoreResult};
use crate::kernel::{Forget, Kernel};
use crate::revocation::Revocation;
use chrono::{DateTime, Utc};
use position::LogPosition;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// A credential was revoked: applied as it is, without reading the store.
    Revoked(Revocation),
    /// An audited change: each node decides from its type which caches it touches.
    Audited {
        event_type: String,
        target_id: Option<String>,
    },
}

impl Change {
    /// The change an audit event records, if it changes what another node holds in memory.
    /// Creations of fresh credentials, failed authentications and token exchanges do not,
    /// and keeping them out keeps the log short under heavy write load.
    pub fn of_event(event: &AuditEvent) -> Option<Self> {
        CACHE_CHANGES
            .contains(&event.event_type.as_str())
            .then(|| Self::Audited {
                event_type: event.event_type.clone(),
                target_id: event.target_id.clone(),
            })
    }
}

/// The event types [`Kernel::sync_changes`] hands to the services; only these are logged.
const CACHE_CHANGES: [&str; 24] = [
    kind::SIGNING_KEY_ROTATED,
    kind::IDENTITY_PROVIDER_CREATED,
    kind::IDENTITY_PROVIDER_UPDATED,
    kind::IDENTITY_PROVIDER_DELETED,
    kind::IDENTITY_PROVIDER_JWKS_REVOKED,
    kind::CONNECTED_ORG_CONFIG_UPDATED,
    kind::CONNECTED_ORG_CONFIG_REMOVED,
    kind::ROLE_MAPPING_CREATED,
    kind::ROLE_MAPPING_UPDATED,
    kind::ROLE_MAPPING_DELETED,
    kind::SERVICE_ACCOUNT_UPDATED,
    kind::SERVICE_ACCOUNT_DELETED,
    kind::SERVICE_ACCOUNT_SECRET_CREATED,
    kind::SERVICE_ACCOUNT_SECRET_DELETED,
    kind::API_KEY_UPDATED,
    kind::API_KEY_DELETED,
    kind::ROLE_CHANGED,
    kind::ROLE_DELETED,
    kind::USER_CHANGED,
    kind::USER_DELETED,
    kind::SECURITY_API_KEY_UPDATED,
    kind::SECURITY_API_KEY_INVALIDATED,
    kind::IAM_ACCESS_KEY_UPDATED,
    kind::IAM_ACCESS_KEY_DELETED,
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    pub seq: i64,
    /// When the entry was appended, by the database's clock (whole seconds).
    pub at: DateTime<Utc>,
    pub change: Change,
}

/// Change log entries are kept this long (the database's clock).
pub const CHANGE_LOG_RETENTION_SECONDS: i64 = 3600;
/// Entries read per query.
const PAGE: i64 = 500;

/// Where this node is in the log ([`LogPosition`]), behind a lock held for a whole read and
/// apply (one at a time: the timer's, a notification's, a JWKS revoke's), and when the log was
/// last read and applied by the monotonic clock (the staleness bound, which a test's manual
/// clock must not trip). That instant is an atomic beside the lock because every
/// authentication (and `/health`) asks for it.
pub(crate) struct SyncTracker {
    position: tokio::sync::Mutex<LogPosition>,
    base: std::time::Instant,
    /// Nanoseconds from `base` to the start of the last read that applied everything it
    /// found, plus one; 0 before the first, and after an entry failed to apply.
    read_at: AtomicU64,
}

impl SyncTracker {
    fn nanos(&self, now: std::time::Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX)
    }

    fn mark_read(&self, started: u64) {
        self.read_at
            .store(started.saturating_add(1), Ordering::Release);
    }

    /// An entry was read and could not be applied: this node knows it is missing a change.
    fn mark_unread(&self) {
        self.read_at.store(0, Ordering::Release);
    }

    /// How long before `now` the log was last read, if it ever was.
    fn since_read(&self, now: std::time::Instant) -> Option<std::time::Duration> {
        match self.read_at.load(Ordering::Acquire) {
            0 => None,
            at => Some(std::time::Duration::from_nanos(
                self.nanos(now).saturating_sub(at - 1),
            )),
        }
    }
}

/// Why a read of the log failed.
enum SyncFailure {
    /// The store could not be read: the node stays current until its staleness bound.
    Read(CoreError),
    /// Entry `seq` was read but could not be applied: the node is stale at once, and the entry
    /// (with everything after it) is applied again at the next read.
    Apply(i64, CoreError),
}

impl From<CoreError> for SyncFailure {
    fn from(e: CoreError) -> Self {
        Self::Read(e)
    }
}

impl Kernel {
    /// Reads the change log after this node's position and applies each entry in order,
    /// marking it applied only once it is (a failure stops there: that entry and the rest are
    /// read again next time, and the node answers 503 until they apply). Nothing here reads a
    /// node's clock: the position is sequence numbers, and every wait is measured by the
    /// database's clock ([`position`](self::position) explains the holes).
    pub async fn sync_changes(&self) -> CoreResult<usize> {
        let mut position = self.sync.position.lock().await;
        let started = self.sync.nanos(self.clock.instant());
        match self.read_and_apply(&mut position).await {
            Ok(applied) => {
                self.sync.mark_read(started);
                Ok(applied)
            }
            Err(SyncFailure::Read(e)) => Err(e),
            Err(SyncFailure::Apply(seq, e)) => {
                self.sync.mark_unread();
                tracing::error!(seq, error = %e, "a change log entry could not be applied; refusing credentials until it is");
                Err(e)
            }
        }
    }

    async fn read_and_apply(&self, position: &mut LogPosition) -> Result<usize, SyncFailure> {
        let db_now = self.store.database_now().await?;
        let mut applied = 0;
        // A position lost in the middle of a read (too many holes) starts afresh once more.
        for _ in 0..2 {
            if position.needs_restart(db_now) {
                let floor = self
                    .store
                    .change_floor(LogPosition::restart_floor_time(db_now))
                    .await?;
                self.reload_revocations().await?;
                self.forget(Forget::Everything);
                position.restart_after(floor.unwrap_or(0));
            }
            let holes = position.holes();
            if !holes.is_empty() {
                let found = self.store.changes_in(&holes).await?;
                applied += self.apply_all(&found, position, db_now).await?;
            }
            loop {
                let page = self.store.changes_after(position.high(), PAGE).await?;
                applied += self.apply_all(&page, position, db_now).await?;
                if position.lost() || i64::try_from(page.len()).unwrap_or(PAGE) < PAGE {
                    break;
                }
            }
            if !position.lost() {
                for seq in position.read_done(db_now) {
                    tracing::debug!(seq, "change log: sequence number {seq} never appeared (a rolled-back transaction); no longer waiting for it");
                }
                return Ok(applied);
            }
        }
        Err(SyncFailure::Read(CoreError::internal(
            "the change log cannot be followed: too many missing sequence numbers",
        )))
    }

    /// Applies `records` in order, each marked in `position` once applied; stops at the first
    /// that fails.
    async fn apply_all(
        &self,
        records: &[ChangeRecord],
        position: &mut LogPosition,
        db_now: DateTime<Utc>,
    ) -> Result<usize, SyncFailure> {
        // Read before now: a key set fetched from here on was fetched after these changes.
        let read_done = self.clock.instant();
        let mut applied = 0;
        for record in records {
            self.apply_change(record, read_done)
                .await
                .map_err(|e| SyncFailure::Apply(record.seq, e))?;
            position.applied(record.seq, db_now);
            applied += 1;
            if position.lost() {
                break;
            }
        }
        Ok(applied)
    }

    /// Wakes the returned handle when another node may have changed something (PostgreSQL).
    pub async fn subscribe_changes(
        &self,
    ) -> CoreResult<Option<std::sync::Arc<tokio::sync::Notify>>> {
        self.store.subscribe_changes().await
    }

    /// Whether this node read the change log within the configured staleness bound. When it
    /// has not (its store unreachable), its memory may hold a credential revoked on another
    /// node, so the faces refuse to authenticate (503) rather than trust it.
    pub fn changes_current(&self) -> bool {
        self.sync
            .since_read(self.clock.instant())
            .is_some_and(|ago| ago <= self.config.change_staleness_bound)
    }

    /// Applies one entry read at `read_done` (this node's monotonic clock): a revocation
    /// here, an audited change in every service that acts on its kind.
    async fn apply_change(
        &self,
        record: &ChangeRecord,
        read_done: std::time::Instant,
    ) -> CoreResult<()> {
        match &record.change {
            Change::Revoked(revocation) => self.revoked(revocation),
            Change::Audited {
                event_type,
                target_id,
            } => {
                self.store_changed();
                for listener in self.listeners() {
                    listener
                        .apply(event_type, target_id.as_deref(), read_done)
                        .await?;
                }
            }
        }
        Ok(())
    }
}

pub(crate) fn new_sync_state(clock: &dyn crate::clock::Clock) -> SyncTracker {
    SyncTracker {
        position: tokio::sync::Mutex::new(LogPosition::default()),
        base: clock.instant(),
        read_at: AtomicU64::new(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Actor;

    fn logged(event_type: &str) -> bool {
        Change::of_event(&Actor::default().event(event_type, DateTime::UNIX_EPOCH, None, None))
            .is_some()
    }

    #[test]
    fn only_changes_another_node_acts_on_are_logged() {
        assert!(logged(kind::SECURITY_API_KEY_INVALIDATED));
        assert!(logged(kind::ROLE_MAPPING_UPDATED));
        assert!(logged(kind::SIGNING_KEY_ROTATED));
        assert!(!logged(kind::SECURITY_API_KEY_CREATED));
        assert!(!logged(kind::ORG_CREATED));
        assert!(!logged(kind::AUTHENTICATION_FAILED));
        assert!(!logged(kind::FEDERATED_TOKEN_EXCHANGED));
    }
}
