//! The field rules of identity providers, checked without a store.
use super::*;

fn workload() -> IdentityProviderDraft {
    IdentityProviderDraft {
        protocol: Some("OIDC".into()),
        idp_type: Some("WORKLOAD".into()),
        display_name: Some("ci".into()),
        issuer_uri: Some("https://issuer.example.com".into()),
        audience: Some("sigil".into()),
        authorization_type: Some("GROUP".into()),
        ..Default::default()
    }
}

fn field(r: CoreResult<IdentityProvider>) -> Option<String> {
    match r {
        Err(CoreError::Invalid { field, .. } | CoreError::Missing { field }) => Some(field),
        _ => None,
    }
}

fn create(d: IdentityProviderDraft) -> CoreResult<IdentityProvider> {
    d.into_new(HexId::random(), DateTime::default(), false)
}

#[test]
fn defaults_fill_claims() {
    let idp = create(workload()).ok();
    assert_eq!(
        idp.as_ref().and_then(|i| i.groups_claim.clone()).as_deref(),
        Some("groups")
    );
    assert_eq!(idp.map(|i| i.user_claim).as_deref(), Some("sub"));
}

#[test]
fn every_required_field_is_named_when_missing() {
    assert_eq!(
        field(create(IdentityProviderDraft {
            protocol: None,
            ..workload()
        }))
        .as_deref(),
        Some("protocol")
    );
    assert_eq!(
        field(create(IdentityProviderDraft {
            idp_type: None,
            ..workload()
        }))
        .as_deref(),
        Some("idpType")
    );
    assert_eq!(
        field(create(IdentityProviderDraft {
            display_name: None,
            ..workload()
        }))
        .as_deref(),
        Some("displayName")
    );
    assert_eq!(
        field(create(IdentityProviderDraft {
            issuer_uri: None,
            ..workload()
        }))
        .as_deref(),
        Some("issuerUri")
    );
    assert_eq!(
        field(create(IdentityProviderDraft {
            audience: None,
            ..workload()
        }))
        .as_deref(),
        Some("audience")
    );
    assert_eq!(
        field(create(IdentityProviderDraft {
            authorization_type: None,
            ..workload()
        }))
        .as_deref(),
        Some("authorizationType")
    );
    let workforce = IdentityProviderDraft {
        idp_type: Some("WORKFORCE".into()),
        ..workload()
    };
    assert_eq!(field(create(workforce)).as_deref(), Some("clientId"));
}

#[test]
fn enums_and_lengths() {
    assert_eq!(
        field(create(IdentityProviderDraft {
            protocol: Some("SAML".into()),
            ..workload()
        }))
        .as_deref(),
        Some("protocol")
    );
    assert_eq!(
        field(create(IdentityProviderDraft {
            idp_type: Some("ROBOT".into()),
            ..workload()
        }))
        .as_deref(),
        Some("idpType")
    );
    assert_eq!(
        field(create(IdentityProviderDraft {
            authorization_type: Some("ROLE".into()),
            ..workload()
        }))
        .as_deref(),
        Some("authorizationType")
    );
    assert!(create(IdentityProviderDraft {
        display_name: Some("d".repeat(50)),
        ..workload()
    })
    .is_ok());
    assert_eq!(
        field(create(IdentityProviderDraft {
            display_name: Some("d".repeat(51)),
            ..workload()
        }))
        .as_deref(),
        Some("displayName")
    );
    assert!(create(IdentityProviderDraft {
        description: Some("d".repeat(250)),
        ..workload()
    })
    .is_ok());
    assert_eq!(
        field(create(IdentityProviderDraft {
            description: Some("d".repeat(251)),
            ..workload()
        }))
        .as_deref(),
        Some("description")
    );
}

#[test]
fn issuers_must_be_https_unless_allowed() {
    assert!(check_issuer_uri("https://idp.example.com/realms/x", false).is_ok());
    assert!(check_issuer_uri("http://127.0.0.1:8080", false).is_err());
    assert!(check_issuer_uri("http://127.0.0.1:8080", true).is_ok());
    // Non-public hosts are refused over https too, unless insecure issuers are allowed.
    for local in [
        "https://127.0.0.1:1",
        "https://localhost/realms/x",
        "https://10.0.0.5",
        "https://169.254.169.254/latest",
        "https://[::1]:8443",
        "https://[fd00:ec2::254]",
        "https://[::ffff:127.0.0.1]",
    ] {
        let refused = check_issuer_uri(local, false).err().map(|e| e.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|e| e.contains("public host")),
            "{local}: {refused:?}"
        );
        assert!(check_issuer_uri(local, true).is_ok(), "{local}");
    }
    for bad in [
        "idp.example.com",
        "ftp://idp.example.com",
        "https://",
        "https://idp.example.com/#x",
        "https://idp.example.com/?a=b",
    ] {
        assert!(check_issuer_uri(bad, true).is_err(), "{bad}");
    }
}

#[test]
fn patch_keeps_what_it_does_not_carry_and_refuses_type_changes() {
    let idp = create(workload()).expect("valid draft");
    let patched = IdentityProviderDraft {
        description: Some("new".into()),
        ..Default::default()
    }
    .apply_to(idp.clone(), DateTime::default(), false);
    let patched = patched.ok();
    assert_eq!(
        patched.as_ref().and_then(|p| p.description.as_deref()),
        Some("new")
    );
    assert_eq!(
        patched.map(|p| p.display_name),
        Some(idp.display_name.clone())
    );
    let change = IdentityProviderDraft {
        idp_type: Some("WORKFORCE".into()),
        ..Default::default()
    }
    .apply_to(idp, DateTime::default(), false);
    assert_eq!(field(change).as_deref(), Some("idpType"));
}

#[test]
fn list_filter_accepts_oidc_only() {
    assert!(IdentityProviderFilter::parse(Some("OIDC"), Some("WORKFORCE,WORKLOAD")).is_ok());
    assert!(IdentityProviderFilter::parse(Some("SAML"), None).is_err());
    assert!(IdentityProviderFilter::parse(None, Some("PEOPLE")).is_err());
}
