//! Invalidating Elasticsearch API keys and revoking OAuth tokens while workers authenticate.
//!
//! The workers send `GET /` with a mix of credentials (a quarter each Basic, Digest, Bearer and
//! ApiKey), first for `--duration` seconds with nothing revoked, then for as long again while a
//! task revokes, at `--revocation-rate` per second, alternately one of the service account's
//! tokens (RFC 7009) and one of the user's API keys (`DELETE /_security/api_key`). Each of
//! those credentials was verified (and so cached) before; none is one the workers use. Right
//! after each revocation is answered, the revoked credential is presented once, and must be
//! refused. Those checks come from their own loopback address each (127.2.x.y), since every one
//! is a failed authentication and the node's failure limit allows an address ten.

use crate::api_keys::{create_key, PASSWORD, USER};
use crate::fixture::{issue_token, json_ok, Fixture};
use crate::load::{self, ScenarioResult};
use crate::scenarios::Scenario;
use crate::server::Server;
use crate::Args;
use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use reqwest::{Client, StatusCode};
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the workers send: worker `i` sends `MIX[i % 4]`.
const MIX: [Scenario; 4] = [
    Scenario::Basic,
    Scenario::Digest,
    Scenario::Bearer,
    Scenario::Apikey,
];

/// The credentials revoked during the run.
struct Victims {
    tokens: Vec<String>,
    /// Id and `encoded` credential.
    keys: Vec<(String, String)>,
}

#[derive(Default)]
struct Revoked {
    token_latency: Option<Histogram<u64>>,
    key_latency: Option<Histogram<u64>>,
    /// Revoked credentials refused, and presented, right after the revocation's answer.
    tokens_refused: (u64, u64),
    keys_refused: (u64, u64),
}

/// The `i`-th check's source address: 127.2.0.1, 127.2.0.2, …, 250 per third octet.
fn source(i: usize) -> anyhow::Result<IpAddr> {
    let third = u8::try_from(i / 250).context("at most 63 750 revocations")?;
    let fourth = u8::try_from(i % 250 + 1).context("an octet")?;
    Ok(IpAddr::V4(Ipv4Addr::new(127, 2, third, fourth)))
}

/// `GET /` with `authorization` from the `i`-th check address: the status.
async fn present(base: &str, i: usize, authorization: &str) -> anyhow::Result<StatusCode> {
    let client = Client::builder().local_address(source(i)?).build()?;
    let response = client
        .get(format!("{base}/"))
        .header("authorization", authorization)
        .send()
        .await?;
    let status = response.status();
    response.bytes().await?;
    Ok(status)
}

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

async fn victims(server: &Server, f: &Fixture, each: usize) -> anyhow::Result<Victims> {
    let c = Client::new();
    let mut victims = Victims {
        tokens: vec![],
        keys: vec![],
    };
    for i in 0..each {
        let token = issue_token(&c, server, &f.client_id, &f.secret).await?;
        let key = create_key(&c, server, &format!("bench-revoked-{i}")).await?;
        // Verified once, so each is in the node's caches when it is revoked.
        for authorization in [format!("Bearer {token}"), format!("ApiKey {}", key.1)] {
            let status = present(&server.url, 0, &authorization).await?;
            if status != StatusCode::OK {
                bail!("a credential to revoke was refused before its revocation: {status}");
            }
        }
        victims.tokens.push(token);
        victims.keys.push(key);
    }
    Ok(victims)
}

