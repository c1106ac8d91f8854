//! SQLite on a disk that fills up, and on a data directory that is read-only: a write answers
//! 503 in each face's own format (never 500), reads and authentication go on, nothing is
//! half-written (every write answered 2xx is there, none answered 503 is), the database stays
//! intact, and writes work again as soon as there is room, without a restart.
//!
//! The disk is a tmpfs of the scenario's own. Linux refuses to remount it read-only while the
//! node has its database open for writing (EBUSY), so the read-only directory is met at a
//! start; a full disk is what a running node meets.

use crate::support::api::{status, Answer, Api, Reply, V2};
use crate::support::node::{master_key, Node, NodeSpec, ADMIN_PASSWORD};
use crate::support::tmpfs::Tmpfs;
use crate::support::{measured, poll, serial};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::Connection;
use std::time::{Duration, Instant};

/// Sends `write` until it answers 503, at most 50 times; every answer before is a success,
/// never a 500. Before each, large Elasticsearch API keys are written until one is refused:
/// SQLite first uses the room it already holds (its write-ahead log is rewound after each
/// checkpoint), so a small write may still fit after a large one failed.
async fn until_refused<F, Fut>(api: &Api, what: &str, mut write: F) -> Answer
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Reply>,
{
    for n in 0..50 {
        squeeze(api).await;
        let a = write(n).await.expect("the node answers");
        match a.status.as_u16() {
            503 => {
                assert_eq!(a.header("retry-after"), Some("5"), "{what}: {}", a.text);
                return a;
            }
            200 | 201 => continue,
            other => panic!("{what}: a full disk answered {other}: {}", a.text),
        }
    }
    panic!("{what}: still written after 50 writes on a full disk");
}

/// Writes large Elasticsearch API keys until one is refused (503); answers that answer.
async fn squeeze(api: &Api) -> Answer {
    for n in 0..200 {
        let metadata = json!({"padding": "x".repeat(256 * 1024)});
        let a = api
            .admin(
                Method::POST,
                "/_security/api_key",
                Some(json!({"name": format!("squeeze-{n}"), "metadata": metadata})),
            )
            .await
            .expect("the node answers");
        match a.status.as_u16() {
            503 => return a,
            200 => continue,
            other => panic!("Elasticsearch: a full disk answered {other}: {}", a.text),
        }
    }
    panic!("200 large writes fit on a full disk");
}

fn sa_body(name: &str) -> Value {
    json!({"name": name, "description": "d", "roles": ["ORG_MEMBER"], "secretExpiresAfterHours": 24})
}

