//! Role mappings of a connected organization.

use super::views::RoleMappingView;
use crate::mongodb::conventions::{paginated, CommonParams, PageParams, Paginated};
use crate::mongodb::error::{AtlasError, AtlasErrors};
use crate::mongodb::extract::{AtlasJson, AtlasPath, Caller, Params};
use crate::mongodb::link_base;
use crate::mongodb::path_params::{ConnectedOrgPath, RoleMappingPath};
use crate::state::AppState;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::Json;
use sigil_core::federation::{ConnectedOrgOwner, RoleMappingDraft};

async fn owner(
    state: &AppState,
    caller: &Caller,
    path: &AtlasPath,
) -> Result<ConnectedOrgOwner, AtlasError> {
    Ok(state
        .core
        .authz
        .connected_org_owner(
            &caller.0.principal,
            path.hex("federationSettingsId")?,
            path.hex("orgId")?,
        )
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
    path: AtlasPath,
    params: Params,
    uri: OriginalUri,
) -> Result<Json<Paginated<RoleMappingView>>, AtlasError> {
    let request = params.page()?;
    let all = state
        .core
        .federation
        .list_role_mappings(owner(&state, &caller, &path).await?)
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
    path: AtlasPath,
    AtlasJson(draft): AtlasJson<RoleMappingDraft>,
) -> Result<Json<RoleMappingView>, AtlasError> {
    let owner = owner(&state, &caller, &path).await?;
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
    params(ConnectedOrgPath,
        RoleMappingPath, CommonParams),
    responses((status = 200, body = RoleMappingView), AtlasErrors))]
pub async fn get_role_mapping(
    State(state): State<AppState>,
    caller: Caller,
    path: AtlasPath,
) -> Result<Json<RoleMappingView>, AtlasError> {
    let owner = owner(&state, &caller, &path).await?;
    Ok(Json(
        state
            .core
            .federation
            .get_role_mapping(owner, path.hex("id")?)
            .await?
            .into(),
    ))
}

/// Replaces a role mapping.
#[utoipa::path(put, path = "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings/{id}",
    tag = "federatedAuthentication", operation_id = "updateRoleMapping",
    params(ConnectedOrgPath,
        RoleMappingPath, CommonParams),
    request_body = RoleMappingDraft,
    responses((status = 200, body = RoleMappingView), AtlasErrors))]
pub async fn update_role_mapping(
    State(state): State<AppState>,
    caller: Caller,
    path: AtlasPath,
    AtlasJson(draft): AtlasJson<RoleMappingDraft>,
) -> Result<Json<RoleMappingView>, AtlasError> {
    let owner = owner(&state, &caller, &path).await?;
    Ok(Json(
        state
            .core
            .federation
            .update_role_mapping(owner, &caller.0.actor, path.hex("id")?, draft)
            .await?
            .into(),
    ))
}

/// Deletes a role mapping.
#[utoipa::path(delete, path = "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings/{id}",
    tag = "federatedAuthentication", operation_id = "deleteRoleMapping",
    params(ConnectedOrgPath,
        RoleMappingPath, CommonParams),
    responses((status = 204, description = "Deleted"), AtlasErrors))]
pub async fn delete_role_mapping(
    State(state): State<AppState>,
    caller: Caller,
    path: AtlasPath,
) -> Result<StatusCode, AtlasError> {
    let owner = owner(&state, &caller, &path).await?;
    state
        .core
        .federation
        .delete_role_mapping(owner, &caller.0.actor, path.hex("id")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
