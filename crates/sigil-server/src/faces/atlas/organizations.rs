//! Organizations and their audit events.

use super::views::{EventView, FederationSettingsResponse, OrganizationView};
use crate::mongodb::conventions::{paginated, CommonParams, PageParams, Paginated};
use crate::mongodb::error::{AtlasError, AtlasErrors};
use crate::mongodb::extract::{AtlasJson, AtlasPath, AtlasQuery, Caller};
use crate::mongodb::link_base;
use crate::mongodb::path_params::OrgPath;
use crate::state::AppState;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    /// 1 to 64 characters, unique.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 64, pattern = "\\S")]
    pub name: Option<String>,
}

/// Lists the organizations the caller belongs to; the superuser sees every organization.
#[utoipa::path(get, path = "/orgs", tag = "organizations", operation_id = "listOrganizations",
    params(PageParams, CommonParams),
    responses((status = 200, body = Paginated<OrganizationView>), AtlasErrors))]
pub async fn list_organizations(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AtlasQuery(page): AtlasQuery<PageParams>,
    uri: OriginalUri,
) -> Result<Json<Paginated<OrganizationView>>, AtlasError> {
    let request = page.request()?;
    let page = state
        .core
        .directory
        .list_organizations(&caller.principal, &request)
        .await?;
    Ok(Json(paginated(
        page,
        &request,
        &link_base(&state, &uri),
        uri.query(),
        OrganizationView::from,
    )))
}

/// Creates an organization with its own federation settings. Superuser only.
#[utoipa::path(post, path = "/orgs", tag = "organizations", operation_id = "createOrganization",
    params(CommonParams), request_body = CreateOrganizationRequest,
    responses((status = 201, body = OrganizationView), AtlasErrors))]
pub async fn create_organization(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AtlasJson(body): AtlasJson<CreateOrganizationRequest>,
) -> Result<(StatusCode, Json<OrganizationView>), AtlasError> {
    let superuser = caller.principal.require_superuser()?;
    let org = state
        .core
        .directory
        .create_organization(superuser, &caller.actor, body.name)
        .await?;
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// Returns one organization. Members of it only.
#[utoipa::path(get, path = "/orgs/{orgId}", tag = "organizations", operation_id = "getOrganization",
    params(OrgPath, CommonParams),
    responses((status = 200, body = OrganizationView), AtlasErrors))]
pub async fn get_organization(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AtlasPath(path): AtlasPath<OrgPath>,
) -> Result<Json<OrganizationView>, AtlasError> {
    let reader = caller.principal.require_member(path.org_id)?;
    Ok(Json(
        state.core.directory.get_organization(reader).await?.into(),
    ))
}

/// Returns the federation settings of an organization. ORG_OWNER of it only.
#[utoipa::path(get, path = "/orgs/{orgId}/federationSettings", tag = "federatedAuthentication",
    operation_id = "getFederationSettings",
    params(OrgPath, CommonParams),
    responses((status = 200, body = FederationSettingsResponse), AtlasErrors))]
pub async fn get_federation_settings(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AtlasPath(path): AtlasPath<OrgPath>,
) -> Result<Json<FederationSettingsResponse>, AtlasError> {
    let owner = caller.principal.require_org_owner(path.org_id)?;
    let org = state
        .core
        .directory
        .get_organization(owner.reader())
        .await?;
    Ok(Json(
        state
            .core
            .directory
            .federation_settings_view(org.federation_settings_id)
            .await?
            .into(),
    ))
}

/// Lists the organization's audit events, newest first. ORG_OWNER of it only; the superuser
/// also sees events tied to no organization (failed authentications of unknown names).
#[utoipa::path(get, path = "/orgs/{orgId}/events", tag = "events", operation_id = "listOrganizationEvents",
    params(OrgPath, PageParams, CommonParams),
    responses((status = 200, body = Paginated<EventView>), AtlasErrors))]
pub async fn list_organization_events(
    State(state): State<AppState>,
    Caller(caller): Caller,
    AtlasPath(path): AtlasPath<OrgPath>,
    AtlasQuery(page): AtlasQuery<PageParams>,
    uri: OriginalUri,
) -> Result<Json<Paginated<EventView>>, AtlasError> {
    let owner = caller.principal.require_org_owner(path.org_id)?;
    let request = page.request()?;
    let page = state
        .core
        .directory
        .list_events(owner, caller.principal.superuser, &request)
        .await?;
    Ok(Json(paginated(
        page,
        &request,
        &link_base(&state, &uri),
        uri.query(),
        EventView::from,
    )))
}
