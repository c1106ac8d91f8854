//! A load generator in this process for the runs that need to react to answers (revocations
//! under load): concurrent workers on one pooled HTTP client, each sending one request after
//! another until the deadline, latencies in an HDR histogram; and the server's and this
//! process's CPU time over the timed phase. Throughput figures come from wrk (`wrk.rs`).

use crate::api_keys::WHOAMI;
use crate::fixture::Fixture;
use crate::scenarios::{Credential, Scenario, Target};
use crate::server::{Server, ADMIN_PASSWORD};
use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use reqwest::{Client, Method};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct ScenarioResult {
    pub name: &'static str,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    /// How long the timed phase lasted (shorter than asked when fresh tokens ran out).
    pub seconds: f64,
    /// The server's CPU time per successful request, in microseconds.
    pub server_cpu_us: f64,
    /// The load generator's (this process's) CPU time per successful request.
    pub client_cpu_us: f64,
    /// Successful requests per scenario, for mixed loads.
    pub per_scenario: Vec<(Scenario, u64)>,
    /// Requests prepared to be sent once ran out before the end (the figure is low).
    pub exhausted: bool,
}

/// The fresh-token scenario used every minted token.
#[derive(Debug)]
struct Exhausted;

impl std::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the minted tokens are used up")
    }
}

impl std::error::Error for Exhausted {}

/// One connection's state: Digest keeps its nonce and counts `nc` up, as real clients do.
pub struct Worker {
    pub client: Client,
    challenge: Option<String>,
    nc: u32,
}

impl Worker {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            challenge: None,
            nc: 0,
        }
    }

    /// A Digest challenge, fetched once per connection (the first request has no credentials,
    /// as every Digest client's first request).
    async fn challenge(&mut self, base: &str, f: &Fixture) -> anyhow::Result<String> {
        if let Some(c) = &self.challenge {
            return Ok(c.clone());
        }
        let first = self
            .client
            .get(format!("{base}{}", f.org_path))
            .send()
            .await?;
        let c = first
            .headers()
            .get("www-authenticate")
            .context("a challenge")?
            .to_str()?
            .to_owned();
        first.bytes().await?;
        self.challenge = Some(c.clone());
        self.nc = 0;
        Ok(c)
    }

    /// Sends one request of `scenario`; `Ok(false)` when it was not answered with success.
    pub async fn send(
        &mut self,
        scenario: Scenario,
        base: &str,
        f: &Fixture,
    ) -> anyhow::Result<bool> {
        let Some((credential, target)) = scenario.request() else {
            bail!("{scenario:?} is not a throughput scenario");
        };
        let path = match target {
            Target::Health => "/health",
            Target::Info => "/",
            Target::Org => f.org_path.as_str(),
            Target::EsAuthenticate => WHOAMI,
            Target::Token => "/api/oauth/token",
            Target::Introspect => "/api/oauth/introspect",
            Target::Provider => f.provider_path.as_str(),
            Target::ServiceAccount => f.service_account_path.as_str(),
        };
        let url = format!("{base}{path}");
        let request = match target {
            Target::Token => self
                .client
                .post(url)
                .form(&[("grant_type", "client_credentials")]),
            Target::Introspect => self.client.post(url).form(&[("token", &f.token)]),
            _ => self.client.get(url),
        };
        let request = match credential {
            Credential::None => request,
            Credential::Basic => request.basic_auth("admin", Some(ADMIN_PASSWORD)),
            Credential::Client => request.basic_auth(&f.client_id, Some(&f.secret)),
            Credential::Bearer => request.bearer_auth(&f.token),
            Credential::AuthToken => request.header("x-auth-token", &f.iam.token),
            Credential::SdkSigned => f.iam.sign(request, path),
            Credential::ApiKey => {
                request.header("authorization", format!("ApiKey {}", f.es_keys.next()))
            }
            Credential::FederatedCached | Credential::FederatedFresh => {
                let reuse = credential == Credential::FederatedCached;
                let token = f.federation.next_token(reuse).ok_or(Exhausted)?;
                request.bearer_auth(token)
            }
            Credential::Digest => {
                let challenge = self.challenge(base, f).await?;
                self.nc += 1;
                let auth = sigil_testkit::digest::authorization(
                    &challenge,
                    &Method::GET,
                    path,
                    &f.public_key,
                    &f.private_key,
                    "MD5",
                    self.nc,
                );
                request.header("authorization", auth)
            }
        };
        let response = request.send().await?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            eprintln!(
                "{scenario:?}: {status} {}",
                body.chars().take(200).collect::<String>()
            );
            if credential == Credential::Digest {
                self.challenge = None;
            }
            return Ok(false);
        }
        response.bytes().await?;
        Ok(true)
    }
}

