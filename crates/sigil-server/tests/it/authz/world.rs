//! What the matrix runs against: organizations A and B, the resources of A every operation
//! names, and the principals of the matrix's columns, each made the way its users make it.

use super::calls::Credential;
use crate::atlas_support::*;
use crate::credentials_support::{create_sa, token, Sa};
use crate::es_support::{self as es, Who};
use crate::iam_access_keys::{admin_ids, create_key};
use crate::iam_support::*;
use reqwest::Method;
use serde_json::json;
use sigil_testkit::issuer::FakeIssuer;
use sigil_testkit::{TestServer, ADMIN_PASSWORD};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The group every federated identity of the matrix belongs to: ORG_OWNER of A.
pub const OWNERS: &str = "matrix-owners";
/// A role every user of the matrix may read and the test user holds.
pub const PLAIN_ROLE: &str = "matrix-plain";

pub struct World {
    pub a: String,
    pub a_name: String,
    pub fs_a: String,
    /// The WORKLOAD provider of A's settings, connected to A; its JWTs are a column.
    pub workload_idp: String,
    /// A's role mapping of [`OWNERS`] (made again when a cell disconnects A).
    pub owners_mapping: Mutex<String>,
    /// The superuser's IAM token for domain A: makes A's IAM resources.
    pub admin_token_a: String,
    /// An IAM provider of domain A, configured with the issuer's keys pinned.
    pub iam_provider: String,
    pub iam_client_id: String,
    pub admin_id: String,
    /// The `owner_a` service account (ORG_OWNER of A).
    pub owner_a: Sa,
    /// A service account of A whose tokens are revoked by the matrix.
    pub revocable: Sa,
    pub programmatic_key_id: String,
    pub access_key: String,
    pub issuer: FakeIssuer,
    next: AtomicU64,
}

impl World {
    /// A name no other cell has used.
    pub fn fresh(&self, base: &str) -> String {
        format!("{base}-{}", self.next.fetch_add(1, Ordering::Relaxed))
    }

    pub fn a_path(&self, rest: &str) -> String {
        format!("{V2}/orgs/{}{rest}", self.a)
    }

    /// Connects A to its settings with the workload and IAM providers and the owners'
    /// mapping, as the world is built and after a cell removed the connection.
    pub async fn reconnect_a(&self, server: &TestServer) {
        let providers = server
            .admin(Method::GET, &idps_path(&self.fs_a), None)
            .await;
        let iam = providers.body["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|p| p["displayName"] == self.iam_provider)
            .map(|p| p["id"].clone())
            .expect("the IAM provider");
        let c = server
            .admin(
                Method::PATCH,
                &config_path(&self.fs_a, &self.a),
                Some(json!({"dataAccessIdentityProviderIds": [self.workload_idp, iam]})),
            )
            .await;
        assert_eq!(c.status, 200, "{}", c.text);
        let existing = c.body["roleMappings"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["externalGroupName"] == OWNERS))
            .map(|m| m["id"].as_str().expect("id").to_owned());
        let id = match existing {
            Some(id) => id,
            None => {
                let m = server
                    .admin(
                        Method::POST,
                        &mappings_path(&self.fs_a, &self.a),
                        Some(mapping(OWNERS, &self.a, "ORG_OWNER")),
                    )
                    .await;
                assert_eq!(m.status, 200, "{}", m.text);
                m.body["id"].as_str().expect("id").to_owned()
            }
        };
        *self.owners_mapping.lock().expect("lock") = id;
    }

