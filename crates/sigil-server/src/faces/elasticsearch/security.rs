//! `/`, `_authenticate`, users and roles.

use super::error::EsError;
use super::extract::{EsBody, EsCaller};
use crate::auth::Authenticated;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Map, Value};
use sigil_core::elasticsearch::{descriptors, RoleDraft, UserDraft, UserView};
use sigil_core::principal::PrincipalKind;

/// Paths name one or more comma-separated users or roles.
fn names(list: Option<Path<String>>) -> Vec<String> {
    list.map(|Path(p)| {
        p.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// Elasticsearch answers an unknown user or role with 404 and an empty object.
fn lookup_error(e: sigil_core::CoreError, action: &str, me: &Authenticated) -> EsError {
    match e {
        sigil_core::CoreError::NotFound { .. } => {
            let mut err = EsError::new(StatusCode::NOT_FOUND, "resource_not_found_exception", "");
            err.body = Some(Box::new(json!({})));
            err
        }
        other => EsError::of(other, action, &me.principal),
    }
}

/// What GET / answers, enough for clients that ask which server this is.
#[utoipa::path(get, path = "/", tag = "elasticsearch", operation_id = "info",
    responses((status = 200, body = Object), (status = 401, body = Object)))]
pub async fn root(_caller: EsCaller) -> Json<Value> {
    Json(json!({
        "name": "sigil",
        "cluster_name": "sigil",
        "version": {"number": "8.17.0", "build_flavor": "default", "lucene_version": "9.12.0",
            "minimum_wire_compatibility_version": "7.17.0", "minimum_index_compatibility_version": "7.0.0"},
        "tagline": "You Know, for Search",
    }))
}

/// GET /_security/_authenticate: who the credentials are.
#[utoipa::path(get, path = "/_security/_authenticate", tag = "elasticsearch", operation_id = "securityAuthenticate",
    responses((status = 200, body = Object), (status = 401, body = Object)))]
pub async fn authenticate(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
) -> Result<Json<Value>, EsError> {
    let p = &me.principal;
    let realm = json!({"name": p.realm.name, "type": p.realm.kind});
    let (full_name, email, metadata, roles) = match p.kind {
        PrincipalKind::User => {
            let user = state
                .core
                .elasticsearch
                .get_user_by_principal(p)
                .await
                .map_err(EsError::from)?;
            // A token or access key bound to a domain carries none of the user's roles.
            match user {
                Some(u) if p.is_realm_user() => {
                    (u.full_name, u.email, Value::Object(u.metadata), u.roles)
                }
                Some(u) => (u.full_name, u.email, Value::Object(u.metadata), vec![]),
                None => (None, None, json!({}), p.roles.clone()),
            }
        }
        _ => (None, None, json!({}), p.roles.clone()),
    };
    let (authentication_realm, authentication_type) = match (&p.api_key, p.kind) {
        (Some(_), _) => (
            json!({"name": "_es_api_key", "type": "_es_api_key"}),
            "api_key",
        ),
        (None, PrincipalKind::User) if p.is_realm_user() => (realm.clone(), "realm"),
        (None, _) => (realm.clone(), "token"),
    };
    let mut body = json!({
        "username": p.name,
        "roles": roles,
        "full_name": full_name,
        "email": email,
        "metadata": metadata,
        "enabled": true,
        "authentication_realm": authentication_realm,
        "lookup_realm": realm,
        "authentication_type": authentication_type,
    });
    if let Some(key) = &p.api_key {
        body["api_key"] = json!({"id": key.id, "name": key.name});
    }
    Ok(Json(body))
}

/// Creates or updates a user (PUT).
#[utoipa::path(put, path = "/_security/user/{username}", tag = "elasticsearch", operation_id = "securityPutUser",
    params(("username" = String, Path)), request_body = UserDraft,
    responses((status = 200, body = Object, example = json!({"created": true})), (status = 400, body = Object), (status = 403, body = Object)))]
pub async fn put_user(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    Path(username): Path<String>,
    EsBody(draft): EsBody<UserDraft>,
) -> Result<Json<Value>, EsError> {
    let draft = draft.ok_or_else(|| EsError::validation(&["request body is missing".into()]))?;
    let created = state
        .core
        .elasticsearch
        .put_user(&me.principal, &me.actor, &username, draft)
        .await
        .map_err(|e| EsError::of(e, "cluster:admin/xpack/security/user/put", &me.principal))?;
    Ok(Json(json!({"created": created})))
}

/// GET /_security/user lists every user.
#[utoipa::path(get, path = "/_security/user", tag = "elasticsearch", operation_id = "securityGetUsers",
    responses((status = 200, body = Object)))]
pub async fn list_users(state: State<AppState>, caller: EsCaller) -> Result<Json<Value>, EsError> {
    get_users(state, caller, None).await
}

/// Returns users by name (comma-separated).
#[utoipa::path(get, path = "/_security/user/{username}", tag = "elasticsearch", operation_id = "securityGetUser",
    params(("username" = String, Path, description = "One or more comma-separated names")),
    responses((status = 200, body = Object), (status = 404, body = Object)))]
