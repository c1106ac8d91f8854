//! Role mappings: an external group (or user) name and the organization roles it grants.

use super::ConnectedOrgOwner;
use crate::audit::{kind, Actor};
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::federation::Federation;
use crate::ids::{FederationSettingsId, HexId, OrgId, RoleMappingId};
use crate::privilege::OrgRole;
use crate::validate::text_field;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMapping {
    pub id: RoleMappingId,
    pub federation_settings_id: FederationSettingsId,
    pub org_id: OrgId,
    pub external_group_name: String,
    pub role_assignments: Vec<RoleAssignment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub org_id: OrgId,
    pub role: OrgRole,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleMappingDraft {
    #[serde(default)]
    #[schema(value_type = Option<serde_json::Value>, read_only)]
    pub id: Option<serde::de::IgnoredAny>,
    /// 1 to 200 characters: the group (or, for a USER provider, the user) it maps.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, pattern = "\\S")]
    pub external_group_name: Option<String>,
    /// 1 to 20 assignments, each of a role in the connected organization of the path.
    #[schema(value_type = Vec<RoleAssignmentDraft>, required = true, min_items = 1, max_items = 20)]
    pub role_assignments: Option<Vec<RoleAssignmentDraft>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleAssignmentDraft {
    /// The connected organization of the path.
    #[schema(value_type = String, required = true, pattern = "^[0-9a-f]{24}$")]
    pub org_id: Option<String>,
    /// Refused: Sigil has no projects.
    #[schema(value_type = Option<String>, read_only)]
    pub group_id: Option<String>,
    #[schema(value_type = String, required = true,
        example = "ORG_MEMBER", pattern = "^(ORG_OWNER|ORG_MEMBER|ORG_READ_ONLY|ORG_GROUP_CREATOR|ORG_BILLING_ADMIN)$")]
    pub role: Option<String>,
}

pub const EXTERNAL_GROUP_NAME_MAX: usize = 200;
const MAX_ASSIGNMENTS: usize = 20;

impl RoleMappingDraft {
    /// Checks every rule and builds the mapping for the organization `org`.
    fn into_mapping(self, id: RoleMappingId, owner: ConnectedOrgOwner) -> CoreResult<RoleMapping> {
        let external_group_name = text_field(
            "externalGroupName",
            self.external_group_name,
            1,
            EXTERNAL_GROUP_NAME_MAX,
        )?;
        let drafts = self
            .role_assignments
            .ok_or_else(|| CoreError::missing("roleAssignments"))?;
        if drafts.is_empty() {
            return Err(CoreError::invalid(
                "roleAssignments",
                "must hold at least one role assignment",
            ));
        }
        if drafts.len() > MAX_ASSIGNMENTS {
            return Err(CoreError::invalid(
                "roleAssignments",
                format!("may hold at most {MAX_ASSIGNMENTS} role assignments"),
            ));
        }
        let mut role_assignments = vec![];
        for (i, d) in drafts.into_iter().enumerate() {
            if d.group_id.is_some() {
                return Err(CoreError::invalid(
                    format!("roleAssignments[{i}].groupId"),
                    "Sigil has no projects; assign organization roles",
                ));
            }
            let field = format!("roleAssignments[{i}].orgId");
            let org_id = match d.org_id {
                None => return Err(CoreError::missing(field)),
                Some(text) => HexId::parse(&field, &text)?,
            };
            if org_id != owner.org_id() {
                return Err(CoreError::invalid(
                    field,
                    "must be the connected organization of the path",
                ));
            }
            let role_field = format!("roleAssignments[{i}].role");
            let role = OrgRole::parse(
                &role_field,
                &d.role.ok_or_else(|| CoreError::missing(&role_field))?,
            )?;
            let assignment = RoleAssignment { org_id, role };
            if !role_assignments.contains(&assignment) {
                role_assignments.push(assignment);
            }
        }
        Ok(RoleMapping {
            id,
            federation_settings_id: owner.federation_settings_id(),
            org_id: owner.org_id(),
            external_group_name,
            role_assignments,
        })
    }
}

impl Federation {
    pub async fn list_role_mappings(
        &self,
        owner: ConnectedOrgOwner,
    ) -> CoreResult<Vec<RoleMapping>> {
        self.connected_config(owner).await?;
        self.kernel
            .store
            .list_role_mappings(owner.federation_settings_id(), owner.org_id())
            .await
    }

