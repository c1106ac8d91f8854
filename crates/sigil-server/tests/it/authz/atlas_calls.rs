//! The request of each Atlas Admin API and Cloud Manager operation, aimed at organization A
//! (a fresh resource of A, made by the superuser, when the operation changes or deletes one).

use super::calls::Call;
use super::world::World;
use super::{After, Prepared};
use crate::atlas_support::*;
use crate::credentials_support::{add_secret, create_sa, sa_body, CM};
use reqwest::Method;
use serde_json::json;
use sigil_testkit::TestServer;

/// A fresh identity provider of A's settings.
async fn fresh_idp(server: &TestServer, w: &World) -> String {
    create_idp(server, &w.fs_a, workload(&w.fresh("matrix idp"))).await
}

/// A fresh role mapping of A.
async fn fresh_mapping(server: &TestServer, w: &World) -> String {
    let m = server
        .admin(
            Method::POST,
            &mappings_path(&w.fs_a, &w.a),
            Some(mapping(&w.fresh("group"), &w.a, "ORG_MEMBER")),
        )
        .await;
    assert_eq!(m.status, 200, "{}", m.text);
    m.body["id"].as_str().expect("id").to_owned()
}

/// A fresh programmatic API key of A.
async fn fresh_programmatic_key(server: &TestServer, w: &World) -> String {
    let k = server
        .admin(
            Method::POST,
            &w.a_path("/apiKeys"),
            Some(json!({"desc": w.fresh("key"), "roles": ["ORG_MEMBER"]})),
        )
        .await;
    assert_eq!(k.status, 201, "{}", k.text);
    k.body["id"].as_str().expect("id").to_owned()
}

/// The request of an Atlas or Cloud Manager operation; `None` for another face's.
pub async fn prepare(op: &str, server: &TestServer, w: &World) -> Option<Prepared> {
    let fs = format!("{V2}/federationSettings/{}", w.fs_a);
    let config = config_path(&w.fs_a, &w.a);
    let mappings = mappings_path(&w.fs_a, &w.a);
    let idps = idps_path(&w.fs_a);
    let call = match op {
        "listOrganizations" => Call::new(Method::GET, format!("{V2}/orgs")),
        "createOrganization" => Call::new(Method::POST, format!("{V2}/orgs"))
            .json(json!({"name": w.fresh("matrix-org")})),
        "getOrganization" => Call::new(Method::GET, w.a_path("")),
        "listOrganizationEvents" => Call::new(Method::GET, w.a_path("/events")),
        "getFederationSettings" => Call::new(Method::GET, w.a_path("/federationSettings")),
        "getFederationSettingsById" => Call::new(Method::GET, fs),
        "listConnectedOrgConfigs" => Call::new(Method::GET, format!("{fs}/connectedOrgConfigs")),
        "getConnectedOrgConfig" => Call::new(Method::GET, config),
        "updateConnectedOrgConfig" => Call::new(Method::PATCH, config).json(json!({})),
        "removeConnectedOrgConfig" => {
            return Some(Prepared {
                call: Call::new(Method::DELETE, config),
                after: After::ReconnectA,
            })
        }
        "listRoleMappings" => Call::new(Method::GET, mappings),
        "createRoleMapping" => {
            Call::new(Method::POST, mappings).json(mapping(&w.fresh("group"), &w.a, "ORG_MEMBER"))
        }
        "getRoleMapping" => {
            let id = w.owners_mapping.lock().expect("lock").clone();
            Call::new(Method::GET, format!("{mappings}/{id}"))
        }
        "updateRoleMapping" => {
            let id = fresh_mapping(server, w).await;
            Call::new(Method::PUT, format!("{mappings}/{id}")).json(mapping(
                &w.fresh("renamed"),
                &w.a,
                "ORG_READ_ONLY",
            ))
        }
        "deleteRoleMapping" => {
            let id = fresh_mapping(server, w).await;
            Call::new(Method::DELETE, format!("{mappings}/{id}"))
        }
        "listIdentityProviders" => Call::new(Method::GET, idps),
        "createIdentityProvider" => {
            Call::new(Method::POST, idps).json(workload(&w.fresh("matrix idp")))
        }
        "getIdentityProvider" => Call::new(Method::GET, format!("{idps}/{}", w.workload_idp)),
        "updateIdentityProvider" => {
            let id = fresh_idp(server, w).await;
            Call::new(Method::PATCH, format!("{idps}/{id}")).json(json!({"description": "x"}))
        }
        "deleteIdentityProvider" => {
            let id = fresh_idp(server, w).await;
            Call::new(Method::DELETE, format!("{idps}/{id}"))
        }
        "revokeJwksFromIdentityProvider" => {
            let id = fresh_idp(server, w).await;
            Call::new(Method::DELETE, format!("{idps}/{id}/jwks"))
        }
        "listApiKeys" => Call::new(Method::GET, w.a_path("/apiKeys")),
        "createApiKey" => Call::new(Method::POST, w.a_path("/apiKeys"))
            .json(json!({"desc": w.fresh("key"), "roles": ["ORG_MEMBER"]})),
        "getApiKey" => Call::new(
            Method::GET,
            w.a_path(&format!("/apiKeys/{}", w.programmatic_key_id)),
        ),
        "updateApiKey" => {
            let id = fresh_programmatic_key(server, w).await;
            Call::new(Method::PATCH, w.a_path(&format!("/apiKeys/{id}")))
                .json(json!({"desc": "renamed"}))
        }
        "deleteApiKey" => {
            let id = fresh_programmatic_key(server, w).await;
            Call::new(Method::DELETE, w.a_path(&format!("/apiKeys/{id}")))
        }
        other => return service_account_call(other, server, w).await,
    };
    Some(Prepared {
        call,
        after: After::Nothing,
    })
}

