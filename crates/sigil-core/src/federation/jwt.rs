//! Tokens from an identity provider: which provider signed it, whether it is
//! genuine and current, and which roles it carries.

use super::{AuthorizationType, IdentityProvider, IdpType};
use crate::error::{CoreError, CoreResult};
use crate::federation::Federation;
use crate::oauth::{Revocable, VerifiedToken, CLOCK_SKEW_SECONDS};
use crate::principal::{OrgRoleAssignment, Principal, PrincipalKind, Realm};
use crate::privilege::OrgRole;
use crate::revocation::RevocationKind;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Larger tokens are refused before anything is parsed.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The signature algorithms a federated token may use: never `none`, never HMAC.
pub const ALLOWED_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A federated token that verified, and who it names.
#[derive(Debug, Clone)]
pub struct FederatedIdentity {
    pub provider: Arc<IdentityProvider>,
    pub principal: Principal,
    /// The value of the provider's user claim.
    pub user: String,
    /// The values of the provider's groups claim (GROUP providers).
    pub groups: Vec<String>,
    pub subject: Option<String>,
    pub client_id: Option<String>,
    pub audience: Vec<String>,
    pub scope: Option<String>,
    pub jti: Option<String>,
    pub iat: i64,
    pub nbf: Option<i64>,
    pub exp: i64,
    /// The RFC 7638 thumbprint of the key that verified the token.
    pub key: Option<String>,
}

/// A connected organization's grants to a provider's identities.
#[derive(Debug, Clone)]
pub(crate) struct OrgGrants {
    org_id: crate::ids::OrgId,
    after_authentication: Vec<OrgRole>,
    /// External group (or user) name → roles.
    mappings: Vec<(String, Vec<OrgRoleAssignment>)>,
}

fn invalid() -> CoreError {
    CoreError::Unauthenticated
}

/// What is read of a token's payload before anything is verified, to route it: `iss` and
/// `aud`. The parser skips every other claim without building it (the whole payload used to be
/// parsed into a map twice per fresh token, besides the verified parse).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct Peek {
    #[serde(default)]
    iss: Option<Value>,
    #[serde(default)]
    aud: Option<Value>,
    #[serde(default)]
    iat: Option<Value>,
}

impl Peek {
    pub(crate) fn of(token: &str) -> CoreResult<Self> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(invalid());
        }
        let payload = token.split('.').nth(1).ok_or_else(invalid)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        serde_json::from_slice(&bytes).map_err(|_| invalid())
    }

    pub(crate) fn issuer(&self) -> Option<&str> {
        self.iss.as_ref().and_then(Value::as_str)
    }

    /// `iat`, unverified: enough to refuse, never to accept.
    fn issued_at(&self) -> Option<i64> {
        self.iat.as_ref().and_then(Value::as_i64)
    }

    pub(crate) fn audience(&self) -> Vec<String> {
        string_list(self.aud.as_ref())
    }
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

fn int(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    claims.get(name).and_then(Value::as_i64)
}

/// `typ` values of the tokens accepted: a plain JWT, an id token, or an RFC 9068 access token.
fn acceptable_type(typ: Option<&str>) -> bool {
    typ.is_none_or(|t| {
        let t = t.to_ascii_lowercase();
        let t = t.strip_prefix("application/").unwrap_or(&t);
        t == "jwt" || t == "at+jwt"
    })
}

/// The header of a token small enough to look at, with an allowed algorithm and type.
pub(crate) fn checked_header(token: &str) -> CoreResult<jsonwebtoken::Header> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(invalid());
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
    if !ALLOWED_ALGORITHMS.contains(&header.alg) || !acceptable_type(header.typ.as_deref()) {
        return Err(invalid());
    }
    Ok(header)
}

/// The times of a verified token's claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClaimTimes {
    pub exp: i64,
    pub iat: i64,
    pub nbf: Option<i64>,
}

