//! `_has_privileges` and the application privileges API (`/_security/privilege`).

use super::error::EsError;
use super::extract::{EsBody, EsCaller};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Map, Value};
use sigil_core::elasticsearch::application_privileges::ApplicationPrivilege;
use sigil_core::elasticsearch::has_privileges::{HasPrivilegesAnswer, HasPrivilegesRequest};

const HAS_PRIVILEGES: &str = "cluster:admin/xpack/security/user/has_privileges";
const PUT_PRIVILEGES: &str = "cluster:admin/xpack/security/privilege/put";
const GET_PRIVILEGES: &str = "cluster:admin/xpack/security/privilege/get";
const DELETE_PRIVILEGES: &str = "cluster:admin/xpack/security/privilege/delete";
const GET_BUILTIN: &str = "cluster:admin/xpack/security/privilege/builtin/get";

fn list(path: &str) -> Vec<String> {
    path.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn check(
    state: &AppState,
    me: &crate::auth::Authenticated,
    user: Option<&str>,
    body: Option<HasPrivilegesRequest>,
) -> Result<Json<HasPrivilegesAnswer>, EsError> {
    let body = body.ok_or_else(|| EsError::validation(&["request body is missing".into()]))?;
    let answer = state
        .core
        .elasticsearch
        .has_privileges(&me.principal, user, body)
        .await
        .map_err(|e| match e {
            sigil_core::CoreError::Invalid { field, reason } if field == "user" => {
                EsError::illegal_argument(reason)
            }
            other => EsError::of(other, HAS_PRIVILEGES, &me.principal),
        })?;
    Ok(Json(answer))
}

/// Which of the cluster, index and application privileges named the caller holds.
#[utoipa::path(get, path = "/_security/user/_has_privileges", tag = "elasticsearch", operation_id = "securityHasPrivileges",
    request_body = HasPrivilegesRequest,
    responses((status = 200, body = HasPrivilegesAnswer, example = json!({"username": "rdeniro", "has_all_requested": false, "cluster": {"monitor": true, "manage": false}, "index": {}, "application": {}})),
        (status = 400, body = Object), (status = 401, body = Object)))]
pub async fn has_privileges(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    EsBody(body): EsBody<HasPrivilegesRequest>,
) -> Result<Json<HasPrivilegesAnswer>, EsError> {
    check(&state, &me, None, body).await
}

/// POST /_security/user/_has_privileges: the same as GET.
#[utoipa::path(post, path = "/_security/user/_has_privileges", tag = "elasticsearch", operation_id = "securityHasPrivilegesPost",
    request_body = HasPrivilegesRequest,
    responses((status = 200, body = HasPrivilegesAnswer), (status = 400, body = Object), (status = 401, body = Object)))]
pub async fn has_privileges_post(
    state: State<AppState>,
    caller: EsCaller,
    body: EsBody<HasPrivilegesRequest>,
) -> Result<Json<HasPrivilegesAnswer>, EsError> {
    has_privileges(state, caller, body).await
}

/// The same for the user named, who must be the caller (400 otherwise, as Elasticsearch).
#[utoipa::path(get, path = "/_security/user/{user}/_has_privileges", tag = "elasticsearch", operation_id = "securityHasPrivilegesOfUser",
    params(("user" = String, Path)), request_body = HasPrivilegesRequest,
    responses((status = 200, body = HasPrivilegesAnswer), (status = 400, body = Object), (status = 401, body = Object)))]
pub async fn user_has_privileges(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    Path(user): Path<String>,
    EsBody(body): EsBody<HasPrivilegesRequest>,
) -> Result<Json<HasPrivilegesAnswer>, EsError> {
    check(&state, &me, Some(&user), body).await
}

/// POST /_security/user/{user}/_has_privileges: the same as GET.
#[utoipa::path(post, path = "/_security/user/{user}/_has_privileges", tag = "elasticsearch", operation_id = "securityHasPrivilegesOfUserPost",
    params(("user" = String, Path)), request_body = HasPrivilegesRequest,
    responses((status = 200, body = HasPrivilegesAnswer), (status = 400, body = Object), (status = 401, body = Object)))]
pub async fn user_has_privileges_post(
    state: State<AppState>,
    caller: EsCaller,
    user: Path<String>,
    body: EsBody<HasPrivilegesRequest>,
) -> Result<Json<HasPrivilegesAnswer>, EsError> {
    user_has_privileges(state, caller, user, body).await
}

/// `{application: {name: {...}}}`, as Elasticsearch nests privileges.
fn nested(privileges: Vec<ApplicationPrivilege>) -> Value {
    let mut out = Map::new();
    for p in privileges {
        let app = out
            .entry(p.application.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(m) = app.as_object_mut() {
            m.insert(p.name.clone(), json!(p));
        }
    }
    Value::Object(out)
}

/// Creates or replaces application privileges (PUT).
#[utoipa::path(put, path = "/_security/privilege", tag = "elasticsearch", operation_id = "securityPutPrivileges",
    request_body(content = Object, description = "Privileges by application, then by name: `{\"myapp\": {\"read\": {\"actions\": [\"data:read/*\"], \"metadata\": {}}}}`"),
    responses((status = 200, body = Object, example = json!({"myapp": {"read": {"created": true}}})), (status = 400, body = Object), (status = 403, body = Object)))]
