//! Federation end to end against a real OpenID provider nobody on the project wrote: panva's
//! `oidc-provider` (tests/clients/oidc/issuer.mjs, on Node.js) issues RFC 9068 access tokens
//! (`typ: at+jwt`, ES256) with the client_credentials grant, and Sigil must accept them as
//! `Bearer` on its API and exchange them for its own tokens (spec 10, "Tokens from an identity
//! provider"). Outside CI a missing `node` or `tests/clients/oidc/node_modules` is a visible
//! `SKIPPED federation_oidc_provider: …`; with `CI=true` it fails the test.

use crate::atlas_support::*;
use crate::credentials_support::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::Method;
use serde_json::{json, Value};
use sigil_testkit::{Answer, TestServer, ADMIN_PASSWORD};
use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// The newest Atlas version Sigil answers (`2025-03-12` is not one of them: 406).
const ATLAS_ACCEPT: &str = "application/vnd.atlas.2024-11-13+json";
/// The resource (and so the `aud`) issuer.mjs mints access tokens for.
const AUDIENCE: &str = "urn:sigil:test";
const CLIENT_ID: &str = "sigil-workload";
const CLIENT_SECRET: &str = "sigil-workload-secret";
/// The `groups` value issuer.mjs puts in every access token.
const GROUP: &str = "sigil-e2e";
const ISSUER_START_TIMEOUT: Duration = Duration::from_secs(20);