/// `exp` and `iat` required, `nbf` honoured, each with [`CLOCK_SKEW_SECONDS`] either way of
/// `now`, and `iat` after the provider's JWKS cutoff. The provider signed the claims but they
/// are still its bytes: a time whose skewed value overflows is refused, not wrapped.
pub(crate) fn checked_times(
    claims: &Map<String, Value>,
    now: i64,
    cutoff: Option<i64>,
) -> CoreResult<ClaimTimes> {
    let exp = int(claims, "exp").ok_or_else(invalid)?;
    let iat = int(claims, "iat").ok_or_else(invalid)?;
    let nbf = int(claims, "nbf");
    let expired = exp
        .checked_add(CLOCK_SKEW_SECONDS)
        .is_none_or(|exp| exp <= now);
    let early = |t: i64| t.checked_sub(CLOCK_SKEW_SECONDS).is_none_or(|t| t > now);
    if expired || early(iat) || nbf.is_some_and(early) {
        return Err(invalid());
    }
    if cutoff.is_some_and(|cutoff| issued_by_cutoff(iat, cutoff)) {
        return Err(invalid());
    }
    Ok(ClaimTimes { exp, iat, nbf })
}

/// The value of the provider's user claim: a non-empty string, or a number.
pub(crate) fn user_of(claims: &Map<String, Value>, user_claim: &str) -> CoreResult<String> {
    match claims.get(user_claim) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(invalid()),
    }
}

/// The peek at a token Sigil did not sign: its `iss`, if it has one.
pub fn issuer_of(token: &str) -> Option<String> {
    Peek::of(token).ok()?.issuer().map(str::to_owned)
}

/// Whether a token an identity provider stamped `iat` may have been minted at or before a
/// JWKS revoke at `cutoff` (both in seconds). The provider's clock may run up to
/// [`CLOCK_SKEW_SECONDS`] ahead of Sigil's (a future `iat` is accepted that far), so a token
/// stamped up to that much after the revoke may be older than it, and is refused too. The
/// price: for a minute after a revoke, the fresh tokens of a provider whose clock is right are
/// refused as well; failing closed is the point of a revoke.
pub(crate) fn issued_by_cutoff(iat: i64, cutoff: i64) -> bool {
    iat <= cutoff.saturating_add(CLOCK_SKEW_SECONDS)
}

impl Federation {
    /// Verifies a JWT of an identity provider: the provider is the one whose issuer
    /// is `iss` and whose audience is in `aud`; the signature is checked with its key set
    /// and an allowed algorithm; `exp` and `iat` are required, `nbf` honoured, with
    /// [`CLOCK_SKEW_SECONDS`]; a token issued at or before a JWKS revoke is refused.
    pub async fn verify_federated_jwt(&self, token: &str) -> CoreResult<FederatedIdentity> {
        let header = checked_header(token)?;
        self.verify_routed(token, header, &Peek::of(token)?).await
    }

    /// [`Federation::verify_federated_jwt`] of a token whose payload was already peeked at.
    async fn verify_routed(
        &self,
        token: &str,
        header: jsonwebtoken::Header,
        peek: &Peek,
    ) -> CoreResult<FederatedIdentity> {
        let iss = peek.issuer().ok_or_else(invalid)?;
        let audience = peek.audience();
        let provider = self
            .provider_for(iss, &audience)
            .await?
            .ok_or_else(invalid)?;
        self.verify_with(provider, token, header).await
    }

    /// The provider a JWT names by its `iss` and `aud`, unverified: which provider to verify
    /// it against, when the caller names none but by a name to check (an unscoped IAM login).
    pub(crate) async fn provider_named_by(
        &self,
        token: &str,
    ) -> CoreResult<Option<Arc<IdentityProvider>>> {
        let Ok(peek) = Peek::of(token) else {
            return Ok(None);
        };
        let Some(iss) = peek.issuer() else {
            return Ok(None);
        };
        self.provider_for(iss, &peek.audience()).await
    }

