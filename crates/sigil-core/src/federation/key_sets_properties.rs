//! Property tests: any document an issuer serves goes through the asynchronous key-set cache
//! (fetched, or pinned) as `parse_jwks` judges it, which a fuzz target cannot drive alone.

use super::*;
use crate::clock::SystemClock;
use proptest::prelude::*;
use serde_json::{json, Value};

struct Serving(Value);

#[async_trait]
impl KeySetFetcher for Serving {
    async fn fetch(&self, _issuer: &str) -> Result<FetchedKeySet, String> {
        Ok(FetchedKeySet {
            jwks: self.0.clone(),
            max_age: None,
        })
    }
}

/// JWK members with the values that steer parsing, and anything else.
fn member() -> impl Strategy<Value = (String, Value)> {
    let names = prop::sample::select(vec![
        "kty", "crv", "x", "y", "n", "e", "alg", "use", "kid", "k", "d", "key_ops",
    ]);
    let values = prop_oneof![
        prop::sample::select(vec![
            json!("EC"),
            json!("RSA"),
            json!("OKP"),
            json!("oct"),
            json!("P-256"),
            json!("P-384"),
            json!("Ed25519"),
            json!("ES256"),
            json!("RS256"),
            json!("HS256"),
            json!("sig"),
            json!("enc"),
            json!("AQAB"),
            json!("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"),
            json!("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"),
            json!("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
        ]),
        any::<String>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
    ];
    (names.prop_map(str::to_owned), values)
}

fn document() -> impl Strategy<Value = Value> {
    let jwk =
        prop::collection::vec(member(), 0..8).prop_map(|m| Value::Object(m.into_iter().collect()));
    prop_oneof![
        prop::collection::vec(jwk, 0..6).prop_map(|keys| json!({ "keys": keys })),
        any::<String>().prop_map(|s| json!({ "keys": s })),
        Just(json!([1, 2])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_served_document_is_loaded_or_refused_whole(doc in document()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        let runtime = runtime.map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected = parse_jwks(&doc).map(|s| s.key_ids());
        runtime.block_on(async {
            let id = IdentityProviderId::random();
            let fetched = KeySets::new(Arc::new(Serving(doc.clone())), Arc::new(SystemClock));
            let found = fetched.keys_for(id, "https://idp", None, None).await;
            prop_assert_eq!(found.map(|s| s.key_ids()), expected.clone().ok());
            let snapshot = fetched.snapshot(id).unwrap_or_default();
            prop_assert_eq!(snapshot.last_error.is_some(), expected.is_err());
            let pinned = KeySets::new(Arc::new(NoFetcher), Arc::new(SystemClock));
            let found = pinned.keys_for(id, "https://idp", Some(&doc), Some("any")).await;
            prop_assert_eq!(found.map(|s| s.key_ids()), expected.ok());
            Ok(())
        })?;
    }
}