    pub async fn create_role_mapping(
        &self,
        owner: ConnectedOrgOwner,
        actor: &Actor,
        draft: RoleMappingDraft,
    ) -> CoreResult<RoleMapping> {
        self.connected_config(owner).await?;
        let mapping = draft.into_mapping(HexId::random(), owner)?;
        let event = actor.event(
            kind::ROLE_MAPPING_CREATED,
            self.kernel.now(),
            Some(owner.org_id()),
            Some(mapping.id.to_string()),
        );
        self.kernel
            .store
            .insert_role_mapping(&mapping, &event)
            .await?;
        self.federation_changed(None);
        Ok(mapping)
    }

    pub async fn get_role_mapping(
        &self,
        owner: ConnectedOrgOwner,
        id: RoleMappingId,
    ) -> CoreResult<RoleMapping> {
        self.connected_config(owner).await?;
        self.kernel
            .store
            .list_role_mappings(owner.federation_settings_id(), owner.org_id())
            .await?
            .into_iter()
            .find(|m| m.id == id)
            .ok_or_else(|| CoreError::not_found(ResourceKind::RoleMapping, id))
    }

    /// Replaces the mapping (PUT): every field is given again.
    pub async fn update_role_mapping(
        &self,
        owner: ConnectedOrgOwner,
        actor: &Actor,
        id: RoleMappingId,
        draft: RoleMappingDraft,
    ) -> CoreResult<RoleMapping> {
        self.get_role_mapping(owner, id).await?;
        let mapping = draft.into_mapping(id, owner)?;
        let event = actor.event(
            kind::ROLE_MAPPING_UPDATED,
            self.kernel.now(),
            Some(owner.org_id()),
            Some(id.to_string()),
        );
        self.kernel
            .store
            .update_role_mapping(&mapping, &event)
            .await?;
        self.federation_changed(None);
        Ok(mapping)
    }

    pub async fn delete_role_mapping(
        &self,
        owner: ConnectedOrgOwner,
        actor: &Actor,
        id: RoleMappingId,
    ) -> CoreResult<()> {
        self.get_role_mapping(owner, id).await?;
        let event = actor.event(
            kind::ROLE_MAPPING_DELETED,
            self.kernel.now(),
            Some(owner.org_id()),
            Some(id.to_string()),
        );
        if self.kernel.store.delete_role_mapping(id, &event).await? {
            self.federation_changed(None);
            Ok(())
        } else {
            Err(CoreError::not_found(ResourceKind::RoleMapping, id))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> ConnectedOrgOwner {
        ConnectedOrgOwner::for_tests(HexId::random(), HexId::random())
    }

    fn draft(name: &str, org: &str, role: &str) -> RoleMappingDraft {
        RoleMappingDraft {
            id: None,
            external_group_name: Some(name.into()),
            role_assignments: Some(vec![RoleAssignmentDraft {
                org_id: Some(org.into()),
                group_id: None,
                role: Some(role.into()),
            }]),
        }
    }

    fn field_of(r: CoreResult<RoleMapping>) -> Option<String> {
        match r {
            Err(CoreError::Invalid { field, .. } | CoreError::Missing { field }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn a_mapping_assigns_known_roles_in_its_own_org() {
        let o = owner();
        let org = o.org_id().to_string();
        assert!(draft("admins", &org, "ORG_OWNER")
            .into_mapping(HexId::random(), o)
            .is_ok());
        assert_eq!(
            field_of(draft("admins", &org, "ROOT").into_mapping(HexId::random(), o)).as_deref(),
            Some("roleAssignments[0].role")
        );
        let other = HexId::random().to_string();
        assert_eq!(
            field_of(draft("admins", &other, "ORG_OWNER").into_mapping(HexId::random(), o))
                .as_deref(),
            Some("roleAssignments[0].orgId")
        );
        assert_eq!(
            field_of(draft("admins", "xyz", "ORG_OWNER").into_mapping(HexId::random(), o))
                .as_deref(),
            Some("roleAssignments[0].orgId")
        );
        assert_eq!(
            field_of(draft(&"g".repeat(201), &org, "ORG_OWNER").into_mapping(HexId::random(), o))
                .as_deref(),
            Some("externalGroupName")
        );
        assert!(draft(&"g".repeat(200), &org, "ORG_OWNER")
            .into_mapping(HexId::random(), o)
            .is_ok());
        let empty = RoleMappingDraft {
            role_assignments: Some(vec![]),
            ..draft("a", &org, "ORG_OWNER")
        };
        assert_eq!(
            field_of(empty.into_mapping(HexId::random(), o)).as_deref(),
            Some("roleAssignments")
        );
    }
}
