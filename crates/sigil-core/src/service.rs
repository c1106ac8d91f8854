//! [`Core`]: the one object every face calls, built once at start.

use crate::audit::{kind, Actor, AuditEvent};
use crate::auth::AuthCache;
use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::digest::NonceKeeper;
use crate::error::{CoreError, CoreResult};
use crate::ids::{HexId, OrgId};
use crate::org::Organization;
use crate::page::{Page, PageRequest};
use crate::principal::{OrgRoleAssignment, Realm};
use crate::privilege::{OrgOwner, OrgRole};
use crate::secret::{random_password, SecretString};
use crate::store::{Bootstrap, Store};
use crate::user::{hash_password, Ha1, User};
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct CoreConfig {
    /// Accept `http://` identity-provider issuers (development and tests only).
    pub allow_insecure_issuers: bool,
}

pub struct Core {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) master_key: MasterKey,
    pub(crate) config: CoreConfig,
    pub(crate) auth_cache: AuthCache,
    pub(crate) nonces: NonceKeeper,
}

/// What the first start did.
#[derive(Debug)]
pub enum BootstrapOutcome {
    /// The store was already bootstrapped: nothing changed.
    AlreadyDone,
    /// Bootstrapped; `generated_password` is set when no password was given and one was made.
    Done {
        org_id: OrgId,
        generated_password: Option<SecretString>,
    },
}

impl Core {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        master_key: MasterKey,
        config: CoreConfig,
    ) -> Self {
        let nonces = NonceKeeper::new(master_key.derive("sigil digest nonces v1"));
        Self {
            store,
            clock,
            master_key,
            config,
            auth_cache: AuthCache::new(),
            nonces,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// On an empty store: the `default` organization, its federation settings, and the
    /// `admin` user (ORG_OWNER and superuser). Never runs twice, never changes a password.
    pub async fn bootstrap(
        &self,
        admin_password: Option<SecretString>,
    ) -> CoreResult<BootstrapOutcome> {
        if self.store.is_bootstrapped().await? {
            return Ok(BootstrapOutcome::AlreadyDone);
        }
        let now = self.now();
        let (org, federation_settings, connected_org_config) =
            Organization::new("default".into(), now);
        let generated = admin_password.is_none();
        let password = admin_password.unwrap_or_else(random_password);
        let hashed = password.clone();
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&hashed))
            .await
            .map_err(CoreError::internal)??;
        let admin = User {
            id: HexId::random(),
            username: "admin".into(),
            realm: Realm::NATIVE.into(),
            password_hash,
            digest_ha1: Ha1::compute("admin", &password).seal(&self.master_key)?,
            superuser: true,
            full_name: None,
            email: None,
            enabled: true,
            org_roles: vec![OrgRoleAssignment {
                org_id: org.id,
                role: OrgRole::OrgOwner,
            }],
            created_at: now,
        };
        let actor = Actor::default();
        let events = vec![
            actor.event(
                kind::ORG_CREATED,
                now,
                Some(org.id),
                Some(org.id.to_string()),
            ),
            actor.event(
                kind::USER_BOOTSTRAPPED,
                now,
                Some(org.id),
                Some(admin.id.to_string()),
            ),
        ];
        let org_id = org.id;
        let bootstrap = Bootstrap {
            org,
            federation_settings,
            connected_org_config,
            admin,
            events,
        };
        if self.store.bootstrap(&bootstrap).await? {
            Ok(BootstrapOutcome::Done {
                org_id,
                generated_password: generated.then_some(password),
            })
        } else {
            Ok(BootstrapOutcome::AlreadyDone)
        }
    }

    /// The organization's audit trail, newest first. The superuser also sees events tied to no
    /// organization, such as failed authentications of unknown names.
    pub async fn list_events(
        &self,
        owner: OrgOwner,
        superuser: bool,
        page: &PageRequest,
    ) -> CoreResult<Page<AuditEvent>> {
        self.organization(owner.org).await?;
        self.store.list_events(owner.org, superuser, page).await
    }
}
