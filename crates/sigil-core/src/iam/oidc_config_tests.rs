//! The OpenID Connect configuration's rules, one by one, on a provider in memory.

use super::*;
use crate::federation::{AuthorizationType, IdpType, KeySetStatus};
use crate::iam::SsoType;
use crate::ids::HexId;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

fn provider() -> IdentityProvider {
    IdentityProvider {
        id: HexId::random(),
        federation_settings_id: HexId::random(),
        idp_type: IdpType::Workforce,
        display_name: "idp".into(),
        description: None,
        issuer_uri: None,
        client_id: None,
        audience: None,
        authorization_type: AuthorizationType::Group,
        groups_claim: Some("groups".into()),
        user_claim: "sub".into(),
        requested_scopes: vec![],
        associated_domains: vec![],
        created_at: chrono::DateTime::UNIX_EPOCH,
        updated_at: chrono::DateTime::UNIX_EPOCH,
        key_set: KeySetStatus {
            source: KeySetSource::Pinned,
            key_ids: vec![],
            fetched_at: None,
            revoked_at: None,
            last_error: None,
        },
        pinned_jwks: None,
        enabled: true,
        iam: Some(IamSettings {
            name: "idp".into(),
            sso_type: SsoType::VirtualUserSso,
            oidc: None,
        }),
    }
}

