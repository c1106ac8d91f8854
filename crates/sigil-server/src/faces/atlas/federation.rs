//! Federation settings and connected organization configurations.

use super::views::{ConnectedOrgConfigView, FederationSettingsResponse};
use crate::mongodb::conventions::{paginated, CommonParams, PageParams, Paginated};
use crate::mongodb::error::{AtlasError, AtlasErrors};
use crate::mongodb::extract::{AtlasJson, AtlasPath, AtlasQuery, Caller};
use crate::mongodb::link_base;
use crate::mongodb::path_params::{ConnectedOrgPath, FederationSettingsPath};
use crate::state::AppState;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::Json;
use sigil_core::federation::ConnectedOrgConfigDraft;

/// Returns federation settings. ORG_OWNER of a connected organization only.
#[utoipa::path(get, path = "/federationSettings/{federationSettingsId}", tag = "federatedAuthentication",
    operation_id = "getFederationSettingsById",
    params(FederationSettingsPath, CommonParams),
    responses((status = 200, body = FederationSettingsResponse), AtlasErrors))]
pub async fn get_federation_settings_by_id(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AtlasPath(path): AtlasPath<FederationSettingsPath>,
) -> Result<Json<FederationSettingsResponse>, AtlasError> {
    let owner = state
        .core
        .authz
        .federation_owner(&caller.principal, path.federation_settings_id)
        .await?;
    Ok(Json(
        state
            .core
            .directory
            .federation_settings_view(owner.federation_settings_id())
            .await?
            .into(),
    ))
}

/// Lists the organizations connected to these federation settings.
#[utoipa::path(get, path = "/federationSettings/{federationSettingsId}/connectedOrgConfigs",
    tag = "federatedAuthentication", operation_id = "listConnectedOrgConfigs",
    params(FederationSettingsPath, PageParams, CommonParams),
    responses((status = 200, body = Paginated<ConnectedOrgConfigView>), AtlasErrors))]
pub async fn list_connected_org_configs(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AtlasPath(path): AtlasPath<FederationSettingsPath>,
    AtlasQuery(page): AtlasQuery<PageParams>,
    uri: OriginalUri,
) -> Result<Json<Paginated<ConnectedOrgConfigView>>, AtlasError> {
    let request = page.request()?;
    let owner = state
        .core
        .authz
        .federation_owner(&caller.principal, path.federation_settings_id)
        .await?;
    let all = state
        .core
        .federation
        .list_connected_org_configs(owner)
        .await?;
    Ok(Json(paginated(
        request.slice(&all),
        &request,
        &link_base(&state, &uri),
        uri.query(),
        ConnectedOrgConfigView::new,
    )))
}

/// Returns one connected organization's configuration. ORG_OWNER of that organization only.
#[utoipa::path(get, path = "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}",
    tag = "federatedAuthentication", operation_id = "getConnectedOrgConfig",
    params(ConnectedOrgPath, CommonParams),
    responses((status = 200, body = ConnectedOrgConfigView), AtlasErrors))]
pub async fn get_connected_org_config(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AtlasPath(path): AtlasPath<ConnectedOrgPath>,
) -> Result<Json<ConnectedOrgConfigView>, AtlasError> {
    let owner = state
        .core
        .authz
        .connected_org_owner(&caller.principal, path.federation_settings_id, path.org_id)
        .await?;
    Ok(Json(ConnectedOrgConfigView::new(
        state
            .core
            .federation
            .get_connected_org_config(owner)
            .await?,
    )))
}

/// Updates a connected organization's configuration; connects the organization when it is
/// not connected yet. ORG_OWNER of that organization only.
#[utoipa::path(patch, path = "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}",
    tag = "federatedAuthentication", operation_id = "updateConnectedOrgConfig",
    params(ConnectedOrgPath, CommonParams),
    request_body = ConnectedOrgConfigDraft,
    responses((status = 200, body = ConnectedOrgConfigView), AtlasErrors))]
pub async fn update_connected_org_config(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AtlasPath(path): AtlasPath<ConnectedOrgPath>,
    AtlasJson(draft): AtlasJson<ConnectedOrgConfigDraft>,
) -> Result<Json<ConnectedOrgConfigView>, AtlasError> {
    let owner = state
        .core
        .authz
        .connected_org_owner(&caller.principal, path.federation_settings_id, path.org_id)
        .await?;
    let updated = state
        .core
        .federation
        .update_connected_org_config(owner, &caller.actor, draft)
        .await?;
    Ok(Json(ConnectedOrgConfigView::new(updated)))
}

/// Disconnects an organization from these federation settings; its role mappings go too.
#[utoipa::path(delete, path = "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}",
    tag = "federatedAuthentication", operation_id = "removeConnectedOrgConfig",
    params(ConnectedOrgPath, CommonParams),
    responses((status = 204, description = "Removed"), AtlasErrors))]
pub async fn remove_connected_org_config(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AtlasPath(path): AtlasPath<ConnectedOrgPath>,
) -> Result<StatusCode, AtlasError> {
    let owner = state
        .core
        .authz
        .connected_org_owner(&caller.principal, path.federation_settings_id, path.org_id)
        .await?;
    state
        .core
        .federation
        .remove_connected_org_config(owner, &caller.actor)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
