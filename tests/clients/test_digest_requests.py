"""Sigil against python-requests' HTTPDigestAuth (RFC 7616), a Digest client nobody here wrote.

Run against a running server:

    SIGIL_URL=http://127.0.0.1:8420 SIGIL_ADMIN_PASSWORD=... python3 -m pytest tests/clients

`cargo test` runs it against a fresh test server (crates/sigil-server/tests/it/clients.rs).
"""

import os
import re

import requests
from requests.auth import HTTPBasicAuth, HTTPDigestAuth

# Both are required: a missing one is an error, never a silent skip.
URL = os.environ["SIGIL_URL"].rstrip("/")
PASSWORD = os.environ["SIGIL_ADMIN_PASSWORD"]
V2 = URL + "/api/atlas/v2"

CHALLENGE = re.compile(
    r'^Digest realm="MMS Public API", domain="", nonce="[A-Za-z0-9_-]+", '
    r'algorithm=MD5, qop="auth", stale=false$'
)

WORKLOAD = {
    "protocol": "OIDC",
    "idpType": "WORKLOAD",
    "displayName": "made-by-requests",
    "issuerUri": "https://issuer.example.com",
    "audience": "sigil",
    "authorizationType": "GROUP",
}


def admin():
    return HTTPDigestAuth("admin", PASSWORD)


def federation_settings_id(auth):
    orgs = requests.get(V2 + "/orgs", auth=auth, timeout=10)
    assert orgs.status_code == 200, orgs.text
    org = next(o for o in orgs.json()["results"] if o["name"] == "default")
    fs = requests.get(V2 + f"/orgs/{org['id']}/federationSettings", auth=auth, timeout=10)
    assert fs.status_code == 200, fs.text
    return fs.json()["id"]


def test_the_challenge_is_byte_exact():
    r = requests.get(V2 + "/orgs", timeout=10)
    assert r.status_code == 401
    assert CHALLENGE.match(r.headers["WWW-Authenticate"]), r.headers["WWW-Authenticate"]
    assert r.json()["errorCode"] == "NOT_AUTHENTICATED"


def test_digest_lists_the_default_organization():
    r = requests.get(V2 + "/orgs", auth=admin(), timeout=10)
    assert r.status_code == 200, r.text
    assert [h.status_code for h in r.history] == [401], "one challenge, then the answer"
    assert "Digest " in r.request.headers["Authorization"]
    assert r.json()["results"][0]["name"] == "default"


def test_a_nonce_is_reused_with_a_growing_nonce_count():
    auth = admin()
    with requests.Session() as s:
        s.auth = auth
        first = s.get(V2 + "/orgs", timeout=10)
        assert first.status_code == 200, first.text
        for expected_nc in ("00000002", "00000003"):
            r = s.get(V2 + "/orgs?itemsPerPage=1", timeout=10)
            assert r.status_code == 200, r.text
            assert r.history == [], "the cached nonce was accepted without a new challenge"
            assert f"nc={expected_nc}" in r.request.headers["Authorization"]


def test_the_query_string_is_part_of_the_digested_uri():
    r = requests.get(V2 + "/orgs", params={"pretty": "true", "includeCount": "false"},
                     auth=admin(), timeout=10)
    assert r.status_code == 200, r.text
    assert 'uri="/api/atlas/v2/orgs?pretty=true&includeCount=false"' in r.request.headers["Authorization"]
    assert "\n  " in r.text, "pretty=true indents"


def test_create_update_list_and_delete_an_identity_provider():
    auth = admin()
    idps = V2 + f"/federationSettings/{federation_settings_id(auth)}/identityProviders"
    created = requests.post(idps, json=WORKLOAD, auth=auth, timeout=10)
    assert created.status_code == 200, created.text
    idp = created.json()["id"]
    assert re.fullmatch(r"[0-9a-f]{24}", idp)

    patched = requests.patch(idps + "/" + idp, json={"description": "patched by requests"},
                             auth=auth, timeout=10)
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "patched by requests"

    listed = requests.get(idps, params={"protocol": "OIDC"}, auth=auth, timeout=10)
    assert listed.status_code == 200, listed.text
    assert idp in [i["id"] for i in listed.json()["results"]]

    deleted = requests.delete(idps + "/" + idp, auth=auth, timeout=10)
    assert deleted.status_code == 204, deleted.text
    gone = requests.get(idps + "/" + idp, auth=auth, timeout=10)
    assert gone.status_code == 404
    assert gone.json()["errorCode"] == "IDENTITY_PROVIDER_NOT_FOUND"


def test_a_wrong_password_is_refused():
    r = requests.get(V2 + "/orgs", auth=HTTPDigestAuth("admin", PASSWORD + "-wrong"), timeout=10)
    assert r.status_code == 401
    assert r.json()["errorCode"] == "NOT_AUTHENTICATED"
    assert CHALLENGE.match(r.headers["WWW-Authenticate"])


def test_basic_authentication():
    r = requests.get(V2 + "/orgs", auth=HTTPBasicAuth("admin", PASSWORD), timeout=10)
    assert r.status_code == 200, r.text
    wrong = requests.get(V2 + "/orgs", auth=HTTPBasicAuth("admin", "nope"), timeout=10)
    assert wrong.status_code == 401
