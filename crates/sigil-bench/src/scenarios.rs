//! The scenarios the bench knows: for a throughput scenario, which credential each request
//! carries and what it asks for; the others are runs of their own (see `main.rs`).

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// The floor: `GET /health`, no authentication.
    Health,
    /// `GET /` (the Elasticsearch face's info: authentication and a constant answer, no store
    /// read) with Basic, the admin's password (Argon2id once, then the verified-password cache).
    Basic,
    /// `GET /` with Digest and a programmatic API key (one nonce per connection, nc counting up).
    Digest,
    /// `GET /` with a Sigil access token as Bearer (ES256 once, then the verified-token cache).
    Bearer,
    /// `GET /` with `Authorization: ApiKey`, a few Elasticsearch API keys in turn (cache hits).
    Apikey,
    /// `GET /` with `X-Auth-Token`, the admin's token from `POST /v3/auth/tokens`.
    AuthToken,
    /// `GET /` signed `SDK-HMAC-SHA256` with an IAM access key, as the Huawei Cloud SDKs sign:
    /// every request a new signature (a new `X-Sdk-Date` each second), the key's secret cached.
    SdkSigned,
    /// `GET /` with a WORKLOAD provider's JWT as Bearer, a few tokens repeated (cache hits).
    FederatedCached,
    /// `GET /`, every request a WORKLOAD JWT never sent before (full ES256 verification),
    /// minted beforehand.
    FederatedFresh,
    /// `POST /api/oauth/token` client_credentials.
    TokenIssuance,
    /// `POST /api/oauth/introspect` of a valid token by its service account (RFC 7662).
    Introspect,
    /// Secondary: `GET /api/atlas/v2/orgs/{orgId}` (authentication plus a store read) with Basic.
    BasicOrg,
    /// Secondary: GET org with Digest.
    DigestOrg,
    /// Secondary: GET org with a Sigil access token.
    BearerOrg,
    /// Secondary: GET org with a WORKLOAD provider's JWT, a few tokens repeated.
    FederatedOrg,
    /// `GET /api/atlas/v2/federationSettings/{id}/identityProviders/{id}` with Basic.
    BasicProvider,
    /// `GET /api/atlas/v2/orgs/{orgId}/serviceAccounts/{clientId}` with Basic.
    BasicServiceAccount,
    /// Secondary: `GET /_security/_authenticate` with `Authorization: ApiKey` (the principal
    /// rendered as Elasticsearch does; nothing read from the store for a key).
    ApikeyAuthenticate,
    /// Not a throughput scenario: ES API keys invalidated and OAuth tokens revoked at
    /// `--revocation-rate` while workers authenticate (see `revocation_load.rs`).
    RevocationLoad,
    /// Not a throughput scenario: ApiKey authentication latency, cache misses and hits, as the
    /// `api_keys` table is seeded to each `--scale-sizes` size (see `api_keys.rs`).
    ApikeyScale,
    /// Not a throughput scenario: the cost of one ES256 signature check and of one JWT
    /// verification in this process, single-threaded (see `verify.rs`).
    Verify,
    /// Not a throughput scenario: revocation propagation between two nodes on one PostgreSQL
    /// database (see `propagation.rs`); needs `--database-url`.
    RevocationPropagation,
    /// Not a throughput scenario, run only when named: `--api-keys` Elasticsearch API keys
    /// created over HTTP (see `api_keys.rs`).
    ApikeyCreate,
}

/// The credential a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    None,
    Basic,
    Digest,
    Bearer,
    ApiKey,
    /// One of a few WORKLOAD JWTs, in turn.
    FederatedCached,
    /// A WORKLOAD JWT never sent before.
    FederatedFresh,
    /// The service account's client id and secret (client_secret_basic).
    Client,
    /// `X-Auth-Token`.
    AuthToken,
    /// `Authorization: SDK-HMAC-SHA256 …`.
    SdkSigned,
}

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Health,
    /// `GET /`: authentication alone.
    Info,
    /// `GET /api/atlas/v2/orgs/{orgId}`: authentication and a store read.
    Org,
    /// `GET /_security/_authenticate`.
    EsAuthenticate,
    /// `POST /api/oauth/token`.
    Token,
    /// `POST /api/oauth/introspect`.
    Introspect,
    /// An identity provider of the organization's federation settings.
    Provider,
    /// The service account.
    ServiceAccount,
}