    pub async fn build(server: &TestServer) -> (Self, Vec<(&'static str, Credential)>) {
        let a_name = "matrix-a".to_owned();
        let (a, fs_a) = create_org(server, &a_name).await;
        let (b, _) = create_org(server, "matrix-b").await;
        let issuer = FakeIssuer::start().await;
        let workload_audience = unique_audience("matrix-workload");
        let workload_idp = create_idp(
            server,
            &fs_a,
            json!({
                "protocol": "OIDC", "idpType": "WORKLOAD", "displayName": "matrix workload",
                "issuerUri": issuer.issuer(), "audience": workload_audience,
                "authorizationType": "GROUP", "groupsClaim": "groups",
            }),
        )
        .await;
        let admin_for_a = admin_token_for(server, &a_name).await;
        let iam_provider = "matrix-iam".to_owned();
        create_provider(server, &admin_for_a, &iam_provider).await;
        let iam_client_id = unique_audience("matrix-iam-client");
        let configured = with_token(
            server,
            Method::POST,
            &oidc_config_path(&iam_provider),
            &admin_for_a,
            Some(program_config(&issuer, &iam_client_id)),
        )
        .await;
        assert_eq!(configured.status, 201, "{}", configured.text);
        let (admin_id, _) = admin_ids(server).await;
        let owner_a = create_sa(server, &a, &["ORG_OWNER"]).await;
        let revocable = create_sa(server, &a, &["ORG_MEMBER"]).await;
        let programmatic = server
            .admin(
                Method::POST,
                &format!("{V2}/orgs/{a}/apiKeys"),
                Some(json!({"desc": "matrix", "roles": ["ORG_OWNER"]})),
            )
            .await;
        assert_eq!(programmatic.status, 201, "{}", programmatic.text);
        let access_key = create_key(server, &admin_for_a, &admin_id).await;
        let world = Self {
            a: a.clone(),
            a_name,
            fs_a,
            workload_idp,
            owners_mapping: Mutex::new(String::new()),
            admin_token_a: admin_for_a.clone(),
            iam_provider,
            iam_client_id,
            admin_id,
            owner_a,
            revocable,
            programmatic_key_id: programmatic.body["id"].as_str().expect("id").to_owned(),
            access_key: access_key.access.clone(),
            issuer,
            next: AtomicU64::new(1),
        };
        world.reconnect_a(server).await;

        let sa_token = |roles: &'static [&'static str], org: String| async move {
            let sa = create_sa(server, &org, roles).await;
            Credential::Bearer(token(server, &sa.client_id, &sa.secret).await)
        };
        es::put_role(server, PLAIN_ROLE, &[]).await;
        for (user, cluster) in [
            ("secadmin", "manage_security"),
            ("keyadmin", "manage_api_key"),
            ("keyowner", "manage_own_api_key"),
        ] {
            es::user_with(server, user, &[cluster]).await;
        }
        let es_key = es::create_key(server, Who::Admin, "matrix-key").await;
        let es_key_narrow = es::create_key_with(
            server,
            Who::Admin,
            json!({"name": "matrix-narrow", "role_descriptors": {"r": {"cluster": ["manage_own_api_key"]}}}),
        )
        .await;
        let workload_jwt = world.issuer.mint(&world.issuer.claims(
            "matrix-robot",
            &workload_audience,
            &[OWNERS],
        ));
        let public_key = programmatic.body["publicKey"].as_str().expect("publicKey");
        let private_key = programmatic.body["privateKey"]
            .as_str()
            .expect("privateKey");
        let basic = |user: &str, password: &str| Credential::Basic(user.into(), password.into());
        let principals = vec![
            ("su", basic("admin", ADMIN_PASSWORD)),
            ("owner_a", {
                let t = token(server, &world.owner_a.client_id, &world.owner_a.secret).await;
                Credential::Bearer(t)
            }),
            ("owner_b", sa_token(&["ORG_OWNER"], b.clone()).await),
            ("member_a", sa_token(&["ORG_MEMBER"], a.clone()).await),
            ("readonly_a", sa_token(&["ORG_READ_ONLY"], a.clone()).await),
            (
                "apikey_a",
                Credential::Digest(public_key.into(), private_key.into()),
            ),
            ("es_key", Credential::ApiKey(es_key.encoded)),
            ("es_key_narrow", Credential::ApiKey(es_key_narrow.encoded)),
            ("secadmin", basic("secadmin", es::PASSWORD)),
            ("keyadmin", basic("keyadmin", es::PASSWORD)),
            ("keyowner", basic("keyowner", es::PASSWORD)),
            ("iam_ak_a", Credential::Signed(Arc::new(access_key))),
            ("iam_token_a", Credential::AuthToken(admin_for_a)),
            ("workload_a", Credential::Bearer(workload_jwt)),
            ("anonymous", Credential::None),
        ];
        (world, principals)
    }
}
