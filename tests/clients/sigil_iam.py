"""What the IAM client tests share: the admin's token, a provider's RSA signing key and its ID
tokens (PyJWT, cryptography), and a role mapping of a group to ORG_OWNER in `default`."""

import json
import os
import secrets
import time

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

URL = os.environ["SIGIL_URL"].rstrip("/")
PASSWORD = os.environ["SIGIL_ADMIN_PASSWORD"]
V2 = URL + "/api/atlas/v2"


def admin_login():
    """POST /v3/auth/tokens as the admin: (token, user id, domain id)."""
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "password": PASSWORD, "domain": {"name": "default"}}}},
        "scope": {"domain": {"name": "default"}},
    }}
    r = requests.post(URL + "/v3/auth/tokens", json=body, timeout=10)
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert token["methods"] == ["password"]
    return r.headers["X-Subject-Token"], token["user"]["id"], token["domain"]["id"]


class SigningKey:
    """An identity provider's RSA key: its JWKS (what `signing_key` pins) and its ID tokens."""

    def __init__(self, issuer):
        self.issuer = issuer
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)

    def jwks(self):
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        jwk.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return json.dumps({"keys": [jwk]})

    def id_token(self, group, audience, sub="alice"):
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": sub, "aud": audience, "iat": now, "exp": now + 300,
                  "groups": [group]}
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


def map_group_to_owner(group):
    """A role mapping of `default` (on the Atlas face): `group` → ORG_OWNER."""
    auth = ("admin", PASSWORD)
    orgs = requests.get(V2 + "/orgs", auth=auth, timeout=10).json()["results"]
    org = next(o["id"] for o in orgs if o["name"] == "default")
    fs = requests.get(V2 + f"/orgs/{org}/federationSettings", auth=auth, timeout=10).json()["id"]
    r = requests.post(
        V2 + f"/federationSettings/{fs}/connectedOrgConfigs/{org}/roleMappings",
        json={"externalGroupName": group, "roleAssignments": [{"orgId": org, "role": "ORG_OWNER"}]},
        auth=auth, timeout=10)
    assert r.status_code == 200, r.text
