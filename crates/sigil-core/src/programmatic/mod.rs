//! Programmatic API keys: a public key and a private key that authenticate by HTTP
//! Digest on every face. The private key is kept only as Digest's HA1, sealed.

use crate::audit::{kind, Actor};
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::ids::{HexId, OrgId};
use crate::kernel::Forget;
use crate::oauth::service_accounts::parse_roles;
use crate::page::{Page, PageRequest};
use crate::principal::{OrgRoleAssignment, Principal, PrincipalKind, Realm};
use crate::privilege::{OrgOwner, OrgRole};
use crate::secret::SecretString;
use crate::user::{Ha1, SealedHa1};
use crate::validate::text_field;
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

mod service;

pub use service::Programmatic;

pub const DESC_MAX: usize = 250;
const PUBLIC_KEY_LEN: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgrammaticApiKey {
    pub id: HexId,
    pub org_id: OrgId,
    pub desc: String,
    pub roles: Vec<OrgRole>,
    /// 8 lowercase letters: the Digest username.
    pub public_key: String,
    /// `********-****-****-****-` and the last 12 characters of the private key.
    pub private_key_masked: String,
    pub digest_ha1: SealedHa1,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProgrammaticKeyDraft {
    /// 1 to 250 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 250, pattern = "\\S")]
    pub desc: Option<String>,
    /// Organization roles, at least one.
    #[schema(schema_with = crate::privilege::OrgRole::list_schema, required = true)]
    pub roles: Option<Vec<String>>,
}

/// Whether `name` has the form of a public key, so Digest looks it up among the keys.
pub fn is_public_key_form(name: &str) -> bool {
    name.len() == PUBLIC_KEY_LEN && name.bytes().all(|b| b.is_ascii_lowercase())
}

fn random_public_key() -> String {
    let mut rng = rand::thread_rng();
    (0..PUBLIC_KEY_LEN)
        .map(|_| char::from(b'a' + rng.gen_range(0..26u8)))
        .collect()
}

/// 128 random bits in the 8-4-4-4-12 form of a UUID.
fn random_private_key() -> SecretString {
    let hex = hex::encode(rand::random::<[u8; 16]>());
    SecretString::new(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

impl ProgrammaticApiKey {
    pub fn principal(&self) -> Principal {
        Principal {
            kind: PrincipalKind::ProgrammaticApiKey,
            id: self.id.to_string(),
            name: self.public_key.clone(),
            realm: Realm {
                name: "api_keys".into(),
                kind: "api_key".into(),
            },
            superuser: false,
            org_roles: self
                .roles
                .iter()
                .map(|role| OrgRoleAssignment {
                    org_id: self.org_id,
                    role: *role,
                })
                .collect(),
            cluster_privileges: vec![],
            roles: vec![],
            api_key: None,
            scope: Some(self.org_id),
        }
    }
}

impl Programmatic {
    /// Creates a key; the private key is answered once.
    pub async fn create_programmatic_key(
        &self,
        owner: OrgOwner,
        actor: &Actor,
        draft: ProgrammaticKeyDraft,
    ) -> CoreResult<(ProgrammaticApiKey, SecretString)> {
        let desc = text_field("desc", draft.desc, 1, DESC_MAX)?;
        let roles = parse_roles("roles", draft.roles)?;
        self.directory.organization(owner.org()).await?;
        let private = random_private_key();
        let mut attempts = 0;
        loop {
            let public_key = random_public_key();
            let key = ProgrammaticApiKey {
                id: HexId::random(),
                org_id: owner.org(),
                desc: desc.clone(),
                roles: roles.clone(),
                private_key_masked: format!("********-****-****-****-{}", &private.expose()[24..]),
                digest_ha1: Ha1::compute(&public_key, &private).seal(&self.kernel.master_key)?,
                public_key,
                created_at: self.kernel.now(),
            };
            let event = actor.event(
                kind::API_KEY_CREATED,
                self.kernel.now(),
                Some(owner.org()),
                Some(key.id.to_string()),
            );
            match self
                .kernel
                .store
                .insert_programmatic_key(&key, &event)
                .await
            {
                Ok(()) => return Ok((key, private)),
                // 26^8 public keys: a collision is rare; draw again.
                Err(CoreError::Conflict { .. }) if attempts < 5 => attempts += 1,
                Err(e) => return Err(e),
            }
        }
    }

    pub async fn list_programmatic_keys(
        &self,
        owner: OrgOwner,
        page: &PageRequest,
    ) -> CoreResult<Page<ProgrammaticApiKey>> {
        self.directory.organization(owner.org()).await?;
        self.kernel
            .store
            .list_programmatic_keys(owner.org(), page)
            .await
    }

    pub async fn get_programmatic_key(
        &self,
        owner: OrgOwner,
        id: HexId,
    ) -> CoreResult<ProgrammaticApiKey> {
        match self.kernel.store.get_programmatic_key(id).await? {
            Some(k) if k.org_id == owner.org() => Ok(k),
            _ => Err(CoreError::not_found(ResourceKind::ApiKey, id)),
        }
    }

    pub async fn update_programmatic_key(
        &self,
        owner: OrgOwner,
        actor: &Actor,
        id: HexId,
        draft: ProgrammaticKeyDraft,
    ) -> CoreResult<ProgrammaticApiKey> {
        let mut key = self.get_programmatic_key(owner, id).await?;
        if draft.desc.is_some() {
            key.desc = text_field("desc", draft.desc, 1, DESC_MAX)?;
        }
        if draft.roles.is_some() {
            key.roles = parse_roles("roles", draft.roles)?;
        }
        let event = actor.event(
            kind::API_KEY_UPDATED,
            self.kernel.now(),
            Some(owner.org()),
            Some(id.to_string()),
        );
        self.kernel
            .store
            .update_programmatic_key(&key, &event)
            .await?;
        self.kernel.forget(Forget::Credentials);
        Ok(key)
    }

    /// Deletes a key; it stops authenticating at once.
    pub async fn delete_programmatic_key(
        &self,
        owner: OrgOwner,
        actor: &Actor,
        id: HexId,
    ) -> CoreResult<()> {
        self.get_programmatic_key(owner, id).await?;
        let event = actor.event(
            kind::API_KEY_DELETED,
            self.kernel.now(),
            Some(owner.org()),
            Some(id.to_string()),
        );
        if !self
            .kernel
            .store
            .delete_programmatic_key(id, &event)
            .await?
        {
            return Err(CoreError::not_found(ResourceKind::ApiKey, id));
        }
        self.kernel.forget(Forget::Credentials);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_forms() {
        let public = random_public_key();
        assert!(is_public_key_form(&public));
        assert!(!is_public_key_form("admin"));
        assert!(!is_public_key_form("ABCDEFGH"));
        let private = random_private_key();
        let parts: Vec<usize> = private.expose().split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12]);
        assert_ne!(private.expose(), random_private_key().expose());
    }
}
