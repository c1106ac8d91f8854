//! PostgreSQL goes away (stopped at once, as a crash would) and comes back while two nodes
//! serve: each node answers 503 within its staleness bound, never accepts a credential it
//! cannot check (nor one revoked just before the outage), and serves again without a restart
//! once PostgreSQL is back, its change log listener included.

use crate::support::api::{status, Api, V2};
use crate::support::node::{master_key, Node, NodeSpec};
use crate::support::pg::Cluster;
use crate::support::{measured, poll, serial};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

/// `change_staleness_bound` at the default `--change-sync-ms` (1000): max(5 s, 5 × 1 s).
const BOUND: Duration = Duration::from_secs(5);
/// Scheduling slack on a loaded two-core machine.
const SLACK: Duration = Duration::from_secs(2);
/// Who the credentials are: answered from the credential alone, no database read.
const WHOAMI: &str = "/_security/_authenticate";

struct Account {
    client_id: String,
    secret: String,
}

async fn account(api: &Api, org: &str) -> Account {
    let a = api
        .admin(
            Method::POST,
            &format!("{V2}/orgs/{org}/serviceAccounts"),
            Some(
                json!({"name": "outage", "description": "d", "roles": ["ORG_MEMBER"],
                "secretExpiresAfterHours": 24}),
            ),
        )
        .await
        .expect("create");
    assert_eq!(a.status, 201, "{}", a.text);
    Account {
        client_id: a.body["clientId"].as_str().expect("clientId").to_owned(),
        secret: a.body["secrets"][0]["secret"]
            .as_str()
            .expect("secret")
            .to_owned(),
    }
}

