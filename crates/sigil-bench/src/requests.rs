//! What wrk sends for each throughput scenario, prepared before the timed phase: the path,
//! and the credential's headers — the same for every request, a few in turn, or one list per
//! wrk thread used once each (Digest's `nc` counting up, federated tokens never sent before).

use crate::api_keys::WHOAMI;
use crate::fixture::Fixture;
use crate::scenarios::{Credential, Scenario, Target};
use crate::server::{Server, ADMIN_PASSWORD};
use crate::wrk::{HeaderSet, Load, Requests};
use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::Method;

/// More requests per second than this machine's bare axum `/health` answers (about 55 000):
/// the number of once-only requests prepared for `duration` seconds.
const MAX_RATE: u64 = 70_000;
/// ES256 verification bounds the fresh-token scenario (about 70 µs a signature, two cores).
const MAX_FRESH_RATE: u64 = 30_000;
const FORM: &str = "application/x-www-form-urlencoded";

fn basic(user: &str, password: &str) -> (String, String) {
    let encoded = STANDARD.encode(format!("{user}:{password}"));
    ("Authorization".into(), format!("Basic {encoded}"))
}

fn header(name: &str, value: impl Into<String>) -> HeaderSet {
    vec![(name.to_owned(), value.into())]
}

/// Once-only lists, `per_thread` sets for each of `threads` threads, from `sets` in order.
fn split(sets: &[String], threads: u64, make: impl Fn(&str) -> HeaderSet) -> Vec<Vec<HeaderSet>> {
    let per_thread = sets.len().div_ceil(threads as usize).max(1);
    let mut lists: Vec<Vec<HeaderSet>> = sets
        .chunks(per_thread)
        .map(|c| c.iter().map(|s| make(s)).collect())
        .collect();
    lists.resize(threads as usize, vec![]);
    lists
}

/// One Digest challenge per wrk thread (each thread is one connection), then that nonce with
/// `nc` 1, 2, 3… — as a real Digest client keeps its nonce and counts up.
async fn digest(
    server: &Server,
    f: &Fixture,
    path: &str,
    threads: u64,
    per_thread: u64,
) -> anyhow::Result<Vec<Vec<HeaderSet>>> {
    let client = reqwest::Client::new();
    let mut lists = vec![];
    for _ in 0..threads {
        // The Atlas face's challenge (its first is Digest's; a nonce is not tied to a path).
        let first = client
            .get(format!("{}{}", server.url, f.org_path))
            .send()
            .await?;
        let challenge = first
            .headers()
            .get("www-authenticate")
            .context("a Digest challenge")?
            .to_str()?
            .to_owned();
        let list = (1..=u32::try_from(per_thread)?)
            .map(|nc| {
                header(
                    "Authorization",
                    sigil_testkit::digest::authorization(
                        &challenge,
                        &Method::GET,
                        path,
                        &f.public_key,
                        &f.private_key,
                        "MD5",
                        nc,
                    ),
                )
            })
            .collect();
        lists.push(list);
    }
    Ok(lists)
}

/// The wrk run of a throughput scenario.
pub async fn load(
    scenario: Scenario,
    server: &Server,
    f: &Fixture,
    args: &crate::Args,
) -> anyhow::Result<Load> {
    let Some((credential, target)) = scenario.request() else {
        bail!("{scenario:?} is not a throughput scenario");
    };
    let (method, path, body) = match target {
        Target::Health => ("GET", "/health".to_owned(), None),
        Target::Info => ("GET", "/".to_owned(), None),
        Target::Org => ("GET", f.org_path.clone(), None),
        Target::Provider => ("GET", f.provider_path.clone(), None),
        Target::ServiceAccount => ("GET", f.service_account_path.clone(), None),
        Target::EsAuthenticate => ("GET", WHOAMI.to_owned(), None),
        Target::Token => (
            "POST",
            "/api/oauth/token".to_owned(),
            Some("grant_type=client_credentials".to_owned()),
        ),
        Target::Introspect => (
            "POST",
            "/api/oauth/introspect".to_owned(),
            Some(format!("token={}", f.token)),
        ),
    };
    let form = |mut set: HeaderSet| {
        if body.is_some() {
            set.push(("Content-Type".into(), FORM.into()));
        }
        set
    };
    let (mut threads, connections) = (2.min(args.concurrency), args.concurrency);
    let requests = match credential {
        Credential::None => Requests::Same(form(vec![])),
        Credential::Basic => Requests::Same(form(vec![basic("admin", ADMIN_PASSWORD)])),
        Credential::Client => Requests::Same(form(vec![basic(&f.client_id, &f.secret)])),
        Credential::Bearer => {
            Requests::Same(header("Authorization", format!("Bearer {}", f.token)))
        }
        Credential::AuthToken => Requests::Same(header("X-Auth-Token", f.iam.token.clone())),
        Credential::SdkSigned => Requests::Same(f.iam.signed_headers(&path).into()),
        Credential::ApiKey => Requests::Cycle(
            f.es_keys
                .all()
                .iter()
                .map(|k| header("Authorization", format!("ApiKey {k}")))
                .collect(),
        ),
        Credential::FederatedCached => {
            f.federation.mint(crate::federation::CACHED_TOKENS);
            Requests::Cycle(
                f.federation
                    .minted()
                    .iter()
                    .map(|t| header("Authorization", format!("Bearer {t}")))
                    .collect(),
            )
        }
        Credential::FederatedFresh => {
            let count = args
                .fresh_tokens
                .max((args.duration * MAX_FRESH_RATE) as usize);
            let took = f.federation.mint(count);
            eprintln!(
                "minted {count} fresh tokens in {:.1} s (not timed)",
                took.as_secs_f64()
            );
            Requests::Once(split(&f.federation.minted(), threads, |t| {
                header("Authorization", format!("Bearer {t}"))
            }))
        }
        Credential::Digest => {
            // A nonce's `nc` must rise: one connection per wrk thread keeps them in order.
            threads = connections;
            let per_thread = (args.duration * MAX_RATE).div_ceil(connections);
            Requests::Once(digest(server, f, &path, threads, per_thread).await?)
        }
    };
    Ok(Load {
        method,
        path,
        body,
        requests,
        connections,
        threads,
    })
}

/// The reference server's rows: its bare `/health`, and its token endpoint.
pub fn reference(token: bool, secret: &str, args: &crate::Args) -> Load {
    let (method, path, body, requests) = if token {
        (
            "POST",
            "/token",
            Some("grant_type=client_credentials".to_owned()),
            Requests::Same(vec![
                basic(crate::reference::CLIENT_ID, secret),
                ("Content-Type".into(), FORM.into()),
            ]),
        )
    } else {
        ("GET", "/health", None, Requests::Same(vec![]))
    };
    Load {
        method,
        path: path.to_owned(),
        body,
        requests,
        connections: args.concurrency,
        threads: 2.min(args.concurrency),
    }
}
