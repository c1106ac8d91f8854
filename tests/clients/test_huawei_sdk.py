"""Sigil's IAM face driven by the official Huawei Cloud SDK (`huaweicloudsdkiam`), unchanged:
it signs every request with SDK-HMAC-SHA256 and an access key Sigil issued. The seed's
operation (the OpenID Connect configuration) is created, read and updated through it, and an ID
token signed by PyJWT is exchanged through `create_token_with_id_token`.

Run against a running server:

    SIGIL_URL=http://127.0.0.1:8420 SIGIL_ADMIN_PASSWORD=... python3 -m pytest tests/clients

`cargo test` runs it against a fresh test server (crates/sigil-server/tests/it/clients.rs).
"""

import json
import secrets

import pytest
import requests
from huaweicloudsdkcore.auth.credentials import GlobalCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkiam.v3 import (
    CreateOpenIdConnectConfig,
    CreateOpenIdConnectConfigRequest,
    CreateOpenIdConnectConfigRequestBody,
    CreateTokenWithIdTokenRequest,
    GetIdTokenAuthParams,
    GetIdTokenIdScopeBody,
    GetIdTokenIdTokenBody,
    GetIdTokenRequestBody,
    GetIdTokenScopeDomainOrProjectBody,
    IamClient,
    ShowOpenIdConnectConfigRequest,
    UpdateOpenIdConnectConfig,
    UpdateOpenIdConnectConfigRequest,
    UpdateOpenIdConnectConfigRequestBody,
)

from sigil_iam import URL, SigningKey, admin_login, map_group_to_owner

CREDENTIALS = URL + "/v3.0/OS-CREDENTIAL/credentials"
ISSUER = "https://sdk-idp.example.com"
CLIENT = "huawei-sdk-client"


def client_id():
    """Issuer and audience name one provider: each test's provider has a client of its own."""
    return f"{CLIENT}-{secrets.token_hex(4)}"


class Admin:
    def __init__(self):
        self.token, self.user_id, self.domain_id = admin_login()
        self.headers = {"X-Auth-Token": self.token}

    def new_key(self):
        r = requests.post(CREDENTIALS, headers=self.headers, timeout=10,
                          json={"credential": {"user_id": self.user_id, "description": "huaweicloudsdkiam"}})
        assert r.status_code == 201, r.text
        return r.json()["credential"]

    def delete_key(self, access):
        r = requests.delete(f"{CREDENTIALS}/{access}", headers=self.headers, timeout=10)
        assert r.status_code == 204, r.text

    def set_status(self, access, status):
        r = requests.put(f"{CREDENTIALS}/{access}", headers=self.headers, timeout=10,
                         json={"credential": {"status": status}})
        assert r.status_code == 200, r.text

    def new_provider(self):
        name = "sdk-" + secrets.token_hex(4)
        r = requests.post(f"{URL}/v3.0/OS-FEDERATION/identity-providers/{name}", headers=self.headers,
                          json={"identity_provider": {"sso_type": "virtual_user_sso"}}, timeout=10)
        assert r.status_code == 201, r.text
        return name


def sdk(ak, sk, domain_id):
    credentials = GlobalCredentials(ak, sk, domain_id)
    return IamClient.new_builder().with_credentials(credentials).with_endpoints([URL]).build()


@pytest.fixture(scope="module")
def admin():
    return Admin()


@pytest.fixture()
def key(admin):
    created = admin.new_key()
    yield created
    requests.delete(f"{CREDENTIALS}/{created['access']}", headers=admin.headers, timeout=10)


