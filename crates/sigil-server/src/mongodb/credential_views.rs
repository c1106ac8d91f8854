//! The wire shapes of service accounts, their secrets and programmatic API keys.

use serde::Serialize;
use sigil_core::clock::rfc3339;
use sigil_core::oauth::service_accounts::{ServiceAccount, ServiceAccountSecret};
use sigil_core::programmatic::ProgrammaticApiKey;
use sigil_core::secret::SecretString;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretView {
    #[schema(example = "66b544825867ba071c85469d")]
    pub id: String,
    /// The secret itself: in the answer that creates it, and never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[schema(example = "mdb_sa_sk_...AOk5")]
    pub masked_secret_value: String,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
}

impl SecretView {
    pub fn new(secret: ServiceAccountSecret, shown_once: Option<&SecretString>) -> Self {
        Self {
            id: secret.id.to_string(),
            secret: shown_once.map(|s| s.expose().to_owned()),
            masked_secret_value: secret.masked,
            created_at: rfc3339(&secret.created_at),
            expires_at: rfc3339(&secret.expires_at),
            last_used_at: secret.last_used_at.as_ref().map(rfc3339),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountView {
    #[schema(example = "mdb_sa_id_66b544825867ba071c85469d")]
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub roles: Vec<String>,
    pub created_at: String,
    pub secrets: Vec<SecretView>,
}

impl ServiceAccountView {
    pub fn new((account, secrets): (ServiceAccount, Vec<ServiceAccountSecret>)) -> Self {
        Self::with_secrets(
            account,
            secrets
                .into_iter()
                .map(|s| SecretView::new(s, None))
                .collect(),
        )
    }

    pub fn with_secrets(account: ServiceAccount, secrets: Vec<SecretView>) -> Self {
        Self {
            client_id: account.client_id,
            name: account.name,
            description: account.description,
            roles: account
                .roles
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            created_at: rfc3339(&account.created_at),
            secrets,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRoleView {
    pub org_id: String,
    #[schema(example = "ORG_MEMBER")]
    pub role_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView {
    pub id: String,
    pub desc: String,
    pub roles: Vec<ApiKeyRoleView>,
    /// The Digest username.
    #[schema(example = "abcdwxyz")]
    pub public_key: String,
    /// The whole private key when the key is created; masked on every later read.
    #[schema(example = "********-****-****-****-0123456789ab")]
    pub private_key: String,
}

impl ApiKeyView {
    pub fn new(key: ProgrammaticApiKey, private: Option<&SecretString>) -> Self {
        Self {
            id: key.id.to_string(),
            desc: key.desc,
            roles: key
                .roles
                .iter()
                .map(|r| ApiKeyRoleView {
                    org_id: key.org_id.to_string(),
                    role_name: r.as_str().into(),
                })
                .collect(),
            public_key: key.public_key,
            private_key: private.map_or(key.private_key_masked, |p| p.expose().to_owned()),
        }
    }
}
