//! An identity provider that hangs (its JWKS endpoint never answers): the requests that need
//! its keys wait at most for the key-set fetch's own limit and are refused, and everything
//! else (a password, a service account's token, another provider's JWT) goes on at its usual
//! speed meanwhile, also while a JWKS revoke of that provider waits for its refetch, whose
//! cutoff holds at once.

use crate::support::api::{status, Api, V2};
use crate::support::federation::Provider;
use crate::support::node::{master_key, Node, NodeSpec};
use crate::support::{measured, poll, serial};
use reqwest::Method;
use serde_json::json;
use sigil_testkit::issuer::{FakeIssuer, JwksBehaviour};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

const WHOAMI: &str = "/_security/_authenticate";
/// The key-set fetch gives up after 5 s in all; slack for a loaded machine.
const FETCH_LIMIT: Duration = Duration::from_secs(8);
/// What an unrelated request may take while the provider hangs (a debug build, two cores).
const UNRELATED: Duration = Duration::from_secs(1);

/// A loopback address of its own: the failure limiter counts per address, so the clients
/// waiting on the hanging provider do not share a budget with the others.
fn from(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// Sends unrelated requests one after another for `period`; answers the slowest latency.
async fn unrelated_requests(
    api: &Api,
    org: &str,
    client: (&str, &str),
    other: (&Provider, &FakeIssuer),
    period: Duration,
) -> Duration {
    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut n = 0;
    while start.elapsed() < period {
        let t = Instant::now();
        let code = match n % 3 {
            0 => status(
                &api.admin(Method::GET, &format!("{V2}/orgs/{org}"), None)
                    .await,
            ),
            1 => {
                let grant = api.grant(client.0, client.1).await.expect("grant");
                assert_eq!(grant.status, 200, "{}", grant.text);
                let token = grant.body["access_token"].as_str().expect("token");
                status(&api.bearer(token, WHOAMI).await)
            }
            _ => status(&api.bearer(&other.0.jwt(other.1), WHOAMI).await),
        };
        assert_eq!(code, 200, "unrelated request {n} while a provider hangs");
        let took = t.elapsed();
        assert!(
            took < UNRELATED,
            "unrelated request {n} took {took:?} while a provider hangs"
        );
        slowest = slowest.max(took);
        n += 1;
    }
    assert!(n >= 6, "only {n} unrelated requests in {period:?}");
    slowest
}

#[tokio::test]
async fn a_hanging_identity_provider_holds_up_nothing_else() {
    let _one = serial().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let node = Node::start(NodeSpec::new(&dir.path().join("data"), None, &master_key())).await;
    let admin = Api::new(&node.url);
    let (org, _) = admin.default_org().await;
    let hanging = FakeIssuer::start().await;
    let healthy = FakeIssuer::start().await;
    let slow = Provider::create(&admin, &hanging, "slow").await;
    let fine = Provider::create(&admin, &healthy, "fine").await;
    let created = admin
        .admin(
            Method::POST,
            &format!("{V2}/orgs/{org}/serviceAccounts"),
            Some(
                json!({"name": "busy", "description": "d", "roles": ["ORG_MEMBER"],
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
    let others = Api::from_address(&node.url, from(2));
    let waiting = Api::from_address(&node.url, from(3));
    // Before the hang: the slow provider's keys are fetched and a JWT of it is verified.
    let cached = slow.jwt(&hanging);
    assert_eq!(status(&waiting.bearer(&cached, WHOAMI).await), 200);
    assert_eq!(
        status(&others.bearer(&fine.jwt(&healthy), WHOAMI).await),
        200
    );

    // The issuer's JWKS endpoint hangs. A second provider on it has no keys in this node's
    // memory yet: every JWT of it waits for a fetch that never answers (one fetch, the
    // others queued behind it) until the fetch gives up.
    hanging.set_jwks_behaviour(JwksBehaviour::Hang);
    let unfetched = Provider::create(&admin, &hanging, "unfetched").await;
    let stuck: Vec<_> = (0..16)
        .map(|_| {
            let (waiting, jwt) = (waiting.clone(), unfetched.jwt(&hanging));
            tokio::spawn(async move {
                let t = Instant::now();
                let code = status(&waiting.bearer(&jwt, WHOAMI).await);
                (code, t.elapsed())
            })
        })
        .collect();
    let slowest = unrelated_requests(
        &others,
        &org,
        (&client_id, &secret),
        (&fine, &healthy),
        Duration::from_secs(3),
    )
    .await;
    measured(
        "hanging identity provider",
        "slowest unrelated request",
        slowest,
    );
    let mut longest = Duration::ZERO;
    for task in stuck {
        let (code, took) = task.await.expect("request");
        // 401; or 429 for those beyond the address's ten attempts in flight (they waited 2 s
        // for a slot): that address's budget only.
        assert!(
            [401, 429].contains(&code),
            "a JWT whose keys cannot be fetched: {code}"
        );
        assert!(
            took <= FETCH_LIMIT,
            "waited {took:?} for a hanging provider"
        );
        longest = longest.max(took);
    }
    assert!(
        longest >= Duration::from_secs(4),
        "answered in {longest:?}: no fetch was waited for"
    );
    measured(
        "hanging identity provider",
        "a request needing its keys → refused",
        longest,
    );

    // A JWKS revoke of the hanging provider: its refetch waits, its cutoff does not.
    let revoke = {
        let admin = Api::from_address(&node.url, from(4));
        let path = slow.jwks_path();
        tokio::spawn(async move {
            let t = Instant::now();
            let r = admin.admin(Method::DELETE, &path, None).await;
            (status(&r), t.elapsed())
        })
    };
    // Once the revoke is recorded (the provider shows `keySet.revokedAt`), the provider's
    // JWT is refused at once, though the refetch still waits on the issuer. (A request that
    // was already past the cutoff check when the revoke landed may wait for that refetch,
    // then is refused: never accepted.) Probed from an address of its own: the waiting
    // clients spent theirs.
    let provider_path = format!(
        "{V2}/federationSettings/{}/identityProviders/{}",
        slow.fs, slow.id
    );
    poll("the revoke recorded", UNRELATED, || async {
        let a = others
            .admin(Method::GET, &provider_path, None)
            .await
            .expect("provider");
        a.body["keySet"]["revokedAt"].is_string().then_some(())
    })
    .await;
    let probe = Api::from_address(&node.url, from(5));
    let t = Instant::now();
    let refused = status(&probe.bearer(&cached, WHOAMI).await);
    let cut_off = t.elapsed();
    assert_eq!(refused, 401, "a JWT issued before the revoke");
    assert!(cut_off < UNRELATED, "refused only after {cut_off:?}");
    measured(
        "hanging identity provider",
        "JWKS revoke → its JWT refused",
        cut_off,
    );
    let slowest = unrelated_requests(
        &others,
        &org,
        (&client_id, &secret),
        (&fine, &healthy),
        Duration::from_secs(2),
    )
    .await;
    measured(
        "hanging identity provider",
        "slowest unrelated request during the revoke",
        slowest,
    );
    let (code, took) = revoke.await.expect("revoke");
    assert_eq!(code, 204, "the revoke answers whatever the refetch does");
    assert!(took <= FETCH_LIMIT, "the revoke took {took:?}");
    measured(
        "hanging identity provider",
        "JWKS revoke answered (refetch gave up)",
        took,
    );
}