def test_the_openid_connect_configuration_through_the_sdk(admin, key):
    client = sdk(key["access"], key["secret"], admin.domain_id)
    idp = admin.new_provider()
    signing = SigningKey(ISSUER)
    audience = client_id()
    created = client.create_open_id_connect_config(CreateOpenIdConnectConfigRequest(
        idp_id=idp,
        body=CreateOpenIdConnectConfigRequestBody(openid_connect_config=CreateOpenIdConnectConfig(
            access_mode="program", idp_url=ISSUER, client_id=audience, signing_key=signing.jwks()))))
    assert created.openid_connect_config.idp_url == ISSUER
    assert created.openid_connect_config.scope is None

    # The seed's operation, with its second example's body.
    updated = client.update_open_id_connect_config(UpdateOpenIdConnectConfigRequest(
        idp_id=idp,
        body=UpdateOpenIdConnectConfigRequestBody(openid_connect_config=UpdateOpenIdConnectConfig(
            access_mode="program_console", idp_url=ISSUER, client_id=audience,
            authorization_endpoint="https://sdk-idp.example.com/o/oauth2/v2/auth", scope="openid",
            response_type="id_token", response_mode="form_post", signing_key=signing.jwks()))))
    assert updated.openid_connect_config.access_mode == "program_console"
    assert updated.openid_connect_config.response_mode == "form_post"

    shown = client.show_open_id_connect_config(ShowOpenIdConnectConfigRequest(idp_id=idp))
    assert shown.openid_connect_config.scope == "openid"
    assert json.loads(shown.openid_connect_config.signing_key) == json.loads(signing.jwks())

    with pytest.raises(exceptions.ClientRequestException) as bad:
        client.update_open_id_connect_config(UpdateOpenIdConnectConfigRequest(
            idp_id=idp,
            body=UpdateOpenIdConnectConfigRequestBody(openid_connect_config=UpdateOpenIdConnectConfig(
                client_id="abc"))))
    assert bad.value.status_code == 400
    assert bad.value.error_code == "IAM.0011"
    assert "client_id" in bad.value.error_msg


def test_an_id_token_login_through_the_sdk(admin, key):
    client = sdk(key["access"], key["secret"], admin.domain_id)
    idp = admin.new_provider()
    signing = SigningKey(ISSUER)
    audience = client_id()
    client.create_open_id_connect_config(CreateOpenIdConnectConfigRequest(
        idp_id=idp,
        body=CreateOpenIdConnectConfigRequestBody(openid_connect_config=CreateOpenIdConnectConfig(
            access_mode="program", idp_url=ISSUER, client_id=audience, signing_key=signing.jwks()))))
    group = "sdk-group-" + secrets.token_hex(4)
    map_group_to_owner(group)

    def login(id_token):
        return client.create_token_with_id_token(CreateTokenWithIdTokenRequest(
            x_idp_id=idp,
            body=GetIdTokenRequestBody(auth=GetIdTokenAuthParams(
                id_token=GetIdTokenIdTokenBody(id=id_token),
                scope=GetIdTokenIdScopeBody(domain=GetIdTokenScopeDomainOrProjectBody(name="default"))))))

    answer = login(signing.id_token(group, audience, sub="carol"))
    assert answer.x_subject_token
    assert answer.token.methods == ["mapped"]
    assert answer.token.user.name == "carol"
    listed = requests.get(URL + "/v3/OS-FEDERATION/identity_providers",
                          headers={"X-Auth-Token": answer.x_subject_token}, timeout=10)
    assert listed.status_code == 200, listed.text

    with pytest.raises(exceptions.ClientRequestException) as refused:
        login(SigningKey(ISSUER).id_token(group, audience))
    assert refused.value.status_code == 401
    assert refused.value.error_code == "IAM.0007"


def refused(client, idp="nobody"):
    with pytest.raises(exceptions.ClientRequestException) as e:
        client.show_open_id_connect_config(ShowOpenIdConnectConfigRequest(idp_id=idp))
    return e.value


def test_the_sdk_is_refused_with_a_wrong_inactive_deleted_or_foreign_key(admin):
    created = admin.new_key()
    ak, sk = created["access"], created["secret"]
    idp = admin.new_provider()
    # Known provider, no configuration yet: 404 proves the signature passed.
    assert refused(sdk(ak, sk, admin.domain_id), idp).status_code == 404

    wrong = refused(sdk(ak, sk[:-1] + ("A" if sk[-1] != "A" else "B"), admin.domain_id), idp)
    assert (wrong.status_code, wrong.error_code) == (401, "IAM.0007")
    foreign = refused(sdk(ak, sk, "0123456789abcdef01234567"), idp)
    assert foreign.status_code == 401

    admin.set_status(ak, "inactive")
    assert refused(sdk(ak, sk, admin.domain_id), idp).status_code == 401
    admin.set_status(ak, "active")
    assert refused(sdk(ak, sk, admin.domain_id), idp).status_code == 404
    admin.delete_key(ak)
    assert refused(sdk(ak, sk, admin.domain_id), idp).status_code == 401


# Federated programmatic access: ID token → unscoped token → temporary access key and security
# token → requests signed with them.