/// Revokes one credential every `1 / rate` seconds until `deadline`, checking each.
async fn revoke(
    server: Arc<String>,
    f: Arc<Fixture>,
    victims: Victims,
    rate: f64,
    deadline: Instant,
) -> anyhow::Result<Revoked> {
    let c = Client::new();
    let mut out = Revoked {
        token_latency: Some(Histogram::new(3)?),
        key_latency: Some(Histogram::new(3)?),
        ..Default::default()
    };
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut tokens, mut keys) = (victims.tokens.into_iter(), victims.keys.into_iter());
    for i in 0.. {
        tick.tick().await;
        if Instant::now() >= deadline {
            break;
        }
        let sent = Instant::now();
        let (authorization, histogram, refused) = if i % 2 == 0 {
            let Some(token) = tokens.next() else { break };
            json_ok(
                c.post(format!("{server}/api/oauth/revoke"))
                    .basic_auth(&f.client_id, Some(&f.secret))
                    .form(&[("token", token.as_str())]),
                "revoke a token",
            )
            .await?;
            (
                format!("Bearer {token}"),
                &mut out.token_latency,
                &mut out.tokens_refused,
            )
        } else {
            let Some((id, encoded)) = keys.next() else {
                break;
            };
            json_ok(
                c.delete(format!("{server}/_security/api_key"))
                    .basic_auth(USER, Some(PASSWORD))
                    .json(&json!({ "ids": [id], "owner": true })),
                "invalidate an API key",
            )
            .await?;
            (
                format!("ApiKey {encoded}"),
                &mut out.key_latency,
                &mut out.keys_refused,
            )
        };
        if let Some(h) = histogram {
            h.record(micros(sent))?;
        }
        let status = present(&server, i + 1, &authorization).await?;
        refused.1 += 1;
        if status == StatusCode::UNAUTHORIZED {
            refused.0 += 1;
        } else {
            eprintln!("revocation {i}: the revoked credential was answered {status}");
        }
    }
    Ok(out)
}

fn print_phase(r: &ScenarioResult, quiet: &ScenarioResult) {
    let kinds: Vec<String> = r
        .per_scenario
        .iter()
        .map(|(s, n)| format!("{:?} {:.0}", s, *n as f64 / r.seconds))
        .collect();
    println!(
        "{:<24} {:>9.0} {:>8.2} {:>8.2} {:>8.0}% {:>10.1}  {}{}",
        r.name,
        r.per_second,
        r.p50_ms,
        r.p99_ms,
        r.per_second / quiet.per_second.max(1.0) * 100.0,
        r.server_cpu_us,
        kinds.join(", "),
        if r.errors > 0 {
            format!("  ({} errors)", r.errors)
        } else {
            String::new()
        }
    );
}

fn print_latency(name: &str, h: &Option<Histogram<u64>>, refused: (u64, u64)) {
    let Some(h) = h else { return };
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{name:<24} {:>7} {:>9.2} {:>9.2} {:>9.2}   refused right after: {} of {}",
        h.len(),
        ms(0.5),
        ms(0.99),
        h.max() as f64 / 1000.0,
        refused.0,
        refused.1
    );
}

pub async fn run(server: &Server, fixture: &Arc<Fixture>, args: &Args) -> anyhow::Result<()> {
    let duration = Duration::from_secs(args.duration);
    let rate = args.revocation_rate as f64;
    let each = (rate * duration.as_secs_f64() / 2.0).ceil() as usize + 2;
    let victims = victims(server, fixture, each).await?;
    load::warm(server, fixture).await?;
    let pick = |i: u64| MIX[(i % 4) as usize];
    let n = args.concurrency;
    let quiet = load::drive(server, fixture, n, duration, "no revocations", pick).await?;
    let deadline = Instant::now() + duration;
    let revoker = tokio::spawn(revoke(
        Arc::new(server.url.clone()),
        fixture.clone(),
        victims,
        rate,
        deadline,
    ));
    let busy = load::drive(server, fixture, n, duration, "revoking", pick).await?;
    let revoked = revoker.await??;
    println!(
        "revocations under load: {n} connections sending GET / (a quarter each Basic, Digest, \
         Bearer, ApiKey), {} s without, then {} s with {rate} revocations/s; store {}",
        args.duration,
        args.duration,
        server.store_name()
    );
    println!(
        "{:<24} {:>9} {:>8} {:>8} {:>9} {:>10}  req/s per credential",
        "phase", "req/s", "p50 ms", "p99 ms", "vs quiet", "server µs"
    );
    print_phase(&quiet, &quiet);
    print_phase(&busy, &quiet);
    println!(
        "{:<24} {:>7} {:>9} {:>9} {:>9}",
        "revocation answered", "count", "p50 ms", "p99 ms", "max ms"
    );
    print_latency(
        "token (RFC 7009)",
        &revoked.token_latency,
        revoked.tokens_refused,
    );
    print_latency("ES API key", &revoked.key_latency, revoked.keys_refused);
    println!(
        "server peak RSS {} MiB, RSS now {} MiB",
        server.peak_rss_kib() / 1024,
        server.rss_kib() / 1024
    );
    Ok(())
}