/// Sends one request with each credential the scenarios use, so that the timed phases start
/// with every credential verified and cached, as in a steady state (32 workers presenting a
/// never-verified password at once would each run Argon2id).
pub async fn warm(server: &Server, f: &Fixture) -> anyhow::Result<()> {
    let mut worker = Worker::new(Client::new());
    for scenario in [
        Scenario::Basic,
        Scenario::Digest,
        Scenario::Bearer,
        Scenario::Apikey,
        Scenario::AuthToken,
        Scenario::SdkSigned,
    ] {
        if !worker.send(scenario, &server.url, f).await? {
            bail!("warming {scenario:?} failed");
        }
    }
    Ok(())
}

/// The pooled client of a run's workers.
pub fn client(concurrency: u64) -> anyhow::Result<Client> {
    Ok(Client::builder()
        .pool_max_idle_per_host(usize::try_from(concurrency)?)
        .build()?)
}

/// Runs `concurrency` workers for `duration`; worker `i` sends `pick(i)`'s requests.
pub async fn drive(
    server: &Server,
    fixture: &Arc<Fixture>,
    concurrency: u64,
    duration: Duration,
    name: &'static str,
    pick: impl Fn(u64) -> Scenario,
) -> anyhow::Result<ScenarioResult> {
    let client = client(concurrency)?;
    let me = std::process::id().to_string();
    let (server_cpu, client_cpu) = (server.cpu_seconds(), crate::server::cpu_seconds(&me));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = vec![];
    for i in 0..concurrency {
        let (client, fixture, base) = (client.clone(), fixture.clone(), server.url.clone());
        let scenario = pick(i);
        tasks.push(tokio::spawn(async move {
            let mut worker = Worker::new(client);
            let mut histogram = Histogram::<u64>::new(3)?;
            let (mut done, mut errors) = (0u64, 0u64);
            while Instant::now() < deadline {
                let start = Instant::now();
                match worker.send(scenario, &base, &fixture).await {
                    Ok(true) => {
                        histogram.record(start.elapsed().as_micros() as u64)?;
                        done += 1;
                    }
                    Err(e) if e.is::<Exhausted>() => break,
                    _ => errors += 1,
                }
            }
            anyhow::Ok((scenario, histogram, done, errors))
        }));
    }
    let (mut histogram, mut done, mut errors) = (Histogram::<u64>::new(3)?, 0u64, 0u64);
    let mut per_scenario: Vec<(Scenario, u64)> = vec![];
    for task in tasks {
        let (scenario, h, d, e) = task.await??;
        histogram.add(&h)?;
        done += d;
        errors += e;
        match per_scenario.iter_mut().find(|(s, _)| *s == scenario) {
            Some((_, n)) => *n += d,
            None => per_scenario.push((scenario, d)),
        }
    }
    let seconds = started.elapsed().as_secs_f64().min(duration.as_secs_f64());
    let per_request = |cpu: f64| cpu * 1e6 / done.max(1) as f64;
    Ok(ScenarioResult {
        name,
        per_second: done as f64 / seconds,
        seconds,
        p50_ms: histogram.value_at_quantile(0.50) as f64 / 1000.0,
        p99_ms: histogram.value_at_quantile(0.99) as f64 / 1000.0,
        errors,
        server_cpu_us: per_request(server.cpu_seconds() - server_cpu),
        client_cpu_us: per_request(crate::server::cpu_seconds(&me) - client_cpu),
        per_scenario,
        exhausted: false,
    })
}
