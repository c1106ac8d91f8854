//! Access keys (issue 9): an access key id (`access`) and a secret key per user, at most
//! [`MAX_PER_USER`], for `SDK-HMAC-SHA256` request signing. Verifying a signature needs the
//! secret key itself, so it is kept sealed with the master key (AES-256-GCM) and opened only
//! into the in-memory cache; it is shown once, when created.

use super::signature::{self, ReceivedRequest, SdkAuthorization};
use crate::audit::{kind, Actor};
use crate::crypto::constant_time_eq;
use crate::error::{CoreError, CoreResult, Limit, ResourceKind};
use crate::iam::Iam;
use crate::ids::{HexId, OrgId, UserId};
use crate::principal::Principal;
use crate::privilege::{OrgRole, Privilege};
use crate::secret::{random_urlsafe, SecretString};
use crate::validate::optional_text;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Keys one user may hold, active or not.
pub const MAX_PER_USER: usize = 2;
const DESCRIPTION_MAX: usize = 255;
const ACCESS_PREFIX: &str = "SGAK";
const SECRET_PREFIX: &str = "SGSK";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

impl AccessKeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
        }
    }

    fn parse(text: &str) -> CoreResult<Self> {
        match text {
            "active" => Ok(Self::Active),
            "inactive" => Ok(Self::Inactive),
            _ => Err(CoreError::invalid(
                "status",
                format!("{text:?} is not active or inactive"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKey {
    /// `SGAK` and 16 upper-case letters or digits: an identifier, not a secret.
    pub access: String,
    pub user_id: UserId,
    /// The domain the key speaks for: its requests carry the user's roles there only.
    pub org_id: OrgId,
    pub status: AccessKeyStatus,
    pub description: String,
    pub created_at: DateTime<Utc>,
    /// The secret key, sealed with the master key.
    pub sealed_secret: String,
}

/// A key just created, with its secret key (shown this once).
#[derive(Debug)]
pub struct CreatedAccessKey {
    pub key: AccessKey,
    pub secret: SecretString,
}

/// What verifying a key's signatures needs, from memory.
#[derive(Debug)]
pub(crate) struct AccessKeyRecord {
    key: AccessKey,
    secret: SecretString,
    principal: Principal,
}

/// A create (`user_id`, `description`) or update (`status`, `description`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessKeyDraft {
    pub user_id: Option<String>,
    pub description: Option<String>,
    /// `active` or `inactive` (update only).
    pub status: Option<String>,
}

fn new_access() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{ACCESS_PREFIX}{tail}")
}

/// Whether `who` is the user `user` itself (by any credential of its own but an API key).
fn is_own(who: &Principal, user: UserId) -> bool {
    who.kind == crate::principal::PrincipalKind::User
        && who.api_key.is_none()
        && who.id == user.to_string()
}

impl Iam {
    /// The caller may read `user`'s keys in `org` (never their secrets): its own, or any of
    /// the domain's as its ORG_OWNER.
    fn authorize_key_reader(&self, who: &Principal, user: UserId, org: OrgId) -> CoreResult<()> {
        if is_own(who, user) {
            return Ok(());
        }
        who.require_org_owner(org).map(|_| ())
    }

    /// The caller may manage `user`'s keys in `org`: its own, or, as ORG_OWNER of `org`, those
    /// of a user who holds a role there (a superuser's implicit roles do not count), whose
    /// roles there the caller holds, and who is not a superuser unless the caller is one — so
    /// no owner mints a key that speaks as someone worth more than itself.
    async fn authorize_key_manager(
        &self,
        who: &Principal,
        user: UserId,
        org: OrgId,
    ) -> CoreResult<()> {
        if is_own(who, user) {
            return Ok(());
        }
        who.require_org_owner(org)?;
        let Some(target) = self.kernel.store.get_user(user).await? else {
            return Err(CoreError::not_found(ResourceKind::User, user));
        };
        let target = self.elasticsearch.user_principal(&target).await?;
        let member = target.org_roles.iter().any(|a| a.org_id == org);
        // The key is worth the user's roles in `org`; only a superuser manages a superuser's.
        let worth = target.clone().scoped_to(org);
        if member && (who.superuser || !target.superuser) && who.covers(&worth) {
            Ok(())
        } else {
            Err(CoreError::Forbidden {
                needs: if target.superuser {
                    Privilege::Superuser
                } else {
                    Privilege::OrgRole {
                        org,
                        role: OrgRole::OrgOwner,
                    }
                },
            })
        }
    }

    pub async fn create_access_key(
        &self,
        who: &Principal,
        actor: &Actor,
        draft: AccessKeyDraft,
    ) -> CoreResult<CreatedAccessKey> {
        let user_text = draft.user_id.ok_or_else(|| CoreError::missing("user_id"))?;
        if draft.status.is_some() {
            return Err(CoreError::invalid(
                "status",
                "a new key is active; change it with PUT",
            ));
        }
        let description = optional_text("description", draft.description, 0, DESCRIPTION_MAX)?
            .unwrap_or_default();
        let domain = self.caller_domain(who).await?;
        let user = HexId::parse("user_id", &user_text)?;
        if self.kernel.store.get_user(user).await?.is_none() {
            return Err(CoreError::not_found(ResourceKind::User, user));
        }
        self.authorize_key_manager(who, user, domain.id).await?;
        let secret = SecretString::new(format!("{SECRET_PREFIX}{}", random_urlsafe(27)));
        let key = AccessKey {
            access: new_access(),
            user_id: user,
            org_id: domain.id,
            status: AccessKeyStatus::Active,
            description,
            created_at: self.kernel.now(),
            sealed_secret: self.kernel.master_key.seal(secret.expose().as_bytes())?,
        };
        let event = actor.event(
            kind::IAM_ACCESS_KEY_CREATED,
            self.kernel.now(),
            Some(domain.id),
            Some(key.access.clone()),
        );
        if !self
            .kernel
            .store
            .insert_access_key(&key, MAX_PER_USER, &event)
            .await?
        {
            return Err(CoreError::LimitReached {
                limit: Limit::AccessKeysPerUser,
                what: format!(
                    "user {user} already has {MAX_PER_USER} access keys; delete one first"
                ),
            });
        }
        Ok(CreatedAccessKey { key, secret })
    }

    /// `user_id` given: that user's keys in the caller's domain. Absent: the caller's own, or
    /// every key of the domain for its ORG_OWNER.
    pub async fn list_access_keys(
        &self,
        who: &Principal,
        user_id: Option<&str>,
    ) -> CoreResult<Vec<AccessKey>> {
        let domain = self.caller_domain(who).await?;
        let owner = who.has_org_role(domain.id, OrgRole::OrgOwner);
        let user = match user_id {
            Some(text) => Some(HexId::parse("user_id", text)?),
            None if owner => None,
            // Only users have keys: anyone else is asking for the domain's.
            None => match HexId::parse("user_id", &who.id) {
                Ok(me) if who.kind == crate::principal::PrincipalKind::User => Some(me),
                _ => {
                    return Err(CoreError::Forbidden {
                        needs: Privilege::OrgRole {
                            org: domain.id,
                            role: OrgRole::OrgOwner,
                        },
                    })
                }
            },
        };
        if let Some(user) = user {
            self.authorize_key_reader(who, user, domain.id)?;
        }
        self.kernel.store.list_access_keys(domain.id, user).await
    }

    /// A key the caller may read; `NotFound` when there is none by that id.
    pub async fn get_access_key(&self, who: &Principal, access: &str) -> CoreResult<AccessKey> {
        let key = self.stored_access_key(access).await?;
        self.authorize_key_reader(who, key.user_id, key.org_id)?;
        Ok(key)
    }

    /// A key the caller may change or delete.
    async fn managed_access_key(&self, who: &Principal, access: &str) -> CoreResult<AccessKey> {
        let key = self.stored_access_key(access).await?;
        self.authorize_key_manager(who, key.user_id, key.org_id)
            .await?;
        Ok(key)
    }

    async fn stored_access_key(&self, access: &str) -> CoreResult<AccessKey> {
        self.kernel
            .store
            .get_access_key(access)
            .await?
            .ok_or_else(|| CoreError::not_found(ResourceKind::AccessKey, access))
    }

    pub async fn update_access_key(
        &self,
        who: &Principal,
        actor: &Actor,
        access: &str,
        draft: AccessKeyDraft,
    ) -> CoreResult<AccessKey> {
        if draft.user_id.is_some() {
            return Err(CoreError::invalid("user_id", "a key's user cannot change"));
        }
        let mut key = self.managed_access_key(who, access).await?;
        if let Some(status) = &draft.status {
            key.status = AccessKeyStatus::parse(status)?;
        }
        if draft.description.is_some() {
            key.description = optional_text("description", draft.description, 0, DESCRIPTION_MAX)?
                .unwrap_or_default();
        }
        let event = actor.event(
            kind::IAM_ACCESS_KEY_UPDATED,
            self.kernel.now(),
            Some(key.org_id),
            Some(key.access.clone()),
        );
        if !self.kernel.store.update_access_key(&key, &event).await? {
            return Err(CoreError::not_found(ResourceKind::AccessKey, access));
        }
        self.forget_access_key(access);
        Ok(key)
    }

    pub async fn delete_access_key(
        &self,
        who: &Principal,
        actor: &Actor,
        access: &str,
    ) -> CoreResult<()> {
        let key = self.managed_access_key(who, access).await?;
        let event = actor.event(
            kind::IAM_ACCESS_KEY_DELETED,
            self.kernel.now(),
            Some(key.org_id),
            Some(key.access.clone()),
        );
        if !self.kernel.store.delete_access_key(access, &event).await? {
            return Err(CoreError::not_found(ResourceKind::AccessKey, access));
        }
        self.forget_access_key(access);
        Ok(())
    }

    pub(crate) fn forget_access_key(&self, access: &str) {
        self.kernel.bump_cache_epoch();
        self.access_keys.invalidate(access);
    }

    /// The key and its opened secret, from memory when this node has read it since it last
    /// changed; `None` when there is no such key or its user is gone or disabled.
    async fn access_key_record(&self, access: &str) -> CoreResult<Option<Arc<AccessKeyRecord>>> {
        if let Some(hit) = self.access_keys.get(access) {
            return Ok(Some(hit));
        }
        let epoch = self.kernel.cache_epoch();
        let Some(key) = self.kernel.store.get_access_key(access).await? else {
            return Ok(None);
        };
        let Some(user) = self.kernel.store.get_user(key.user_id).await? else {
            return Ok(None);
        };
        if !user.enabled {
            return Ok(None);
        }
        let principal = self
            .elasticsearch
            .user_principal(&user)
            .await?
            .scoped_to(key.org_id);
        let secret = String::from_utf8(self.kernel.master_key.open(&key.sealed_secret)?)
            .map_err(CoreError::internal)?;
        let record = Arc::new(AccessKeyRecord {
            key,
            secret: SecretString::new(secret),
            principal,
        });
        if self.kernel.cacheable_since(epoch) {
            self.access_keys.insert(access.to_owned(), record.clone());
        }
        Ok(Some(record))
    }

    /// `Authorization: SDK-HMAC-SHA256 …` with a temporary access key: see
    /// [`Iam::authenticate_temporary`]. With a permanent one: no `X-Security-Token`, the key must exist and be active, `X-Sdk-Date`
    /// within [`signature::REPLAY_WINDOW_SECONDS`] of the clock, `X-Domain-Id` (when sent) the
    /// key's domain, and the signature the one its secret key makes of this request — one
    /// SHA-256 of the canonical request and one HMAC, compared in constant time.
    pub async fn authenticate_signed(
        &self,
        params: &str,
        request: &ReceivedRequest<'_>,
        actor: &Actor,
    ) -> CoreResult<Principal> {
        let refuse = |who: Option<String>, why: &'static str| async move {
            self.kernel
                .authentication_failed(actor, who.as_deref(), why)
                .await;
            CoreError::Unauthenticated
        };
        let Some(auth) = SdkAuthorization::parse(params).filter(SdkAuthorization::signs_the_date)
        else {
            return Err(refuse(None, "malformed SDK-HMAC-SHA256 credentials").await);
        };
        let access = Some(auth.access.clone());
        let Some(date) = request.header("x-sdk-date").map(str::trim) else {
            return Err(refuse(access, "no X-Sdk-Date").await);
        };
        if !signature::within_replay_window(date, self.kernel.now().timestamp()) {
            return Err(refuse(access, "X-Sdk-Date outside the replay window").await);
        }
        if auth.access.starts_with(super::temporary::ACCESS_PREFIX) {
            return self
                .authenticate_temporary(&auth, date, request, actor)
                .await;
        }
        if request
            .header(super::temporary::SECURITY_TOKEN_HEADER)
            .is_some()
        {
            return Err(refuse(access, "a permanent access key with X-Security-Token").await);
        }
        let Some(record) = self.access_key_record(&auth.access).await? else {
            return Err(refuse(access, "unknown access key").await);
        };
        if record.key.status != AccessKeyStatus::Active {
            return Err(refuse(access, "inactive access key").await);
        }
        if request
            .header("x-domain-id")
            .is_some_and(|d| d.trim() != record.key.org_id.to_string())
        {
            return Err(refuse(access, "X-Domain-Id is not the key's domain").await);
        }
        let Some(canonical) = signature::canonical_request(request, &auth.signed_headers) else {
            return Err(refuse(
                access,
                "a signed header is missing or the payload hash is false",
            )
            .await);
        };
        let expected = signature::sign(
            record.secret.expose().as_bytes(),
            &signature::string_to_sign(date, &canonical),
        );
        if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            return Err(refuse(access, "wrong signature").await);
        }
        Ok(record.principal.clone())
    }
}
