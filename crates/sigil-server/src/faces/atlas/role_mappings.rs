//! Role mappings of a connected organization.

use super::views::RoleMappingView;
use crate::mongodb::conventions::{paginated, CommonParams, PageParams, Paginated};
use crate::mongodb::error::{AtlasError, AtlasErrors};
use crate::mongodb::extract::{AtlasJson, AtlasPath, AtlasQuery, Caller};
use crate::mongodb::link_base;
use crate::mongodb::path_params::{ConnectedOrgPath, RoleMappingPath};
use crate::state::AppState;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::Json;
use sigil_core::federation::{ConnectedOrgOwner, RoleMappingDraft};
use sigil_core::ids::{FederationSettingsId, OrgId};

async fn owner(
    state: &AppState,
    caller: &Caller,
    federation_settings_id: FederationSettingsId,
    org_id: OrgId,
) -> Result<ConnectedOrgOwner, AtlasError> {
    Ok(state
        .core
        .authz
        .connected_org_owner(&caller.0.principal, federation_settings_id, org_id)
        .await?)
}

/// Lists the role mappings of a connected organization. ORG_OWNER of it only.
#[utoipa::path(get, path = "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings",
    tag = "federatedAuthentication", operation_id = "listRoleMappings",
    params(ConnectedOrgPath, PageParams, CommonParams),
    responses((status = 200, body = Paginated<RoleMappingView>), AtlasErrors))]
pub async fn list_role_mappings(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<ConnectedOrgPath>,
    AtlasQuery(page): AtlasQuery<PageParams>,
    uri: OriginalUri,
) -> Result<Json<Paginated<RoleMappingView>>, AtlasError> {
    let request = page.request()?;
    let all = state
        .core
        .federation
        .list_role_mappings(owner(&state, &caller, path.federation_settings_id, path.org_id).await?)
        .await?;
    Ok(Json(paginated(
        request.slice(&all),
        &request,
        &link_base(&state, &uri),
        uri.query(),
        RoleMappingView::from,
    )))
}

/// Creates a role mapping: members of the external group get the roles. Answers 200, as Atlas does.
#[utoipa::path(post, path = "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings",
    tag = "federatedAuthentication", operation_id = "createRoleMapping",
    params(ConnectedOrgPath, CommonParams),
    request_body = RoleMappingDraft,
    responses((status = 200, body = RoleMappingView), AtlasErrors))]
pub async fn create_role_mapping(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<ConnectedOrgPath>,
    AtlasJson(draft): AtlasJson<RoleMappingDraft>,
) -> Result<Json<RoleMappingView>, AtlasError> {
    let owner = owner(&state, &caller, path.federation_settings_id, path.org_id).await?;
    Ok(Json(
        state
            .core
            .federation
            .create_role_mapping(owner, &caller.0.actor, draft)
            .await?
            .into(),
    ))
}

/// Returns one role mapping.
#[utoipa::path(get, path = "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings/{id}",
    tag = "federatedAuthentication", operation_id = "getRoleMapping",
    params(RoleMappingPath, CommonParams),
    responses((status = 200, body = RoleMappingView), AtlasErrors))]
pub async fn get_role_mapping(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<RoleMappingPath>,
) -> Result<Json<RoleMappingView>, AtlasError> {
    let owner = owner(&state, &caller, path.federation_settings_id, path.org_id).await?;
    Ok(Json(
        state
            .core
            .federation
            .get_role_mapping(owner, path.id)
            .await?
            .into(),
    ))
}

/// Replaces a role mapping.
#[utoipa::path(put, path = "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings/{id}",
    tag = "federatedAuthentication", operation_id = "updateRoleMapping",
    params(RoleMappingPath, CommonParams),
    request_body = RoleMappingDraft,
    responses((status = 200, body = RoleMappingView), AtlasErrors))]
pub async fn update_role_mapping(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<RoleMappingPath>,
    AtlasJson(draft): AtlasJson<RoleMappingDraft>,
) -> Result<Json<RoleMappingView>, AtlasError> {
    let owner = owner(&state, &caller, path.federation_settings_id, path.org_id).await?;
    Ok(Json(
        state
            .core
            .federation
            .update_role_mapping(owner, &caller.0.actor, path.id, draft)
            .await?
            .into(),
    ))
}

/// Deletes a role mapping.
#[utoipa::path(delete, path = "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings/{id}",
    tag = "federatedAuthentication", operation_id = "deleteRoleMapping",
    params(RoleMappingPath, CommonParams),
    responses((status = 204, description = "Deleted"), AtlasErrors))]
pub async fn delete_role_mapping(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<RoleMappingPath>,
) -> Result<StatusCode, AtlasError> {
    let owner = owner(&state, &caller, path.federation_settings_id, path.org_id).await?;
    state
        .core
        .federation
        .delete_role_mapping(owner, &caller.0.actor, path.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