from huaweicloudsdkiam.v3 import (  # noqa: E402
    CreateTemporaryAccessKeyByTokenRequest,
    CreateTemporaryAccessKeyByTokenRequestBody,
    IdentityToken,
    KeystoneCreateScopedTokenRequest,
    KeystoneCreateScopedTokenRequestBody,
    ScopeDomainOption,
    ScopedToken,
    ScopedTokenAuth,
    ScopedTokenIdentity,
    TokenAuth,
    TokenAuthIdentity,
    TokenSocpeOption,
)

import time  # noqa: E402

from sigil_iam import PASSWORD, V2  # noqa: E402


class Federated:
    """A provider configured through the SDK (program mode, its key pinned) whose group is
    ORG_OWNER of `default`, and an ID token of it."""

    def __init__(self, admin, key):
        self.admin = admin
        self.signed = sdk(key["access"], key["secret"], admin.domain_id)
        self.idp = admin.new_provider()
        self.signing = SigningKey(ISSUER)
        self.audience = client_id()
        self.signed.create_open_id_connect_config(CreateOpenIdConnectConfigRequest(
            idp_id=self.idp,
            body=CreateOpenIdConnectConfigRequestBody(openid_connect_config=CreateOpenIdConnectConfig(
                access_mode="program", idp_url=ISSUER, client_id=self.audience,
                signing_key=self.signing.jwks()))))
        self.group = "sdk-group-" + secrets.token_hex(4)
        map_group_to_owner(self.group)

    def id_token(self, lifetime=300):
        token = self.signing.id_token(self.group, self.audience, sub="wanda")
        if lifetime == 300:
            return token
        import jwt as pyjwt
        claims = pyjwt.decode(token, options={"verify_signature": False})
        claims["exp"] = claims["iat"] + lifetime
        return pyjwt.encode(claims, self.signing.private, algorithm="RS256",
                            headers={"kid": self.signing.kid})

    def unscoped_login(self, id_token):
        """`create_token_with_id_token` without a scope, as the workload-identity credentials
        send it: an unscoped token."""
        return self.signed.create_token_with_id_token(CreateTokenWithIdTokenRequest(
            x_idp_id=self.idp,
            body=GetIdTokenRequestBody(auth=GetIdTokenAuthParams(
                id_token=GetIdTokenIdTokenBody(id=id_token)))))

    def temporary_key(self, token, duration=900):
        answer = self.signed.create_temporary_access_key_by_token(CreateTemporaryAccessKeyByTokenRequest(
            body=CreateTemporaryAccessKeyByTokenRequestBody(auth=TokenAuth(identity=TokenAuthIdentity(
                methods=["token"], token=IdentityToken(id=token, duration_seconds=duration))))))
        return answer.credential

    def with_temporary_key(self, credential, security_token=None):
        credentials = GlobalCredentials(credential.access, credential.secret, self.admin.domain_id)
        if security_token is not False:
            credentials = credentials.with_security_token(security_token or credential.securitytoken)
        return IamClient.new_builder().with_credentials(credentials).with_endpoints([URL]).build()

    def show(self, client):
        return client.show_open_id_connect_config(ShowOpenIdConnectConfigRequest(idp_id=self.idp))

    def atlas_provider(self):
        """The provider's id and federation settings on the Atlas face."""
        auth = ("admin", PASSWORD)
        orgs = requests.get(V2 + "/orgs", auth=auth, timeout=10).json()["results"]
        org = next(o["id"] for o in orgs if o["name"] == "default")
        fs = requests.get(V2 + f"/orgs/{org}/federationSettings", auth=auth, timeout=10).json()["id"]
        listed = requests.get(V2 + f"/federationSettings/{fs}/identityProviders", auth=auth,
                              params={"protocol": "OIDC", "idpType": "WORKFORCE"}, timeout=10).json()
        found = next(p for p in listed["results"] if p.get("audience") == self.audience)
        return fs, found["id"]