    /// Verifies a JWT against one given provider (the IAM face's `X-Idp-Id`): its `iss` must
    /// be that provider's issuer and its `aud` hold that provider's audience.
    pub async fn verify_provider_jwt(
        &self,
        provider: IdentityProvider,
        token: &str,
    ) -> CoreResult<FederatedIdentity> {
        let header = checked_header(token)?;
        self.verify_with(Arc::new(provider), token, header).await
    }

    async fn verify_with(
        &self,
        provider: Arc<IdentityProvider>,
        token: &str,
        header: jsonwebtoken::Header,
    ) -> CoreResult<FederatedIdentity> {
        let (Some(issuer), Some(audience), true) = (
            provider.issuer_uri.as_deref(),
            provider.audience.as_deref(),
            provider.enabled,
        ) else {
            return Err(invalid());
        };
        // A token issued at or before the provider's JWKS revoke is refused before its keys
        // are fetched: refusing needs no signature, and while the provider's JWKS endpoint
        // hangs (the revoke's own refetch waiting on it) its old tokens must not wait too.
        let unverified_iat = Peek::of(token).ok().and_then(|p| p.issued_at());
        if let (Some(cutoff), Some(iat)) = (self.provider_cutoff(&provider), unverified_iat) {
            if iat <= cutoff {
                return Err(invalid());
            }
        }
        let set = self
            .key_sets
            .keys_for(
                provider.id,
                issuer,
                provider.pinned_jwks.as_ref(),
                header.kid.as_deref(),
            )
            .await
            .ok_or_else(invalid)?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        // Times are checked below against the core's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let (claims, key) = set
            .candidates(header.kid.as_deref(), header.alg)
            .find_map(|k| {
                jsonwebtoken::decode::<Map<String, Value>>(token, &k.key, &validation)
                    .ok()
                    .map(|t| (t.claims, k.thumbprint.clone()))
            })
            .ok_or_else(invalid)?;
        let times = checked_times(
            &claims,
            self.kernel.now().timestamp(),
            self.provider_cutoff(&provider),
        )?;
        let user = user_of(&claims, &provider.user_claim)?;
        let groups = match (&provider.authorization_type, &provider.groups_claim) {
            (AuthorizationType::Group, Some(claim)) => string_list(claims.get(claim)),
            _ => vec![],
        };
        let principal = self.federated_principal(&provider, &user, &groups).await?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        Ok(FederatedIdentity {
            principal,
            user,
            groups,
            subject: text("sub"),
            client_id: text("client_id").or_else(|| text("azp")),
            audience: string_list(claims.get("aud")),
            scope: text("scope"),
            jti: text("jti"),
            iat: times.iat,
            nbf: times.nbf,
            exp: times.exp,
            key,
            provider,
        })
    }

    /// The second at and before which the provider's tokens are refused, if its JWKS was
    /// ever revoked (the in-memory revocation, or the provider's own record of it).
    pub(crate) fn provider_cutoff(&self, provider: &IdentityProvider) -> Option<i64> {
        let remembered = self
            .kernel
            .revocations
            .revoked_at(RevocationKind::IdentityProvider, &provider.id.to_string());
        remembered
            .max(provider.key_set.revoked_at)
            .map(|at| at.timestamp())
    }

    /// The provider that issues `iss` for one of `audience`.
    async fn provider_for(
        &self,
        iss: &str,
        audience: &[String],
    ) -> CoreResult<Option<Arc<IdentityProvider>>> {
        let providers = match self.providers_by_issuer.get(iss) {
            Some(hit) => hit,
            None => {
                let epoch = self.kernel.cache_epoch();
                let found: Vec<Arc<IdentityProvider>> = self
                    .kernel
                    .store
                    .find_identity_providers_by_issuer(iss)
                    .await?
                    .into_iter()
                    .map(Arc::new)
                    .collect();
                let found = Arc::new(found);
                if self.kernel.cacheable_since(epoch) {
                    self.providers_by_issuer
                        .insert(iss.to_owned(), found.clone());
                }
                found
            }
        };
        Ok(providers
            .iter()
            .find(|p| {
                p.audience
                    .as_deref()
                    .is_some_and(|mine| audience.iter().any(|a| a == mine))
            })
            .cloned())
    }

