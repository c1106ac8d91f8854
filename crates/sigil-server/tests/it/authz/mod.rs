//! The authorization matrix: for every operation of `/openapi.json` and every principal of a
//! fixed set, the answer written down in `matrix.txt` — allowed (its 2xx) or the refusal
//! (401, 403, 404) — is what the real server answers to the real request. An operation
//! without a row, or a row without an operation, fails the test. Runs on both stores.
//!
//! A cell is the status answered. Introspection answers 200 either way (RFC 7662 §2.2 lets
//! a server answer `{"active": false}` to a caller it does not tell), so its cells also say
//! whether the token was shown: `200/active` or `200/inactive`.
//!
//! `SIGIL_AUTHZ_PRINT=1` prints the table of what the server answered, to review and paste
//! into `matrix.txt` when an operation is added.

mod atlas_calls;
mod calls;
mod other_calls;
mod world;

use calls::{send, Call};
use reqwest::Method;
use sigil_server::config::ServerConfig;
use sigil_testkit::{Answer, StoreKind, TestServer};
use std::collections::BTreeSet;
use world::World;

/// The request of one cell, and what must be undone after it.
pub struct Prepared {
    pub call: Call,
    pub after: After,
}

/// Clean-up after a cell, so the next cell finds the world as it was.
pub enum After {
    Nothing,
    /// A's connection was (perhaps) removed: connect it again.
    ReconnectA,
    /// An access key the cell may have created: delete it (the user's limit is two).
    DeleteCreatedAccessKey,
    /// The fresh access key of the cell: delete it if it is still there.
    DeleteAccessKey(String),
}

/// The expected table: column names, then one row per operation.
struct Matrix {
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
}

fn parse(text: &str) -> Matrix {
    let mut columns = vec![];
    let mut rows = vec![];
    for line in text.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix("# operation") {
            columns = header.split_whitespace().map(str::to_owned).collect();
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cells = line.split_whitespace();
        let op = cells.next().expect("an operationId").to_owned();
        let expected: Vec<String> = cells
            .map(|c| {
                let status = c.split('/').next().unwrap_or_default();
                assert!(status.parse::<u16>().is_ok(), "{op}: {c:?} is no status");
                c.to_owned()
            })
            .collect();
        assert_eq!(expected.len(), columns.len(), "{op}: one status per column");
        rows.push((op, expected));
    }
    Matrix { columns, rows }
}

/// Every operationId of the served document.
async fn operations(server: &TestServer) -> BTreeSet<String> {
    let doc = server.anonymous(Method::GET, "/openapi.json", None).await;
    doc.body["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("a path item").values())
        .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
        .collect()
}

async fn prepare(op: &str, server: &TestServer, world: &World) -> Prepared {
    match atlas_calls::prepare(op, server, world).await {
        Some(p) => p,
        None => other_calls::prepare(op, server, world)
            .await
            .unwrap_or_else(|| panic!("no request for {op}: add one in tests/it/authz/")),
    }
}

async fn undo(after: After, answer: &Answer, server: &TestServer, world: &World) {
    let delete = |access: String| async move {
        crate::iam_support::with_token(
            server,
            Method::DELETE,
            &format!("/v3.0/OS-CREDENTIAL/credentials/{access}"),
            &world.admin_token_a,
            None,
        )
        .await;
    };
    match after {
        After::Nothing => {}
        After::ReconnectA => world.reconnect_a(server).await,
        After::DeleteCreatedAccessKey => {
            if let Some(access) = answer.body["credential"]["access"].as_str() {
                delete(access.to_owned()).await;
            }
        }
        After::DeleteAccessKey(access) => delete(access).await,
    }
}

/// What a cell records of an answer.
fn outcome(op: &str, answer: &Answer) -> String {
    let status = answer.status.as_u16();
    match (op, status) {
        ("introspectToken", 200) => match answer.body["active"].as_bool() {
            Some(false) => "200/inactive".into(),
            _ => "200/active".into(),
        },
        _ => status.to_string(),
    }
}

async fn run_matrix(server: &TestServer) {
    let matrix = parse(include_str!("matrix.txt"));
    let listed: BTreeSet<String> = matrix.rows.iter().map(|(op, _)| op.clone()).collect();
    let served = operations(server).await;
    let missing: Vec<_> = served.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&served).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "every operation needs its row in tests/it/authz/matrix.txt: without a row {missing:?}; rows of no operation {stale:?}"
    );
    let (world, principals) = World::build(server).await;
    let names: Vec<&str> = principals.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names, matrix.columns,
        "the columns are the principals, in order"
    );
    let mut differences = vec![];
    let mut printed = vec![];
    for (op, expected) in &matrix.rows {
        let mut row = vec![];
        for ((name, credential), want) in principals.iter().zip(expected) {
            let prepared = prepare(op, server, &world).await;
            let answer = send(server, &prepared.call, credential).await;
            undo(prepared.after, &answer, server, &world).await;
            let got = outcome(op, &answer);
            if got != *want {
                let body: String = answer.text.chars().take(300).collect();
                differences.push(format!(
                    "{op} as {name}: expected {want}, got {got}: {body}"
                ));
            }
            row.push(got);
        }
        printed.push(format!("{op:<40} {}", row.join(" ")));
    }
    if std::env::var_os("SIGIL_AUTHZ_PRINT").is_some() {
        println!("{}", printed.join("\n"));
    }
    assert!(
        differences.is_empty(),
        "{} cells differ from tests/it/authz/matrix.txt:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// A server whose failure limit does not stand in the way of the matrix's refused requests.
async fn server(kind: StoreKind) -> Option<TestServer> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = ServerConfig::for_data_dir(dir.path());
    config.auth_failure_burst = 100_000;
    if kind == StoreKind::Postgres {
        let base = sigil_store::testing::postgres_test_url()?;
        config.database_url = Some(
            sigil_store::testing::fresh_postgres_database(&base)
                .await
                .expect("database"),
        );
    }
    Some(TestServer::start_with(config, dir).await)
}

#[tokio::test]
async fn every_operation_answers_every_principal_as_the_matrix_says_on_sqlite() {
    run_matrix(&server(StoreKind::Sqlite).await.expect("sqlite")).await;
}

#[tokio::test]
async fn every_operation_answers_every_principal_as_the_matrix_says_on_postgres() {
    if let Some(server) = server(StoreKind::Postgres).await {
        run_matrix(&server).await;
    }
}
