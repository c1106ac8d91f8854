//! A provider's OpenID Connect configuration (Huawei Cloud IAM): its field rules, and what it does —
//! `idp_url` becomes the provider's issuer, `client_id` its audience, and `signing_key` its
//! pinned key set, from the next request on, on every node.

use super::{DomainAdmin, IamSettings};
use crate::error::{CoreError, CoreResult, ResourceKind};
use crate::federation::key_sets::parse_jwks;
use crate::federation::{check_issuer_url, IdentityProvider, KeySetSource};
use crate::iam::Iam;
use crate::validate::check_length;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const URL_MIN: usize = 10;
const URL_MAX: usize = 255;
const CLIENT_ID_MIN: usize = 5;
const CLIENT_ID_MAX: usize = 255;
const SIGNING_KEY_MIN: usize = 10;
const SIGNING_KEY_MAX: usize = 30_000;
const SCOPE_VALUES_MAX: usize = 10;
const SCOPE_VALUES: [&str; 3] = ["openid", "email", "profile"];
/// Pinned RSA keys shorter than this are refused (NIST SP 800-131A).
const RSA_MIN_BITS: usize = 2048;
/// JWK members that only a private key has.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "k"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessMode {
    /// Programmatic access only: ID tokens exchanged at `/v3.0/OS-AUTH/id-token/tokens`.
    Program,
    /// Programmatic access and console sign-in, which needs the four console fields.
    ProgramConsole,
}

impl AccessMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Program => "program",
            Self::ProgramConsole => "program_console",
        }
    }

    fn parse(text: &str) -> CoreResult<Self> {
        match text {
            "program" => Ok(Self::Program),
            "program_console" => Ok(Self::ProgramConsole),
            _ => Err(CoreError::invalid(
                "access_mode",
                format!("{text:?} is not program or program_console"),
            )),
        }
    }
}

/// What is stored beside the provider's issuer and audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcConfig {
    pub access_mode: AccessMode,
    pub authorization_endpoint: Option<String>,
    pub scope: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    /// The JWKS as the client sent it, answered back verbatim.
    pub signing_key: String,
}

/// A POST or PUT body. An absent field and a `null` mean the same: PUT keeps the stored value.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcConfigDraft {
    /// `program` or `program_console`.
    pub access_mode: Option<String>,
    /// The issuer (`iss`) of the ID tokens; 10–255 characters.
    pub idp_url: Option<String>,
    /// The client registered with the provider, the ID tokens' `aud`; 5–255 characters.
    pub client_id: Option<String>,
    /// `program_console` only; 10–255 characters.
    pub authorization_endpoint: Option<String>,
    /// `program_console` only: 1–10 of `openid`, `email`, `profile` separated by spaces,
    /// `openid` among them.
    pub scope: Option<String>,
    /// `program_console` only: `id_token`.
    pub response_type: Option<String>,
    /// `program_console` only: `fragment` or `form_post`.
    pub response_mode: Option<String>,
    /// A JWKS as a JSON string (10–30 000 characters) with at least one public signing key.
    pub signing_key: Option<String>,
}

/// The configuration as GET answers it; with `program` the console fields are `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OidcConfigView {
    pub access_mode: String,
    pub idp_url: Option<String>,
    pub client_id: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub scope: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub signing_key: String,
}

impl OidcConfigView {
    fn of(idp: &IdentityProvider, config: &OidcConfig) -> Self {
        Self {
            access_mode: config.access_mode.as_str().into(),
            idp_url: idp.issuer_uri.clone(),
            client_id: idp.audience.clone(),
            authorization_endpoint: config.authorization_endpoint.clone(),
            scope: config.scope.clone(),
            response_type: config.response_type.clone(),
            response_mode: config.response_mode.clone(),
            signing_key: config.signing_key.clone(),
        }
    }
}

fn check_url(field: &str, text: &str) -> CoreResult<()> {
    check_length(field, text, URL_MIN, URL_MAX)?;
    match url::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.has_host() => Ok(()),
        _ => Err(CoreError::invalid(field, "must be an absolute http(s) URL")),
    }
}

fn check_scope(text: &str) -> CoreResult<()> {
    let values: Vec<&str> = text.split(' ').collect();
    if values.iter().any(|v| v.is_empty()) {
        return Err(CoreError::invalid(
            "scope",
            "values are separated by single spaces",
        ));
    }
    if values.len() > SCOPE_VALUES_MAX {
        return Err(CoreError::invalid(
            "scope",
            format!("holds at most {SCOPE_VALUES_MAX} values"),
        ));
    }
    if let Some(bad) = values.iter().find(|v| !SCOPE_VALUES.contains(v)) {
        return Err(CoreError::invalid(
            "scope",
            format!("{bad:?} is not one of openid, email, profile"),
        ));
    }
    if !values.contains(&"openid") {
        return Err(CoreError::invalid("scope", "must include openid"));
    }
    Ok(())
}

