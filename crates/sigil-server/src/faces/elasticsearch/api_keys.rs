//! `/_security/api_key` and `/_security/_query/api_key`.

use super::error::EsError;
use super::extract::{lenient_bool, EsBody, EsCaller, EsParams};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sigil_core::elasticsearch::api_keys::{
    ApiKey, ApiKeyDraft, ApiKeyFilter, ApiKeyUpdate, BulkUpdateRequest, InvalidateRequest,
    QueryRequest,
};
use sigil_core::elasticsearch::descriptors;
use sigil_core::CoreError;

const CREATE: &str = "cluster:admin/xpack/security/api_key/create";
const GET: &str = "cluster:admin/xpack/security/api_key/get";
const QUERY: &str = "cluster:admin/xpack/security/api_key/query";
const UPDATE: &str = "cluster:admin/xpack/security/api_key/update";
const INVALIDATE: &str = "cluster:admin/xpack/security/api_key/invalidate";
const BULK_UPDATE: &str = "cluster:admin/xpack/security/api_key/update";
const CLEAR_CACHE: &str = "cluster:admin/xpack/security/api_key/clear_cache";

fn view(key: &ApiKey, with_limited_by: bool) -> Value {
    let mut v = json!({
        "id": key.id,
        "name": key.name,
        "type": "rest",
        "creation": key.creation.timestamp_millis(),
        "invalidated": key.invalidated,
        "username": key.username,
        "realm": key.realm,
        "realm_type": key.realm_type,
        "metadata": key.metadata,
        "role_descriptors": descriptors::normalize_all(&key.role_descriptors),
    });
    if let Some(e) = key.expiration {
        v["expiration"] = e.timestamp_millis().into();
    }
    if let Some(i) = key.invalidation {
        v["invalidation"] = i.timestamp_millis().into();
    }
    if with_limited_by {
        let owner = key.limited_by.descriptors.clone().unwrap_or_default();
        v["limited_by"] = json!([Value::Object(owner)]);
    }
    v
}

/// Creates an API key for the caller (POST); the key is in this answer only.
#[utoipa::path(post, path = "/_security/api_key", tag = "elasticsearch", operation_id = "securityCreateApiKey",
    request_body = ApiKeyDraft,
    responses((status = 200, body = Object, example = json!({"id": "VuaCfGcBCdbkQm-e5aOx", "name": "my-api-key", "api_key": "ui2lp2axTNmsyakw9tvNnw", "encoded": "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="})),
        (status = 400, body = Object), (status = 401, body = Object), (status = 403, body = Object)))]
pub async fn create(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    EsBody(draft): EsBody<ApiKeyDraft>,
) -> Result<Json<Value>, EsError> {
    let draft = draft.ok_or_else(|| EsError::validation(&["api key name is required".into()]))?;
    let created = state
        .core
        .elasticsearch
        .create_api_key(&me.principal, &me.actor, draft)
        .await
        .map_err(|e| EsError::of(e, CREATE, &me.principal))?;
    let mut body = json!({
        "id": created.id,
        "name": created.name,
        "api_key": created.api_key.expose(),
        "encoded": created.encoded.expose(),
    });
    if let Some(e) = created.expiration {
        body["expiration"] = e.timestamp_millis().into();
    }
    Ok(Json(body))
}

/// Returns API keys by id, name, owner or realm (the caller's own unless it holds manage_api_key).
#[utoipa::path(get, path = "/_security/api_key", tag = "elasticsearch", operation_id = "securityGetApiKey",
    params(("id" = Option<String>, Query), ("name" = Option<String>, Query, description = "May end in *"),
        ("username" = Option<String>, Query), ("realm_name" = Option<String>, Query),
        ("owner" = Option<bool>, Query), ("active_only" = Option<bool>, Query), ("with_limited_by" = Option<bool>, Query)),
    responses((status = 200, body = Object), (status = 404, body = Object, example = json!({"api_keys": []}))))]
