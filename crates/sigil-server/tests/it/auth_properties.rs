//! Property test of the Authenticator over HTTP (what no fuzz target can drive without a server
//! and a store): any `Authorization` header, in any scheme Sigil knows or none, is answered 401
//! in the face's own error format, never a 5xx, and the server keeps answering.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use sigil_testkit::{store_tests, TestServer};

/// Header values: a known scheme (any case) or none, then printable ASCII, sometimes shaped
/// like that scheme's parameters.
fn authorization() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec![
        "Digest ",
        "Basic ",
        "Bearer ",
        "ApiKey ",
        "SDK-HMAC-SHA256 ",
        "digest ",
        "BASIC ",
        "Negotiate ",
        "",
    ]);
    let params = prop_oneof![
        "[ -~]{0,200}",
        r#"(username|realm|nonce|uri|response|qop|nc|cnonce|algorithm)=("[ -~]{0,20}"|[a-zA-Z0-9=/]{0,20})(, (username|realm|nonce|uri|response|qop|nc|cnonce|algorithm)=("[ -~]{0,20}"|[a-zA-Z0-9]{0,20})){0,9}"#,
        "(Access|SignedHeaders|Signature)=[a-z0-9;-]{0,64}(, (Access|SignedHeaders|Signature)=[a-z0-9;-]{0,64}){0,3}",
        "[A-Za-z0-9+/=_-]{0,120}",
        r"eyJ[A-Za-z0-9_-]{0,60}\.eyJ[A-Za-z0-9_-]{0,60}\.[A-Za-z0-9_-]{0,40}",
    ];
    (scheme, params).prop_map(|(s, p)| format!("{s}{p}"))
}

async fn any_authorization_is_a_401_in_the_face_format(server: &TestServer) {
    let mut runner = TestRunner::deterministic();
    let strategy = authorization();
    for _ in 0..80 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let value = tree.current();
        // Each from its own address, so the failures of one never throttle the next.
        let client = crate::federation_support::fresh_client();
        let atlas = server
            .send(
                client
                    .get(format!("{}/api/atlas/v2/orgs", server.url))
                    .header("authorization", &value),
            )
            .await;
        assert_eq!(atlas.status, 401, "{value:?}: {}", atlas.text);
        assert!(
            atlas.body["errorCode"].is_string(),
            "{value:?}: {}",
            atlas.text
        );
        let es = server
            .send(
                client
                    .get(format!("{}/_security/_authenticate", server.url))
                    .header("authorization", &value),
            )
            .await;
        assert_eq!(es.status, 401, "{value:?}: {}", es.text);
        assert_eq!(es.body["status"], 401, "{value:?}: {}", es.text);
    }
    let health = server
        .anonymous(reqwest::Method::GET, "/health", None)
        .await;
    assert_eq!(health.status, 200);
}

store_tests!(any_authorization_is_a_401_in_the_face_format);
