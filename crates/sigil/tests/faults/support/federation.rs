//! A WORKLOAD identity provider on a [`FakeIssuer`], connected to the default organization
//! with one role mapping, so the issuer's JWTs authenticate as ORG_OWNER.

use super::api::{Api, V2};
use reqwest::Method;
use serde_json::json;
use sigil_testkit::issuer::FakeIssuer;

pub struct Provider {
    pub id: String,
    pub audience: String,
    pub fs: String,
    /// The external group mapped to ORG_OWNER of the default organization.
    pub group: String,
}

impl Provider {
    pub async fn create(api: &Api, issuer: &FakeIssuer, name: &str) -> Self {
        let (org, fs) = api.default_org().await;
        let audience = format!("sigil-faults-{name}-{:08x}", rand::random::<u32>());
        let created = api
            .admin(
                Method::POST,
                &format!("{V2}/federationSettings/{fs}/identityProviders"),
                Some(json!({
                    "protocol": "OIDC",
                    "idpType": "WORKLOAD",
                    "displayName": name,
                    "issuerUri": issuer.issuer(),
                    "audience": audience,
                    "authorizationType": "GROUP",
                    "groupsClaim": "groups",
                })),
            )
            .await
            .expect("create a provider");
        assert_eq!(created.status, 200, "{}", created.text);
        let id = created.body["id"].as_str().expect("id").to_owned();
        let config = format!("{V2}/federationSettings/{fs}/connectedOrgConfigs/{org}");
        let current = api
            .admin(Method::GET, &config, None)
            .await
            .expect("connected org config");
        let mut ids: Vec<serde_json::Value> = current.body["dataAccessIdentityProviderIds"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        ids.push(json!(id));
        let connected = api
            .admin(
                Method::PATCH,
                &config,
                Some(json!({"dataAccessIdentityProviderIds": ids})),
            )
            .await
            .expect("connect");
        assert_eq!(connected.status, 200, "{}", connected.text);
        let group = format!("group-{name}");
        let mapped = api
            .admin(
                Method::POST,
                &format!("{config}/roleMappings"),
                Some(json!({"externalGroupName": group,
                    "roleAssignments": [{"orgId": org, "role": "ORG_OWNER"}]})),
            )
            .await
            .expect("map");
        assert!(
            [200, 201].contains(&mapped.status.as_u16()),
            "{}",
            mapped.text
        );
        Self {
            id,
            audience,
            fs,
            group,
        }
    }

    /// Claims of the provider's mapped group, issued now by the issuer's clock.
    pub fn claims(&self, issuer: &FakeIssuer) -> serde_json::Value {
        issuer.claims("workload", &self.audience, &[&self.group])
    }

    /// A JWT of the provider's mapped group, signed with the issuer's current key.
    pub fn jwt(&self, issuer: &FakeIssuer) -> String {
        issuer.mint(&self.claims(issuer))
    }

    pub fn jwks_path(&self) -> String {
        format!(
            "{V2}/federationSettings/{}/identityProviders/{}/jwks",
            self.fs, self.id
        )
    }
}