pub async fn put_privileges(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    EsBody(body): EsBody<Map<String, Value>>,
) -> Result<Json<Value>, EsError> {
    let body = body.ok_or_else(|| EsError::validation(&["request body is missing".into()]))?;
    let done = state
        .core
        .elasticsearch
        .put_application_privileges(&me.principal, &me.actor, body)
        .await
        .map_err(|e| EsError::of(e, PUT_PRIVILEGES, &me.principal))?;
    let mut out = Map::new();
    for (p, created) in done {
        let app = out
            .entry(p.application)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(m) = app.as_object_mut() {
            m.insert(p.name, json!({"created": created}));
        }
    }
    Ok(Json(Value::Object(out)))
}

/// POST /_security/privilege: the same as PUT.
#[utoipa::path(post, path = "/_security/privilege", tag = "elasticsearch", operation_id = "securityPostPrivileges",
    request_body(content = Object, description = "Privileges by application, then by name"),
    responses((status = 200, body = Object), (status = 400, body = Object), (status = 403, body = Object)))]
pub async fn post_privileges(
    state: State<AppState>,
    caller: EsCaller,
    body: EsBody<Map<String, Value>>,
) -> Result<Json<Value>, EsError> {
    put_privileges(state, caller, body).await
}

async fn get_some(
    state: &AppState,
    me: &crate::auth::Authenticated,
    application: Option<&str>,
    names: &[String],
) -> Result<(StatusCode, Json<Value>), EsError> {
    let found = state
        .core
        .elasticsearch
        .get_application_privileges(&me.principal, application, names)
        .await
        .map_err(|e| EsError::of(e, GET_PRIVILEGES, &me.principal))?;
    // As Elasticsearch: asking for an application or names that have none is 404 `{}`.
    let status = if found.is_empty() && application.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    Ok((status, Json(nested(found))))
}

/// Every application privilege.
#[utoipa::path(get, path = "/_security/privilege", tag = "elasticsearch", operation_id = "securityGetPrivileges",
    responses((status = 200, body = Object), (status = 403, body = Object)))]
pub async fn get_all_privileges(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
) -> Result<(StatusCode, Json<Value>), EsError> {
    get_some(&state, &me, None, &[]).await
}

/// One application's privileges.
#[utoipa::path(get, path = "/_security/privilege/{application}", tag = "elasticsearch", operation_id = "securityGetApplicationPrivileges",
    params(("application" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Object, example = json!({}))))]
pub async fn get_application_privileges(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    Path(application): Path<String>,
) -> Result<(StatusCode, Json<Value>), EsError> {
    get_some(&state, &me, Some(&application), &[]).await
}

/// An application's privileges by name (comma-separated).
#[utoipa::path(get, path = "/_security/privilege/{application}/{privilege}", tag = "elasticsearch", operation_id = "securityGetPrivilege",
    params(("application" = String, Path), ("privilege" = String, Path, description = "One or more comma-separated privilege names")),
    responses((status = 200, body = Object), (status = 404, body = Object, example = json!({}))))]
pub async fn get_privilege(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    Path((application, name)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Value>), EsError> {
    get_some(&state, &me, Some(&application), &list(&name)).await
}

/// Deletes an application's privileges by name (comma-separated).
#[utoipa::path(delete, path = "/_security/privilege/{application}/{privilege}", tag = "elasticsearch", operation_id = "securityDeletePrivileges",
    params(("application" = String, Path), ("privilege" = String, Path, description = "One or more comma-separated privilege names")),
    responses((status = 200, body = Object, example = json!({"myapp": {"read": {"found": true}}})), (status = 404, body = Object), (status = 403, body = Object)))]
pub async fn delete_privilege(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    Path((application, name)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Value>), EsError> {
    let done = state
        .core
        .elasticsearch
        .delete_application_privileges(&me.principal, &me.actor, &application, &list(&name))
        .await
        .map_err(|e| EsError::of(e, DELETE_PRIVILEGES, &me.principal))?;
    let any = done.iter().any(|(_, found)| *found);
    let answers: Map<String, Value> = done
        .into_iter()
        .map(|(n, found)| (n, json!({"found": found})))
        .collect();
    let status = if any {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok((status, Json(json!({ application: answers }))))
}

/// The cluster and index privileges Sigil accepts in roles, keys and `_has_privileges`.
#[utoipa::path(get, path = "/_security/privilege/_builtin", tag = "elasticsearch", operation_id = "securityGetBuiltinPrivileges",
    responses((status = 200, body = Object), (status = 403, body = Object)))]
pub async fn get_builtin_privileges(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
) -> Result<Json<Value>, EsError> {
    let (cluster, index) = state
        .core
        .elasticsearch
        .builtin_privileges(&me.principal)
        .map_err(|e| EsError::of(e, GET_BUILTIN, &me.principal))?;
    Ok(Json(
        json!({"cluster": cluster, "index": index, "remote_cluster": []}),
    ))
}