/// Service accounts and their secrets, on the Atlas face or, for an operationId ending in
/// `CloudManager`, on the Cloud Manager face.
async fn service_account_call(op: &str, server: &TestServer, w: &World) -> Option<Prepared> {
    let (op, base) = match op.strip_suffix("CloudManager") {
        Some(atlas) => (atlas, CM),
        None => (op, V2),
    };
    let accounts = format!("{base}/orgs/{}/serviceAccounts", w.a);
    let fresh_account = || async { create_sa(server, &w.a, &["ORG_MEMBER"]).await };
    let call = match op {
        "listServiceAccounts" => Call::new(Method::GET, accounts),
        "createServiceAccount" => Call::new(Method::POST, accounts).json(sa_body(
            &w.fresh("robot"),
            &["ORG_MEMBER"],
            json!(24),
        )),
        "getServiceAccount" => {
            Call::new(Method::GET, format!("{accounts}/{}", w.owner_a.client_id))
        }
        "updateServiceAccount" => {
            let sa = fresh_account().await;
            Call::new(Method::PATCH, format!("{accounts}/{}", sa.client_id))
                .json(json!({"description": "renamed"}))
        }
        "deleteServiceAccount" => {
            let sa = fresh_account().await;
            Call::new(Method::DELETE, format!("{accounts}/{}", sa.client_id))
        }
        "createServiceAccountSecret" => {
            let sa = fresh_account().await;
            Call::new(Method::POST, format!("{accounts}/{}/secrets", sa.client_id))
                .json(json!({"secretExpiresAfterHours": 24}))
        }
        "deleteServiceAccountSecret" => {
            let sa = fresh_account().await;
            let (second, _) = add_secret(server, &w.a, &sa.client_id).await;
            Call::new(
                Method::DELETE,
                format!("{accounts}/{}/secrets/{second}", sa.client_id),
            )
        }
        _ => return None,
    };
    Some(Prepared {
        call,
        after: After::Nothing,
    })
}
