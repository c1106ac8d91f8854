//! Service accounts and their secrets. The handlers serve the Atlas v2 face and,
//! with their own lifetime rule and media type, the Cloud Manager v1.0 face.

use super::conventions::{paginated, CommonParams, PageParams, Paginated};
use super::credential_views::{SecretView, ServiceAccountView};
use super::error::{AtlasError, AtlasErrors};
use super::extract::{AtlasJson, AtlasPath, AtlasQuery, Caller};
use super::link_base;
use super::path_params::{ClientIdPath, OrgPath, SecretPath};
use crate::state::AppState;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use sigil_core::ids::OrgId;
use sigil_core::oauth::service_accounts::{
    SecretDraft, SecretLifetimeRule, ServiceAccountDraft, ServiceAccountUpdate,
};
use sigil_core::privilege::OrgOwner;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes under `/orgs/{orgId}/serviceAccounts`; with `trailing_slash`, each also with a
/// trailing `/` (the form Cloud Manager accepts), which the OpenAPI document leaves out.
pub fn routes(trailing_slash: bool) -> OpenApiRouter<AppState> {
    let mut router = OpenApiRouter::new();
    for routes in [
        routes!(list_service_accounts, create_service_account),
        routes!(
            get_service_account,
            update_service_account,
            delete_service_account
        ),
        routes!(create_service_account_secret),
        routes!(delete_service_account_secret),
    ] {
        if trailing_slash {
            for path in routes.1.paths.keys() {
                router = router.route(&format!("{path}/"), routes.2.clone());
            }
        }
        router = router.routes(routes);
    }
    router
}

fn owner(caller: &Caller, org: OrgId) -> Result<OrgOwner, AtlasError> {
    Ok(caller.0.principal.require_org_owner(org)?)
}

/// Creates a service account with its first secret, shown in this answer only. ORG_OWNER.
#[utoipa::path(post, path = "/orgs/{orgId}/serviceAccounts", tag = "serviceAccounts",
    operation_id = "createServiceAccount",
    params(OrgPath, CommonParams),
    request_body = ServiceAccountDraft,
    responses((status = 201, body = ServiceAccountView), AtlasErrors))]
pub async fn create_service_account(
    State(state): State<AppState>,
    Extension(rule): Extension<SecretLifetimeRule>,
    caller: Caller,
    AtlasPath(path): AtlasPath<OrgPath>,
    AtlasJson(draft): AtlasJson<ServiceAccountDraft>,
) -> Result<(StatusCode, Json<ServiceAccountView>), AtlasError> {
    let owner = owner(&caller, path.org_id)?;
    let (account, secret, value) = state
        .core
        .oauth
        .create_service_account(owner, &caller.0.actor, draft, rule)
        .await?;
    let view =
        ServiceAccountView::with_secrets(account, vec![SecretView::new(secret, Some(&value))]);
    Ok((StatusCode::CREATED, Json(view)))
}

/// Lists the organization's service accounts, secrets masked. ORG_OWNER.
#[utoipa::path(get, path = "/orgs/{orgId}/serviceAccounts", tag = "serviceAccounts",
    operation_id = "listServiceAccounts",
    params(OrgPath, PageParams, CommonParams),
    responses((status = 200, body = Paginated<ServiceAccountView>), AtlasErrors))]
pub async fn list_service_accounts(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<OrgPath>,
    AtlasQuery(page): AtlasQuery<PageParams>,
    uri: OriginalUri,
) -> Result<Json<Paginated<ServiceAccountView>>, AtlasError> {
    let request = page.request()?;
    let page = state
        .core
        .oauth
        .list_service_accounts(owner(&caller, path.org_id)?, &request)
        .await?;
    Ok(Json(paginated(
        page,
        &request,
        &link_base(&state, &uri),
        uri.query(),
        ServiceAccountView::new,
    )))
}

