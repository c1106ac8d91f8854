//! Revocation propagation between two nodes on one PostgreSQL database: node B has just
//! accepted a token (so it holds it in its caches), node A revokes it (RFC 7009), and node B
//! is asked again and again until it answers 401. The latency runs from A's answer to the
//! revoke (the revocation is committed) to B's first 401.
//!
//! Each revocation's requests to B come from their own loopback address (127.1.x.y): B's
//! failure limiter allows an address ten failed authentications, then one per 5 s, and every
//! measurement ends with one.

use crate::server::{Server, ADMIN_PASSWORD};
use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

/// B must refuse within this, or the run fails (the periodic read alone is 1 s).
const GIVE_UP: Duration = Duration::from_secs(5);

async fn json_ok(request: reqwest::RequestBuilder, what: &str) -> anyhow::Result<Value> {
    let response = request.send().await.with_context(|| what.to_owned())?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{what}: {status} {body}");
    }
    Ok(body)
}

/// The `i`-th source address: 127.1.0.1, 127.1.0.2, …, 250 per third octet.
fn source(i: usize) -> anyhow::Result<IpAddr> {
    let third = u8::try_from(i / 250).context("at most 63 750 revocations")?;
    let fourth = u8::try_from(i % 250 + 1).context("an octet")?;
    Ok(IpAddr::V4(Ipv4Addr::new(127, 1, third, fourth)))
}

async fn status(client: &Client, url: &str, token: &str) -> anyhow::Result<StatusCode> {
    let response = client.get(url).bearer_auth(token).send().await?;
    let status = response.status();
    response.bytes().await?;
    Ok(status)
}

fn millis(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

/// Runs `count` revocations of distinct tokens on `a` and prints how long `b` took to refuse.
pub async fn run(a: &Server, b: &Server, count: usize) -> anyhow::Result<()> {
    let c = Client::new();
    let admin = |m: reqwest::Method, path: &str| {
        c.request(m, format!("{}{path}", a.url))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
    };
    let orgs = json_ok(
        admin(reqwest::Method::GET, "/api/atlas/v2/orgs"),
        "list orgs",
    )
    .await?;
    let org = orgs["results"][0]["id"]
        .as_str()
        .context("an org")?
        .to_owned();
    let account = json_ok(
        admin(reqwest::Method::POST, &format!("/api/atlas/v2/orgs/{org}/serviceAccounts")).json(&json!({
            "name": "propagation", "description": "bench", "roles": ["ORG_MEMBER"], "secretExpiresAfterHours": 24
        })),
        "create service account",
    )
    .await?;
    let client_id = account["clientId"].as_str().context("clientId")?.to_owned();
    let secret = account["secrets"][0]["secret"]
        .as_str()
        .context("secret")?
        .to_owned();
    let mut tokens = Vec::with_capacity(count);
    for _ in 0..count {
        let t = json_ok(
            c.post(format!("{}/api/oauth/token", a.url))
                .basic_auth(&client_id, Some(&secret))
                .form(&[("grant_type", "client_credentials")]),
            "get a token",
        )
        .await?;
        tokens.push(
            t["access_token"]
                .as_str()
                .context("access_token")?
                .to_owned(),
        );
    }
    let on_b = format!("{}/api/atlas/v2/orgs/{org}", b.url);
    let (mut after_ack, mut after_send) = (Histogram::<u64>::new(3)?, Histogram::<u64>::new(3)?);
    let mut polls = 0u64;
    for (i, token) in tokens.iter().enumerate() {
        let from = Client::builder().local_address(source(i)?).build()?;
        let warm = status(&from, &on_b, token).await?;
        if warm != StatusCode::OK {
            bail!("revocation {i}: node B refused the token before it was revoked: {warm}");
        }
        let sent = Instant::now();
        json_ok(
            c.post(format!("{}/api/oauth/revoke", a.url))
                .basic_auth(&client_id, Some(&secret))
                .form(&[("token", token.as_str())]),
            "revoke",
        )
        .await?;
        let acked = Instant::now();
        loop {
            polls += 1;
            match status(&from, &on_b, token).await? {
                StatusCode::OK if acked.elapsed() < GIVE_UP => continue,
                StatusCode::OK => bail!("revocation {i}: node B still accepts after {GIVE_UP:?}"),
                StatusCode::UNAUTHORIZED => break,
                other => bail!("revocation {i}: node B answered {other}"),
            }
        }
        after_ack.record(acked.elapsed().as_micros() as u64)?;
        after_send.record(sent.elapsed().as_micros() as u64)?;
    }
    println!(
        "revocation propagation, node A → node B (PostgreSQL NOTIFY; periodic read every 1 s):"
    );
    println!(
        "{:<34} {:>7} {:>9} {:>9} {:>9}",
        "measured from", "count", "p50 ms", "p99 ms", "max ms"
    );
    for (name, h) in [
        ("A answered the revoke", &after_ack),
        ("the revoke was sent to A", &after_send),
    ] {
        println!(
            "{name:<34} {:>7} {:>9.2} {:>9.2} {:>9.2}",
            h.len(),
            millis(h, 0.5),
            millis(h, 0.99),
            h.max() as f64 / 1000.0
        );
    }
    println!(
        "requests to node B after the revoke: {:.1} per revocation",
        polls as f64 / count as f64
    );
    Ok(())
}
