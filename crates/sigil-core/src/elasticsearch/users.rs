//! Local users as the Elasticsearch face manages them (`/_security/user`): the same users
//! every face authenticates, in the realm `default_native`.

use super::roles::{check_metadata, check_name, check_not_reserved};
use crate::audit::{kind, Actor};
use crate::elasticsearch::Elasticsearch;
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::ids::HexId;
use crate::kernel::Forget;
use crate::principal::{Principal, Realm};
use crate::privilege::{ClusterPrivilege, Privilege};
use crate::secret::SecretString;
use crate::user::{hash_password, Ha1, User};
use serde::Deserialize;
use serde_json::{Map, Value};

/// PUT /_security/user/{username}.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserDraft {
    /// 6 to 1024 characters.
    #[schema(value_type = Option<String>, format = Password, min_length = 6, max_length = 1024)]
    pub password: Option<SecretString>,
    pub roles: Option<Vec<String>>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
    pub enabled: Option<bool>,
}

/// A user as GET /_security/user shows it: no secret.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub username: String,
    pub roles: Vec<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    pub enabled: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            username: u.username.clone(),
            roles: u.roles.clone(),
            full_name: u.full_name.clone(),
            email: u.email.clone(),
            metadata: u.metadata.clone(),
            enabled: u.enabled,
        }
    }
}

pub const PASSWORD_MIN: usize = 6;
const PASSWORD_MAX: usize = 1024;

impl Elasticsearch {
    /// Hashes a new password, in the Argon2id slots every verification also waits for.
    async fn hashed(&self, password: &SecretString) -> CoreResult<String> {
        let password = password.clone();
        self.kernel
            .password_gate
            .run(move || hash_password(&password))
            .await?
    }

    /// A user's principal, its roles resolved to cluster privileges.
    pub(crate) async fn user_principal(&self, user: &User) -> CoreResult<Principal> {
        Ok(user.principal(self.privileges_of(&user.roles).await?))
    }

    /// The caller holds every right `user` holds (or would hold): only then may it change or
    /// delete that user. A `manage_security` user manages users, not the superuser.
    async fn require_covers_user(&self, caller: &Principal, user: &User) -> CoreResult<()> {
        let target = self.user_principal(user).await?;
        if caller.covers(&target) {
            return Ok(());
        }
        let needs = match target
            .cluster_privileges
            .iter()
            .find(|p| !caller.has_cluster_privilege(**p))
        {
            Some(p) if !target.superuser => Privilege::Cluster(*p),
            _ => Privilege::Superuser,
        };
        Err(CoreError::Forbidden { needs })
    }

    /// Creates or updates a user; answers whether it was created. A new user needs a
    /// password. Needs `manage_security`.
    pub async fn put_user(
        &self,
        caller: &Principal,
        actor: &Actor,
        username: &str,
        draft: UserDraft,
    ) -> CoreResult<bool> {
        caller.require_cluster(ClusterPrivilege::ManageSecurity)?;
        check_name("username", username)?;
        check_not_reserved("username", "user", username)?;
        if let Some(p) = &draft.password {
            let len = p.expose().chars().count();
            if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&len) {
                return Err(CoreError::invalid(
                    "password",
                    format!("passwords must be at least [{PASSWORD_MIN}] characters long"),
                ));
            }
        }
        if let Some(roles) = &draft.roles {
            for r in roles {
                check_name("roles", r)?;
            }
        }
        if let Some(m) = &draft.metadata {
            check_metadata("metadata", m)?;
        }
        let existing = self
            .kernel
            .store
            .get_user_by_name(Realm::NATIVE, username)
            .await?;
        if let Some(current) = &existing {
            self.require_covers_user(caller, current).await?;
        }
        let created = existing.is_none();
        let mut user = match existing {
            Some(u) => u,
            None => {
                if draft.password.is_none() {
                    return Err(CoreError::missing("password"));
                }
                User {
                    id: HexId::random(),
                    username: username.to_owned(),
                    realm: Realm::NATIVE.into(),
                    password_hash: String::new(),
                    digest_ha1: Ha1::compute(username, &SecretString::new(""))
                        .seal(&self.kernel.master_key)?,
                    superuser: false,
                    full_name: None,
                    email: None,
                    enabled: true,
                    org_roles: vec![],
                    created_at: self.kernel.now(),
                    roles: vec![],
                    metadata: Map::new(),
                }
            }
        };
        if let Some(password) = &draft.password {
            user.password_hash = self.hashed(password).await?;
            user.digest_ha1 = Ha1::compute(username, password).seal(&self.kernel.master_key)?;
        }
        if let Some(roles) = draft.roles {
            user.roles = roles;
        }
        if draft.full_name.is_some() {
            user.full_name = draft.full_name;
        }
        if draft.email.is_some() {
            user.email = draft.email;
        }
        if let Some(m) = draft.metadata {
            user.metadata = m;
        }
        if let Some(enabled) = draft.enabled {
            if !enabled && caller.name == username && caller.realm.name == Realm::NATIVE {
                return Err(CoreError::invalid(
                    "enabled",
                    "users may not disable themselves",
                ));
            }
            user.enabled = enabled;
        }
        // Nobody makes a user worth more than themselves (the `superuser` role, say).
        self.require_covers_user(caller, &user).await?;
        let event = actor.event(
            kind::USER_CHANGED,
            self.kernel.now(),
            None,
            Some(user.id.to_string()),
        );
        self.kernel.store.put_user(&user, &event).await?;
        self.kernel.forget(Forget::Credentials);
        Ok(created)
    }

    /// The local user behind a principal, if it is one.
    pub async fn get_user_by_principal(&self, who: &Principal) -> CoreResult<Option<User>> {
        if who.kind != crate::principal::PrincipalKind::User {
            return Ok(None);
        }
        self.kernel
            .store
            .get_user_by_name(&who.realm.name, &who.name)
            .await
    }

    /// The users named (all when `names` is empty). Needs `read_security`.
    pub async fn get_users(&self, caller: &Principal, names: &[String]) -> CoreResult<Vec<User>> {
        caller.require_cluster(ClusterPrivilege::ReadSecurity)?;
        let all = self.kernel.store.list_users(Realm::NATIVE).await?;
        if names.is_empty() {
            return Ok(all);
        }
        let found: Vec<User> = all
            .into_iter()
            .filter(|u| names.contains(&u.username))
            .collect();
        if found.is_empty() {
            return Err(CoreError::not_found(ResourceKind::User, names.join(",")));
        }
        Ok(found)
    }

    /// Deletes a user; answers whether it existed. Nobody deletes themselves. Needs
    /// `manage_security`.
    pub async fn delete_user(
        &self,
        caller: &Principal,
        actor: &Actor,
        username: &str,
    ) -> CoreResult<bool> {
        caller.require_cluster(ClusterPrivilege::ManageSecurity)?;
        if caller.name == username && caller.realm.name == Realm::NATIVE {
            return Err(CoreError::invalid(
                "username",
                "users may not delete themselves",
            ));
        }
        let Some(user) = self
            .kernel
            .store
            .get_user_by_name(Realm::NATIVE, username)
            .await?
        else {
            return Ok(false);
        };
        self.require_covers_user(caller, &user).await?;
        let event = actor.event(
            kind::USER_DELETED,
            self.kernel.now(),
            None,
            Some(user.id.to_string()),
        );
        let found = self.kernel.store.delete_user(user.id, &event).await?;
        self.kernel.forget(Forget::Credentials);
        // Its API keys were invalidated with it.
        self.api_keys.invalidate_all();
        Ok(found)
    }
}