/// Returns one service account, secrets masked. ORG_OWNER.
#[utoipa::path(get, path = "/orgs/{orgId}/serviceAccounts/{clientId}", tag = "serviceAccounts",
    operation_id = "getServiceAccount",
    params(ClientIdPath, CommonParams),
    responses((status = 200, body = ServiceAccountView), AtlasErrors))]
pub async fn get_service_account(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<ClientIdPath>,
) -> Result<Json<ServiceAccountView>, AtlasError> {
    let owner = owner(&caller, path.org_id)?;
    Ok(Json(ServiceAccountView::new(
        state
            .core
            .oauth
            .get_service_account(owner, &path.client_id)
            .await?,
    )))
}

/// Updates the name, description or roles. ORG_OWNER.
#[utoipa::path(patch, path = "/orgs/{orgId}/serviceAccounts/{clientId}", tag = "serviceAccounts",
    operation_id = "updateServiceAccount",
    params(ClientIdPath, CommonParams),
    request_body = ServiceAccountUpdate,
    responses((status = 200, body = ServiceAccountView), AtlasErrors))]
pub async fn update_service_account(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<ClientIdPath>,
    AtlasJson(update): AtlasJson<ServiceAccountUpdate>,
) -> Result<Json<ServiceAccountView>, AtlasError> {
    let owner = owner(&caller, path.org_id)?;
    let updated = state
        .core
        .oauth
        .update_service_account(owner, &caller.0.actor, &path.client_id, update)
        .await?;
    Ok(Json(ServiceAccountView::new(updated)))
}

/// Deletes the service account; its secrets and every token it holds stop working at once.
#[utoipa::path(delete, path = "/orgs/{orgId}/serviceAccounts/{clientId}", tag = "serviceAccounts",
    operation_id = "deleteServiceAccount",
    params(ClientIdPath, CommonParams),
    responses((status = 204, description = "Deleted"), AtlasErrors))]
pub async fn delete_service_account(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<ClientIdPath>,
) -> Result<StatusCode, AtlasError> {
    let owner = owner(&caller, path.org_id)?;
    state
        .core
        .oauth
        .delete_service_account(owner, &caller.0.actor, &path.client_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a secret (at most two unexpired at once), shown in this answer only. ORG_OWNER.
#[utoipa::path(post, path = "/orgs/{orgId}/serviceAccounts/{clientId}/secrets", tag = "serviceAccounts",
    operation_id = "createServiceAccountSecret",
    params(ClientIdPath, CommonParams),
    request_body = SecretDraft,
    responses((status = 201, body = SecretView), AtlasErrors))]
pub async fn create_service_account_secret(
    State(state): State<AppState>,
    Extension(rule): Extension<SecretLifetimeRule>,
    caller: Caller,
    AtlasPath(path): AtlasPath<ClientIdPath>,
    AtlasJson(draft): AtlasJson<SecretDraft>,
) -> Result<(StatusCode, Json<SecretView>), AtlasError> {
    let owner = owner(&caller, path.org_id)?;
    let (secret, value) = state
        .core
        .oauth
        .create_service_account_secret(owner, &caller.0.actor, &path.client_id, draft, rule)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SecretView::new(secret, Some(&value))),
    ))
}

/// Deletes a secret; the tokens issued with it stop working at once. ORG_OWNER.
#[utoipa::path(delete, path = "/orgs/{orgId}/serviceAccounts/{clientId}/secrets/{secretId}", tag = "serviceAccounts",
    operation_id = "deleteServiceAccountSecret",
    params(SecretPath, CommonParams),
    responses((status = 204, description = "Deleted"), AtlasErrors))]
pub async fn delete_service_account_secret(
    State(state): State<AppState>,
    caller: Caller,
    AtlasPath(path): AtlasPath<SecretPath>,
) -> Result<StatusCode, AtlasError> {
    let owner = owner(&caller, path.org_id)?;
    state
        .core
        .oauth
        .delete_service_account_secret(owner, &caller.0.actor, &path.client_id, path.secret_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