pub async fn get(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    params: EsParams,
) -> Result<Json<Value>, EsError> {
    let owner = params.flag("owner")?;
    let (username, realm) = (params.get("username"), params.get("realm_name"));
    if owner && (username.is_some() || realm.is_some()) {
        return Err(EsError::validation(&[
            "username or realm name must not be specified when retrieving owned API keys".into(),
        ]));
    }
    let p = &me.principal;
    let filter = ApiKeyFilter {
        ids: params.get("id").map(|i| vec![i.to_owned()]),
        name: params.get("name").map(str::to_owned),
        username: if owner {
            Some(p.name.clone())
        } else {
            username.map(str::to_owned)
        },
        realm: if owner {
            Some(p.realm.name.clone())
        } else {
            realm.map(str::to_owned)
        },
        active_at: params.flag("active_only")?.then(|| state.core.now()),
    };
    let with_limited_by = params.flag("with_limited_by")?;
    match state
        .core
        .elasticsearch
        .get_api_keys(p, filter, with_limited_by)
        .await
    {
        Ok(keys) => Ok(Json(json!({
            "api_keys": keys.iter().map(|k| view(k, with_limited_by)).collect::<Vec<_>>()
        }))),
        Err(e @ CoreError::NotFound { .. }) => {
            let mut err = EsError::from(e);
            err.body = Some(Box::new(json!({"api_keys": []})));
            Err(err)
        }
        Err(e) => Err(EsError::of(e, GET, p)),
    }
}

/// Searches API keys with the query DSL (a subset), sorted and paged (POST).
#[utoipa::path(post, path = "/_security/_query/api_key", tag = "elasticsearch", operation_id = "securityQueryApiKeys",
    request_body = QueryRequest,
    responses((status = 200, body = Object, example = json!({"total": 1, "count": 1, "api_keys": []})), (status = 400, body = Object)))]
pub async fn query(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    params: EsParams,
    EsBody(request): EsBody<QueryRequest>,
) -> Result<Json<Value>, EsError> {
    let with_limited_by = params.flag("with_limited_by")?;
    let result = state
        .core
        .elasticsearch
        .query_api_keys(&me.principal, request.unwrap_or_default(), with_limited_by)
        .await
        .map_err(|e| EsError::of(e, QUERY, &me.principal))?;
    let keys: Vec<Value> = result
        .api_keys
        .iter()
        .map(|(k, sort)| {
            let mut v = view(k, with_limited_by);
            if let Some(values) = sort {
                v["_sort"] = Value::Array(values.clone());
            }
            v
        })
        .collect();
    Ok(Json(
        json!({"total": result.total, "count": keys.len(), "api_keys": keys}),
    ))
}

/// Updates an API key's role descriptors, metadata or expiration.
#[utoipa::path(put, path = "/_security/api_key/{id}", tag = "elasticsearch", operation_id = "securityUpdateApiKey",
    params(("id" = String, Path)), request_body = ApiKeyUpdate,
    responses((status = 200, body = Object, example = json!({"updated": true})), (status = 400, body = Object), (status = 404, body = Object)))]
pub async fn update(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    Path(id): Path<String>,
    EsBody(update): EsBody<ApiKeyUpdate>,
) -> Result<Json<Value>, EsError> {
    let updated = state
        .core
        .elasticsearch
        .update_api_key(&me.principal, &me.actor, &id, update.unwrap_or_default())
        .await
        .map_err(|e| EsError::of(e, UPDATE, &me.principal))?;
    Ok(Json(json!({"updated": updated})))
}

/// The invalidation body; `owner` may be a string, as Elasticsearch clients send it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvalidateBody {
    /// Deprecated: one id, treated as `ids: [id]`.
    id: Option<String>,
    ids: Option<Vec<String>>,
    name: Option<String>,
    realm_name: Option<String>,
    username: Option<String>,
    #[schema(value_type = Option<bool>)]
    owner: Option<Value>,
}

/// Invalidates API keys by ids, name, owner or realm.
#[utoipa::path(delete, path = "/_security/api_key", tag = "elasticsearch", operation_id = "securityInvalidateApiKey",
    request_body = InvalidateBody,
    responses((status = 200, body = Object, example = json!({"invalidated_api_keys": ["api-key-id-1"], "previously_invalidated_api_keys": [], "error_count": 0})),
        (status = 400, body = Object), (status = 403, body = Object)))]
