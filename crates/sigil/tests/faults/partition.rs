//! A node cut off from PostgreSQL while another keeps working: node B reaches the database
//! through a proxy that stops passing bytes (a partition: no reset, no error, just silence),
//! node A directly. B refuses every credential within its staleness bound; a token revoked on
//! A just after the cut is accepted by B at most until then, one revoked once B is stale never
//! is; A serves throughout. The cut lasts longer than 30 s, so B starts reading the change log
//! afresh when the network returns (reloading revocations), and serves again without a
//! restart.

use crate::support::api::{status, Api, V2};
use crate::support::node::{master_key, Node, NodeSpec};
use crate::support::proxy::{target, through, Proxy};
use crate::support::{measured, pg, poll, serial};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

const BOUND: Duration = Duration::from_secs(5);
const SLACK: Duration = Duration::from_secs(2);
/// Longer than the 30 s after which a node starts reading the change log afresh.
const CUT_FOR: Duration = Duration::from_secs(36);
const WHOAMI: &str = "/_security/_authenticate";

#[tokio::test]
async fn a_node_cut_off_from_postgres_fails_closed() {
    let _one = serial().await;
    let Some(url) = pg::shared_database().await else {
        return;
    };
    let proxy = Proxy::start(target(&url)).await;
    let key = master_key();
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = |name: &str, url: String| {
        NodeSpec::new(&dir.path().join(name), Some(url), &key).arg("--auth-failure-burst", "100000")
    };
    let a = Node::start(spec("a", url.clone())).await;
    let b = Node::start(spec("b", through(&url, proxy.addr))).await;
    let (on_a, on_b) = (Api::new(&a.url), Api::new(&b.url));
    let (org, _) = on_a.default_org().await;
    let created = on_a
        .admin(
            Method::POST,
            &format!("{V2}/orgs/{org}/serviceAccounts"),
            Some(
                json!({"name": "cut", "description": "d", "roles": ["ORG_MEMBER"],
                "secretExpiresAfterHours": 24}),
            ),
        )
        .await
        .expect("create");
    assert_eq!(created.status, 201, "{}", created.text);
    let client_id = created.body["clientId"]
        .as_str()
        .expect("clientId")
        .to_owned();
    let secret = created.body["secrets"][0]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let mut tokens = vec![];
    for _ in 0..3 {
        let t = on_a.grant(&client_id, &secret).await.expect("grant");
        tokens.push(t.body["access_token"].as_str().expect("token").to_owned());
    }
    let (kept, early, late) = (&tokens[0], &tokens[1], &tokens[2]);
    for api in [&on_a, &on_b] {
        for t in &tokens {
            assert_eq!(
                status(&api.bearer(t, WHOAMI).await),
                200,
                "cached on each node"
            );
        }
    }
    let revoke = |token: &str| {
        let (on_a, client_id, secret, token) = (
            on_a.clone(),
            client_id.clone(),
            secret.clone(),
            token.to_owned(),
        );
        async move {
            let r = on_a
                .form(
                    "/api/oauth/revoke",
                    Some((&client_id, &secret)),
                    &[("token", &token)],
                )
                .await
                .expect("revoke on A");
            assert_eq!(r.status, 200, "{}", r.text);
        }
    };

    let cut = Instant::now();
    proxy.cut();
    revoke(early).await;
    let revoked_early = Instant::now();
    // B accepts `early` at most until its bound passes, then nothing: 503 for every
    // credential. A refuses `early` at once and serves `kept` throughout.
    let mut b_stale_at = None;
    while b_stale_at.is_none() {
        let kept_on_b = status(&on_b.bearer(kept, WHOAMI).await);
        let early_on_b = status(&on_b.bearer(early, WHOAMI).await);
        assert!([200, 503].contains(&kept_on_b), "B answered {kept_on_b}");
        if early_on_b == 200 {
            assert!(
                revoked_early.elapsed() <= BOUND + SLACK,
                "B accepts a token revoked on A {:?} ago",
                revoked_early.elapsed()
            );
        }
        if kept_on_b == 503 {
            b_stale_at = Some(cut.elapsed());
        }
        assert_eq!(status(&on_a.bearer(kept, WHOAMI).await), 200, "A serves");
        assert_eq!(
            status(&on_a.bearer(early, WHOAMI).await),
            401,
            "A refuses what it revoked"
        );
        assert!(
            cut.elapsed() <= BOUND + SLACK,
            "B still serves {:?} after the cut",
            cut.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stale = b_stale_at.unwrap_or_default();
    measured("partition", "node B cut → every credential 503", stale);
    assert_eq!(status(&on_b.anonymous("/health").await), 503);

    // Revoked once B is stale: never accepted there, for the rest of the cut.
    revoke(late).await;
    while cut.elapsed() < CUT_FOR {
        for t in [kept, early, late] {
            let code = status(&on_b.bearer(t, WHOAMI).await);
            assert_eq!(code, 503, "B, cut off, answered {code}");
        }
        assert_eq!(status(&on_a.bearer(kept, WHOAMI).await), 200, "A serves");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let healed = Instant::now();
    proxy.heal();
    poll(
        "B serving after the network returned",
        Duration::from_secs(40),
        || async {
            let code = status(&on_b.bearer(kept, WHOAMI).await);
            assert!([200, 503].contains(&code), "B answered {code}");
            (code == 200).then_some(())
        },
    )
    .await;
    measured(
        "partition",
        "network back → node B serving",
        healed.elapsed(),
    );
    for t in [early, late] {
        assert_eq!(
            status(&on_b.bearer(t, WHOAMI).await),
            401,
            "B refuses what A revoked"
        );
    }
    poll("B logs its recovery", Duration::from_secs(5), || {
        let logged = b.stderr().contains("reading the change log works again");
        async move { logged.then_some(()) }
    })
    .await;
}