fn in_ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Skips (loudly) outside CI, fails in CI. The line goes to the process's stderr itself, not
/// through `eprintln!`, which the test harness captures and hides when a test passes.
fn skip(why: &str) {
    assert!(
        !in_ci(),
        "CI=true but federation_oidc_provider cannot run: {why}"
    );
    let _ = writeln!(std::io::stderr(), "SKIPPED federation_oidc_provider: {why}");
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// oidc-provider running under Node.js; killed when dropped.
struct Issuer {
    /// `http://127.0.0.1:PORT`, the `iss` of its tokens.
    url: String,
    /// What it wrote on stderr so far, for failure messages.
    stderr: Arc<Mutex<String>>,
    _stdout: Lines<BufReader<ChildStdout>>,
    _child: Child,
}

impl Issuer {
    /// Starts tests/clients/oidc/issuer.mjs on an ephemeral port; `Err` says why it cannot be
    /// run here (no node, no node_modules): a skip, not a failure.
    async fn start() -> Result<Self, String> {
        let root = workspace_root();
        match Command::new("node").arg("--version").output().await {
            Ok(o) if o.status.success() => {}
            Ok(o) => return Err(format!("`node --version` failed: {}", o.status)),
            Err(e) => return Err(format!("node (Node.js 20 or later) cannot run: {e}")),
        }
        let package = root.join("tests/clients/oidc/node_modules/oidc-provider/package.json");
        if !package.is_file() {
            return Err("tests/clients/oidc/node_modules has no oidc-provider \
                 (run `npm ci --prefix tests/clients/oidc`)"
                .to_owned());
        }

        let mut child = Command::new("node")
            .args(["tests/clients/oidc/issuer.mjs", "--port", "0"])
            .current_dir(&root)
            .env_remove("NODE_ENV")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("node issuer.mjs does not start: {e}"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let sink = Arc::clone(&stderr);
        tokio::spawn(async move {
            while let Ok(Some(line)) = err_lines.next_line().await {
                let mut s = sink.lock().unwrap_or_else(|p| p.into_inner());
                s.push_str(&line);
                s.push('\n');
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(ISSUER_START_TIMEOUT, stdout.next_line()).await;
        let log = || stderr.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let line = match first {
            Ok(Ok(Some(line))) => line,
            Ok(Ok(None)) => panic!(
                "issuer.mjs exited without an ISSUER line; stderr:\n{}",
                log()
            ),
            Ok(Err(e)) => panic!("reading issuer.mjs's stdout: {e}; stderr:\n{}", log()),
            Err(_) => panic!(
                "no ISSUER line from issuer.mjs within {ISSUER_START_TIMEOUT:?}; stderr:\n{}",
                log()
            ),
        };
        let url = line
            .strip_prefix("ISSUER ")
            .unwrap_or_else(|| panic!("issuer.mjs's first line is not `ISSUER …`: {line:?}"))
            .trim()
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Ok(Self {
            url,
            stderr,
            _stdout: stdout,
            _child: child,
        })
    }

    fn log(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// GET of a JSON document of the issuer.
    async fn get_json(&self, http: &reqwest::Client, url: &str) -> Value {
        let r = http.get(url).send().await.expect("issuer answers");
        assert_eq!(r.status(), 200, "GET {url}; issuer stderr:\n{}", self.log());
        r.json().await.expect("JSON")
    }

    /// An access token for `urn:sigil:test` with client_credentials and client_secret_basic,
    /// at the token endpoint named by the issuer's discovery document; answers it with its key
    /// set.
    async fn access_token(&self, http: &reqwest::Client) -> (String, JwkSet) {
        let discovery = self
            .get_json(
                http,
                &format!("{}/.well-known/openid-configuration", self.url),
            )
            .await;
        assert_eq!(discovery["issuer"], self.url.as_str(), "{discovery}");
        let token_endpoint = discovery["token_endpoint"]
            .as_str()
            .expect("token_endpoint");
        let jwks_uri = discovery["jwks_uri"].as_str().expect("jwks_uri");
        let jwks: JwkSet = serde_json::from_value(self.get_json(http, jwks_uri).await)
            .expect("the issuer's JWKS parses");

        let r = http
            .post(token_endpoint)
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "client_credentials"),
                ("resource", AUDIENCE),
            ]))
            .send()
            .await
            .expect("the token endpoint answers");
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "{body}; issuer stderr:\n{}", self.log());
        assert_eq!(body["token_type"], "Bearer", "{body}");
        let token = body["access_token"].as_str().expect("access_token");
        (token.to_owned(), jwks)
    }
}

/// Verifies `token` with the issuer's key set alone (jsonwebtoken, not Sigil): whether it is
/// an ES256 access token of `issuer` for `urn:sigil:test`.
fn verify_with_jwks(token: &str, jwks: &JwkSet, issuer: &str) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = jwks
        .find(&kid)
        .ok_or_else(|| format!("kid {kid} not in the JWKS"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

/// `token` with the last character of its signature changed so that a significant bit of the
/// signature flips (a base64url character that only differed in padding bits would decode to
/// the same signature).
fn with_altered_signature(token: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (rest, last) = token.split_at(token.len() - 1);
    let value = ALPHABET
        .iter()
        .position(|&c| c == last.as_bytes()[0])
        .expect("base64url");
    // The top bit of the last character is always a bit of the signature.
    let flipped = char::from(ALPHABET[value ^ 0b10_0000]);
    let altered = format!("{rest}{flipped}");
    let sig = |t: &str| {
        URL_SAFE_NO_PAD
            .decode(t.rsplit('.').next().expect("a signature"))
            .expect("base64url")
    };
    assert_ne!(sig(token), sig(&altered), "the signature really changed");
    altered
}

/// An Atlas request with the versioned Accept header, as the admin (Basic) or with a Bearer.
async fn atlas(
    server: &TestServer,
    method: Method,
    path: &str,
    body: Option<Value>,
    bearer: Option<&str>,
) -> Answer {
    let mut r = server
        .client
        .request(method, format!("{}{path}", server.url))
        .header("accept", ATLAS_ACCEPT);
    r = match bearer {
        Some(token) => r.header("authorization", format!("Bearer {token}")),
        None => r.basic_auth("admin", Some(ADMIN_PASSWORD)),
    };
    if let Some(body) = body {
        r = r
            .header("content-type", ATLAS_ACCEPT)
            .body(body.to_string());
    }
    server.send(r).await
}

#[tokio::test]
async fn oidc_provider_tokens_are_accepted_and_exchanged() {
    let issuer = match Issuer::start().await {
        Ok(issuer) => issuer,
        Err(why) => return skip(&why),
    };
    let http = reqwest::Client::new();

    // The issuer's side: a real RFC 9068 token, checked with nothing but its JWKS.
    let (jwt, jwks) = issuer.access_token(&http).await;
    let (header, claims) = jwt_parts(&jwt);
    assert_eq!(header["alg"], "ES256", "{header}");
    assert_eq!(header["typ"], "at+jwt", "{header}");
    assert!(header["kid"].is_string(), "{header}");
    assert_eq!(claims["iss"], issuer.url.as_str(), "{claims}");
    assert_eq!(claims["aud"], AUDIENCE, "{claims}");
    assert_eq!(claims["client_id"], CLIENT_ID, "{claims}");
    assert_eq!(claims["groups"], json!([GROUP]), "{claims}");
    verify_with_jwks(&jwt, &jwks, &issuer.url).unwrap_or_else(|e| panic!("{e}: {claims}"));
    let altered = with_altered_signature(&jwt);
    assert!(verify_with_jwks(&altered, &jwks, &issuer.url).is_err());

    // Sigil's side: the issuer as a WORKLOAD identity provider of the default organization,
    // its group mapped to ORG_OWNER.
    let server = TestServer::sqlite().await;
    let (org, fs) = server.default_org().await;
    let created = atlas(
        &server,
        Method::POST,
        &idps_path(&fs),
        Some(json!({
            "protocol": "OIDC",
            "idpType": "WORKLOAD",
            "displayName": "oidc-provider e2e",
            "issuerUri": issuer.url,
            "audience": AUDIENCE,
            "authorizationType": "GROUP",
            "groupsClaim": "groups",
        })),
        None,
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(created.body["issuerUri"], issuer.url.as_str());
    assert_eq!(created.body["audience"], AUDIENCE);
    assert_eq!(created.body["authorizationType"], "GROUP");
    assert_eq!(created.body["groupsClaim"], "groups");
    let idp = created.body["id"].as_str().expect("id").to_owned();

    let connected = atlas(
        &server,
        Method::PATCH,
        &config_path(&fs, &org),
        Some(json!({"dataAccessIdentityProviderIds": [idp]})),
        None,
    )
    .await;
    assert_eq!(connected.status, 200, "{}", connected.text);
    assert_eq!(
        connected.body["dataAccessIdentityProviderIds"],
        json!([idp])
    );

    let mapped = atlas(
        &server,
        Method::POST,
        &mappings_path(&fs, &org),
        Some(mapping(GROUP, &org, "ORG_OWNER")),
        None,
    )
    .await;
    assert_eq!(mapped.status, 200, "{}", mapped.text);
    assert_eq!(mapped.body["externalGroupName"], GROUP);

    // The issuer's token as a Bearer on Sigil's API.
    let org_path = format!("{V2}/orgs/{org}");
    let direct = atlas(&server, Method::GET, &org_path, None, Some(&jwt)).await;
    assert_eq!(
        direct.status,
        200,
        "the oidc-provider token as Bearer: {}\nissuer stderr:\n{}",
        direct.text,
        issuer.log()
    );
    assert_eq!(direct.body["id"], org.as_str(), "{}", direct.text);
    assert_eq!(direct.body["name"], "default", "{}", direct.text);

    let refused = atlas(&server, Method::GET, &org_path, None, Some(&altered)).await;
    assert_eq!(refused.status, 401, "altered signature: {}", refused.text);
    assert_eq!(
        refused.body["errorCode"], "NOT_AUTHENTICATED",
        "{}",
        refused.text
    );

    // The issuer's token exchanged for a Sigil token (RFC 8693), which works as a Bearer.
    let exchanged = post_form(
        &server,
        "/api/oauth/token",
        &[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", &jwt),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        ],
        None,
    )
    .await;
    assert_eq!(exchanged.status, 200, "token exchange: {}", exchanged.text);
    assert_eq!(exchanged.body["token_type"], "Bearer", "{}", exchanged.text);
    let sigil_token = exchanged.body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("access_token in {}", exchanged.text))
        .to_owned();
    assert_ne!(sigil_token, jwt);
    let session = atlas(&server, Method::GET, &org_path, None, Some(&sigil_token)).await;
    assert_eq!(session.status, 200, "the exchanged token: {}", session.text);
    assert_eq!(session.body["name"], "default", "{}", session.text);
}