    /// The principal of a provider's identity: roles from every organization connected to
    /// the provider, through its role mappings and its post-authentication grants. No match:
    /// authenticated, with no role.
    pub(crate) async fn federated_principal(
        &self,
        provider: &IdentityProvider,
        user: &str,
        groups: &[String],
    ) -> CoreResult<Principal> {
        let grants = self.provider_grants(provider).await?;
        let names: Vec<&str> = match provider.authorization_type {
            AuthorizationType::Group => groups.iter().map(String::as_str).collect(),
            AuthorizationType::User => vec![user],
        };
        let mut org_roles = vec![];
        for org in grants.iter() {
            for role in &org.after_authentication {
                org_roles.push(OrgRoleAssignment {
                    org_id: org.org_id,
                    role: *role,
                });
            }
            for (name, roles) in &org.mappings {
                if names.contains(&name.as_str()) {
                    org_roles.extend(roles.iter().copied());
                }
            }
        }
        org_roles.sort_by_key(|a| (a.org_id, a.role.as_str()));
        org_roles.dedup();
        Ok(Principal {
            kind: PrincipalKind::Federated,
            id: format!("{}:{user}", provider.id),
            name: user.to_owned(),
            realm: Realm {
                name: format!("oidc_{}", provider.id),
                kind: "oidc".into(),
            },
            superuser: false,
            org_roles,
            cluster_privileges: vec![],
            roles: vec![],
            api_key: None,
            scope: None,
        })
    }

    /// What the organizations connected to `provider` grant its identities, from memory
    /// when this node has read it since the last federation change.
    async fn provider_grants(
        &self,
        provider: &IdentityProvider,
    ) -> CoreResult<Arc<Vec<OrgGrants>>> {
        if let Some(hit) = self.provider_grants.get(&provider.id) {
            return Ok(hit);
        }
        let epoch = self.kernel.cache_epoch();
        let fs = provider.federation_settings_id;
        let mut grants = vec![];
        for config in self.kernel.store.list_connected_org_configs(fs).await? {
            let connected = config.identity_provider_id == Some(provider.id)
                || config
                    .data_access_identity_provider_ids
                    .contains(&provider.id);
            if !connected {
                continue;
            }
            let mappings = self
                .kernel
                .store
                .list_role_mappings(fs, config.org_id)
                .await?
                .into_iter()
                .map(|m| {
                    let roles = m
                        .role_assignments
                        .iter()
                        .map(|a| OrgRoleAssignment {
                            org_id: a.org_id,
                            role: a.role,
                        })
                        .collect();
                    (m.external_group_name, roles)
                })
                .collect();
            grants.push(OrgGrants {
                org_id: config.org_id,
                after_authentication: config.post_auth_role_grants.clone(),
                mappings,
            });
        }
        let grants = Arc::new(grants);
        if self.kernel.cacheable_since(epoch) {
            self.provider_grants.insert(provider.id, grants.clone());
        }
        Ok(grants)
    }

