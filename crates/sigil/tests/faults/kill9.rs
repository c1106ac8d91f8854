//! kill -9 under concurrent writes, on SQLite and on PostgreSQL: workers create service
//! accounts, secrets, tokens and programmatic API keys, revoke tokens (RFC 7009), delete
//! secrets and API keys; the server is killed with SIGKILL after a random number of answered
//! writes, restarted, and checked: every write answered 2xx is there, every revocation
//! answered 2xx still refuses its credential, the audit trail has an event for each, and
//! nothing is half-written (every resource has its creation event and every event its effect,
//! whatever happened to the writes that were cut off). Three rounds per store.

use crate::support::api::{status, Api, V2};
use crate::support::node::{master_key, Node, NodeSpec};
use crate::support::{measured, pg, serial};
use base64::Engine;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
const WORKERS: usize = 6;

struct Secret {
    client_id: String,
    id: String,
    value: String,
    /// Created with its account (audited as the account's creation).
    first: bool,
}

struct Token {
    client_id: String,
    secret_id: String,
    token: String,
}

struct Key {
    id: String,
    public: String,
    private: String,
}

/// What the server answered 2xx, and what was cut off with no answer (may or may not be done).
#[derive(Default)]
struct Ledger {
    accounts: Vec<String>,
    secrets: Vec<Secret>,
    /// Secrets whose deletion was answered 204.
    deleted_secrets: HashSet<String>,
    /// Secrets whose deletion was sent, whatever the answer.
    deleting_secrets: HashSet<String>,
    tokens: Vec<Token>,
    revoked_tokens: HashSet<String>,
    revoking_tokens: HashSet<String>,
    keys: Vec<Key>,
    deleted_keys: HashSet<String>,
    deleting_keys: HashSet<String>,
}

impl Ledger {
    fn live_secrets(&self, client_id: &str) -> Vec<&Secret> {
        self.secrets
            .iter()
            .filter(|s| s.client_id == client_id && !self.deleting_secrets.contains(&s.id))
            .collect()
    }
}

