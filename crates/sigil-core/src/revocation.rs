//! Revocations: what was taken back, kept in the store until nothing it covers can still be
//! used, and mirrored in memory so the hot path never asks the store.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::RwLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationKind {
    /// One access token, by `jti`.
    Token,
    /// Every token issued with a service-account secret, by secret id.
    Secret,
    /// Every token of a service account, by client id.
    ServiceAccount,
    /// Every JWT of an identity provider issued at or before `revoked_at`, by provider id.
    IdentityProvider,
}

impl RevocationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Secret => "secret",
            Self::ServiceAccount => "service_account",
            Self::IdentityProvider => "identity_provider",
        }
    }
}

/// Revocations are kept this long past their `expires_at`, in the store and in memory. Each
/// node compares times with its own clock: a revocation dated by a node whose clock is behind
/// must outlive every token dated by one whose clock is ahead, so this much disagreement
/// between nodes' clocks never brings a revoked token back at the end of its life.
pub const PRUNE_GRACE_SECONDS: i64 = 900;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub kind: RevocationKind,
    pub key: String,
    pub revoked_at: DateTime<Utc>,
    /// After this instant nothing the revocation covers can be valid, so it may be pruned.
    pub expires_at: DateTime<Utc>,
}

/// Revoked at, and prunable after, per revoked key of one kind.
type Entries = HashMap<String, (DateTime<Utc>, DateTime<Utc>)>;

/// One map per kind, so a lookup by `&str` needs no owned key: every cached token is checked
/// against these on every request.
#[derive(Default)]
struct Lists {
    token: Entries,
    secret: Entries,
    service_account: Entries,
    identity_provider: Entries,
}

impl Lists {
    fn of(&self, kind: RevocationKind) -> &Entries {
        match kind {
            RevocationKind::Token => &self.token,
            RevocationKind::Secret => &self.secret,
            RevocationKind::ServiceAccount => &self.service_account,
            RevocationKind::IdentityProvider => &self.identity_provider,
        }
    }

    fn of_mut(&mut self, kind: RevocationKind) -> &mut Entries {
        match kind {
            RevocationKind::Token => &mut self.token,
            RevocationKind::Secret => &mut self.secret,
            RevocationKind::ServiceAccount => &mut self.service_account,
            RevocationKind::IdentityProvider => &mut self.identity_provider,
        }
    }

    fn insert(&mut self, r: &Revocation) {
        let slot = self
            .of_mut(r.kind)
            .entry(r.key.clone())
            .or_insert((r.revoked_at, r.expires_at));
        // A later revocation of the same key moves the cutoff forward, never back.
        slot.0 = slot.0.max(r.revoked_at);
        slot.1 = slot.1.max(r.expires_at);
    }

    fn all_mut(&mut self) -> [&mut Entries; 4] {
        [
            &mut self.token,
            &mut self.secret,
            &mut self.service_account,
            &mut self.identity_provider,
        ]
    }
}

/// The in-memory mirror of the store's revocations.
#[derive(Default)]
pub struct RevocationList {
    entries: RwLock<Lists>,
}

impl RevocationList {
    pub fn insert(&self, r: &Revocation) {
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(r);
    }

    /// Replaces everything with what the store holds (start-up and reconciliation).
    pub fn replace_all(&self, all: &[Revocation]) {
        let mut fresh = Lists::default();
        for r in all {
            fresh.insert(r);
        }
        *self.entries.write().unwrap_or_else(|p| p.into_inner()) = fresh;
    }

    /// The instant `key` was revoked, if it was.
    pub fn revoked_at(&self, kind: RevocationKind, key: &str) -> Option<DateTime<Utc>> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries.of(kind).get(key).map(|(at, _)| *at)
    }

    pub fn is_revoked(&self, kind: RevocationKind, key: &str) -> bool {
        self.revoked_at(kind, key).is_some()
    }

    pub fn prune(&self, now: DateTime<Utc>) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        for list in entries.all_mut() {
            list.retain(|_, (_, expires)| *expires > now);
        }
    }

    pub fn len(&self) -> usize {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        [
            RevocationKind::Token,
            RevocationKind::Secret,
            RevocationKind::ServiceAccount,
            RevocationKind::IdentityProvider,
        ]
        .iter()
        .map(|kind| entries.of(*kind).len())
        .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap_or_default()
    }

    #[test]
    fn revocations_are_found_by_kind_and_key_and_pruned_after_expiry() {
        let list = RevocationList::default();
        list.insert(&Revocation {
            kind: RevocationKind::Token,
            key: "j1".into(),
            revoked_at: at(10),
            expires_at: at(100),
        });
        assert!(list.is_revoked(RevocationKind::Token, "j1"));
        assert!(!list.is_revoked(RevocationKind::Secret, "j1"));
        assert!(!list.is_revoked(RevocationKind::Token, "j2"));
        list.prune(at(99));
        assert!(list.is_revoked(RevocationKind::Token, "j1"));
        list.prune(at(100));
        assert!(list.is_empty());
    }

    #[test]
    fn a_later_cutoff_wins_and_replace_all_forgets_the_rest() {
        let list = RevocationList::default();
        let r = |s| Revocation {
            kind: RevocationKind::IdentityProvider,
            key: "idp".into(),
            revoked_at: at(s),
            expires_at: at(s + 10),
        };
        list.insert(&r(50));
        list.insert(&r(20));
        assert_eq!(
            list.revoked_at(RevocationKind::IdentityProvider, "idp"),
            Some(at(50))
        );
        list.replace_all(&[Revocation {
            kind: RevocationKind::Token,
            key: "t".into(),
            revoked_at: at(1),
            expires_at: at(2),
        }]);
        assert!(!list.is_revoked(RevocationKind::IdentityProvider, "idp"));
        assert!(list.is_revoked(RevocationKind::Token, "t"));
    }
}