    /// A WORKLOAD provider's JWT sent as `Authorization: Bearer`. Cached like Sigil's own tokens.
    pub(crate) async fn authenticate_federated_bearer(
        &self,
        token: &str,
        peek: &Peek,
    ) -> CoreResult<VerifiedToken> {
        let header = checked_header(token)?;
        let identity = self.verify_routed(token, header, peek).await?;
        if identity.provider.idp_type != IdpType::Workload {
            // People's tokens are exchanged for a Sigil token first.
            return Err(invalid());
        }
        Ok(VerifiedToken {
            revocable: Revocable::Federated {
                provider: identity.provider.id.to_string(),
                iat: identity.iat,
            },
            principal: identity.principal,
            exp: identity.exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_jwt_and_access_token_types_are_accepted() {
        for ok in [
            None,
            Some("JWT"),
            Some("jwt"),
            Some("at+jwt"),
            Some("application/at+jwt"),
        ] {
            assert!(acceptable_type(ok), "{ok:?}");
        }
        for bad in [Some("logout+jwt"), Some("dpop+jwt"), Some("JOSE+JSON")] {
            assert!(!acceptable_type(bad), "{bad:?}");
        }
    }

    #[test]
    fn hmac_and_none_are_not_allowed() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            assert!(!ALLOWED_ALGORITHMS.contains(&alg));
        }
        // `none` is not even an algorithm jsonwebtoken can parse.
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"iss":"x"}"#)
        );
        assert!(jsonwebtoken::decode_header(&none).is_err());
    }

    #[test]
    fn groups_claims_may_be_a_string_or_an_array_of_strings() {
        assert_eq!(string_list(Some(&Value::from("a"))), vec!["a"]);
        assert_eq!(
            string_list(Some(&serde_json::json!(["a", 1, "b"]))),
            vec!["a", "b"]
        );
        assert!(string_list(Some(&serde_json::json!({"a": 1}))).is_empty());
        assert!(string_list(None).is_empty());
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn times_are_checked_with_the_skew_and_the_cutoff() {
        let now = 1_800_000_000;
        let ok = |c: Value, cutoff| checked_times(&claims(c), now, cutoff).is_ok();
        assert!(ok(serde_json::json!({"exp": now + 1, "iat": now}), None));
        assert!(ok(
            serde_json::json!({"exp": now - 59, "iat": now + 60, "nbf": now + 60}),
            None
        ));
        assert!(!ok(serde_json::json!({"exp": now - 60, "iat": now}), None));
        assert!(!ok(
            serde_json::json!({"exp": now + 1, "iat": now + 61}),
            None
        ));
        assert!(!ok(
            serde_json::json!({"exp": now + 1, "iat": now, "nbf": now + 61}),
            None
        ));
        assert!(
            !ok(serde_json::json!({"exp": now + 1}), None),
            "iat is required"
        );
        // A revoke refuses every token whose iat is within the skew window after it: the
        // provider's clock may run that far ahead of Sigil's.
        assert!(!ok(
            serde_json::json!({"exp": now + 1, "iat": now}),
            Some(now)
        ));
        assert!(!ok(
            serde_json::json!({"exp": now + 1, "iat": now}),
            Some(now - CLOCK_SKEW_SECONDS)
        ));
        assert!(ok(
            serde_json::json!({"exp": now + 1, "iat": now}),
            Some(now - CLOCK_SKEW_SECONDS - 1)
        ));
    }

    /// The claims are a provider's bytes even once signed: times at the ends of the i64 range
    /// are refused instead of overflowing (a panic with overflow checks, a wrapped comparison
    /// without them).
    #[test]
    fn extreme_times_are_refused_without_overflow() {
        let now = 1_800_000_000;
        for c in [
            serde_json::json!({"exp": i64::MAX, "iat": now}),
            serde_json::json!({"exp": now + 1, "iat": i64::MIN}),
            serde_json::json!({"exp": now + 1, "iat": now, "nbf": i64::MIN}),
        ] {
            assert!(checked_times(&claims(c.clone()), now, None).is_err(), "{c}");
        }
        let far = serde_json::json!({"exp": i64::MAX - CLOCK_SKEW_SECONDS, "iat": now});
        assert!(checked_times(&claims(far), now, None).is_ok());
    }

    #[test]
    fn the_user_claim_is_a_non_empty_string_or_a_number() {
        let c = claims(serde_json::json!({"sub": "alice", "n": 42, "e": "", "b": true}));
        assert_eq!(user_of(&c, "sub").ok().as_deref(), Some("alice"));
        assert_eq!(user_of(&c, "n").ok().as_deref(), Some("42"));
        for bad in ["e", "b", "missing"] {
            assert!(user_of(&c, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_issuer_is_peeked_without_verifying() {
        let token = format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"iss":"https://idp.example"}"#)
        );
        assert_eq!(issuer_of(&token).as_deref(), Some("https://idp.example"));
        assert_eq!(issuer_of("not a token"), None);
    }
}
