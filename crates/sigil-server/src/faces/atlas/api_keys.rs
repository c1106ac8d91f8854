//! Programmatic API keys: Digest credentials of an organization.

use crate::mongodb::conventions::{paginated, CommonParams, PageParams, Paginated};
use crate::mongodb::credential_views::ApiKeyView;
use crate::mongodb::error::{AtlasError, AtlasErrors};
use crate::mongodb::extract::{AtlasJson, AtlasPath, AtlasQuery, Caller};
use crate::mongodb::link_base;
use crate::mongodb::path_params::{ApiKeyPath, OrgPath};
use crate::state::AppState;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::Json;
use sigil_core::ids::OrgId;
use sigil_core::privilege::OrgOwner;
use sigil_core::programmatic::ProgrammaticKeyDraft;

/// The body of updateApiKey (read as a [`ProgrammaticKeyDraft`]): each field absent or null
/// keeps its value.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ProgrammaticKeyUpdate {
    /// 1 to 250 characters.
    #[schema(min_length = 1, max_length = 250, pattern = "\\S")]
    desc: Option<String>,
    /// Organization roles, at least one.
    #[schema(schema_with = sigil_core::privilege::OrgRole::nullable_list_schema)]
    roles: Option<Vec<String>>,
}

fn owner(caller: &Caller, org: OrgId) -> Result<OrgOwner, AtlasError> {
    Ok(caller.0.principal.require_org_owner(org)?)
}

/// Creates an API key; the private key is in this answer only. ORG_OWNER.
#[utoipa::path(post, path = "/orgs/{orgId}/apiKeys", tag = "programmaticApiKeys", operation_id = "createApiKey",
    params(OrgPath, CommonParams),
    request_body = ProgrammaticKeyDraft,
    responses((status = 201, body = ApiKeyView), AtlasErrors))]
pub async fn create_api_key(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<OrgPath>,
    AtlasJson(draft): AtlasJson<ProgrammaticKeyDraft>,
) -> Result<(StatusCode, Json<ApiKeyView>), AtlasError> {
    let (key, private) = state
        .core
        .programmatic
        .create_programmatic_key(owner(&caller, path.org_id)?, &caller.0.actor, draft)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyView::new(key, Some(&private))),
    ))
}

/// Lists the organization's API keys, private keys masked. ORG_OWNER.
#[utoipa::path(get, path = "/orgs/{orgId}/apiKeys", tag = "programmaticApiKeys", operation_id = "listApiKeys",
    params(OrgPath, PageParams, CommonParams),
    responses((status = 200, body = Paginated<ApiKeyView>), AtlasErrors))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<OrgPath>,
    AtlasQuery(page): AtlasQuery<PageParams>,
    uri: OriginalUri,
) -> Result<Json<Paginated<ApiKeyView>>, AtlasError> {
    let request = page.request()?;
    let page = state
        .core
        .programmatic
        .list_programmatic_keys(owner(&caller, path.org_id)?, &request)
        .await?;
    Ok(Json(paginated(
        page,
        &request,
        &link_base(&state, &uri),
        uri.query(),
        |k| ApiKeyView::new(k, None),
    )))
}

/// Returns one API key, its private key masked. ORG_OWNER.
#[utoipa::path(get, path = "/orgs/{orgId}/apiKeys/{apiUserId}", tag = "programmaticApiKeys", operation_id = "getApiKey",
    params(ApiKeyPath, CommonParams),
    responses((status = 200, body = ApiKeyView), AtlasErrors))]
pub async fn get_api_key(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<ApiKeyPath>,
) -> Result<Json<ApiKeyView>, AtlasError> {
    let key = state
        .core
        .programmatic
        .get_programmatic_key(owner(&caller, path.org_id)?, path.api_user_id)
        .await?;
    Ok(Json(ApiKeyView::new(key, None)))
}

/// Updates the description or roles. ORG_OWNER.
#[utoipa::path(patch, path = "/orgs/{orgId}/apiKeys/{apiUserId}", tag = "programmaticApiKeys", operation_id = "updateApiKey",
    params(ApiKeyPath, CommonParams),
    request_body = ProgrammaticKeyUpdate,
    responses((status = 200, body = ApiKeyView), AtlasErrors))]
pub async fn update_api_key(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<ApiKeyPath>,
    AtlasJson(draft): AtlasJson<ProgrammaticKeyDraft>,
) -> Result<Json<ApiKeyView>, AtlasError> {
    let key = state
        .core
        .programmatic
        .update_programmatic_key(
            owner(&caller, path.org_id)?,
            &caller.0.actor,
            path.api_user_id,
            draft,
        )
        .await?;
    Ok(Json(ApiKeyView::new(key, None)))
}

/// Deletes an API key; it stops authenticating at once. ORG_OWNER.
#[utoipa::path(delete, path = "/orgs/{orgId}/apiKeys/{apiUserId}", tag = "programmaticApiKeys", operation_id = "deleteApiKey",
    params(ApiKeyPath, CommonParams),
    responses((status = 204, description = "Deleted"), AtlasErrors))]
pub async fn delete_api_key(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<ApiKeyPath>,
) -> Result<StatusCode, AtlasError> {
    state
        .core
        .programmatic
        .delete_programmatic_key(
            owner(&caller, path.org_id)?,
            &caller.0.actor,
            path.api_user_id,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