/// One random write; answers whether the server answered it 2xx.
async fn write(api: &Api, org: &str, ledger: &Mutex<Ledger>, rng: &mut StdRng) -> bool {
    let sas = format!("{V2}/orgs/{org}/serviceAccounts");
    match rng.gen_range(0..13) {
        0..=2 => {
            let body = json!({"name": format!("robot-{}", rng.gen::<u32>()), "description": "kill -9",
                "roles": ["ORG_MEMBER"], "secretExpiresAfterHours": 24});
            let r = api.admin(Method::POST, &sas, Some(body)).await;
            let Ok(a) = r.filter_ok(201) else {
                return false;
            };
            let client_id = a.body["clientId"].as_str().expect("clientId").to_owned();
            let mut l = ledger.lock().unwrap();
            l.accounts.push(client_id.clone());
            l.secrets.push(Secret {
                client_id,
                id: a.body["secrets"][0]["id"].as_str().expect("id").to_owned(),
                value: a.body["secrets"][0]["secret"]
                    .as_str()
                    .expect("secret")
                    .to_owned(),
                first: true,
            });
            true
        }
        3..=4 => {
            let Some(client_id) = ({
                let l = ledger.lock().unwrap();
                pick(rng, &l.accounts)
                    .filter(|c| l.live_secrets(c).len() < 2)
                    .cloned()
            }) else {
                return false;
            };
            let r = api
                .admin(
                    Method::POST,
                    &format!("{sas}/{client_id}/secrets"),
                    Some(json!({"secretExpiresAfterHours": 24})),
                )
                .await;
            let Ok(a) = r.filter_ok(201) else {
                return false;
            };
            ledger.lock().unwrap().secrets.push(Secret {
                client_id,
                id: a.body["id"].as_str().expect("id").to_owned(),
                value: a.body["secret"].as_str().expect("secret").to_owned(),
                first: false,
            });
            true
        }
        5..=6 => {
            let Some((client_id, secret_id, value)) = ({
                let l = ledger.lock().unwrap();
                let live: Vec<&Secret> = l
                    .secrets
                    .iter()
                    .filter(|s| !l.deleting_secrets.contains(&s.id))
                    .collect();
                pick(rng, &live).map(|s| (s.client_id.clone(), s.id.clone(), s.value.clone()))
            }) else {
                return false;
            };
            let Ok(a) = api.grant(&client_id, &value).await.filter_ok(200) else {
                return false;
            };
            let token = a.body["access_token"].as_str().expect("token").to_owned();
            ledger.lock().unwrap().tokens.push(Token {
                client_id,
                secret_id,
                token,
            });
            true
        }
        7..=8 => {
            let Some((token, client_id, value)) = ({
                let l = ledger.lock().unwrap();
                let candidates: Vec<(&Token, &Secret)> = l
                    .tokens
                    .iter()
                    .filter(|t| !l.revoking_tokens.contains(&t.token))
                    .filter_map(|t| l.live_secrets(&t.client_id).first().map(|s| (t, *s)))
                    .collect();
                pick(rng, &candidates)
                    .map(|(t, s)| (t.token.clone(), s.client_id.clone(), s.value.clone()))
            }) else {
                return false;
            };
            ledger.lock().unwrap().revoking_tokens.insert(token.clone());
            let r = api
                .form(
                    "/api/oauth/revoke",
                    Some((&client_id, &value)),
                    &[("token", &token)],
                )
                .await;
            let done = status(&r) == 200;
            if done {
                ledger.lock().unwrap().revoked_tokens.insert(token);
            }
            done
        }
        9 => {
            // Only a second secret goes: the account keeps one to authenticate revocations.
            let Some(secret) = ({
                let l = ledger.lock().unwrap();
                let deletable: Vec<&Secret> = l
                    .accounts
                    .iter()
                    .filter_map(|c| {
                        let live = l.live_secrets(c);
                        (live.len() == 2).then(|| live[1])
                    })
                    .collect();
                pick(rng, &deletable).map(|s| (s.client_id.clone(), s.id.clone()))
            }) else {
                return false;
            };
            ledger
                .lock()
                .unwrap()
                .deleting_secrets
                .insert(secret.1.clone());
            let r = api
                .admin(
                    Method::DELETE,
                    &format!("{sas}/{}/secrets/{}", secret.0, secret.1),
                    None,
                )
                .await;
            let done = status(&r) == 204;
            if done {
                ledger.lock().unwrap().deleted_secrets.insert(secret.1);
            }
            done
        }
        10..=11 => {
            let body =
                json!({"desc": format!("key {}", rng.gen::<u32>()), "roles": ["ORG_MEMBER"]});
            let r = api
                .admin(
                    Method::POST,
                    &format!("{V2}/orgs/{org}/apiKeys"),
                    Some(body),
                )
                .await;
            let Ok(a) = r.filter_ok(201) else {
                return false;
            };
            ledger.lock().unwrap().keys.push(Key {
                id: a.body["id"].as_str().expect("id").to_owned(),
                public: a.body["publicKey"].as_str().expect("publicKey").to_owned(),
                private: a.body["privateKey"]
                    .as_str()
                    .expect("privateKey")
                    .to_owned(),
            });
            true
        }
        _ => {
            let Some(id) = ({
                let l = ledger.lock().unwrap();
                let live: Vec<&Key> = l
                    .keys
                    .iter()
                    .filter(|k| !l.deleting_keys.contains(&k.id))
                    .collect();
                pick(rng, &live).map(|k| k.id.clone())
            }) else {
                return false;
            };
            ledger.lock().unwrap().deleting_keys.insert(id.clone());
            let r = api
                .admin(
                    Method::DELETE,
                    &format!("{V2}/orgs/{org}/apiKeys/{id}"),
                    None,
                )
                .await;
            let done = status(&r) == 204;
            if done {
                ledger.lock().unwrap().deleted_keys.insert(id);
            }
            done
        }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.gen_range(0..items.len())])
}

trait FilterOk {
    fn filter_ok(self, expected: u16) -> Result<crate::support::api::Answer, ()>;
}

impl FilterOk for crate::support::api::Reply {
    fn filter_ok(self, expected: u16) -> Result<crate::support::api::Answer, ()> {
        match self {
            Ok(a) if a.status.as_u16() == expected => Ok(a),
            _ => Err(()),
        }
    }
}

/// A token's `jti` (the target of its TOKEN_REVOKED event).
fn jti(token: &str) -> String {
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    let claims: Value = serde_json::from_slice(&bytes).expect("claims");
    claims["jti"].as_str().expect("jti").to_owned()
}

/// Event targets by event type.
fn targets(events: &[Value]) -> HashMap<String, HashSet<String>> {
    let mut by_type: HashMap<String, HashSet<String>> = HashMap::new();
    for e in events {
        if let (Some(kind), Some(target)) = (e["eventTypeName"].as_str(), e["targetId"].as_str()) {
            by_type
                .entry(kind.to_owned())
                .or_default()
                .insert(target.to_owned());
        }
    }
    by_type
}

