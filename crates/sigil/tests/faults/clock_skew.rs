//! Clocks minutes apart between two nodes, end to end: node B runs with libfaketime five
//! minutes behind node A (only its wall clock: a host whose NTP failed). Changes written on B
//! (the writer behind) reach A, and changes written on A (the writer ahead) reach B, within
//! the bound notifications give; a JWKS revoke on B cuts off the provider's tokens issued
//! before it on A too (the cutoff is the database's time, not B's), and A forgets the keys it
//! had fetched, so a token signed later with the retired key is refused.
//!
//! Why libfaketime (Debian's `faketime`, installed by .ci/faults.sh) and not a test-only clock
//! setting: the real binary runs unchanged, with no hidden knob in production code, and every
//! wall clock it reads (the core's, the key sets', the logs') is off, as on a real host.

use crate::support::api::{status, Api};
use crate::support::federation::Provider;
use crate::support::node::{libfaketime, master_key, Node, NodeSpec, ADMIN_PASSWORD};
use crate::support::{measured, pg, poll, serial, skip};
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::issuer::FakeIssuer;
use std::time::{Duration, Instant};

const WHOAMI: &str = "/_security/_authenticate";
/// How long a change may take to reach the other node: notified at once, read every second.
const PROPAGATION: Duration = Duration::from_secs(3);

struct EsKey {
    id: String,
    encoded: String,
}

async fn es_key(api: &Api, name: &str) -> EsKey {
    let a = api
        .basic(
            "admin",
            ADMIN_PASSWORD,
            Method::POST,
            "/_security/api_key",
            Some(json!({"name": name})),
        )
        .await
        .expect("create a key");
    assert_eq!(a.status, 200, "{}", a.text);
    EsKey {
        id: a.body["id"].as_str().expect("id").to_owned(),
        encoded: a.body["encoded"].as_str().expect("encoded").to_owned(),
    }
}

async fn invalidate(api: &Api, key: &EsKey) {
    let a = api
        .basic(
            "admin",
            ADMIN_PASSWORD,
            Method::DELETE,
            "/_security/api_key",
            Some(json!({"ids": [key.id]})),
        )
        .await
        .expect("invalidate");
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.body["invalidated_api_keys"],
        json!([key.id]),
        "{}",
        a.text
    );
}

/// Polls `api` with the key until it is refused; answers how long that took.
async fn refused_key(api: &Api, key: &EsKey, what: &str) -> Duration {
    let (_, took) = poll(what, PROPAGATION, || async {
        let code = status(&api.api_key(&key.encoded, WHOAMI).await);
        assert!([200, 401].contains(&code), "{what}: {code}");
        (code == 401).then_some(())
    })
    .await;
    took
}

/// `claims` issued `ahead` seconds from now by the issuer's clock.
fn issued_in(mut claims: Value, ahead: u64) -> Value {
    let iat = claims["iat"].as_u64().expect("iat") + ahead;
    claims["iat"] = json!(iat);
    claims["nbf"] = json!(iat);
    claims
}

#[tokio::test]
async fn nodes_five_minutes_apart_hold_each_other_to_every_change() {
    let _one = serial().await;
    if libfaketime().is_none() {
        skip("libfaketime is not installed (apt-get install faketime)");
        return;
    }
    let Some(url) = pg::shared_database().await else {
        return;
    };
    let key = master_key();
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = |name: &str| {
        NodeSpec::new(&dir.path().join(name), Some(url.clone()), &key)
            .arg("--auth-failure-burst", "100000")
    };
    let a = Node::start(spec("a")).await;
    let mut behind = spec("b");
    behind.faketime = Some("-5m".into());
    let b = Node::start(behind).await;
    let (on_a, on_b) = (Api::new(&a.url), Api::new(&b.url));

    // B's clock really is five minutes behind: what it stamps shows it.
    let now_on = |api: &Api| {
        let api = api.clone();
        async move {
            let k = es_key(&api, "clock").await;
            let got = api
                .basic(
                    "admin",
                    ADMIN_PASSWORD,
                    Method::GET,
                    &format!("/_security/api_key?id={}", k.id),
                    None,
                )
                .await
                .expect("get");
            got.body["api_keys"][0]["creation"]
                .as_i64()
                .expect("creation (ms)")
        }
    };
    let skew_ms = now_on(&on_a).await - now_on(&on_b).await;
    assert!(
        (4 * 60_000..6 * 60_000).contains(&skew_ms),
        "B is {skew_ms} ms behind"
    );

    // Written on B, the writer behind: reaches A.
    let k1 = es_key(&on_a, "k1").await;
    for api in [&on_a, &on_b] {
        assert_eq!(
            status(&api.api_key(&k1.encoded, WHOAMI).await),
            200,
            "cached on each node"
        );
    }
    let started = Instant::now();
    invalidate(&on_b, &k1).await;
    refused_key(&on_a, &k1, "invalidated on B (behind), refused on A").await;
    measured(
        "clock skew",
        "invalidated on the node 5 min behind → refused on the other",
        started.elapsed(),
    );

    // Written on A, the writer ahead: reaches B.
    let k2 = es_key(&on_b, "k2").await;
    for api in [&on_a, &on_b] {
        assert_eq!(
            status(&api.api_key(&k2.encoded, WHOAMI).await),
            200,
            "cached on each node"
        );
    }
    let started = Instant::now();
    invalidate(&on_a, &k2).await;
    refused_key(&on_b, &k2, "invalidated on A (ahead), refused on B").await;
    measured(
        "clock skew",
        "invalidated on the node 5 min ahead → refused on the other",
        started.elapsed(),
    );

    // A JWKS revoke on B. The issuer has rotated its key first (the old one leaked).
    let issuer = FakeIssuer::start().await;
    let provider = Provider::create(&on_a, &issuer, "skew").await;
    let before = provider.jwt(&issuer);
    assert_eq!(
        status(&on_a.bearer(&before, WHOAMI).await),
        200,
        "A fetched the keys"
    );
    let leaked = issuer.current_kid();
    issuer.rotate();
    let revoked = on_b
        .basic(
            "admin",
            ADMIN_PASSWORD,
            Method::DELETE,
            &provider.jwks_path(),
            None,
        )
        .await
        .expect("revoke");
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    // The cutoff is the database's time: a token issued before the revoke is refused on A,
    // though B's clock read five minutes earlier.
    let (_, took) = poll(
        "a token issued before the revoke, refused on A",
        PROPAGATION,
        || async { (status(&on_a.bearer(&before, WHOAMI).await) == 401).then_some(()) },
    )
    .await;
    measured(
        "clock skew",
        "JWKS revoked on the node behind → earlier token refused on the other",
        took,
    );
    assert_eq!(status(&on_b.bearer(&before, WHOAMI).await), 401);
    // Tokens issued within the clock skew after the cutoff are refused too (the issuer's
    // clock may run ahead); past it the issuer's new key is accepted on A...
    poll(
        "the issuer's new key, past the cutoff and its skew",
        PROPAGATION,
        || async {
            let fresh = issuer.mint(&issued_in(provider.claims(&issuer), 60));
            (status(&on_a.bearer(&fresh, WHOAMI).await) == 200).then_some(())
        },
    )
    .await;
    // ...and A forgot the keys it fetched before the revoke: the leaked key signs nothing now.
    let forged = issuer.mint_with_kid(&leaked, &issued_in(provider.claims(&issuer), 60));
    assert_eq!(
        status(&on_a.bearer(&forged, WHOAMI).await),
        401,
        "signed with the retired key"
    );
}
