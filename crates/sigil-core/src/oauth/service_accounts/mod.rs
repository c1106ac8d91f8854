//! Service accounts (the Atlas Admin API and Cloud Manager service-account API): machines with a client id, expiring secrets, and the
//! organization roles their tokens carry.

mod secret;

pub use secret::{
    hash_secret, is_well_formed, mint, SecretLifetimeRule, ServiceAccountSecret, MAX_LIVE_SECRETS,
    SECRET_PREFIX,
};

use crate::audit::{kind, Actor};
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::ids::{HexId, OrgId};
use crate::oauth::OAuth;
use crate::page::{Page, PageRequest};
use crate::privilege::{OrgOwner, OrgRole};
use crate::revocation::RevocationKind;
use crate::secret::SecretString;
use crate::validate::text_field;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const CLIENT_ID_PREFIX: &str = "mdb_sa_id_";
pub const NAME_MAX: usize = 64;
pub const DESCRIPTION_MAX: usize = 250;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccount {
    pub client_id: String,
    pub org_id: OrgId,
    pub name: String,
    pub description: String,
    pub roles: Vec<OrgRole>,
    pub created_at: DateTime<Utc>,
}

/// A client id is `mdb_sa_id_` and 24 hex digits.
pub fn parse_client_id(field: &str, text: &str) -> CoreResult<String> {
    match text.strip_prefix(CLIENT_ID_PREFIX) {
        Some(hex) if HexId::parse(field, hex).is_ok() => Ok(text.to_owned()),
        _ => Err(CoreError::invalid(
            field,
            format!("{text:?} is not a client id ({CLIENT_ID_PREFIX} and 24 hexadecimal digits)"),
        )),
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccountDraft {
    /// 1 to 64 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 64, pattern = "\\S")]
    pub name: Option<String>,
    /// 1 to 250 characters.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 250, pattern = "\\S")]
    pub description: Option<String>,
    /// Organization roles, at least one.
    #[schema(schema_with = OrgRole::list_schema, required = true)]
    pub roles: Option<Vec<String>>,
    /// Hours until the first secret expires: an integer (or a string of digits).
    #[schema(value_type = i64, required = true)]
    pub secret_expires_after_hours: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccountUpdate {
    /// 1 to 64 characters; absent or null keeps the name.
    #[schema(min_length = 1, max_length = 64, pattern = "\\S")]
    pub name: Option<String>,
    /// 1 to 250 characters; absent or null keeps the description.
    #[schema(min_length = 1, max_length = 250, pattern = "\\S")]
    pub description: Option<String>,
    /// Organization roles, at least one; absent or null keeps the roles.
    #[schema(schema_with = OrgRole::nullable_list_schema)]
    pub roles: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretDraft {
    /// Hours until the secret expires: an integer (or a string of digits).
    #[schema(value_type = i64, required = true)]
    pub secret_expires_after_hours: Option<serde_json::Value>,
}

/// Parses a non-empty list of organization roles given in `field`.
pub fn parse_roles(field: &str, roles: Option<Vec<String>>) -> CoreResult<Vec<OrgRole>> {
    let roles = roles.ok_or_else(|| CoreError::missing(field))?;
    if roles.is_empty() {
        return Err(CoreError::invalid(field, "must hold at least one role"));
    }
    let mut parsed = vec![];
    for (i, r) in roles.iter().enumerate() {
        let role = OrgRole::parse(&format!("{field}[{i}]"), r)?;
        if !parsed.contains(&role) {
            parsed.push(role);
        }
    }
    Ok(parsed)
}

/// A service account with its secrets, as every read shows it.
pub type ServiceAccountWithSecrets = (ServiceAccount, Vec<ServiceAccountSecret>);

impl OAuth {
    /// Creates the account with its first secret; the secret's value is answered once.
    pub async fn create_service_account(
        &self,
        owner: OrgOwner,
        actor: &Actor,
        draft: ServiceAccountDraft,
        rule: SecretLifetimeRule,
    ) -> CoreResult<(ServiceAccount, ServiceAccountSecret, SecretString)> {
        let name = text_field("name", draft.name, 1, NAME_MAX)?;
        let description = text_field("description", draft.description, 1, DESCRIPTION_MAX)?;
        let roles = parse_roles("roles", draft.roles)?;
        let hours = rule.parse_hours(draft.secret_expires_after_hours.as_ref())?;
        self.directory.organization(owner.org()).await?;
        let now = self.kernel.now();
        let account = ServiceAccount {
            client_id: format!("{CLIENT_ID_PREFIX}{}", HexId::random()),
            org_id: owner.org(),
            name,
            description,
            roles,
            created_at: now,
        };
        let (secret, value) = mint(&account.client_id, hours, now);
        let event = actor.event(
            kind::SERVICE_ACCOUNT_CREATED,
            now,
            Some(owner.org()),
            Some(account.client_id.clone()),
        );
        self.kernel
            .store
            .insert_service_account(&account, &secret, &event)
            .await?;
        Ok((account, secret, value))
    }

    pub async fn list_service_accounts(
        &self,
        owner: OrgOwner,
        page: &PageRequest,
    ) -> CoreResult<Page<ServiceAccountWithSecrets>> {
        self.directory.organization(owner.org()).await?;
        let accounts = self
            .kernel
            .store
            .list_service_accounts(owner.org(), page)
            .await?;
        let mut items = vec![];
        for account in accounts.items {
            let secrets = self.kernel.store.list_secrets(&account.client_id).await?;
            items.push((account, secrets));
        }
        Ok(Page {
            items,
            total: accounts.total,
        })
    }

    async fn owned_service_account(
        &self,
        owner: OrgOwner,
        client_id: &str,
    ) -> CoreResult<ServiceAccount> {
        match self.kernel.store.get_service_account(client_id).await? {
            Some(a) if a.org_id == owner.org() => Ok(a),
            _ => Err(CoreError::not_found(
                ResourceKind::ServiceAccount,
                client_id,
            )),
        }
    }

    pub async fn get_service_account(
        &self,
        owner: OrgOwner,
        client_id: &str,
    ) -> CoreResult<ServiceAccountWithSecrets> {
        let account = self.owned_service_account(owner, client_id).await?;
        let secrets = self.kernel.store.list_secrets(client_id).await?;
        Ok((account, secrets))
    }

    pub async fn update_service_account(
        &self,
        owner: OrgOwner,
        actor: &Actor,
        client_id: &str,
        update: ServiceAccountUpdate,
    ) -> CoreResult<ServiceAccountWithSecrets> {
        let mut account = self.owned_service_account(owner, client_id).await?;
        if update.name.is_some() {
            account.name = text_field("name", update.name, 1, NAME_MAX)?;
        }
        if update.description.is_some() {
            account.description =
                text_field("description", update.description, 1, DESCRIPTION_MAX)?;
        }
        if update.roles.is_some() {
            account.roles = parse_roles("roles", update.roles)?;
        }
        let event = actor.event(
            kind::SERVICE_ACCOUNT_UPDATED,
            self.kernel.now(),
            Some(owner.org()),
            Some(client_id.to_owned()),
        );
        self.kernel
            .store
            .update_service_account(&account, &event)
            .await?;
        self.forget_client(client_id);
        let secrets = self.kernel.store.list_secrets(client_id).await?;
        Ok((account, secrets))
    }

    /// Deletes the account and its secrets; every token it holds stops working at once.
    pub async fn delete_service_account(
        &self,
        owner: OrgOwner,
        actor: &Actor,
        client_id: &str,
    ) -> CoreResult<()> {
        self.owned_service_account(owner, client_id).await?;
        let revocation = self
            .kernel
            .revocation(RevocationKind::ServiceAccount, client_id);
        let event = actor.event(
            kind::SERVICE_ACCOUNT_DELETED,
            self.kernel.now(),
            Some(owner.org()),
            Some(client_id.to_owned()),
        );
        if !self
            .kernel
            .store
            .delete_service_account(client_id, &revocation, &event)
            .await?
        {
            return Err(CoreError::not_found(
                ResourceKind::ServiceAccount,
                client_id,
            ));
        }
        self.kernel.revoked(&revocation);
        self.forget_client(client_id);
        Ok(())
    }

    /// Adds a secret; at most [`MAX_LIVE_SECRETS`] may be unexpired at once.
    pub async fn create_service_account_secret(
        &self,
        owner: OrgOwner,
        actor: &Actor,
        client_id: &str,
        draft: SecretDraft,
        rule: SecretLifetimeRule,
    ) -> CoreResult<(ServiceAccountSecret, SecretString)> {
        let hours = rule.parse_hours(draft.secret_expires_after_hours.as_ref())?;
        self.owned_service_account(owner, client_id).await?;
        let now = self.kernel.now();
        let (secret, value) = mint(client_id, hours, now);
        let event = actor.event(
            kind::SERVICE_ACCOUNT_SECRET_CREATED,
            now,
            Some(owner.org()),
            Some(secret.id.to_string()),
        );
        if !self
            .kernel
            .store
            .insert_secret(&secret, MAX_LIVE_SECRETS, now, &event)
            .await?
        {
            return Err(CoreError::LimitReached {
                limit: crate::error::Limit::SecretsPerServiceAccount,
                what: format!("service account {client_id} already has {MAX_LIVE_SECRETS} unexpired secrets; delete one first"),
            });
        }
        self.forget_client(client_id);
        Ok((secret, value))
    }

    /// Deletes a secret; the tokens issued with it stop working at once.
    pub async fn delete_service_account_secret(
        &self,
        owner: OrgOwner,
        actor: &Actor,
        client_id: &str,
        secret_id: HexId,
    ) -> CoreResult<()> {
        self.owned_service_account(owner, client_id).await?;
        let revocation = self
            .kernel
            .revocation(RevocationKind::Secret, &secret_id.to_string());
        let event = actor.event(
            kind::SERVICE_ACCOUNT_SECRET_DELETED,
            self.kernel.now(),
            Some(owner.org()),
            Some(secret_id.to_string()),
        );
        if !self
            .kernel
            .store
            .delete_secret(client_id, secret_id, &revocation, &event)
            .await?
        {
            return Err(CoreError::not_found(
                ResourceKind::ServiceAccountSecret,
                secret_id,
            ));
        }
        self.kernel.revoked(&revocation);
        self.forget_client(client_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_have_the_prefix_and_24_hex() {
        assert!(parse_client_id("clientId", "mdb_sa_id_66b544825867ba071c85469d").is_ok());
        for bad in [
            "66b544825867ba071c85469d",
            "mdb_sa_id_",
            "mdb_sa_id_66B544825867BA071C85469D",
            "mdb_sa_sk_66b544825867ba071c85469d",
        ] {
            assert!(parse_client_id("clientId", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_are_known_and_not_empty() {
        assert_eq!(
            parse_roles(
                "roles",
                Some(vec!["ORG_MEMBER".into(), "ORG_MEMBER".into()])
            )
            .ok(),
            Some(vec![OrgRole::OrgMember])
        );
        assert!(matches!(
            parse_roles("roles", Some(vec![])),
            Err(CoreError::Invalid { .. })
        ));
        assert!(
            matches!(parse_roles("roles", Some(vec!["ROOT".into()])), Err(CoreError::Invalid { field, .. }) if field == "roles[0]")
        );
        assert!(matches!(
            parse_roles("roles", None),
            Err(CoreError::Missing { .. })
        ));
    }
}
