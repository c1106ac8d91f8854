"""Sigil's IAM face (seed 002, spec 40) driven by python-requests, with ID tokens signed by
PyJWT and keys made by cryptography: none of it written here.

Run against a running server:

    SIGIL_URL=http://127.0.0.1:8420 SIGIL_ADMIN_PASSWORD=... python3 -m pytest tests/clients

`cargo test` runs it against a fresh test server (crates/sigil-server/tests/it/clients.rs).
"""

import secrets

import pytest
import requests

from sigil_iam import URL, SigningKey, admin_login, map_group_to_owner

IDP_V30 = URL + "/v3.0/OS-FEDERATION/identity-providers"
IDP_V3 = URL + "/v3/OS-FEDERATION/identity_providers"
ISSUER = "https://idp.example.com"
# Issuer and audience name one provider: a run of its own, so the suite runs again on a server.
CLIENT = "python-requests-client-" + secrets.token_hex(4)


def admin_token():
    return admin_login()[0]


def login(idp, id_token):
    body = {"auth": {"id_token": {"id": id_token}, "scope": {"domain": {"name": "default"}}}}
    return requests.post(URL + "/v3.0/OS-AUTH/id-token/tokens", json=body,
                         headers={"X-Idp-Id": idp}, timeout=10)


@pytest.fixture(scope="module")
def session():
    s = requests.Session()
    s.headers.update({"X-Auth-Token": admin_token(),
                      "Content-Type": "application/json;charset=utf8"})
    return s


def test_the_seeds_two_puts_and_an_id_token_login_with_a_rotated_key(session):
    idp = "py-" + secrets.token_hex(4)
    created = session.post(f"{IDP_V30}/{idp}", json={"identity_provider": {
        "sso_type": "virtual_user_sso", "description": "from python-requests", "enabled": True}}, timeout=10)
    assert created.status_code == 201, created.text
    assert created.json()["identity_provider"]["id"] == idp

    key = SigningKey(ISSUER)
    config = f"{IDP_V30}/{idp}/openid-connect-config"
    program = {"openid_connect_config": {"access_mode": "program", "idp_url": ISSUER,
                                         "client_id": CLIENT, "signing_key": key.jwks()}}
    r = session.post(config, json=program, timeout=10)
    assert r.status_code == 201, r.text
    assert r.json()["openid_connect_config"]["scope"] is None

    # The seed's second example: program and console access.
    console = {"openid_connect_config": dict(program["openid_connect_config"], **{
        "access_mode": "program_console",
        "authorization_endpoint": "https://accounts.example.com/o/oauth2/v2/auth",
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post"})}
    r = session.put(config, json=console, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == console

    group = "py-group-" + secrets.token_hex(4)
    map_group_to_owner(group)
    old = key.id_token(group, CLIENT)
    r = login(idp, old)
    assert r.status_code == 201, r.text
    assert r.json()["token"]["methods"] == ["mapped"]
    assert [x["name"] for x in r.json()["token"]["roles"]] == ["ORG_OWNER"]
    federated = r.headers["X-Subject-Token"]
    listed = requests.get(IDP_V3, headers={"X-Auth-Token": federated}, timeout=10)
    assert listed.status_code == 200, listed.text
    assert idp in [p["id"] for p in listed.json()["identity_providers"]]

    # Rotate the pinned key: the old key's ID token fails at once, the new key's works.
    new_key = SigningKey(ISSUER)
    r = session.put(config, json={"openid_connect_config": {"signing_key": new_key.jwks()}}, timeout=10)
    assert r.status_code == 200, r.text
    refused = login(idp, old)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error_code"] == "IAM.0007"
    assert login(idp, new_key.id_token(group, CLIENT)).status_code == 201


def test_bad_fields_are_named(session):
    idp = "py-" + secrets.token_hex(4)
    assert session.post(f"{IDP_V30}/{idp}", json={"identity_provider": {}}, timeout=10).status_code == 201
    bad = {"openid_connect_config": {"access_mode": "program", "idp_url": "https://x",
                                     "client_id": CLIENT, "signing_key": SigningKey(ISSUER).jwks()}}
    r = session.post(f"{IDP_V30}/{idp}/openid-connect-config", json=bad, timeout=10)
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "IAM.0011"
    assert "idp_url" in r.json()["error_msg"]


def test_no_token_is_401_in_each_shape():
    r = requests.get(IDP_V3, timeout=10)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == 401
    r = requests.get(f"{IDP_V30}/x/openid-connect-config", timeout=10)
    assert r.status_code == 401
    assert r.json()["error_code"] == "IAM.0007"