/// Every check after a restart.
async fn verify(api: &Api, org: &str, ledger: &Ledger) {
    let events = targets(&api.events(org).await);
    let has = |kind: &str, target: &str| events.get(kind).is_some_and(|t| t.contains(target));
    let sas = format!("{V2}/orgs/{org}/serviceAccounts");

    // Every account answered 201 is there, with its creation event.
    for client_id in &ledger.accounts {
        let a = api
            .admin(Method::GET, &format!("{sas}/{client_id}"), None)
            .await
            .expect("get");
        assert_eq!(
            a.status, 200,
            "account {client_id} answered 201 is gone: {}",
            a.text
        );
        assert!(
            has("SERVICE_ACCOUNT_CREATED", client_id),
            "no creation event for {client_id}"
        );
    }
    // Nothing half-written: every account listed has its creation event, and its secrets are
    // the first one or ones with a creation event, never one whose deletion was recorded.
    let listed = api
        .admin(Method::GET, &format!("{sas}?itemsPerPage=500"), None)
        .await
        .expect("list");
    assert_eq!(listed.status, 200, "{}", listed.text);
    let listed = listed.body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for sa in &listed {
        let client_id = sa["clientId"].as_str().expect("clientId");
        assert!(
            has("SERVICE_ACCOUNT_CREATED", client_id),
            "{client_id} exists without its event"
        );
        let secrets = sa["secrets"].as_array().cloned().unwrap_or_default();
        let ids: Vec<&str> = secrets.iter().filter_map(|s| s["id"].as_str()).collect();
        for id in &ids {
            assert!(
                !has("SERVICE_ACCOUNT_SECRET_DELETED", id),
                "secret {id} deleted yet listed"
            );
        }
        let unaudited = ids
            .iter()
            .filter(|id| !has("SERVICE_ACCOUNT_SECRET_CREATED", id))
            .count();
        assert!(
            unaudited <= 1,
            "{client_id}: secrets without their creation event: {ids:?}"
        );
    }
    let listed_ids: HashSet<&str> = listed
        .iter()
        .filter_map(|s| s["clientId"].as_str())
        .collect();
    for client_id in events.get("SERVICE_ACCOUNT_CREATED").into_iter().flatten() {
        assert!(
            listed_ids.contains(client_id.as_str()),
            "{client_id} has its event but is gone"
        );
    }

    // Secrets: alive unless a deletion was sent; refused if a deletion was answered 204.
    for s in &ledger.secrets {
        let code = status(&api.grant(&s.client_id, &s.value).await);
        assert!(
            s.first || has("SERVICE_ACCOUNT_SECRET_CREATED", &s.id),
            "no creation event for secret {}",
            s.id
        );
        if ledger.deleted_secrets.contains(&s.id) {
            assert_eq!(code, 401, "secret {} deleted (204) still gets tokens", s.id);
            assert!(
                has("SERVICE_ACCOUNT_SECRET_DELETED", &s.id),
                "no deletion event for {}",
                s.id
            );
        } else if !ledger.deleting_secrets.contains(&s.id) {
            assert_eq!(
                code, 200,
                "secret {} answered 201 does not authenticate",
                s.id
            );
        }
        if has("SERVICE_ACCOUNT_SECRET_DELETED", &s.id) {
            assert_eq!(
                code, 401,
                "secret {} has its deletion event but works",
                s.id
            );
        }
    }
    // Tokens: refused once revoked (RFC 7009, or their secret deleted), by an answer or by an
    // event; valid otherwise.
    let org_path = format!("{V2}/orgs/{org}");
    for t in &ledger.tokens {
        let code = status(&api.bearer(&t.token, &org_path).await);
        let jti = jti(&t.token);
        let revoked = ledger.revoked_tokens.contains(&t.token)
            || ledger.deleted_secrets.contains(&t.secret_id)
            || has("TOKEN_REVOKED", &jti)
            || has("SERVICE_ACCOUNT_SECRET_DELETED", &t.secret_id);
        if revoked {
            assert_eq!(code, 401, "a revoked token of {} is accepted", t.client_id);
        } else if !ledger.revoking_tokens.contains(&t.token)
            && !ledger.deleting_secrets.contains(&t.secret_id)
        {
            assert_eq!(code, 200, "a live token of {} is refused", t.client_id);
        }
        // A revoke answered 200 wrote its event, unless the token was already refused by
        // then (its secret deleted first): RFC 7009 answers 200 and there is nothing to write.
        let revoked_otherwise = ledger.deleting_secrets.contains(&t.secret_id)
            || has("SERVICE_ACCOUNT_SECRET_DELETED", &t.secret_id);
        if ledger.revoked_tokens.contains(&t.token) && !revoked_otherwise {
            assert!(
                has("TOKEN_REVOKED", &jti),
                "no revocation event for a token revoked (200)"
            );
        }
    }
    // Programmatic API keys: there and working, or gone and refused.
    for k in &ledger.keys {
        let got = status(
            &api.admin(
                Method::GET,
                &format!("{V2}/orgs/{org}/apiKeys/{}", k.id),
                None,
            )
            .await,
        );
        let auth = api
            .digest(&k.public, &k.private, &org_path)
            .await
            .status
            .as_u16();
        assert!(
            has("API_KEY_CREATED", &k.id),
            "no creation event for key {}",
            k.id
        );
        let gone = ledger.deleted_keys.contains(&k.id) || has("API_KEY_DELETED", &k.id);
        if gone {
            assert_eq!(
                (got, auth),
                (404, 401),
                "deleted key {} still there or working",
                k.id
            );
            assert!(
                has("API_KEY_DELETED", &k.id),
                "no deletion event for key {}",
                k.id
            );
        } else if !ledger.deleting_keys.contains(&k.id) {
            assert_eq!(
                (got, auth),
                (200, 200),
                "key {} answered 201 is gone or refused",
                k.id
            );
        }
    }
    let keys = api
        .admin(
            Method::GET,
            &format!("{V2}/orgs/{org}/apiKeys?itemsPerPage=500"),
            None,
        )
        .await
        .expect("keys");
    for k in keys.body["results"].as_array().cloned().unwrap_or_default() {
        let id = k["id"].as_str().expect("id");
        assert!(
            has("API_KEY_CREATED", id),
            "key {id} exists without its event"
        );
        assert!(!has("API_KEY_DELETED", id), "key {id} deleted yet listed");
    }
}

