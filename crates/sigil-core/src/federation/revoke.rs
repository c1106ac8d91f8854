//! Revoking an identity provider's JWKS (the Atlas Admin API's revokeJwksFromIdentityProvider): a cutoff for its tokens, the end
//! of every Sigil session that came from it, and an immediate refetch of its keys.

use super::{FederationOwner, IdentityProvider, KeySetSource};
use crate::audit::{kind, Actor};
use crate::error::CoreResult;
use crate::federation::Federation;
use crate::ids::IdentityProviderId;
use crate::revocation::{Revocation, RevocationKind};
use chrono::{DateTime, Utc};

/// What a revoked pinned key set becomes: a set with no key, so the provider verifies nothing
/// until its owner pins new keys (the IAM face's `signing_key`).
pub const REVOKED_PINNED_JWKS: &str = r#"{"keys":[]}"#;

/// Why a revoked pinned set is not refetched.
const PINNED_REVOKED: &str =
    "the pinned key set was revoked: no token verifies until a new signing_key is configured";

/// A provider's cutoff holds for as long as the provider exists: its tokens may live longer
/// than Sigil's own, so the revocation is never pruned.
fn forever() -> DateTime<Utc> {
    // 9999-12-31T23:59:59Z: a second count every store keeps as a plain integer.
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or_default()
}

impl Federation {
    /// `DELETE …/identityProviders/{id}/jwks`. The cutoff and the revocation of the
    /// provider's sessions are written (and reach every node) before the refetch starts, so
    /// they hold whatever the issuer does; the refetch's outcome is recorded in `keySet` and
    /// in a second audit event.
    pub async fn revoke_jwks(
        &self,
        owner: FederationOwner,
        actor: &Actor,
        id: IdentityProviderId,
    ) -> CoreResult<()> {
        let mut idp = self.get_identity_provider(owner, id).await?;
        let now = self.kernel.now();
        // The cutoff every node compares the provider's `iat`s with is the database's time,
        // not this node's: on a node whose clock is behind, its own time would spare the
        // tokens issued in the minutes before the revoke, on every node.
        let cutoff = self.kernel.store.database_now().await?;
        let revocation = Revocation {
            kind: RevocationKind::IdentityProvider,
            key: id.to_string(),
            revoked_at: cutoff,
            expires_at: forever(),
        };
        idp.key_set.revoked_at = Some(idp.key_set.revoked_at.map_or(cutoff, |at| at.max(cutoff)));
        idp.key_set.key_ids.clear();
        // A fetched set is fetched again (the issuer has rotated, or will); a pinned one cannot
        // be, and the cutoff alone would let the revoked key sign new tokens: it is dropped.
        let pinned = idp.pinned_jwks.is_some();
        if pinned {
            idp.pinned_jwks = Some(serde_json::json!({"keys": []}));
            if let Some(oidc) = idp.iam.as_mut().and_then(|iam| iam.oidc.as_mut()) {
                oidc.signing_key = REVOKED_PINNED_JWKS.to_owned();
            }
        }
        let mut event = self
            .settings_event(
                owner,
                actor,
                kind::IDENTITY_PROVIDER_JWKS_REVOKED,
                id.to_string(),
            )
            .await?;
        event.created = now;
        self.kernel
            .store
            .record_jwks_revocation(&idp, &revocation, &event)
            .await?;
        self.kernel.revoked(&revocation);
        self.federation_changed(Some(id));
        // Read this change back from the log before fetching, so that applying it later does
        // not throw away the keys fetched next (see `KeySets::forget_unless_fetched_after`).
        if let Err(e) = self.kernel.sync_changes().await {
            tracing::warn!(error = %e, "reading the change log after a JWKS revoke failed");
        }

        let outcome = match idp.issuer_uri.as_deref() {
            _ if pinned => {
                self.key_sets.forget(id);
                Err(PINNED_REVOKED.to_owned())
            }
            Some(issuer) => {
                self.key_sets
                    .discard_and_refetch(id, issuer, idp.pinned_jwks.as_ref())
                    .await
            }
            None => Err("the provider has no issuer (no OpenID Connect configuration)".into()),
        };
        let mut after = self
            .kernel
            .store
            .get_identity_provider(owner.federation_settings_id(), id)
            .await?
            .unwrap_or(idp);
        let mut event = self
            .settings_event(
                owner,
                actor,
                kind::IDENTITY_PROVIDER_JWKS_REFETCHED,
                id.to_string(),
            )
            .await?;
        match outcome {
            Ok(key_ids) => {
                after.key_set.key_ids = key_ids.clone();
                after.key_set.fetched_at = Some(self.kernel.now());
                after.key_set.last_error = None;
                event.detail = Some(format!("key set refetched: {}", key_ids.join(", ")));
            }
            Err(e) => {
                tracing::warn!(identity_provider = %id, error = %e, "JWKS refetch after a revoke failed");
                after.key_set.last_error = Some(e.clone());
                event = event.failed(format!("key set refetch failed: {e}"));
            }
        }
        self.kernel
            .store
            .update_identity_provider(&after, &event)
            .await
    }

    /// The provider with what this node currently knows of its keys.
    pub(crate) fn with_live_key_set(&self, mut idp: IdentityProvider) -> IdentityProvider {
        if idp.pinned_jwks.is_some() {
            idp.key_set.source = KeySetSource::Pinned;
        }
        if let Some(live) = self.key_sets.snapshot(idp.id) {
            if live.fetched_at.is_some() || live.last_error.is_some() {
                idp.key_set.key_ids = live.key_ids;
                idp.key_set.fetched_at = live.fetched_at.or(idp.key_set.fetched_at);
                idp.key_set.last_error = live.last_error;
            }
        }
        idp
    }
}
