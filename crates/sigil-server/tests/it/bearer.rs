//! Bearer tokens the Atlas face must refuse (RFC 7515, RFC 8725 §2.1, §3.1): `alg: none`, a
//! foreign key under Sigil's kid, a payload altered under a valid signature, HS256 keyed with
//! the public key, garbage and an empty token.

use crate::atlas_support::*;
use crate::credentials_support::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use sigil_testkit::{store_tests, TestServer};

#[track_caller]
fn assert_refused(a: &sigil_testkit::Answer, what: &str) {
    assert_eq!(a.status, 401, "{what}: {}", a.text);
    assert_eq!(a.body["errorCode"], "NOT_AUTHENTICATED", "{what}");
    assert!(a.header("www-authenticate").is_some(), "{what}");
}

fn sign(header: &Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).expect("sign")
}

async fn forged_tokens_are_refused(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let real = token(server, &sa.client_id, &sa.secret).await;
    let (header, claims) = jwt_parts(&real);
    let kid = header["kid"].as_str().unwrap().to_owned();
    let org_path = format!("{V2}/orgs/{org}");
    let sas = sa_path(V2, &org);

    let none = jwt(&json!({"alg": "none", "typ": "JWT"}), &claims, "");
    let none_kid = jwt(
        &json!({"alg": "none", "typ": "at+jwt", "kid": kid}),
        &claims,
        "",
    );

    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let mut es = Header::new(Algorithm::ES256);
    es.kid = Some(kid.clone());
    es.typ = Some("at+jwt".into());
    let resigned = sign(&es, &claims, &EncodingKey::from_ec_der(pkcs8.as_ref()));

    let mut promoted = claims.clone();
    promoted["roles"] = json!(["ORG_OWNER"]);
    let sig = real.rsplit('.').next().unwrap();
    let altered = jwt(&header, &promoted, sig);

    let jwks = server
        .anonymous(Method::GET, "/.well-known/jwks.json", None)
        .await;
    let jwk = jwks.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap()
        .clone();
    let mut point = vec![4u8];
    point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap());
    point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str().unwrap()).unwrap());
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(kid.clone());
    hs.typ = Some("at+jwt".into());
    let hs_point = sign(&hs, &claims, &EncodingKey::from_secret(&point));
    let hs_jwk = sign(
        &hs,
        &claims,
        &EncodingKey::from_secret(serde_json::to_string(&jwk).unwrap().as_bytes()),
    );

    for (what, forged) in [
        ("alg none", none.as_str()),
        ("alg none with Sigil's kid", none_kid.as_str()),
        ("re-signed with another key", resigned.as_str()),
        ("payload altered", altered.as_str()),
        ("HS256 keyed with the public point", hs_point.as_str()),
        ("HS256 keyed with the JWK", hs_jwk.as_str()),
        ("garbage", "not.a.jwt"),
    ] {
        assert_refused(
            &bearer(server, Method::GET, &org_path, forged, None).await,
            what,
        );
    }
    // The promoted forgery gains nothing either.
    assert_refused(
        &bearer(server, Method::GET, &sas, &altered, None).await,
        "altered, owner route",
    );
    // The genuine token still works after all this.
    let ok = bearer(server, Method::GET, &org_path, &real, None).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
}

async fn empty_and_malformed_bearers_are_refused(server: &TestServer) {
    let (org, _) = server.default_org().await;
    let path = format!("{V2}/orgs/{org}");
    for value in ["Bearer", "Bearer ", "Bearer a.b", "Bearer ....."] {
        let a = server
            .send(
                server
                    .client
                    .get(format!("{}{path}", server.url))
                    .header("authorization", value),
            )
            .await;
        assert_refused(&a, value);
    }
    // A genuine signature over a payload whose exp was moved is refused.
    let sa = create_sa(server, &org, &["ORG_MEMBER"]).await;
    let real = token(server, &sa.client_id, &sa.secret).await;
    let (header, mut claims) = jwt_parts(&real);
    claims["exp"] = json!(claims["iat"].as_i64().unwrap() - 10);
    let expired = jwt(&header, &claims, real.rsplit('.').next().unwrap());
    assert_refused(
        &bearer(server, Method::GET, &path, &expired, None).await,
        "exp altered",
    );
    // Nothing of the token reaches the organization's events.
    let text = events_text(server, &org).await;
    assert!(!text.contains(&real));
}

store_tests!(
    forged_tokens_are_refused,
    empty_and_malformed_bearers_are_refused
);
