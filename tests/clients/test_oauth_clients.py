"""Sigil's service accounts and OAuth 2.0 against clients nobody here wrote:
python-requests' HTTPDigestAuth with a programmatic API key on the Cloud Manager face,
requests-oauthlib's BackendApplicationClient fetching a token (RFC 6749 §4.4), and PyJWT
verifying that token with nothing but Sigil's published JWKS.

    SIGIL_URL=http://127.0.0.1:8420 SIGIL_ADMIN_PASSWORD=... python3 -m pytest tests/clients

`cargo test` runs it against a fresh test server (crates/sigil-server/tests/it/clients.rs).
"""

import os

import jwt
import pytest
import requests
from oauthlib.oauth2 import BackendApplicationClient
from requests.auth import HTTPDigestAuth
from requests_oauthlib import OAuth2Session

URL = os.environ["SIGIL_URL"].rstrip("/")
PASSWORD = os.environ["SIGIL_ADMIN_PASSWORD"]
V2 = URL + "/api/atlas/v2"
CM = URL + "/api/public/v1.0"
# requests-oauthlib refuses plain http unless told the transport is trusted (loopback here).
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def admin():
    return HTTPDigestAuth("admin", PASSWORD)


@pytest.fixture(scope="module")
def org_id():
    orgs = requests.get(V2 + "/orgs", auth=admin(), timeout=10)
    assert orgs.status_code == 200, orgs.text
    return next(o for o in orgs.json()["results"] if o["name"] == "default")["id"]


@pytest.fixture(scope="module")
def owner_key(org_id):
    """A programmatic API key with ORG_OWNER: the seed's `{PUBLIC-KEY}:{PRIVATE-KEY}`."""
    r = requests.post(
        V2 + f"/orgs/{org_id}/apiKeys",
        auth=admin(),
        json={"desc": "python client tests", "roles": ["ORG_OWNER"]},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    key = r.json()
    return HTTPDigestAuth(key["publicKey"], key["privateKey"])


@pytest.fixture(scope="module")
def service_account(org_id, owner_key):
    r = requests.post(
        CM + f"/orgs/{org_id}/serviceAccounts/",
        auth=owner_key,
        json={"name": "python-robot", "description": "made by requests", "roles": ["ORG_MEMBER"],
              "secretExpiresAfterHours": 24},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    account = r.json()
    return account["clientId"], account["secrets"][0]["secret"]


def test_the_seeds_request_with_an_api_key_and_digest(org_id, owner_key, service_account):
    client_id, _ = service_account
    # The seed's example, word for word but for the host: a digit string for the hours.
    r = requests.post(
        CM + f"/orgs/{org_id}/serviceAccounts/{client_id}/secrets/?pretty=true",
        auth=owner_key,
        headers={"Accept": "application/json", "Content-Type": "application/json"},
        json={"secretExpiresAfterHours": "3600"},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) >= {"id", "secret", "createdAt", "expiresAt"}
    assert body["secret"].startswith("mdb_sa_sk_")
    assert r.text.startswith("{\n"), "pretty=true indents"
    listed = requests.get(CM + f"/orgs/{org_id}/serviceAccounts/{client_id}", auth=owner_key, timeout=10)
    assert body["secret"] not in listed.text, "the secret is shown once"


def test_a_wrong_private_key_is_refused(org_id):
    r = requests.get(CM + f"/orgs/{org_id}/serviceAccounts", auth=HTTPDigestAuth("abcdefgh", "nope"), timeout=10)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith('Digest realm="MMS Public API"')


def fetch_token(client_id, secret):
    session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    return session.fetch_token(token_url=URL + "/api/oauth/token", client_id=client_id, client_secret=secret)


def test_requests_oauthlib_fetches_a_token_that_works_as_bearer(org_id, service_account):
    token = fetch_token(*service_account)
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    r = requests.get(V2 + f"/orgs/{org_id}", headers={"Authorization": "Bearer " + token["access_token"]}, timeout=10)
    assert r.status_code == 200, r.text


def test_pyjwt_verifies_the_token_with_only_the_jwks(service_account):
    client_id, secret = service_account
    token = fetch_token(client_id, secret)["access_token"]
    config = requests.get(URL + "/.well-known/openid-configuration", timeout=10).json()
    signing_key = jwt.PyJWKClient(config["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=config["id_token_signing_alg_values_supported"],
        audience=config["issuer"],
        issuer=config["issuer"],
        options={"require": ["exp", "iat", "iss", "sub", "jti"]},
    )
    assert claims["sub"] == client_id
    assert claims["exp"] - claims["iat"] == 3600
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tampered, signing_key.key, algorithms=["ES256"], audience=config["issuer"])


def test_a_revoked_token_stops_working(org_id, service_account):
    client_id, secret = service_account
    token = fetch_token(client_id, secret)["access_token"]
    bearer = {"Authorization": "Bearer " + token}
    assert requests.get(V2 + f"/orgs/{org_id}", headers=bearer, timeout=10).status_code == 200
    r = requests.post(URL + "/api/oauth/revoke", auth=(client_id, secret), data={"token": token}, timeout=10)
    assert r.status_code == 200, r.text
    assert requests.get(V2 + f"/orgs/{org_id}", headers=bearer, timeout=10).status_code == 401
    r = requests.post(URL + "/api/oauth/introspect", auth=(client_id, secret), data={"token": token}, timeout=10)
    assert r.json() == {"active": False}


def test_a_wrong_secret_is_invalid_client(service_account):
    client_id, _ = service_account
    session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    with pytest.raises(Exception) as raised:
        session.fetch_token(token_url=URL + "/api/oauth/token", client_id=client_id, client_secret="mdb_sa_sk_wrong")
    assert "invalid_client" in str(raised.value)
