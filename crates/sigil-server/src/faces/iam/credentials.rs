//! Access keys (`/v3.0/OS-CREDENTIAL/credentials`, issue 9): create (the secret key shown
//! once), list, show, update (`status`, `description`), delete. The rules live in the core.

use super::error::{Flat, IamError, IamErrors};
use super::extract::{IamCaller, IamJson};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sigil_core::iam::{AccessKey, AccessKeyDraft};
use utoipa::ToSchema;

/// `{"credential": {…}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"credential": {"user_id": "0123456789abcdef01234567", "description": "CI robot"}}))]
pub struct CredentialBody {
    pub credential: AccessKeyDraft,
}

/// An access key as the face shows it (never its secret key, except once at creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialView {
    pub access: String,
    pub user_id: String,
    #[schema(example = "active")]
    pub status: String,
    #[schema(example = "2026-11-26T05:00:00.000000Z")]
    pub create_time: String,
    pub description: String,
}

impl From<&AccessKey> for CredentialView {
    fn from(k: &AccessKey) -> Self {
        Self {
            access: k.access.clone(),
            user_id: k.user_id.to_string(),
            status: k.status.as_str().into(),
            create_time: super::time(&k.created_at),
            description: k.description.clone(),
        }
    }
}

fn one(key: &AccessKey) -> Json<Value> {
    Json(json!({"credential": CredentialView::from(key)}))
}

/// Creates an access key for `user_id` (the caller itself, or a user of the caller's domain
/// when the caller is its ORG_OWNER); at most two per user. The secret key is in this answer
/// only.
#[utoipa::path(post, path = "/v3.0/OS-CREDENTIAL/credentials", tag = "iam",
    operation_id = "createPermanentAccessKey",
    request_body = CredentialBody,
    responses((status = 201, description = "Created; `secret` is shown this once", body = Object,
        example = json!({"credential": {"access": "SGAK0123456789ABCDEF", "secret": "SGSK…", "user_id": "0123456789abcdef01234567", "status": "active", "create_time": "2026-11-26T05:00:00.000000Z", "description": "CI robot"}})),
        IamErrors))]
pub async fn create(
    State(state): State<AppState>,
    caller: IamCaller<Flat>,
    IamJson(body, _): IamJson<CredentialBody, Flat>,
) -> Result<(StatusCode, Json<Value>), IamError<Flat>> {
    let created = state
        .core
        .iam
        .create_access_key(&caller.0.principal, &caller.0.actor, body.credential)
        .await?;
    let mut view = json!(CredentialView::from(&created.key));
    view["secret"] = json!(created.secret.expose());
    Ok((StatusCode::CREATED, Json(json!({"credential": view}))))
}

/// The access keys of `user_id` in the caller's domain (without it: the caller's own, or all
/// of the domain for its ORG_OWNER).
#[utoipa::path(get, path = "/v3.0/OS-CREDENTIAL/credentials", tag = "iam",
    operation_id = "listPermanentAccessKeys",
    params(("user_id" = Option<String>, Query, description = "Whose keys")),
    responses((status = 200, description = "`{\"credentials\": [...]}`", body = Object), IamErrors))]
pub async fn list(
    State(state): State<AppState>,
    caller: IamCaller<Flat>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, IamError<Flat>> {
    let user = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "user_id")
        .map(|(_, v)| v.into_owned());
    let keys = state
        .core
        .iam
        .list_access_keys(&caller.0.principal, user.as_deref())
        .await?;
    let views: Vec<CredentialView> = keys.iter().map(CredentialView::from).collect();
    Ok(Json(json!({ "credentials": views })))
}

/// Reads one access key (never its secret key).
#[utoipa::path(get, path = "/v3.0/OS-CREDENTIAL/credentials/{access_key}", tag = "iam",
    operation_id = "showPermanentAccessKey",
    params(("access_key" = String, Path, description = "The access key id")),
    responses((status = 200, description = "The key (never its secret)", body = Object), IamErrors))]
pub async fn show(
    State(state): State<AppState>,
    Path(access): Path<String>,
    caller: IamCaller<Flat>,
) -> Result<Json<Value>, IamError<Flat>> {
    let key = state
        .core
        .iam
        .get_access_key(&caller.0.principal, &access)
        .await?;
    Ok(one(&key))
}

/// Changes `status` (`inactive` refuses the key's signatures at once, on every node) or
/// `description`.
#[utoipa::path(put, path = "/v3.0/OS-CREDENTIAL/credentials/{access_key}", tag = "iam",
    operation_id = "updatePermanentAccessKey",
    params(("access_key" = String, Path, description = "The access key id")),
    request_body = CredentialBody,
    responses((status = 200, description = "Updated", body = Object), IamErrors))]
pub async fn update(
    State(state): State<AppState>,
    Path(access): Path<String>,
    caller: IamCaller<Flat>,
    IamJson(body, _): IamJson<CredentialBody, Flat>,
) -> Result<Json<Value>, IamError<Flat>> {
    let key = state
        .core
        .iam
        .update_access_key(
            &caller.0.principal,
            &caller.0.actor,
            &access,
            body.credential,
        )
        .await?;
    Ok(one(&key))
}

/// Deletes the key: its signatures are refused at once, on every node.
#[utoipa::path(delete, path = "/v3.0/OS-CREDENTIAL/credentials/{access_key}", tag = "iam",
    operation_id = "deletePermanentAccessKey",
    params(("access_key" = String, Path, description = "The access key id")),
    responses((status = 204, description = "Deleted"), IamErrors))]
pub async fn delete(
    State(state): State<AppState>,
    Path(access): Path<String>,
    caller: IamCaller<Flat>,
) -> Result<StatusCode, IamError<Flat>> {
    state
        .core
        .iam
        .delete_access_key(&caller.0.principal, &caller.0.actor, &access)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