def test_the_whole_federated_chain_through_the_sdk(admin, key):
    fed = Federated(admin, key)
    login = fed.unscoped_login(fed.id_token())
    unscoped = login.x_subject_token
    assert unscoped
    assert login.token.methods == ["mapped"]
    assert login.token.user.name == "wanda"
    # An unscoped token acts nowhere: only an exchange takes it.
    listed = requests.get(URL + "/v3/OS-FEDERATION/identity_providers",
                          headers={"X-Auth-Token": unscoped}, timeout=10)
    assert listed.status_code == 401, listed.text

    # The token method: a token scoped to `default`, which lists providers.
    scoped = fed.signed.keystone_create_scoped_token(KeystoneCreateScopedTokenRequest(
        body=KeystoneCreateScopedTokenRequestBody(auth=ScopedTokenAuth(
            identity=ScopedTokenIdentity(methods=["token"], token=ScopedToken(id=unscoped)),
            scope=TokenSocpeOption(domain=ScopeDomainOption(name="default"))))))
    assert scoped.x_subject_token
    assert scoped.token.methods == ["token"]
    listed = requests.get(URL + "/v3/OS-FEDERATION/identity_providers",
                          headers={"X-Auth-Token": scoped.x_subject_token}, timeout=10)
    assert listed.status_code == 200, listed.text

    # A temporary access key and security token; the SDK signs with them (X-Security-Token
    # among the signed headers) and reads the configuration.
    credential = fed.temporary_key(unscoped, duration=3600)
    assert credential.access.startswith("SGTA") and credential.securitytoken.startswith("SGST")
    shown = fed.show(fed.with_temporary_key(credential))
    assert shown.openid_connect_config.client_id == fed.audience


def test_the_sdks_workload_identity_credentials(admin, key, tmp_path):
    """GlobalCredentials with idp_id and id_token_file: the SDK logs in unscoped, gets a
    temporary key and signs with it, by itself."""
    fed = Federated(admin, key)
    id_token_file = tmp_path / "id_token"
    id_token_file.write_text(fed.id_token())
    credentials = (GlobalCredentials(domain_id=admin.domain_id).with_idp_id(fed.idp)
                   .with_id_token_file(str(id_token_file)).with_iam_endpoint(URL))
    client = IamClient.new_builder().with_credentials(credentials).with_endpoints([URL]).build()
    assert fed.show(client).openid_connect_config.client_id == fed.audience


def test_temporary_keys_are_refused(admin, key):
    fed = Federated(admin, key)
    unscoped = fed.unscoped_login(fed.id_token()).x_subject_token
    credential = fed.temporary_key(unscoped)
    other = fed.temporary_key(unscoped)
    assert fed.show(fed.with_temporary_key(credential)).openid_connect_config.idp_url == ISSUER

    # No X-Security-Token; another key's.
    for client in (fed.with_temporary_key(credential, security_token=False),
                   fed.with_temporary_key(credential, security_token=other.securitytoken)):
        with pytest.raises(exceptions.ClientRequestException) as e:
            fed.show(client)
        assert (e.value.status_code, e.value.error_code) == (401, "IAM.0007")

    # A policy is refused, naming it.
    with pytest.raises(exceptions.ClientRequestException) as e:
        fed.signed.create_temporary_access_key_by_token(CreateTemporaryAccessKeyByTokenRequest(
            body=CreateTemporaryAccessKeyByTokenRequestBody(auth=TokenAuth(identity=TokenAuthIdentity(
                methods=["token"], token=IdentityToken(id=unscoped),
                policy={"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["iam:*:get*"]}]})))))
    assert (e.value.status_code, e.value.error_code) == (400, "IAM.0011")
    assert "policy" in e.value.error_msg

    # The provider's JWKS revoked (on the Atlas face): refused at once.
    fs, idp_id = fed.atlas_provider()
    r = requests.delete(V2 + f"/federationSettings/{fs}/identityProviders/{idp_id}/jwks",
                        auth=("admin", PASSWORD), timeout=10)
    assert r.status_code == 204, r.text
    with pytest.raises(exceptions.ClientRequestException) as e:
        fed.show(fed.with_temporary_key(credential))
    assert (e.value.status_code, e.value.error_code) == (401, "IAM.0007")


def test_a_temporary_key_expires_with_its_id_token(admin, key):
    fed = Federated(admin, key)
    unscoped = fed.unscoped_login(fed.id_token(lifetime=6)).x_subject_token
    credential = fed.temporary_key(unscoped, duration=86400)
    client = fed.with_temporary_key(credential)
    assert fed.show(client).openid_connect_config.client_id == fed.audience
    # expires_at is the ID token's own expiry, whatever duration_seconds asked.
    expires = time.mktime(time.strptime(credential.expires_at, "%Y-%m-%dT%H:%M:%S.%fZ")) - time.timezone
    assert expires - time.time() <= 7
    deadline = time.time() + 20
    while True:
        try:
            fed.show(client)
        except exceptions.ClientRequestException as e:
            assert (e.status_code, e.error_code) == (401, "IAM.0007")
            assert time.time() >= expires - 1
            break
        assert time.time() < deadline, "the expired key is still accepted"
        time.sleep(0.5)
