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