pub async fn get_users(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    username: Option<Path<String>>,
) -> Result<Json<Value>, EsError> {
    let wanted = names(username);
    let users = state
        .core
        .elasticsearch
        .get_users(&me.principal, &wanted)
        .await
        .map_err(|e| lookup_error(e, "cluster:admin/xpack/security/user/get", &me))?;
    let map: Map<String, Value> = users
        .iter()
        .map(|u| (u.username.clone(), json!(UserView::from(u))))
        .collect();
    Ok(Json(Value::Object(map)))
}

/// Deletes a user.
#[utoipa::path(delete, path = "/_security/user/{username}", tag = "elasticsearch", operation_id = "securityDeleteUser",
    params(("username" = String, Path)),
    responses((status = 200, body = Object, example = json!({"found": true})), (status = 404, body = Object)))]
pub async fn delete_user(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    Path(username): Path<String>,
) -> Result<(StatusCode, Json<Value>), EsError> {
    let found = state
        .core
        .elasticsearch
        .delete_user(&me.principal, &me.actor, &username)
        .await
        .map_err(|e| EsError::of(e, "cluster:admin/xpack/security/user/delete", &me.principal))?;
    let status = if found {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok((status, Json(json!({"found": found}))))
}

/// Creates or replaces a role (PUT).
#[utoipa::path(put, path = "/_security/role/{name}", tag = "elasticsearch", operation_id = "securityPutRole",
    params(("name" = String, Path)), request_body = RoleDraft,
    responses((status = 200, body = Object, example = json!({"role": {"created": true}})), (status = 400, body = Object)))]
pub async fn put_role(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    Path(name): Path<String>,
    EsBody(draft): EsBody<RoleDraft>,
) -> Result<Json<Value>, EsError> {
    // As Elasticsearch: a role is defined by its body, and there is none.
    let draft = draft.ok_or_else(|| {
        EsError::new(
            StatusCode::BAD_REQUEST,
            "parse_exception",
            "request body is required",
        )
    })?;
    let created = state
        .core
        .elasticsearch
        .put_role(&me.principal, &me.actor, &name, draft)
        .await
        .map_err(|e| EsError::of(e, "cluster:admin/xpack/security/role/put", &me.principal))?;
    Ok(Json(json!({"role": {"created": created}})))
}

/// GET /_security/role lists every role.
#[utoipa::path(get, path = "/_security/role", tag = "elasticsearch", operation_id = "securityGetRoles",
    responses((status = 200, body = Object)))]
pub async fn list_roles(state: State<AppState>, caller: EsCaller) -> Result<Json<Value>, EsError> {
    get_roles(state, caller, None).await
}

/// Returns roles by name (comma-separated).
#[utoipa::path(get, path = "/_security/role/{name}", tag = "elasticsearch", operation_id = "securityGetRole",
    params(("name" = String, Path, description = "One or more comma-separated names")),
    responses((status = 200, body = Object), (status = 404, body = Object)))]
pub async fn get_roles(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    name: Option<Path<String>>,
) -> Result<Json<Value>, EsError> {
    let wanted = names(name);
    let roles = state
        .core
        .elasticsearch
        .get_roles(&me.principal, &wanted)
        .await
        .map_err(|e| lookup_error(e, "cluster:admin/xpack/security/role/get", &me))?;
    let map: Map<String, Value> = roles
        .into_iter()
        .map(|r| (r.name.clone(), descriptors::of_role(&r)))
        .collect();
    Ok(Json(Value::Object(map)))
}

/// Deletes a role.
#[utoipa::path(delete, path = "/_security/role/{name}", tag = "elasticsearch", operation_id = "securityDeleteRole",
    params(("name" = String, Path)),
    responses((status = 200, body = Object, example = json!({"found": true})), (status = 404, body = Object)))]
pub async fn delete_role(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<Value>), EsError> {
    let found = state
        .core
        .elasticsearch
        .delete_role(&me.principal, &me.actor, &name)
        .await
        .map_err(|e| EsError::of(e, "cluster:admin/xpack/security/role/delete", &me.principal))?;
    let status = if found {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok((status, Json(json!({"found": found}))))
}

/// POST /_security/user/{username}: the same as PUT.
#[utoipa::path(post, path = "/_security/user/{username}", tag = "elasticsearch", operation_id = "securityPostUser",
    params(("username" = String, Path)), request_body = UserDraft,
    responses((status = 200, body = Object, example = json!({"created": true})), (status = 400, body = Object), (status = 403, body = Object)))]
pub async fn post_user(
    state: State<AppState>,
    caller: EsCaller,
    username: Path<String>,
    body: EsBody<UserDraft>,
) -> Result<Json<Value>, EsError> {
    put_user(state, caller, username, body).await
}

/// POST /_security/role/{name}: the same as PUT.
#[utoipa::path(post, path = "/_security/role/{name}", tag = "elasticsearch", operation_id = "securityPostRole",
    params(("name" = String, Path)), request_body = RoleDraft,
    responses((status = 200, body = Object, example = json!({"role": {"created": true}})), (status = 400, body = Object)))]
pub async fn post_role(
    state: State<AppState>,
    caller: EsCaller,
    name: Path<String>,
    body: EsBody<RoleDraft>,
) -> Result<Json<Value>, EsError> {
    put_role(state, caller, name, body).await
}