fn check_enum(field: &str, text: &str, allowed: &[&str]) -> CoreResult<()> {
    if allowed.contains(&text) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            field,
            format!("{text:?} is not {}", allowed.join(" or ")),
        ))
    }
}

/// Parses `signing_key`: a JWKS in which every key is a public signing key Sigil can verify
/// with (RSA of at least 2048 bits, EC, OKP). Answers the parsed document to pin.
pub(crate) fn parse_signing_key(text: &str) -> CoreResult<Value> {
    const FIELD: &str = "signing_key";
    check_length(FIELD, text, SIGNING_KEY_MIN, SIGNING_KEY_MAX)?;
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| CoreError::invalid(FIELD, format!("is not JSON: {e}")))?;
    let keys = doc
        .get("keys")
        .and_then(Value::as_array)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| CoreError::invalid(FIELD, "must be a JWKS: {\"keys\": [ … ]}"))?;
    for (i, key) in keys.iter().enumerate() {
        let bad = |why: &str| CoreError::invalid(FIELD, format!("keys[{i}]: {why}"));
        let Some(members) = key.as_object() else {
            return Err(bad("is not a JSON object"));
        };
        if let Some(m) = PRIVATE_MEMBERS.iter().find(|m| members.contains_key(**m)) {
            return Err(bad(&format!(
                "holds the private member {m:?}; give public keys only"
            )));
        }
        parse_jwks(&serde_json::json!({ "keys": [key] })).map_err(|_| {
            bad("is not a public signing key Sigil can verify with (RSA, EC P-256/P-384 or OKP Ed25519, use \"sig\", an allowed alg)")
        })?;
        if members.get("kty").and_then(Value::as_str) == Some("RSA") {
            let bits = members
                .get("n")
                .and_then(Value::as_str)
                .map_or(0, |n| n.trim_end_matches('=').len() * 6);
            // Base64url rounds up to the next 6 bits; a 2048-bit modulus is 342 characters.
            if bits < RSA_MIN_BITS {
                return Err(bad(&format!(
                    "RSA keys must have at least {RSA_MIN_BITS} bits"
                )));
            }
        }
    }
    Ok(doc)
}

/// Applies a draft to a provider: the result obeys every rule, whatever was stored before.
/// `creating`: POST, where the stored configuration is ignored and the base fields required.
fn apply(
    draft: OidcConfigDraft,
    idp: &mut IdentityProvider,
    creating: bool,
    allow_insecure: bool,
) -> CoreResult<()> {
    let stored = idp.iam.as_ref().and_then(|i| i.oidc.clone());
    let stored = if creating { None } else { stored };
    let access_mode = match (&draft.access_mode, &stored) {
        (Some(text), _) => AccessMode::parse(text)?,
        (None, Some(s)) => s.access_mode,
        (None, None) => return Err(CoreError::missing("access_mode")),
    };
    if let Some(url) = &draft.idp_url {
        check_length("idp_url", url, URL_MIN, URL_MAX)?;
        check_issuer_url("idp_url", url, allow_insecure)?;
    } else if creating || idp.issuer_uri.is_none() {
        return Err(CoreError::missing("idp_url"));
    }
    if let Some(client) = &draft.client_id {
        check_length("client_id", client, CLIENT_ID_MIN, CLIENT_ID_MAX)?;
    } else if creating || idp.audience.is_none() {
        return Err(CoreError::missing("client_id"));
    }
    let signing_key = match (&draft.signing_key, &stored) {
        (Some(text), _) => Some((text.clone(), parse_signing_key(text)?)),
        (None, Some(_)) => None,
        (None, None) => return Err(CoreError::missing("signing_key")),
    };
    let console = [
        ("authorization_endpoint", &draft.authorization_endpoint),
        ("scope", &draft.scope),
        ("response_type", &draft.response_type),
        ("response_mode", &draft.response_mode),
    ];
    let mut config = match access_mode {
        AccessMode::Program => {
            if let Some((field, _)) = console.iter().find(|(_, v)| v.is_some()) {
                return Err(CoreError::invalid(
                    *field,
                    "is not allowed with access_mode program",
                ));
            }
            OidcConfig {
                access_mode,
                authorization_endpoint: None,
                scope: None,
                response_type: None,
                response_mode: None,
                signing_key: String::new(),
            }
        }
        AccessMode::ProgramConsole => {
            let kept = stored
                .clone()
                .filter(|s| s.access_mode == AccessMode::ProgramConsole);
            let pick = |given: &Option<String>, kept: Option<String>, field: &str| {
                given
                    .clone()
                    .or(kept)
                    .ok_or_else(|| CoreError::missing(field))
            };
            let config = OidcConfig {
                access_mode,
                authorization_endpoint: Some(pick(
                    &draft.authorization_endpoint,
                    kept.as_ref().and_then(|k| k.authorization_endpoint.clone()),
                    "authorization_endpoint",
                )?),
                scope: Some(pick(
                    &draft.scope,
                    kept.as_ref().and_then(|k| k.scope.clone()),
                    "scope",
                )?),
                response_type: Some(pick(
                    &draft.response_type,
                    kept.as_ref().and_then(|k| k.response_type.clone()),
                    "response_type",
                )?),
                response_mode: Some(pick(
                    &draft.response_mode,
                    kept.as_ref().and_then(|k| k.response_mode.clone()),
                    "response_mode",
                )?),
                signing_key: String::new(),
            };
            if let Some(e) = &draft.authorization_endpoint {
                check_url("authorization_endpoint", e)?;
            }
            if let Some(s) = &draft.scope {
                check_scope(s)?;
            }
            if let Some(t) = &draft.response_type {
                check_enum("response_type", t, &["id_token"])?;
            }
            if let Some(m) = &draft.response_mode {
                check_enum("response_mode", m, &["fragment", "form_post"])?;
            }
            config
        }
    };
    // Every field is valid: now change the provider.
    if let Some(url) = draft.idp_url {
        idp.issuer_uri = Some(url);
    }
    if let Some(client) = draft.client_id {
        idp.client_id = Some(client.clone());
        idp.audience = Some(client);
    }
    match signing_key {
        Some((text, doc)) => {
            config.signing_key = text;
            idp.pinned_jwks = Some(doc);
            idp.key_set.key_ids.clear();
            idp.key_set.fetched_at = None;
            idp.key_set.last_error = None;
        }
        None => config.signing_key = stored.map(|s| s.signing_key).unwrap_or_default(),
    }
    idp.key_set.source = KeySetSource::Pinned;
    let name = idp.iam_name();
    let settings = idp.iam.get_or_insert(IamSettings {
        name,
        sso_type: super::SsoType::VirtualUserSso,
        oidc: None,
    });
    settings.oidc = Some(config);
    Ok(())
}

