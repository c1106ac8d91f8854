//! The request of each Elasticsearch security API, Huawei Cloud IAM, OAuth 2.0 and public
//! operation, aimed at the superuser's keys and at domain A.

use super::calls::Call;
use super::world::{World, OWNERS, PLAIN_ROLE};
use super::{After, Prepared};
use crate::credentials_support::token;
use crate::es_support::{self as es, Who};
use crate::iam_access_keys::create_key;
use crate::iam_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::{TestServer, ADMIN_PASSWORD};

const CREDENTIALS: &str = "/v3.0/OS-CREDENTIAL/credentials";

/// The request of a non-Atlas operation; `None` when the operation is unknown.
pub async fn prepare(op: &str, server: &TestServer, w: &World) -> Option<Prepared> {
    let call = match op {
        "getHealth" => Call::new(Method::GET, "/health"),
        "getJwks" => Call::new(Method::GET, "/.well-known/jwks.json"),
        "getOpenIdConfiguration" => Call::new(Method::GET, "/.well-known/openid-configuration"),
        "info" => Call::new(Method::GET, "/"),
        "clusterHealth" => Call::new(Method::GET, "/_cluster/health"),
        "xpackInfo" => Call::new(Method::GET, "/_xpack"),
        "securityAuthenticate" => Call::new(Method::GET, "/_security/_authenticate"),
        op if op.starts_with("security") => return elasticsearch(op, server, w).await,
        "createToken" => Call::new(Method::POST, "/api/oauth/token").form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &w.revocable.client_id),
            ("client_secret", &w.revocable.secret),
        ]),
        "introspectToken" => {
            let t = token(server, &w.revocable.client_id, &w.revocable.secret).await;
            Call::new(Method::POST, "/api/oauth/introspect").form(&[("token", &t)])
        }
        "revokeToken" => {
            let t = token(server, &w.revocable.client_id, &w.revocable.secret).await;
            Call::new(Method::POST, "/api/oauth/revoke").form(&[("token", &t)])
        }
        other => return iam(other, server, w).await,
    };
    Some(Prepared {
        call,
        after: After::Nothing,
    })
}