fn rsa_jwk(bytes: usize) -> Value {
    let mut n = vec![0xc5_u8; bytes];
    n[bytes - 1] = 0x01;
    serde_json::json!({"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(&n), "e": "AQAB"})
}

fn jwks(keys: &[Value]) -> String {
    serde_json::json!({ "keys": keys }).to_string()
}

fn program() -> OidcConfigDraft {
    OidcConfigDraft {
        access_mode: Some("program".into()),
        idp_url: Some("https://accounts.example.com".into()),
        client_id: Some("client_id_example".into()),
        signing_key: Some(jwks(&[rsa_jwk(256)])),
        ..Default::default()
    }
}

fn console() -> OidcConfigDraft {
    OidcConfigDraft {
        access_mode: Some("program_console".into()),
        authorization_endpoint: Some("https://accounts.example.com/o/oauth2/v2/auth".into()),
        scope: Some("openid".into()),
        response_type: Some("id_token".into()),
        response_mode: Some("form_post".into()),
        ..program()
    }
}

fn field_of(result: CoreResult<()>) -> String {
    match result {
        Err(CoreError::Invalid { field, .. } | CoreError::Missing { field }) => field,
        other => format!("{other:?}"),
    }
}

fn create(draft: OidcConfigDraft) -> CoreResult<IdentityProvider> {
    let mut idp = provider();
    apply(draft, &mut idp, true, false).map(|()| idp)
}

#[test]
fn a_program_configuration_pins_the_keys_and_names_issuer_and_audience() {
    let idp = create(program()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        idp.issuer_uri.as_deref(),
        Some("https://accounts.example.com")
    );
    assert_eq!(idp.audience.as_deref(), Some("client_id_example"));
    assert!(idp.pinned_jwks.is_some());
    let oidc = idp
        .iam
        .and_then(|i| i.oidc)
        .unwrap_or_else(|| panic!("no config"));
    assert_eq!(oidc.access_mode, AccessMode::Program);
    assert_eq!(oidc.scope, None);
}

#[test]
fn post_requires_the_base_fields() {
    for (field, draft) in [
        (
            "access_mode",
            OidcConfigDraft {
                access_mode: None,
                ..program()
            },
        ),
        (
            "idp_url",
            OidcConfigDraft {
                idp_url: None,
                ..program()
            },
        ),
        (
            "client_id",
            OidcConfigDraft {
                client_id: None,
                ..program()
            },
        ),
        (
            "signing_key",
            OidcConfigDraft {
                signing_key: None,
                ..program()
            },
        ),
    ] {
        assert_eq!(field_of(create(draft).map(drop)), field);
    }
}

#[test]
fn console_fields_are_required_with_program_console_and_refused_with_program() {
    for field in [
        "authorization_endpoint",
        "scope",
        "response_type",
        "response_mode",
    ] {
        let mut draft = console();
        match field {
            "authorization_endpoint" => draft.authorization_endpoint = None,
            "scope" => draft.scope = None,
            "response_type" => draft.response_type = None,
            _ => draft.response_mode = None,
        }
        assert_eq!(field_of(create(draft).map(drop)), field);
        let mut draft = program();
        match field {
            "authorization_endpoint" => {
                draft.authorization_endpoint = Some("https://a.example/auth".into())
            }
            "scope" => draft.scope = Some("openid".into()),
            "response_type" => draft.response_type = Some("id_token".into()),
            _ => draft.response_mode = Some("fragment".into()),
        }
        assert_eq!(field_of(create(draft).map(drop)), field);
    }
}

#[test]
fn lengths_hold_at_their_bounds_and_fail_one_past() {
    let url = |n: usize| format!("https://{}", "a".repeat(n - 8));
    assert!(create(OidcConfigDraft {
        idp_url: Some(url(10)),
        ..program()
    })
    .is_ok());
    assert!(create(OidcConfigDraft {
        idp_url: Some(url(255)),
        ..program()
    })
    .is_ok());
    assert_eq!(
        field_of(
            create(OidcConfigDraft {
                idp_url: Some(url(9)),
                ..program()
            })
            .map(drop)
        ),
        "idp_url"
    );
    assert_eq!(
        field_of(
            create(OidcConfigDraft {
                idp_url: Some(url(256)),
                ..program()
            })
            .map(drop)
        ),
        "idp_url"
    );
    assert!(create(OidcConfigDraft {
        client_id: Some("a".repeat(5)),
        ..program()
    })
    .is_ok());
    assert!(create(OidcConfigDraft {
        client_id: Some("a".repeat(255)),
        ..program()
    })
    .is_ok());
    assert_eq!(
        field_of(
            create(OidcConfigDraft {
                client_id: Some("a".repeat(4)),
                ..program()
            })
            .map(drop)
        ),
        "client_id"
    );
    assert_eq!(
        field_of(
            create(OidcConfigDraft {
                client_id: Some("a".repeat(256)),
                ..program()
            })
            .map(drop)
        ),
        "client_id"
    );
    assert!(create(OidcConfigDraft {
        authorization_endpoint: Some(url(10)),
        ..console()
    })
    .is_ok());
    assert_eq!(
        field_of(
            create(OidcConfigDraft {
                authorization_endpoint: Some(url(256)),
                ..console()
            })
            .map(drop)
        ),
        "authorization_endpoint"
    );
}

#[test]
fn scope_values_come_from_the_list_include_openid_and_number_at_most_ten() {
    for ok in ["openid", "openid email profile", &["openid"; 10].join(" ")] {
        assert!(
            create(OidcConfigDraft {
                scope: Some(ok.to_string()),
                ..console()
            })
            .is_ok(),
            "{ok}"
        );
    }
    for bad in [
        "",
        "email",
        "openid phone",
        "openid  email",
        &["openid"; 11].join(" "),
    ] {
        assert_eq!(
            field_of(
                create(OidcConfigDraft {
                    scope: Some(bad.to_string()),
                    ..console()
                })
                .map(drop)
            ),
            "scope",
            "{bad:?}"
        );
    }
}

#[test]
fn enums_accept_their_values_only() {
    assert_eq!(
        field_of(
            create(OidcConfigDraft {
                access_mode: Some("console".into()),
                ..console()
            })
            .map(drop)
        ),
        "access_mode"
    );
    assert_eq!(
        field_of(
            create(OidcConfigDraft {
                response_type: Some("code".into()),
                ..console()
            })
            .map(drop)
        ),
        "response_type"
    );
    assert!(create(OidcConfigDraft {
        response_mode: Some("fragment".into()),
        ..console()
    })
    .is_ok());
    assert_eq!(
        field_of(
            create(OidcConfigDraft {
                response_mode: Some("query".into()),
                ..console()
            })
            .map(drop)
        ),
        "response_mode"
    );
}

#[test]
fn signing_keys_must_be_public_usable_and_strong_enough() {
    assert!(parse_signing_key(&jwks(&[rsa_jwk(256)])).is_ok());
    let ec = serde_json::json!({"kty": "EC", "crv": "P-256", "kid": "e",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
    assert!(parse_signing_key(&jwks(std::slice::from_ref(&ec))).is_ok());
    let mut private = ec;
    private["d"] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI".into();
    let seed_example = r#"{"keys":[{"kty":"RSA","e":"AQAB","use":"sig","n":"example","kid":"kid_example","alg":"RS256"}]}"#;
    for bad in [
        "short".to_string(),
        "x".repeat(30_001),
        "not json at all".into(),
        r#"{"keys": []}"#.into(),
        r#"{"no_keys": 1}"#.into(),
        jwks(&[private]),
        jwks(&[rsa_jwk(128)]),
        jwks(&[serde_json::json!({"kty": "oct", "k": "c2VjcmV0"})]),
        jwks(&[serde_json::json!({"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"})]),
        seed_example.into(),
    ] {
        assert!(
            matches!(parse_signing_key(&bad), Err(CoreError::Invalid { ref field, .. }) if field == "signing_key"),
            "{bad:.60}"
        );
    }
}

#[test]
fn put_changes_only_what_it_carries_and_switching_to_program_drops_the_console_fields() {
    let mut idp = create(console()).unwrap_or_else(|e| panic!("{e:?}"));
    let only_client = OidcConfigDraft {
        client_id: Some("another_client".into()),
        ..Default::default()
    };
    apply(only_client, &mut idp, false, false).unwrap_or_else(|e| panic!("{e:?}"));
    let oidc = idp
        .iam
        .as_ref()
        .and_then(|i| i.oidc.clone())
        .unwrap_or_else(|| panic!("none"));
    assert_eq!(idp.audience.as_deref(), Some("another_client"));
    assert_eq!(oidc.scope.as_deref(), Some("openid"));
    assert!(!oidc.signing_key.is_empty(), "the stored key is kept");

    let to_program = OidcConfigDraft {
        access_mode: Some("program".into()),
        ..Default::default()
    };
    apply(to_program, &mut idp, false, false).unwrap_or_else(|e| panic!("{e:?}"));
    let oidc = idp
        .iam
        .as_ref()
        .and_then(|i| i.oidc.clone())
        .unwrap_or_else(|| panic!("none"));
    assert_eq!((oidc.authorization_endpoint, oidc.scope), (None, None));

    // Back to program_console: the console fields are needed again, none is remembered.
    let back = OidcConfigDraft {
        access_mode: Some("program_console".into()),
        ..Default::default()
    };
    assert_eq!(
        field_of(apply(back, &mut idp, false, false)),
        "authorization_endpoint"
    );
}

#[test]
fn http_issuers_need_the_insecure_flag() {
    let draft = || OidcConfigDraft {
        idp_url: Some("http://127.0.0.1:8080".into()),
        ..program()
    };
    assert_eq!(field_of(create(draft()).map(drop)), "idp_url");
    let mut idp = provider();
    assert!(apply(draft(), &mut idp, true, true).is_ok());
}