impl Iam {
    pub async fn get_oidc_config(
        &self,
        admin: &DomainAdmin,
        name: &str,
    ) -> CoreResult<OidcConfigView> {
        let idp = self.provider(admin, name).await?;
        let config = idp
            .iam
            .as_ref()
            .and_then(|i| i.oidc.as_ref())
            .ok_or_else(|| CoreError::not_found(ResourceKind::OidcConfig, name))?;
        Ok(OidcConfigView::of(&idp, config))
    }

    /// POST: `Conflict` when the provider already has a configuration.
    pub async fn create_oidc_config(
        &self,
        admin: &DomainAdmin,
        actor: &crate::audit::Actor,
        name: &str,
        draft: OidcConfigDraft,
    ) -> CoreResult<OidcConfigView> {
        let idp = self.provider(admin, name).await?;
        if idp.iam.as_ref().is_some_and(|i| i.oidc.is_some()) {
            return Err(CoreError::Conflict {
                what: format!("an OpenID Connect configuration of {name:?}"),
            });
        }
        self.write_oidc_config(admin, actor, idp, draft, true).await
    }

    /// PUT (the seed): changes the fields it carries; `NotFound` without a configuration.
    pub async fn update_oidc_config(
        &self,
        admin: &DomainAdmin,
        actor: &crate::audit::Actor,
        name: &str,
        draft: OidcConfigDraft,
    ) -> CoreResult<OidcConfigView> {
        let idp = self.provider(admin, name).await?;
        if idp.iam.as_ref().is_none_or(|i| i.oidc.is_none()) {
            return Err(CoreError::not_found(ResourceKind::OidcConfig, name));
        }
        self.write_oidc_config(admin, actor, idp, draft, false)
            .await
    }

    async fn write_oidc_config(
        &self,
        admin: &DomainAdmin,
        actor: &crate::audit::Actor,
        mut idp: IdentityProvider,
        draft: OidcConfigDraft,
        creating: bool,
    ) -> CoreResult<OidcConfigView> {
        apply(
            draft,
            &mut idp,
            creating,
            self.kernel.config.allow_insecure_issuers,
        )?;
        idp.updated_at = self.kernel.now();
        self.write_iam_provider(admin, actor, &idp).await?;
        let config = idp
            .iam
            .as_ref()
            .and_then(|i| i.oidc.as_ref())
            .ok_or_else(|| CoreError::internal("configuration vanished"))?;
        Ok(OidcConfigView::of(&idp, config))
    }
}

#[cfg(test)]
#[path = "oidc_config_tests.rs"]
mod tests;
