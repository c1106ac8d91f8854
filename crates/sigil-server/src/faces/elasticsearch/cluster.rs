//! `GET /_cluster/health` and `GET /_xpack`: what clients and tools probe before they use the
//! security API, answered for one green node. Both need `monitor`, as in Elasticsearch.

use super::error::EsError;
use super::extract::EsCaller;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

const HEALTH: &str = "cluster:monitor/health";
const XPACK: &str = "cluster:monitor/xpack/info";

/// The cluster's health: one node, no shards, green.
#[utoipa::path(get, path = "/_cluster/health", tag = "elasticsearch", operation_id = "clusterHealth",
    responses((status = 200, body = Object, example = json!({"cluster_name": "sigil", "status": "green", "timed_out": false, "number_of_nodes": 1})),
        (status = 401, body = Object), (status = 403, body = Object)))]
pub async fn health(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
) -> Result<Json<Value>, EsError> {
    state
        .core
        .elasticsearch
        .require_monitor(&me.principal)
        .map_err(|e| EsError::of(e, HEALTH, &me.principal))?;
    Ok(Json(json!({
        "cluster_name": "sigil",
        "status": "green",
        "timed_out": false,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": 0,
        "active_shards": 0,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": 0,
        "unassigned_primary_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": 100.0,
    })))
}

/// The features this server offers: security (API keys, users, roles), nothing else.
#[utoipa::path(get, path = "/_xpack", tag = "elasticsearch", operation_id = "xpackInfo",
    responses((status = 200, body = Object), (status = 401, body = Object), (status = 403, body = Object)))]
pub async fn xpack(
    State(state): State<AppState>,
    EsCaller(me): EsCaller,
) -> Result<Json<Value>, EsError> {
    state
        .core
        .elasticsearch
        .require_monitor(&me.principal)
        .map_err(|e| EsError::of(e, XPACK, &me.principal))?;
    Ok(Json(json!({
        "build": {"hash": "sigil", "date": "1970-01-01T00:00:00.000Z"},
        "license": {"uid": "00000000-0000-0000-0000-000000000000", "type": "basic", "mode": "basic", "status": "active"},
        "features": {
            "security": {"available": true, "enabled": true},
        },
        "tagline": "You know, for X",
    })))
}