#[tokio::test]
async fn sqlite_on_a_full_disk_and_a_read_only_one() {
    let _one = serial().await;
    let Some(disk) = Tmpfs::mount("8m") else {
        return;
    };
    let data = disk.path().join("data");
    let spec = NodeSpec::new(&data, None, &master_key()).arg("--auth-failure-burst", "100000");
    let mut node = Node::start(spec.clone()).await;
    let api = Api::new(&node.url);
    let (org, _) = api.default_org().await;
    let sas = format!("{V2}/orgs/{org}/serviceAccounts");
    let kept = api
        .admin(Method::POST, &sas, Some(sa_body("kept")))
        .await
        .expect("create");
    assert_eq!(kept.status, 201, "{}", kept.text);
    let client_id = kept.body["clientId"].as_str().expect("clientId").to_owned();
    let secret = kept.body["secrets"][0]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let iam = api
        .client
        .post(format!("{}/v3/auth/tokens", node.url))
        .json(
            &json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "password": ADMIN_PASSWORD, "domain": {"name": "default"}}}},
            "scope": {"domain": {"name": "default"}}}}),
        )
        .send()
        .await
        .expect("IAM login");
    assert_eq!(iam.status(), 201);
    let iam_token = iam.headers()["x-subject-token"]
        .to_str()
        .expect("token")
        .to_owned();
    let iam_user = sigil_testkit::answer(iam).await.body["token"]["user"]["id"]
        .as_str()
        .expect("user id")
        .to_owned();

    let filler = disk.fill();
    let full = Instant::now();
    // Each face answers a write with 503 in its own format.
    // Names of the accounts each write tried to create: all but the last answered 201.
    let mut atlas_names = vec![];
    let atlas = until_refused(&api, "Atlas", |n| {
        let name = format!("full-{n}");
        atlas_names.push(name.clone());
        let api = api.clone();
        let sas = sas.clone();
        async move { api.admin(Method::POST, &sas, Some(sa_body(&name))).await }
    })
    .await;
    measured(
        "disk full",
        "filled → first write refused (503)",
        full.elapsed(),
    );
    assert_eq!(atlas.body["error"], 503, "{}", atlas.text);
    assert_eq!(
        atlas.body["errorCode"], "SERVICE_UNAVAILABLE",
        "{}",
        atlas.text
    );
    let mut cm_names = vec![];
    let cloud_manager = until_refused(&api, "Cloud Manager", |n| {
        let name = format!("cm-{n}");
        cm_names.push(name.clone());
        let api = api.clone();
        let path = format!("/api/public/v1.0/orgs/{org}/serviceAccounts");
        async move { api.admin(Method::POST, &path, Some(sa_body(&name))).await }
    })
    .await;
    assert_eq!(
        cloud_manager.body["errorCode"], "SERVICE_UNAVAILABLE",
        "{}",
        cloud_manager.text
    );
    let es = squeeze(&api).await;
    assert_eq!(es.body["error"]["type"], "status_exception", "{}", es.text);
    assert_eq!(es.body["status"], 503, "{}", es.text);
    let iam = until_refused(&api, "IAM", |_| {
        let api = api.clone();
        let (url, token, user) = (node.url.clone(), iam_token.clone(), iam_user.clone());
        async move {
            let r = api
                .client
                .post(format!("{url}/v3.0/OS-CREDENTIAL/credentials"))
                .header("X-Auth-Token", token)
                .json(&json!({"credential": {"user_id": user, "description": "full"}}))
                .send()
                .await?;
            Ok(sigil_testkit::answer(r).await)
        }
    })
    .await;
    assert_eq!(iam.body["error_code"], "IAM.0014", "{}", iam.text);
    let token = api.grant(&client_id, &secret).await.expect("grant");
    assert_eq!(token.status, 200, "reads and tokens go on: {}", token.text);
    let access = token.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let oauth = until_refused(&api, "OAuth", |_| {
        let (api, client_id, secret, access) = (
            api.clone(),
            client_id.clone(),
            secret.clone(),
            access.clone(),
        );
        async move {
            api.form(
                "/api/oauth/revoke",
                Some((&client_id, &secret)),
                &[("token", &access)],
            )
            .await
        }
    })
    .await;
    assert_eq!(
        oauth.body["error"], "temporarily_unavailable",
        "{}",
        oauth.text
    );
    assert_eq!(
        status(&api.bearer(&access, &format!("{V2}/orgs/{org}")).await),
        200,
        "not revoked"
    );
    let wrong = api
        .basic(
            "admin",
            "not the password",
            Method::GET,
            &format!("{V2}/orgs"),
            None,
        )
        .await
        .expect("answers");
    assert_eq!(
        wrong.status, 401,
        "a wrong password is still refused: {}",
        wrong.text
    );

    // Room again: writes work at once, without a restart.
    std::fs::remove_file(&filler).expect("free the disk");
    let freed = Instant::now();
    poll(
        "a write after the disk was freed",
        Duration::from_secs(10),
        || async {
            let a = api
                .admin(Method::POST, &sas, Some(sa_body("after")))
                .await
                .expect("answers");
            (a.status == 201).then_some(())
        },
    )
    .await;
    measured("disk full", "freed → writes work", freed.elapsed());
    let listed = api
        .admin(Method::GET, &format!("{sas}?itemsPerPage=500"), None)
        .await
        .expect("list");
    let names: Vec<&str> = listed.body["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        names.contains(&"kept") && names.contains(&"after"),
        "{names:?}"
    );
    for attempted in [&atlas_names, &cm_names] {
        let (refused, written) = attempted.split_last().expect("one write at least");
        for name in written {
            assert!(
                names.contains(&name.as_str()),
                "{name} was answered 201 on the full disk but is gone: {names:?}"
            );
        }
        assert!(
            !names.contains(&refused.as_str()),
            "{refused} was answered 503 but is there: {names:?}"
        );
    }

    // A read-only data directory (remounted with the node stopped: Linux refuses while a file
    // is open for writing): the node starts and serves reads; writes answer 503.
    node.kill9();
    check_integrity(&data).await;
    disk.writable(false);
    node.restart().await;
    let read = api.admin(Method::GET, &sas, None).await.expect("answers");
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        status(&api.grant(&client_id, &secret).await),
        200,
        "tokens go on"
    );
    let refused = api
        .admin(Method::POST, &sas, Some(sa_body("read-only")))
        .await
        .expect("answers");
    assert_eq!(refused.status, 503, "{}", refused.text);
    assert_eq!(
        refused.body["errorCode"], "SERVICE_UNAVAILABLE",
        "{}",
        refused.text
    );
    node.kill9();
    disk.writable(true);
    node.restart().await;
    let a = api
        .admin(Method::POST, &sas, Some(sa_body("writable")))
        .await
        .expect("answers");
    assert_eq!(a.status, 201, "{}", a.text);
    node.kill9();
    check_integrity(&data).await;
}

/// `PRAGMA integrity_check` on the node's SQLite database (the node stopped).
async fn check_integrity(data: &std::path::Path) {
    let url = format!("sqlite://{}?mode=ro", data.join("sigil.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
    let (verdict,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("check");
    assert_eq!(verdict, "ok");
    conn.close().await.expect("close");
}