async fn token(api: &Api, account: &Account) -> String {
    let a = api
        .grant(&account.client_id, &account.secret)
        .await
        .expect("grant");
    assert_eq!(a.status, 200, "{}", a.text);
    a.body["access_token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn postgres_stops_and_comes_back_while_nodes_serve() {
    let _one = serial().await;
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.database().await;
    let key = master_key();
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = |name: &str| {
        NodeSpec::new(&dir.path().join(name), Some(url.clone()), &key)
            .arg("--auth-failure-burst", "100000")
    };
    let a = Node::start(spec("a")).await;
    let b = Node::start(spec("b")).await;
    let nodes = [Api::new(&a.url), Api::new(&b.url)];
    let (org, _) = nodes[0].default_org().await;
    let org_path = format!("{V2}/orgs/{org}");
    let robot = account(&nodes[0], &org).await;
    let kept = token(&nodes[0], &robot).await;
    let revoked = token(&nodes[0], &robot).await;
    for api in &nodes {
        for t in [&kept, &revoked] {
            assert_eq!(
                status(&api.bearer(t, &org_path).await),
                200,
                "cached on each node"
            );
        }
    }
    // A revocation just before the outage: PostgreSQL stops before node B may have read it.
    let r = nodes[0]
        .form(
            "/api/oauth/revoke",
            Some((&robot.client_id, &robot.secret)),
            &[("token", &revoked)],
        )
        .await
        .expect("revoke");
    assert_eq!(r.status, 200, "{}", r.text);
    let outage = Instant::now();
    cluster.halt();

    // A request that needs the database (its handler reads the organization) answers 503 once
    // its wait for a connection ends (5 s), never 500, never a hang.
    let started = Instant::now();
    let needs_db = nodes[0].bearer(&kept, &org_path).await.expect("answers");
    assert_eq!(needs_db.status, 503, "{}", needs_db.text);
    assert_eq!(
        needs_db.body["errorCode"], "SERVICE_UNAVAILABLE",
        "{}",
        needs_db.text
    );
    assert!(
        started.elapsed() <= BOUND + SLACK,
        "answered after {:?}",
        started.elapsed()
    );
    measured(
        "PostgreSQL outage",
        "a request needing the database → 503",
        started.elapsed(),
    );

    // Each node refuses every credential within its staleness bound, even one in its cache
    // on a request that needs nothing else (`_authenticate` of a service account).
    for (api, name) in nodes.iter().zip(["A", "B"]) {
        poll(
            &format!("node {name} 503 after PostgreSQL stopped"),
            BOUND + SLACK,
            || async {
                let code = status(&api.bearer(&kept, WHOAMI).await);
                assert!([200, 503].contains(&code), "node {name} answered {code}");
                (code == 503).then_some(())
            },
        )
        .await;
        let since_outage = outage.elapsed();
        assert!(
            since_outage <= BOUND + SLACK,
            "node {name}: 503 only after {since_outage:?}"
        );
        measured(
            "PostgreSQL outage",
            &format!("node {name}: stopped → every credential 503"),
            since_outage,
        );
    }
    // While it is away: nothing with credentials is accepted, whatever the credential, and
    // the answer is 503 in each face's format; a load balancer sees /health 503.
    for api in &nodes {
        let revoked_now = api.bearer(&revoked, &org_path).await.expect("answers");
        assert_eq!(revoked_now.status, 503, "{}", revoked_now.text);
        assert_eq!(revoked_now.body["errorCode"], "SERVICE_UNAVAILABLE");
        let grant = api
            .grant(&robot.client_id, &robot.secret)
            .await
            .expect("answers");
        assert_eq!(grant.status, 503, "{}", grant.text);
        assert_eq!(grant.body["error"], "temporarily_unavailable");
        let es = api
            .basic(
                "admin",
                crate::support::node::ADMIN_PASSWORD,
                Method::GET,
                "/_security/_authenticate",
                None,
            )
            .await
            .expect("answers");
        assert_eq!(es.status, 503, "{}", es.text);
        assert_eq!(es.body["error"]["type"], "status_exception");
        let write = api
            .admin(
                Method::POST,
                &format!("{org_path}/serviceAccounts"),
                Some(json!({})),
            )
            .await
            .expect("answers");
        assert_eq!(write.status, 503, "{}", write.text);
        assert_eq!(status(&api.anonymous("/health").await), 503);
        let challenge = api.anonymous(&org_path).await.expect("answers");
        assert_eq!(
            challenge.status, 401,
            "no credentials: the challenge, as ever"
        );
    }

    let back = Instant::now();
    cluster.resume();
    for (api, name) in nodes.iter().zip(["A", "B"]) {
        poll(
            &format!("node {name} serving after PostgreSQL returned"),
            Duration::from_secs(30),
            || async {
                let code = status(&api.bearer(&kept, &org_path).await);
                assert!([200, 503].contains(&code), "node {name} answered {code}");
                (code == 200).then_some(())
            },
        )
        .await;
        measured(
            "PostgreSQL outage",
            &format!("node {name}: back → serving"),
            back.elapsed(),
        );
        assert_eq!(status(&api.anonymous("/health").await), 200);
        assert_eq!(
            status(&api.bearer(&revoked, &org_path).await),
            401,
            "node {name}: a token revoked just before the outage"
        );
    }
    // Writes work, and a revocation on B reaches A again (the listener reconnected, or the
    // timer): within 2 s.
    let another = token(&nodes[1], &robot).await;
    // A's first store reads after the outage may still meet a connection of its pool that
    // the restart broke (seen once in three CI runs: one 503): such an answer may only be the
    // fail-closed 503, and A must serve B's new token within a bound.
    let (_, took) = poll(
        "node A serving a token minted on B after the outage",
        Duration::from_secs(10),
        || async {
            let answer = nodes[0].bearer(&another, &org_path).await;
            let code = status(&answer);
            assert!([200, 503].contains(&code), "node A answered {answer:?}");
            if code == 503 {
                eprintln!("node A after the outage, not serving yet: {answer:?}");
            }
            (code == 200).then_some(())
        },
    )
    .await;
    measured(
        "PostgreSQL outage",
        "node A: a token minted on B accepted",
        took,
    );
    let r = nodes[1]
        .form(
            "/api/oauth/revoke",
            Some((&robot.client_id, &robot.secret)),
            &[("token", &another)],
        )
        .await
        .expect("revoke");
    assert_eq!(r.status, 200, "{}", r.text);
    let (_, took) = poll(
        "a revocation on B refused on A",
        Duration::from_secs(2),
        || async { (status(&nodes[0].bearer(&another, &org_path).await) == 401).then_some(()) },
    )
    .await;
    measured(
        "PostgreSQL outage",
        "after recovery: revoked on B → refused on A",
        took,
    );
}