pub async fn invalidate(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    EsBody(body): EsBody<InvalidateBody>,
) -> Result<Json<Value>, EsError> {
    let body = body.unwrap_or_default();
    let owner = match &body.owner {
        Some(v) => lenient_bool("owner", v)?,
        None => false,
    };
    let ids = match (body.ids, body.id) {
        (Some(mut ids), Some(id)) => {
            ids.push(id);
            Some(ids)
        }
        (Some(ids), None) => Some(ids),
        (None, Some(id)) => Some(vec![id]),
        (None, None) => None,
    };
    let request = InvalidateRequest {
        ids,
        name: body.name,
        realm_name: body.realm_name,
        username: body.username,
        owner,
    };
    let outcome = state
        .core
        .elasticsearch
        .invalidate_api_keys(&me.principal, &me.actor, request)
        .await
        .map_err(|e| EsError::of(e, INVALIDATE, &me.principal))?;
    let mut answer = json!({
        "invalidated_api_keys": outcome.invalidated,
        "previously_invalidated_api_keys": outcome.previously_invalidated,
        "error_count": outcome.errors.len(),
    });
    if !outcome.errors.is_empty() {
        answer["error_details"] = outcome
            .errors
            .iter()
            .map(|reason| {
                json!({
                    "type": "exception",
                    "reason": "error occurred while invalidating api keys",
                    "caused_by": {"type": "illegal_argument_exception", "reason": reason},
                })
            })
            .collect();
    }
    Ok(Json(answer))
}

/// PUT /_security/api_key: the same as POST.
#[utoipa::path(put, path = "/_security/api_key", tag = "elasticsearch", operation_id = "securityPutApiKey",
    request_body = ApiKeyDraft,
    responses((status = 200, body = Object), (status = 400, body = Object), (status = 401, body = Object), (status = 403, body = Object)))]
pub async fn create_put(
    state: State<AppState>,
    caller: EsCaller,
    body: EsBody<ApiKeyDraft>,
) -> Result<Json<Value>, EsError> {
    create(state, caller, body).await
}

/// GET /_security/_query/api_key: the same as POST.
#[utoipa::path(get, path = "/_security/_query/api_key", tag = "elasticsearch", operation_id = "securityQueryApiKeysGet",
    request_body = QueryRequest,
    responses((status = 200, body = Object), (status = 400, body = Object)))]
pub async fn query_get(
    state: State<AppState>,
    caller: EsCaller,
    params: EsParams,
    body: EsBody<QueryRequest>,
) -> Result<Json<Value>, EsError> {
    query(state, caller, params, body).await
}

/// Applies one update to several of the caller's keys; each is answered on its own.
#[utoipa::path(post, path = "/_security/api_key/_bulk_update", tag = "elasticsearch", operation_id = "securityBulkUpdateApiKeys",
    request_body = BulkUpdateRequest,
    responses((status = 200, body = Object, example = json!({"updated": ["VuaCfGcBCdbkQm-e5aOx"], "noops": []})),
        (status = 400, body = Object), (status = 403, body = Object)))]
pub async fn bulk_update(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    EsBody(body): EsBody<BulkUpdateRequest>,
) -> Result<Json<Value>, EsError> {
    let outcome = state
        .core
        .elasticsearch
        .bulk_update_api_keys(&me.principal, &me.actor, body.unwrap_or_default())
        .await
        .map_err(|e| EsError::of(e, BULK_UPDATE, &me.principal))?;
    let mut answer = json!({"updated": outcome.updated, "noops": outcome.noops});
    if !outcome.errors.is_empty() {
        let details: serde_json::Map<String, Value> = outcome
            .errors
            .into_iter()
            .map(|(id, e)| {
                let e = EsError::from(e);
                (id, json!({"type": e.kind, "reason": e.reason}))
            })
            .collect();
        answer["errors"] = json!({"count": details.len(), "details": details});
    }
    Ok(Json(answer))
}

/// Makes this node forget the keys named (comma-separated; `*`: all) from its memory.
#[utoipa::path(post, path = "/_security/api_key/{ids}/_clear_cache", tag = "elasticsearch", operation_id = "securityClearApiKeyCache",
    params(("ids" = String, Path, description = "Comma-separated key ids, or `*`")),
    responses((status = 200, body = Object, example = json!({"_nodes": {"total": 1, "successful": 1, "failed": 0}, "cluster_name": "sigil"})),
        (status = 403, body = Object)))]
pub async fn clear_cache(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
    Path(ids): Path<String>,
) -> Result<Json<Value>, EsError> {
    let ids: Vec<String> = ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    state
        .core
        .elasticsearch
        .clear_api_key_cache(&me.principal, &ids)
        .map_err(|e| EsError::of(e, CLEAR_CACHE, &me.principal))?;
    Ok(Json(json!({
        "_nodes": {"total": 1, "successful": 1, "failed": 0},
        "cluster_name": "sigil",
    })))
}