async fn elasticsearch(op: &str, server: &TestServer, w: &World) -> Option<Prepared> {
    let fresh_key = || async { es::create_key(server, Who::Admin, &w.fresh("admin-key")).await };
    // Application names begin with a lowercase letter: `app-7` is one.
    let fresh_app = || async {
        let app = w.fresh("app");
        let body = json!({ app.clone(): {"read": {"actions": ["data:read/*"]}} });
        let a = es::put(server, Who::Admin, "/_security/privilege", body).await;
        assert_eq!(a.status, 200, "{}", a.text);
        app
    };
    let has_privileges =
        json!({"cluster": ["monitor"], "index": [{"names": ["logs"], "privileges": ["read"]}]});
    let fresh_user = |name: String| async move {
        es::put_user(server, &name, &[PLAIN_ROLE]).await;
        name
    };
    let call = match op {
        "securityCreateApiKey" => {
            Call::new(Method::POST, "/_security/api_key").json(json!({"name": w.fresh("key")}))
        }
        "securityPutApiKey" => {
            Call::new(Method::PUT, "/_security/api_key").json(json!({"name": w.fresh("key")}))
        }
        "securityGetApiKey" => Call::new(Method::GET, "/_security/api_key"),
        "securityQueryApiKeys" => Call::new(Method::POST, "/_security/_query/api_key")
            .json(json!({"query": {"match_all": {}}})),
        "securityQueryApiKeysGet" => Call::new(Method::GET, "/_security/_query/api_key"),
        "securityUpdateApiKey" => {
            let key = fresh_key().await;
            Call::new(Method::PUT, format!("/_security/api_key/{}", key.id))
                .json(json!({"metadata": {"changed": true}}))
        }
        "securityInvalidateApiKey" => {
            let key = fresh_key().await;
            Call::new(Method::DELETE, "/_security/api_key").json(json!({"ids": [key.id]}))
        }
        "securityHasPrivileges" => {
            Call::new(Method::GET, "/_security/user/_has_privileges").json(has_privileges)
        }
        "securityHasPrivilegesPost" => {
            Call::new(Method::POST, "/_security/user/_has_privileges").json(has_privileges)
        }
        // Nobody checks another user's privileges: the superuser's own credentials pass.
        "securityHasPrivilegesOfUser" => {
            Call::new(Method::GET, "/_security/user/admin/_has_privileges").json(has_privileges)
        }
        "securityHasPrivilegesOfUserPost" => {
            Call::new(Method::POST, "/_security/user/admin/_has_privileges").json(has_privileges)
        }
        "securityBulkUpdateApiKeys" => {
            let key = fresh_key().await;
            Call::new(Method::POST, "/_security/api_key/_bulk_update")
                .json(json!({"ids": [key.id], "metadata": {"changed": true}}))
        }
        "securityClearApiKeyCache" => {
            let key = fresh_key().await;
            Call::new(
                Method::POST,
                format!("/_security/api_key/{}/_clear_cache", key.id),
            )
        }
        "securityPutPrivileges" | "securityPostPrivileges" => {
            let method = if op == "securityPutPrivileges" {
                Method::PUT
            } else {
                Method::POST
            };
            Call::new(method, "/_security/privilege")
                .json(json!({ w.fresh("app"): {"read": {"actions": ["data:read/*"]}} }))
        }
        "securityGetPrivileges" => Call::new(Method::GET, "/_security/privilege"),
        "securityGetApplicationPrivileges" => {
            let app = fresh_app().await;
            Call::new(Method::GET, format!("/_security/privilege/{app}"))
        }
        "securityGetPrivilege" => {
            let app = fresh_app().await;
            Call::new(Method::GET, format!("/_security/privilege/{app}/read"))
        }
        "securityDeletePrivileges" => {
            let app = fresh_app().await;
            Call::new(Method::DELETE, format!("/_security/privilege/{app}/read"))
        }
        "securityGetBuiltinPrivileges" => Call::new(Method::GET, "/_security/privilege/_builtin"),
        "securityGetRoles" => Call::new(Method::GET, "/_security/role"),
        "securityGetRole" => Call::new(Method::GET, format!("/_security/role/{PLAIN_ROLE}")),
        "securityPutRole" | "securityPostRole" => {
            let method = if op == "securityPutRole" {
                Method::PUT
            } else {
                Method::POST
            };
            Call::new(method, format!("/_security/role/{}", w.fresh("role")))
                .json(json!({"cluster": ["read_security"]}))
        }
        "securityDeleteRole" => {
            let role = w.fresh("role");
            es::put_role(server, &role, &[]).await;
            Call::new(Method::DELETE, format!("/_security/role/{role}"))
        }
        "securityGetUsers" => Call::new(Method::GET, "/_security/user"),
        "securityGetUser" => Call::new(Method::GET, "/_security/user/keyowner"),
        "securityPutUser" | "securityPostUser" => {
            let method = if op == "securityPutUser" {
                Method::PUT
            } else {
                Method::POST
            };
            Call::new(method, format!("/_security/user/{}", w.fresh("user")))
                .json(json!({"password": es::PASSWORD, "roles": [PLAIN_ROLE]}))
        }
        "securityDeleteUser" => {
            let user = fresh_user(w.fresh("user")).await;
            Call::new(Method::DELETE, format!("/_security/user/{user}"))
        }
        _ => return None,
    };
    Some(Prepared {
        call,
        after: After::Nothing,
    })
}