impl Scenario {
    /// The throughput scenarios of a full run, in the order printed (the floor first).
    pub const THROUGHPUT: [Scenario; 18] = [
        Self::Health,
        Self::Basic,
        Self::Digest,
        Self::Bearer,
        Self::Apikey,
        Self::AuthToken,
        Self::SdkSigned,
        Self::FederatedCached,
        Self::FederatedFresh,
        Self::TokenIssuance,
        Self::Introspect,
        Self::BasicOrg,
        Self::DigestOrg,
        Self::BearerOrg,
        Self::FederatedOrg,
        Self::BasicProvider,
        Self::BasicServiceAccount,
        Self::ApikeyAuthenticate,
    ];

    /// Everything a run does when no `--scenario` is given (propagation only on PostgreSQL).
    pub fn all() -> Vec<Scenario> {
        let mut all = Self::THROUGHPUT.to_vec();
        all.extend([
            Self::Verify,
            Self::RevocationLoad,
            Self::ApikeyScale,
            Self::RevocationPropagation,
        ]);
        all
    }

    /// What each request of a throughput scenario carries and asks for; `None` for the others.
    pub fn request(self) -> Option<(Credential, Target)> {
        Some(match self {
            Self::Health => (Credential::None, Target::Health),
            Self::Basic => (Credential::Basic, Target::Info),
            Self::Digest => (Credential::Digest, Target::Info),
            Self::Bearer => (Credential::Bearer, Target::Info),
            Self::Apikey => (Credential::ApiKey, Target::Info),
            Self::AuthToken => (Credential::AuthToken, Target::Info),
            Self::SdkSigned => (Credential::SdkSigned, Target::Info),
            Self::FederatedCached => (Credential::FederatedCached, Target::Info),
            Self::FederatedFresh => (Credential::FederatedFresh, Target::Info),
            Self::TokenIssuance => (Credential::Client, Target::Token),
            Self::Introspect => (Credential::Client, Target::Introspect),
            Self::BasicProvider => (Credential::Basic, Target::Provider),
            Self::BasicServiceAccount => (Credential::Basic, Target::ServiceAccount),
            Self::BasicOrg => (Credential::Basic, Target::Org),
            Self::DigestOrg => (Credential::Digest, Target::Org),
            Self::BearerOrg => (Credential::Bearer, Target::Org),
            Self::FederatedOrg => (Credential::FederatedCached, Target::Org),
            Self::ApikeyAuthenticate => (Credential::ApiKey, Target::EsAuthenticate),
            Self::RevocationLoad
            | Self::ApikeyScale
            | Self::Verify
            | Self::RevocationPropagation
            | Self::ApikeyCreate => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Health => "Sigil GET /health",
            Self::Basic => "Basic GET /",
            Self::Digest => "Digest GET /",
            Self::Bearer => "Bearer GET /",
            Self::Apikey => "ApiKey GET /",
            Self::AuthToken => "X-Auth-Token GET /",
            Self::SdkSigned => "SDK-HMAC-SHA256 GET /",
            Self::FederatedCached => "federated JWT GET /, cached",
            Self::FederatedFresh => "federated JWT GET /, fresh",
            Self::TokenIssuance => "client_credentials token",
            Self::Introspect => "introspection, valid token",
            Self::BasicProvider => "Basic GET provider",
            Self::BasicServiceAccount => "Basic GET service account",
            Self::BasicOrg => "Basic GET org",
            Self::DigestOrg => "Digest GET org",
            Self::BearerOrg => "Bearer GET org",
            Self::FederatedOrg => "federated JWT GET org",
            Self::ApikeyAuthenticate => "ApiKey _authenticate",
            Self::RevocationLoad => "revocations under load",
            Self::ApikeyScale => "ApiKey with the table growing",
            Self::Verify => "signature verification",
            Self::RevocationPropagation => "revocation propagation",
            Self::ApikeyCreate => "ApiKey creation",
        }
    }
}