async fn kill_under_load(database_url: Option<String>, store: &str) {
    let seed: u64 = std::env::var("SIGIL_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("kill -9 on {store}: seed {seed} (SIGIL_FAULT_SEED to replay)");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = NodeSpec::new(&dir.path().join("data"), database_url, &master_key())
        .arg("--auth-failure-burst", "100000");
    let mut node = Node::start(spec).await;
    let (org, _) = Api::new(&node.url).default_org().await;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    for round in 0..ROUNDS {
        let api = Api::new(&node.url);
        let answered = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let kill_after = rng.gen_range(20..80);
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let (api, org, ledger) = (api.clone(), org.clone(), ledger.clone());
                let (answered, stop) = (answered.clone(), stop.clone());
                let mut rng = StdRng::seed_from_u64(rng.gen());
                tokio::spawn(async move {
                    while !stop.load(Ordering::SeqCst) {
                        if write(&api, &org, &ledger, &mut rng).await {
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        crate::support::poll(
            "answered writes before the kill",
            Duration::from_secs(60),
            || {
                let n = answered.load(Ordering::SeqCst);
                async move { (n >= kill_after).then_some(()) }
            },
        )
        .await;
        node.kill9();
        stop.store(true, Ordering::SeqCst);
        for w in workers {
            w.await.expect("worker");
        }
        let started = Instant::now();
        node.restart().await;
        measured(
            &format!("kill -9 ({store})"),
            "restart to healthy",
            started.elapsed(),
        );
        // Out of the lock for the checks, which await.
        let l = std::mem::take(&mut *ledger.lock().unwrap());
        eprintln!(
            "round {round}: killed after {} answered writes; {} accounts, {} secrets ({} deleted), {} tokens ({} revoked), {} keys ({} deleted) so far",
            answered.load(Ordering::SeqCst), l.accounts.len(), l.secrets.len(), l.deleted_secrets.len(),
            l.tokens.len(), l.revoked_tokens.len(), l.keys.len(), l.deleted_keys.len()
        );
        verify(&Api::new(&node.url), &org, &l).await;
        *ledger.lock().unwrap() = l;
    }
}

#[tokio::test]
async fn kill_9_under_write_load_on_sqlite() {
    let _one = serial().await;
    kill_under_load(None, "SQLite").await;
}

#[tokio::test]
async fn kill_9_under_write_load_on_postgres() {
    let _one = serial().await;
    let Some(url) = pg::shared_database().await else {
        return;
    };
    kill_under_load(Some(url), "PostgreSQL").await;
}
