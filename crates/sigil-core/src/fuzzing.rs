//! Entry points for the fuzz targets (`fuzz/`) into parsers the core keeps private; compiled
//! with the `fuzzing` feature (and in the crate's own tests) only, so the API stays as it is.

use crate::elasticsearch::api_keys::{query, ApiKey, QueryRequest, QueryResult};
use crate::error::CoreResult;
use crate::federation::jwt::{self, Peek};
use crate::federation::key_sets;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

/// `Authorization: ApiKey …`: the id and key it carries, if it has that form.
pub fn api_key_credentials(credentials: &str) -> Option<(String, String)> {
    crate::elasticsearch::api_keys::auth::decode(credentials)
}

/// What is read of a federated token before its signature is checked.
#[derive(Debug)]
pub struct TokenPeek {
    /// The header, when its size, `alg` and `typ` are acceptable.
    pub header: Option<jsonwebtoken::Header>,
    /// `iss` and `aud`, when the payload is a JSON object (or `null`).
    pub routing: Option<(Option<String>, Vec<String>)>,
}

pub fn peek_token(token: &str) -> TokenPeek {
    TokenPeek {
        header: jwt::checked_header(token).ok(),
        routing: Peek::of(token)
            .ok()
            .map(|p| (p.issuer().map(str::to_owned), p.audience())),
    }
}

/// The checks made of a provider's claims once their signature verified: the times against
/// `now` and the JWKS `cutoff`, and the user claim `sub`. Answers `(exp, iat, nbf, user)`.
pub fn verified_claims(
    claims: &Map<String, Value>,
    now: i64,
    cutoff: Option<i64>,
) -> CoreResult<(i64, i64, Option<i64>, String)> {
    let times = jwt::checked_times(claims, now, cutoff)?;
    let user = jwt::user_of(claims, "sub")?;
    Ok((times.exp, times.iat, times.nbf, user))
}

/// A key the core loaded from a JWKS: its `kid` and `alg`.
pub type LoadedKey = (Option<String>, Option<Algorithm>);

/// A JWKS as the core loads it: each usable key.
pub fn jwks(doc: &Value) -> Result<Vec<LoadedKey>, String> {
    let set = key_sets::parse_jwks(doc)?;
    Ok(set.keys.iter().map(|k| (k.kid.clone(), k.alg)).collect())
}

/// The IAM face's `signing_key`: the JWKS to pin, as its rules accept it.
pub fn signing_key(text: &str) -> CoreResult<Value> {
    crate::iam::oidc_config::parse_signing_key(text)
}

/// `POST /_security/_query/api_key` over `keys`, as the core answers it after reading them.
pub fn query_api_keys(request: &QueryRequest, keys: Vec<ApiKey>) -> CoreResult<QueryResult> {
    query::evaluate(request, keys)
}

/// `X-Security-Token`: the access key id and expiry it opens to, with the fuzz master key.
pub fn security_token(text: &str) -> Option<(String, i64)> {
    crate::iam::temporary::fuzz_support::open(text)
}

/// A genuine security token of the fuzz master key, for `access` until `exp`.
pub fn sealed_security_token(access: &str, exp: i64) -> String {
    crate::iam::temporary::fuzz_support::sealed(access, exp)
}

/// `_has_privileges` as the core answers it for a caller holding `cluster`, with these role
/// descriptors (in layers, each must grant) and stored application privileges.
pub fn has_privileges(
    request: &crate::elasticsearch::has_privileges::HasPrivilegesRequest,
    cluster: Vec<crate::privilege::ClusterPrivilege>,
    layers: &[Map<String, Value>],
    stored: &[crate::elasticsearch::application_privileges::ApplicationPrivilege],
) -> CoreResult<crate::elasticsearch::has_privileges::HasPrivilegesAnswer> {
    use crate::elasticsearch::has_privileges::{answer, checked};
    let asked = checked(request)?;
    let caller = crate::principal::Principal {
        kind: crate::principal::PrincipalKind::User,
        id: "fuzz".into(),
        name: "fuzz".into(),
        realm: crate::principal::Realm::native(),
        superuser: false,
        org_roles: vec![],
        cluster_privileges: cluster,
        roles: vec![],
        api_key: None,
        scope: None,
    };
    Ok(answer(&caller, &asked, layers, stored, request))
}

/// An API key request's role descriptors: checked as the core checks them, then normalized
/// as get and query answer them.
pub fn role_descriptors(descriptors: &Map<String, Value>) -> CoreResult<Map<String, Value>> {
    crate::elasticsearch::descriptors::check(descriptors)?;
    Ok(crate::elasticsearch::descriptors::normalize_all(
        descriptors,
    ))
}

/// The body of `PUT /_security/privilege`, as the core checks it before storing.
pub fn application_privileges(
    body: Map<String, Value>,
) -> CoreResult<Vec<crate::elasticsearch::application_privileges::ApplicationPrivilege>> {
    crate::elasticsearch::application_privileges::parse_put(body)
}