async fn iam(op: &str, server: &TestServer, w: &World) -> Option<Prepared> {
    let fresh_provider = || async {
        let name = w.fresh("matrix-idp");
        create_provider(server, &w.admin_token_a, &name).await;
        name
    };
    let fresh_access_key = || async {
        create_key(server, &w.admin_token_a, &w.admin_id)
            .await
            .access
    };
    let (call, after) = match op {
        "keystoneCreateUserTokenByPassword" => (
            Call::new(Method::POST, TOKENS).json(password_body("admin", ADMIN_PASSWORD, &w.a_name)),
            After::Nothing,
        ),
        "createTokenWithIdToken" => {
            let jwt = w.issuer.mint(
                &w.issuer
                    .claims("matrix-person", &w.iam_client_id, &[OWNERS]),
            );
            let body =
                json!({"auth": {"id_token": {"id": jwt}, "scope": {"domain": {"name": w.a_name}}}});
            (
                Call::new(Method::POST, ID_TOKENS)
                    .header("x-idp-id", w.iam_provider.clone())
                    .json(body),
                After::Nothing,
            )
        }
        "createTemporaryAccessKeyByToken" => {
            let jwt = w.issuer.mint(
                &w.issuer
                    .claims("matrix-person", &w.iam_client_id, &[OWNERS]),
            );
            let login =
                crate::iam_temporary_keys::unscoped_login(server, &w.iam_provider, &jwt).await;
            let unscoped = login
                .header("x-subject-token")
                .unwrap_or_else(|| panic!("an unscoped token: {}", login.text))
                .to_owned();
            (
                Call::new(Method::POST, crate::iam_temporary_keys::SECURITY_TOKENS)
                    .json(crate::iam_temporary_keys::token_body(&unscoped, None)),
                After::Nothing,
            )
        }
        "listPermanentAccessKeys" => (Call::new(Method::GET, CREDENTIALS), After::Nothing),
        "createPermanentAccessKey" => (
            Call::new(Method::POST, CREDENTIALS)
                .json(json!({"credential": {"user_id": w.admin_id}})),
            After::DeleteCreatedAccessKey,
        ),
        "showPermanentAccessKey" => (
            Call::new(Method::GET, format!("{CREDENTIALS}/{}", w.access_key)),
            After::Nothing,
        ),
        "updatePermanentAccessKey" => {
            let access = fresh_access_key().await;
            (
                Call::new(Method::PUT, format!("{CREDENTIALS}/{access}"))
                    .json(json!({"credential": {"description": "renamed"}})),
                After::DeleteAccessKey(access),
            )
        }
        "deletePermanentAccessKey" => {
            let access = fresh_access_key().await;
            (
                Call::new(Method::DELETE, format!("{CREDENTIALS}/{access}")),
                After::DeleteAccessKey(access),
            )
        }
        "createOpenIdConnectIdentityProvider" => (
            Call::new(Method::POST, format!("{IDP_V30}/{}", w.fresh("matrix-idp"))).json(
                json!({"identity_provider": {"sso_type": "virtual_user_sso", "enabled": true}}),
            ),
            After::Nothing,
        ),
        "showOpenIdConnectConfig" => (
            Call::new(Method::GET, oidc_config_path(&w.iam_provider)),
            After::Nothing,
        ),
        "createOpenIdConnectConfig" => {
            let name = fresh_provider().await;
            (
                Call::new(Method::POST, oidc_config_path(&name))
                    .json(program_config(&w.issuer, &w.fresh("client"))),
                After::Nothing,
            )
        }
        "updateOpenIdConnectConfig" => {
            let name = fresh_provider().await;
            let made = with_token(
                server,
                Method::POST,
                &oidc_config_path(&name),
                &w.admin_token_a,
                Some(program_config(&w.issuer, &w.fresh("client"))),
            )
            .await;
            assert_eq!(made.status, 201, "{}", made.text);
            (
                Call::new(Method::PUT, oidc_config_path(&name))
                    .json(json!({"openid_connect_config": {"client_id": w.fresh("client")}})),
                After::Nothing,
            )
        }
        "keystoneListIdentityProviders" => (Call::new(Method::GET, IDP_V3), After::Nothing),
        "keystoneShowIdentityProvider" => (
            Call::new(Method::GET, format!("{IDP_V3}/{}", w.iam_provider)),
            After::Nothing,
        ),
        "keystoneUpdateIdentityProvider" => {
            let name = fresh_provider().await;
            (
                Call::new(Method::PATCH, format!("{IDP_V3}/{name}"))
                    .json(json!({"identity_provider": {"description": "renamed"}})),
                After::Nothing,
            )
        }
        "keystoneDeleteIdentityProvider" => {
            let name = fresh_provider().await;
            (
                Call::new(Method::DELETE, format!("{IDP_V3}/{name}")),
                After::Nothing,
            )
        }
        _ => return None,
    };
    Some(Prepared { call, after })
}
