//! The directory: organizations, their users' passwords and Digest credentials, the first
//! start, and the audit trail.

pub mod auth;
pub mod org;

use crate::audit::{kind, Actor, AuditEvent};
use crate::digest::NonceKeeper;
use crate::elasticsearch::Elasticsearch;
use crate::error::{CoreError, CoreResult};
use crate::ids::{HexId, OrgId};
use crate::kernel::{ChangeListener, Forget, Kernel};
use crate::page::{Page, PageRequest};
use crate::principal::{OrgRoleAssignment, Realm};
use crate::privilege::{OrgOwner, OrgRole};
use crate::secret::{random_password, SecretString};
use crate::store::Bootstrap;
use crate::user::{hash_password, Ha1, User};
use async_trait::async_trait;
use auth::AuthCache;
use org::Organization;
use std::sync::Arc;

pub struct Directory {
    pub(crate) kernel: Arc<Kernel>,
    elasticsearch: Arc<Elasticsearch>,
    /// Verified passwords and opened Digest secrets.
    auth_cache: AuthCache,
    nonces: NonceKeeper,
}

impl Directory {
    pub(crate) fn new(kernel: Arc<Kernel>, elasticsearch: Arc<Elasticsearch>) -> Self {
        auth::prepare_dummy_hash();
        Self {
            nonces: NonceKeeper::new(
                kernel.master_key.derive("sigil digest nonces v1"),
                kernel.clock.clone(),
            ),
            kernel,
            elasticsearch,
            auth_cache: AuthCache::new(),
        }
    }
}

#[async_trait]
impl ChangeListener for Directory {
    /// Every credential change reaches this service through [`Forget::Credentials`].
    async fn apply(&self, _: &str, _: Option<&str>, _: std::time::Instant) -> CoreResult<()> {
        Ok(())
    }

    fn forget(&self, what: Forget) {
        match what {
            Forget::Credentials | Forget::Everything => self.auth_cache.clear(),
            Forget::Federation | Forget::Revocations => {}
        }
    }
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

impl Directory {
    /// On an empty store: the `default` organization, its federation settings, and the
    /// `admin` user (ORG_OWNER and superuser). Never runs twice, never changes a password.
    pub async fn bootstrap(
        &self,
        admin_password: Option<SecretString>,
    ) -> CoreResult<BootstrapOutcome> {
        if self.kernel.store.is_bootstrapped().await? {
            return Ok(BootstrapOutcome::AlreadyDone);
        }
        let now = self.kernel.now();
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
            digest_ha1: Ha1::compute("admin", &password).seal(&self.kernel.master_key)?,
            superuser: true,
            full_name: None,
            email: None,
            enabled: true,
            org_roles: vec![OrgRoleAssignment {
                org_id: org.id,
                role: OrgRole::OrgOwner,
            }],
            created_at: now,
            roles: vec![crate::elasticsearch::SUPERUSER_ROLE.into()],
            metadata: Default::default(),
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
        if self.kernel.store.bootstrap(&bootstrap).await? {
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
        self.organization(owner.org()).await?;
        self.kernel
            .store
            .list_events(owner.org(), superuser, page)
            .await
    }
}
