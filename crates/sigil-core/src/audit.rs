//! The audit trail: one event for every change and every failed authentication.

use crate::ids::{EventId, OrgId};
use crate::principal::Principal;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Success,
    Failure,
}

/// An audit event. It names credentials by id, never by secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: EventId,
    pub event_type: String,
    pub created: DateTime<Utc>,
    pub org_id: Option<OrgId>,
    pub target_id: Option<String>,
    pub principal: Option<String>,
    pub remote_address: Option<String>,
    pub outcome: Outcome,
    /// Free text for what the fields above cannot say (a refetch error, a failure reason).
    pub detail: Option<String>,
    /// Other organizations the change affects (a settings-wide federation change affects
    /// every connected one): the event is listed under each of them too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_org_ids: Vec<OrgId>,
}

/// Who did it and from where: what every audited core call receives from its face.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub principal: Option<String>,
    pub remote_address: Option<String>,
}

impl Actor {
    pub fn new(principal: &Principal, remote_address: Option<String>) -> Self {
        Self {
            principal: Some(format!("{}:{}", principal.realm.name, principal.name)),
            remote_address,
        }
    }

    pub fn anonymous(remote_address: Option<String>) -> Self {
        Self {
            principal: None,
            remote_address,
        }
    }

    pub fn event(
        &self,
        event_type: &str,
        now: DateTime<Utc>,
        org_id: Option<OrgId>,
        target_id: Option<String>,
    ) -> AuditEvent {
        AuditEvent {
            id: EventId::random(),
            event_type: event_type.to_owned(),
            created: now,
            org_id,
            target_id,
            principal: self.principal.clone(),
            remote_address: self.remote_address.clone(),
            outcome: Outcome::Success,
            detail: None,
            also_org_ids: vec![],
        }
    }
}

impl AuditEvent {
    /// Lists the event under `orgs` too (its own organization is left out).
    pub fn affecting(mut self, orgs: &[OrgId]) -> Self {
        self.also_org_ids = orgs
            .iter()
            .copied()
            .filter(|o| Some(*o) != self.org_id)
            .collect();
        self
    }

    pub fn failed(mut self, detail: impl Into<String>) -> Self {
        self.outcome = Outcome::Failure;
        self.detail = Some(detail.into());
        self
    }
}

/// Event type names, in the style of Atlas's `eventTypeName`.
pub mod kind {
    pub const ORG_CREATED: &str = "ORG_CREATED";
    pub const USER_BOOTSTRAPPED: &str = "USER_BOOTSTRAPPED";
    pub const AUTHENTICATION_FAILED: &str = "AUTHENTICATION_FAILED";
    pub const CONNECTED_ORG_CONFIG_UPDATED: &str = "CONNECTED_ORG_CONFIG_UPDATED";
    pub const CONNECTED_ORG_CONFIG_REMOVED: &str = "CONNECTED_ORG_CONFIG_REMOVED";
    pub const ROLE_MAPPING_CREATED: &str = "ROLE_MAPPING_CREATED";
    pub const ROLE_MAPPING_UPDATED: &str = "ROLE_MAPPING_UPDATED";
    pub const ROLE_MAPPING_DELETED: &str = "ROLE_MAPPING_DELETED";
    pub const IDENTITY_PROVIDER_CREATED: &str = "IDENTITY_PROVIDER_CREATED";
    pub const IDENTITY_PROVIDER_UPDATED: &str = "IDENTITY_PROVIDER_UPDATED";
    pub const IDENTITY_PROVIDER_DELETED: &str = "IDENTITY_PROVIDER_DELETED";
    pub const IDENTITY_PROVIDER_JWKS_REVOKED: &str = "IDENTITY_PROVIDER_JWKS_REVOKED";
    pub const IDENTITY_PROVIDER_JWKS_REFETCHED: &str = "IDENTITY_PROVIDER_JWKS_REFETCHED";
    pub const FEDERATED_TOKEN_EXCHANGED: &str = "FEDERATED_TOKEN_EXCHANGED";
    pub const SERVICE_ACCOUNT_CREATED: &str = "SERVICE_ACCOUNT_CREATED";
    pub const SERVICE_ACCOUNT_UPDATED: &str = "SERVICE_ACCOUNT_UPDATED";
    pub const SERVICE_ACCOUNT_DELETED: &str = "SERVICE_ACCOUNT_DELETED";
    pub const SERVICE_ACCOUNT_SECRET_CREATED: &str = "SERVICE_ACCOUNT_SECRET_CREATED";
    pub const SERVICE_ACCOUNT_SECRET_DELETED: &str = "SERVICE_ACCOUNT_SECRET_DELETED";
    pub const SERVICE_ACCOUNT_SECRET_EXPIRED: &str = "SERVICE_ACCOUNT_SECRET_EXPIRED";
    pub const TOKEN_REVOKED: &str = "TOKEN_REVOKED";
    pub const SIGNING_KEY_ROTATED: &str = "SIGNING_KEY_ROTATED";
    pub const API_KEY_CREATED: &str = "API_KEY_CREATED";
    pub const API_KEY_UPDATED: &str = "API_KEY_UPDATED";
    pub const API_KEY_DELETED: &str = "API_KEY_DELETED";
    pub const ROLE_CHANGED: &str = "ROLE_CHANGED";
    pub const ROLE_DELETED: &str = "ROLE_DELETED";
    pub const USER_CHANGED: &str = "USER_CHANGED";
    pub const USER_DELETED: &str = "USER_DELETED";
    pub const SECURITY_API_KEY_CREATED: &str = "SECURITY_API_KEY_CREATED";
    pub const SECURITY_API_KEY_UPDATED: &str = "SECURITY_API_KEY_UPDATED";
    pub const SECURITY_API_KEY_INVALIDATED: &str = "SECURITY_API_KEY_INVALIDATED";
    pub const APPLICATION_PRIVILEGE_CHANGED: &str = "APPLICATION_PRIVILEGE_CHANGED";
    pub const APPLICATION_PRIVILEGE_DELETED: &str = "APPLICATION_PRIVILEGE_DELETED";
    pub const MASTER_KEY_ROTATED: &str = "MASTER_KEY_ROTATED";
    pub const IAM_ACCESS_KEY_CREATED: &str = "IAM_ACCESS_KEY_CREATED";
    pub const IAM_ACCESS_KEY_UPDATED: &str = "IAM_ACCESS_KEY_UPDATED";
    pub const IAM_ACCESS_KEY_DELETED: &str = "IAM_ACCESS_KEY_DELETED";
    pub const IAM_TEMPORARY_ACCESS_KEY_CREATED: &str = "IAM_TEMPORARY_ACCESS_KEY_CREATED";
}
