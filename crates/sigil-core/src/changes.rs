//! Holding every node to every change: each node applies the store's change log to its
//! in-memory revocations and caches, woken by notifications and on a timer.

use crate::audit::{kind, AuditEvent};
use crate::error::CoreResult;
use crate::ids::HexId;
use crate::revocation::Revocation;
use crate::Core;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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

/// The event types [`Core::sync_changes`] acts on; only these are logged.
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
    pub at: DateTime<Utc>,
    pub change: Change,
}

/// How far back each read of the log looks. Sequence numbers are handed out before commit, so
/// a change may become visible after a later one: every read looks at a window and applies
/// what it has not applied yet.
const WINDOW_SECONDS: i64 = 60;
/// Change log entries are kept this long.
pub const CHANGE_LOG_RETENTION_SECONDS: i64 = 3600;

/// What this node has applied.
#[derive(Default)]
pub(crate) struct SyncState {
    /// Sequence numbers applied, with when they were recorded (pruned past the window).
    applied: HashMap<i64, DateTime<Utc>>,
    /// When the log was last read successfully, by the core's clock (the window).
    last_read: Option<DateTime<Utc>>,
}

/// [`SyncState`], and when the log was last read by the monotonic clock (the staleness bound,
/// which a test's manual clock must not trip). That instant is an atomic beside the lock
/// because every authentication (and `/health`) asks for it: a shared lock there was taken
/// twice per request by every worker thread.
pub(crate) struct SyncTracker {
    state: Mutex<SyncState>,
    base: std::time::Instant,
    /// Nanoseconds from `base` to the last successful read, plus one; 0 before the first.
    read_at: AtomicU64,
}

impl SyncTracker {
    fn lock(&self) -> std::sync::MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn nanos(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn mark_read(&self) {
        self.read_at
            .store(self.nanos().saturating_add(1), Ordering::Release);
    }

    /// How long ago the log was last read, if it ever was.
    fn since_read(&self) -> Option<std::time::Duration> {
        match self.read_at.load(Ordering::Acquire) {
            0 => None,
            at => Some(std::time::Duration::from_nanos(
                self.nanos().saturating_sub(at - 1),
            )),
        }
    }
}

impl Core {
    /// Reads the change log and applies what this node has not applied yet. After a gap
    /// longer than the window (a node cut off from the store), it reloads every revocation and
    /// forgets every cache instead, since entries may have been missed.
    pub async fn sync_changes(&self) -> CoreResult<usize> {
        let now = self.now();
        let last_read = self.sync.lock().last_read;
        let window = Duration::seconds(WINDOW_SECONDS);
        let since = match last_read {
            Some(at) if now - at < window / 2 => at - window,
            _ => {
                self.reload_revocations().await?;
                self.forget_everything();
                now - window
            }
        };
        let records = self.store.changes_since(since).await?;
        let fresh: Vec<ChangeRecord> = {
            let mut state = self.sync.lock();
            let fresh = records
                .into_iter()
                .filter(|r| state.applied.insert(r.seq, r.at).is_none())
                .collect();
            state.applied.retain(|_, at| now - *at < window * 2);
            state.last_read = Some(now);
            self.sync.mark_read();
            fresh
        };
        for record in &fresh {
            self.apply_change(record).await?;
        }
        Ok(fresh.len())
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
            .since_read()
            .is_some_and(|ago| ago <= self.config.change_staleness_bound)
    }

    async fn apply_change(&self, record: &ChangeRecord) -> CoreResult<()> {
        match &record.change {
            Change::Revoked(revocation) => self.revoked(revocation),
            Change::Audited {
                event_type,
                target_id,
            } => match event_type.as_str() {
                kind::IDENTITY_PROVIDER_CREATED
                | kind::IDENTITY_PROVIDER_UPDATED
                | kind::IDENTITY_PROVIDER_DELETED
                | kind::IDENTITY_PROVIDER_JWKS_REVOKED => {
                    self.federation_changed(None);
                    if let Some(id) = target_id
                        .as_deref()
                        .and_then(|t| HexId::parse("id", t).ok())
                    {
                        self.key_sets.forget_fetched_before(id, record.at);
                    }
                }
                kind::CONNECTED_ORG_CONFIG_UPDATED
                | kind::CONNECTED_ORG_CONFIG_REMOVED
                | kind::ROLE_MAPPING_CREATED
                | kind::ROLE_MAPPING_UPDATED
                | kind::ROLE_MAPPING_DELETED => self.federation_changed(None),
                kind::SERVICE_ACCOUNT_UPDATED
                | kind::SERVICE_ACCOUNT_DELETED
                | kind::SERVICE_ACCOUNT_SECRET_CREATED
                | kind::SERVICE_ACCOUNT_SECRET_DELETED => {
                    self.clients.invalidate_all();
                    self.invalidate_credentials();
                }
                kind::API_KEY_UPDATED | kind::API_KEY_DELETED => self.invalidate_credentials(),
                kind::ROLE_CHANGED | kind::ROLE_DELETED | kind::USER_CHANGED => {
                    self.roles.invalidate_all();
                    self.invalidate_credentials();
                }
                kind::USER_DELETED => {
                    self.roles.invalidate_all();
                    self.invalidate_credentials();
                    // The user's API keys were invalidated in the same transaction.
                    self.api_keys.invalidate_all();
                }
                kind::SECURITY_API_KEY_UPDATED | kind::SECURITY_API_KEY_INVALIDATED => {
                    if let Some(id) = target_id {
                        self.forget_api_key(id);
                    }
                }
                kind::IAM_ACCESS_KEY_UPDATED | kind::IAM_ACCESS_KEY_DELETED => {
                    if let Some(access) = target_id {
                        self.forget_access_key(access);
                    }
                }
                kind::SIGNING_KEY_ROTATED => self.reload_signing_keys().await?,
                _ => {}
            },
        }
        Ok(())
    }

    fn forget_everything(&self) {
        self.clients.invalidate_all();
        self.access_keys.invalidate_all();
        self.api_keys.invalidate_all();
        self.roles.invalidate_all();
        self.invalidate_credentials();
        self.federation_changed(None);
        self.key_sets.forget_all();
    }
}

pub(crate) fn new_sync_state() -> SyncTracker {
    SyncTracker {
        state: Mutex::new(SyncState::default()),
        base: std::time::Instant::now(),
        read_at: AtomicU64::new(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Actor;

    fn logged(event_type: &str) -> bool {
        Change::of_event(&Actor::default().event(event_type, Utc::now(), None, None)).is_some()
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
