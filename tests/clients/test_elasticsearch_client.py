"""Sigil's Elasticsearch security face (`/_security/...`) against the official `elasticsearch`
Python client (9.x), unchanged: users, roles, and API keys created, read, queried, updated and
invalidated as the seed's invalidate-API-keys page describes.

    SIGIL_URL=http://127.0.0.1:8420 SIGIL_ADMIN_PASSWORD=... python3 -m pytest tests/clients

`cargo test` runs it against a fresh test server on both stores
(crates/sigil-server/tests/it/clients.rs). One test invalidates every key of the realm
`default_native`: run it against a throwaway server only.
"""

import base64
import os
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    BadRequestError,
    Elasticsearch,
    NotFoundError,
)

# Both are required: a missing one is an error, never a silent skip.
URL = os.environ["SIGIL_URL"].rstrip("/")
PASSWORD = os.environ["SIGIL_ADMIN_PASSWORD"]
REALM = "default_native"
ROLE = "own-keys"
BOB_PASSWORD = "bob-password-1"
DAY_MS = 86_400_000
INVALIDATE = "cluster:admin/xpack/security/api_key/invalidate"


def es(**auth):
    # No retries: a retried DELETE would hide what the first answer was.
    return Elasticsearch(URL, request_timeout=10, max_retries=0, **auth)


def ok(resp):
    """The body of a successful response, after checking the header the client relies on."""
    assert resp.meta.headers.get("X-Elastic-Product") == "Elasticsearch", resp.meta.headers
    return resp.body


def fails(exc, status, call, *args, **kwargs):
    """Runs `call`, which must raise `exc` with `status`; answers the exception."""
    with pytest.raises(exc) as info:
        call(*args, **kwargs)
    e = info.value
    assert isinstance(e, ApiError)
    assert e.meta.status == status, e.body
    assert e.meta.headers.get("X-Elastic-Product") == "Elasticsearch", e.meta.headers
    return e


def validation_failed(e):
    error = e.body["error"]
    assert error["type"] == "action_request_validation_exception", e.body
    assert error["reason"].startswith("Validation Failed: 1: "), e.body
    assert error["root_cause"][0]["type"] == "action_request_validation_exception", e.body
    assert e.body["status"] == 400, e.body


def unknown_id():
    """Of the API key form (20 url-safe characters) but surely not a key."""
    return secrets.token_urlsafe(15)


def key(client, name, **kwargs):
    return ok(client.security.create_api_key(name=name, **kwargs))


def authenticates(k):
    return ok(es(api_key=k["encoded"]).security.authenticate())


def is_refused(k):
    e = fails(AuthenticationException, 401, es(api_key=k["encoded"]).security.authenticate)
    assert e.body["error"]["type"] == "security_exception", e.body


def invalidated(body, ids, previously=()):
    assert sorted(body["invalidated_api_keys"]) == sorted(ids), body
    assert sorted(body["previously_invalidated_api_keys"]) == sorted(previously), body
    assert body["error_count"] == 0, body
    assert "error_details" not in body, body


@pytest.fixture(scope="module")
def admin():
    return es(basic_auth=("admin", PASSWORD))


@pytest.fixture(scope="module")
def own_keys(admin):
    made = ok(admin.security.put_role(name=ROLE, cluster=["manage_own_api_key"]))
    assert made["role"]["created"] in (True, False), made
    return ROLE


@pytest.fixture
def bob(admin, own_keys):
    """A fresh user of `default_native` whose only privilege is manage_own_api_key."""
    name = "bob-" + uuid.uuid4().hex[:10]
    created = ok(admin.security.put_user(username=name, password=BOB_PASSWORD, roles=[own_keys]))
    assert created == {"created": True}
    return SimpleNamespace(name=name, es=es(basic_auth=(name, BOB_PASSWORD)))


def test_roles_users_and_authenticate(admin):
    role = "own-keys-" + uuid.uuid4().hex[:10]
    for created in (True, False):
        made = ok(admin.security.put_role(name=role, cluster=["manage_own_api_key"]))
        assert made == {"role": {"created": created}}
    name = "bob-" + uuid.uuid4().hex[:10]
    made = ok(admin.security.put_user(username=name, password=BOB_PASSWORD, roles=[role]))
    assert made == {"created": True}
    user = ok(admin.security.get_user(username=name))[name]
    assert user["username"] == name and user["roles"] == [role] and user["enabled"] is True

    me = ok(es(basic_auth=(name, BOB_PASSWORD)).security.authenticate())
    assert me["username"] == name
    assert me["roles"] == [role]
    assert me["authentication_realm"] == {"name": REALM, "type": "native"}
    assert me["lookup_realm"] == {"name": REALM, "type": "native"}
    assert me["authentication_type"] == "realm"
    assert "api_key" not in me

    root = ok(admin.security.authenticate())
    assert root["username"] == "admin" and "superuser" in root["roles"]


def test_bad_credentials_are_401_with_challenges():
    for client in (es(basic_auth=("admin", "not-the-password")), es()):
        e = fails(AuthenticationException, 401, client.security.authenticate)
        assert e.body["error"]["type"] == "security_exception", e.body
        challenges = e.meta.headers["WWW-Authenticate"]
        for scheme in ('Basic realm="security"', "ApiKey", "Bearer"):
            assert scheme in challenges, challenges
    fails(AuthenticationException, 401, es(api_key=(unknown_id(), "x" * 22)).security.authenticate)


def test_create_a_key_and_authenticate_with_it(bob):
    before = time.time() * 1000
    k = key(bob.es, f"{bob.name}-key-1", expiration="1d", metadata={"team": "a"})
    assert k["name"] == f"{bob.name}-key-1"
    assert len(k["id"]) == 20 and len(k["api_key"]) == 22, k
    assert base64.b64decode(k["encoded"]).decode() == f"{k['id']}:{k['api_key']}"
    assert before + DAY_MS - 60_000 <= k["expiration"] <= time.time() * 1000 + DAY_MS + 60_000

    for creds in (k["encoded"], (k["id"], k["api_key"])):
        me = ok(es(api_key=creds).security.authenticate())
        assert me["authentication_type"] == "api_key", me
        assert me["api_key"] == {"id": k["id"], "name": f"{bob.name}-key-1"}, me
        assert me["username"] == bob.name, me

    # Without an expiration, none is answered.
    assert "expiration" not in key(bob.es, f"{bob.name}-key-2")


def test_a_limited_key_authenticates_but_cannot_create_keys(bob):
    k = key(bob.es, f"{bob.name}-limited", role_descriptors={"none": {"cluster": []}})
    assert authenticates(k)["username"] == bob.name
    e = fails(
        AuthorizationException, 403, es(api_key=k["encoded"]).security.create_api_key, name="x"
    )
    assert e.body["error"]["type"] == "security_exception", e.body


def test_create_errors(bob):
    e = fails(BadRequestError, 400, bob.es.security.create_api_key, name="m", metadata={"_x": 1})
    assert e.body["status"] == 400 and e.body["error"]["type"], e.body
    e = fails(BadRequestError, 400, bob.es.security.create_api_key, name="e", expiration="abc")
    assert e.body["status"] == 400 and e.body["error"]["type"], e.body


def test_an_expired_key_is_refused_but_still_visible(bob):
    k = key(bob.es, f"{bob.name}-short", expiration="1s")
    time.sleep(2.5)
    is_refused(k)
    [info] = ok(bob.es.security.get_api_key(id=k["id"]))["api_keys"]
    assert info["invalidated"] is False and info["expiration"] < time.time() * 1000


def test_get_api_keys(admin, bob):
    k1 = key(bob.es, f"{bob.name}-key-1", expiration="1d", metadata={"team": "a"})
    k2 = key(bob.es, f"{bob.name}-key-2")
    mine = key(admin, "admin-" + uuid.uuid4().hex[:10])
    bobs = {k1["id"], k2["id"]}

    [info] = ok(admin.security.get_api_key(id=k1["id"]))["api_keys"]
    assert info["id"] == k1["id"] and info["name"] == f"{bob.name}-key-1"
    assert info["type"] == "rest"
    assert info["username"] == bob.name and info["realm"] == REALM
    assert info["realm_type"] == "native"
    assert info["metadata"] == {"team": "a"}
    assert info["invalidated"] is False and "invalidation" not in info
    assert info["expiration"] == k1["expiration"] and info["creation"] < info["expiration"]

    def ids(**query):
        return {i["id"] for i in ok(admin.security.get_api_key(**query))["api_keys"]}

    assert ids(name=f"{bob.name}-key-*") == bobs
    assert ids(name=f"{bob.name}-key-1") == {k1["id"]}
    assert ids(username=bob.name) == bobs
    assert ids(realm_name=REALM) >= bobs | {mine["id"]}
    assert ids(username=bob.name, realm_name=REALM) == bobs
    assert ok(admin.security.get_api_key(name=f"{bob.name}-none"))["api_keys"] == []

    # manage_own_api_key: owner=true, or its own username and realm, finds only its own keys.
    for query in ({"owner": True}, {"username": bob.name, "realm_name": REALM}):
        got = ok(bob.es.security.get_api_key(**query))["api_keys"]
        assert {i["id"] for i in got} == bobs, got

    e = fails(NotFoundError, 404, admin.security.get_api_key, id=unknown_id())
    assert e.body == {"api_keys": []}, e.body


def test_query_api_keys(admin, bob):
    names = [f"{bob.name}-{x}" for x in ("a", "b", "c")]
    a, b, c = (key(bob.es, n) for n in names)
    invalidated(ok(admin.security.invalidate_api_key(ids=[a["id"]])), [a["id"]])

    found = ok(admin.security.query_api_keys(query={"term": {"name": names[0]}}))
    assert found["total"] == 1 and found["count"] == 1, found
    assert found["api_keys"][0]["id"] == a["id"] and found["api_keys"][0]["invalidated"] is True

    active = {"bool": {"must": [{"prefix": {"name": bob.name}}],
                       "filter": [{"term": {"invalidated": False}}]}}
    page = ok(admin.security.query_api_keys(query=active, size=1, sort=["name"]))
    assert page["total"] == 2 and page["count"] == 1, page
    assert page["api_keys"][0]["id"] == b["id"], page
    rest = ok(admin.security.query_api_keys(query=active, from_=1, size=5, sort=["name"]))
    assert [k["id"] for k in rest["api_keys"]] == [c["id"]], rest


def test_update_api_key(bob):
    k = key(bob.es, f"{bob.name}-key-1", metadata={"team": "a"})
    updated = ok(bob.es.security.update_api_key(id=k["id"], metadata={"team": "b"}))
    assert updated == {"updated": True}
    [info] = ok(bob.es.security.get_api_key(id=k["id"]))["api_keys"]
    assert info["metadata"] == {"team": "b"}
    assert authenticates(k)["username"] == bob.name

    invalidated(ok(bob.es.security.invalidate_api_key(owner=True)), [k["id"]])
    e = fails(ApiError, 400, bob.es.security.update_api_key, id=k["id"], metadata={"team": "c"})
    assert e.body["status"] == 400, e.body
    [info] = ok(bob.es.security.get_api_key(id=k["id"]))["api_keys"]
    assert info["metadata"] == {"team": "b"}


def test_invalidate_by_ids(admin, bob):
    k1, k2 = key(bob.es, f"{bob.name}-1"), key(bob.es, f"{bob.name}-2")
    both = [k1["id"], k2["id"]]
    invalidated(ok(admin.security.invalidate_api_key(ids=both)), both)
    invalidated(ok(admin.security.invalidate_api_key(ids=both)), [], previously=both)
    is_refused(k1)
    is_refused(k2)
    [info] = ok(admin.security.get_api_key(id=k1["id"]))["api_keys"]
    assert info["invalidated"] is True
    assert info["creation"] <= info["invalidation"] <= time.time() * 1000 + 60_000, info

    # The deprecated `id` the client still offers is one id; one that does not exist is not listed.
    k3 = key(bob.es, f"{bob.name}-3")
    invalidated(ok(admin.security.invalidate_api_key(id=k3["id"])), [k3["id"]])
    invalidated(ok(admin.security.invalidate_api_key(ids=[unknown_id()])), [])


def test_a_malformed_id_is_one_error_and_the_rest_are_invalidated(admin, bob):
    k = key(bob.es, f"{bob.name}-1")
    body = ok(admin.security.invalidate_api_key(ids=["not an api key id!", k["id"], unknown_id()]))
    assert body["invalidated_api_keys"] == [k["id"]], body
    assert body["previously_invalidated_api_keys"] == [], body
    assert body["error_count"] == 1, body
    [detail] = body["error_details"]
    assert detail["type"] == "exception", body
    assert detail["reason"] == "error occurred while invalidating api keys", body
    assert detail["caused_by"] == {"type": "illegal_argument_exception",
                                   "reason": "invalid api key id"}, body
    is_refused(k)


def test_invalidate_by_name(admin, bob):
    k1, k2 = key(bob.es, f"{bob.name}-x"), key(bob.es, f"{bob.name}-y")
    invalidated(ok(admin.security.invalidate_api_key(name=f"{bob.name}-x")), [k1["id"]])
    is_refused(k1)
    assert authenticates(k2)["username"] == bob.name


def test_invalidate_by_username(admin, bob):
    k1, k2 = key(bob.es, f"{bob.name}-1"), key(bob.es, f"{bob.name}-2")
    mine = key(admin, "admin-" + uuid.uuid4().hex[:10])
    invalidated(ok(admin.security.invalidate_api_key(username=bob.name)), [k1["id"], k2["id"]])
    is_refused(k1)
    assert authenticates(mine)["username"] == "admin"


def test_invalidate_by_username_and_realm(admin, bob):
    k1, k2 = key(bob.es, f"{bob.name}-1"), key(bob.es, f"{bob.name}-2")
    # manage_own_api_key may name itself by username and realm.
    body = ok(bob.es.security.invalidate_api_key(username=bob.name, realm_name=REALM))
    invalidated(body, [k1["id"], k2["id"]])
    k3 = key(bob.es, f"{bob.name}-3")
    body = ok(admin.security.invalidate_api_key(username=bob.name, realm_name=REALM))
    invalidated(body, [k3["id"]], previously=[k1["id"], k2["id"]])


def test_invalidate_own_keys_with_owner(admin, bob):
    k1, k2 = key(bob.es, f"{bob.name}-1"), key(bob.es, f"{bob.name}-2")
    mine = key(admin, "admin-" + uuid.uuid4().hex[:10])
    invalidated(ok(bob.es.security.invalidate_api_key(owner=True)), [k1["id"], k2["id"]])
    again = ok(bob.es.security.invalidate_api_key(owner=True, ids=[k1["id"]]))
    invalidated(again, [], previously=[k1["id"]])
    assert authenticates(mine)["username"] == "admin"
    # owner=true narrows to the caller's keys: the admin's key is not touched.
    try:
        body = ok(bob.es.security.invalidate_api_key(owner=True, ids=[mine["id"]]))
        assert mine["id"] not in body["invalidated_api_keys"], body
    except AuthorizationException:
        pass
    assert authenticates(mine)["username"] == "admin"


def test_a_key_invalidates_itself(bob):
    k = key(bob.es, f"{bob.name}-self")
    self_client = es(api_key=k["encoded"])
    invalidated(ok(self_client.security.invalidate_api_key(ids=[k["id"]])), [k["id"]])
    is_refused(k)


def test_manage_own_api_key_may_not_invalidate_others(admin, bob):
    mine = key(admin, "admin-" + uuid.uuid4().hex[:10])
    own = key(bob.es, f"{bob.name}-1")
    refused = [
        {"username": "admin"},
        {"username": "admin", "realm_name": REALM},
        {"realm_name": REALM},
        {"ids": [mine["id"]]},
        # By password, not by that key: its own id without owner is not enough.
        {"ids": [own["id"]]},
    ]
    for query in refused:
        e = fails(AuthorizationException, 403, bob.es.security.invalidate_api_key, **query)
        assert e.body["error"]["type"] == "security_exception", (query, e.body)
        assert INVALIDATE in e.body["error"]["reason"], (query, e.body)
    # Another key of bob's may not invalidate the admin's either.
    via_key = es(api_key=own["encoded"])
    fails(AuthorizationException, 403, via_key.security.invalidate_api_key, ids=[mine["id"]])
    assert authenticates(mine)["username"] == "admin"
    assert authenticates(own)["username"] == bob.name


SOME_ID = "VuaCfGcBCdbkQm-e5aOx"


@pytest.mark.parametrize(
    "query",
    [
        {"ids": [SOME_ID], "name": "n"},
        {"ids": [SOME_ID], "username": "bob"},
        {"ids": [SOME_ID], "realm_name": REALM},
        {"name": "n", "username": "bob"},
        {"name": "n", "realm_name": REALM},
        {"owner": True, "realm_name": REALM},
        {"owner": True, "username": "bob"},
        {"owner": False},
        {},
        {"ids": []},
        {"ids": [""]},
        {"ids": ["   "]},
        {"ids": [SOME_ID, ""]},
    ],
    ids=repr,
)
def test_invalid_invalidations_are_400(admin, query):
    validation_failed(fails(BadRequestError, 400, admin.security.invalidate_api_key, **query))


def test_concurrent_invalidations_list_the_key_once(admin, bob):
    k = key(bob.es, f"{bob.name}-race")
    clients = [es(basic_auth=("admin", PASSWORD)) for _ in range(8)]
    with ThreadPoolExecutor(len(clients)) as pool:
        bodies = list(pool.map(lambda c: ok(c.security.invalidate_api_key(ids=[k["id"]])), clients))
    firsts = [b for b in bodies if b["invalidated_api_keys"] == [k["id"]]]
    assert len(firsts) == 1, bodies
    assert all(b["previously_invalidated_api_keys"] == [k["id"]] for b in bodies if b not in firsts)


def test_headers_and_common_parameters(admin):
    resp = admin.security.authenticate(pretty=True, human=True, error_trace=True)
    assert ok(resp)["username"] == "admin"
    # The 9.x client asks for compatible-with=9; the answer says which media type it is.
    content_type = resp.meta.headers["Content-Type"]
    assert content_type.replace(" ", "").startswith(
        "application/vnd.elasticsearch+json;compatible-with=9"
    ), content_type
    assert ok(admin.security.authenticate(filter_path="username"))["username"] == "admin"


def test_invalidate_by_realm(admin, bob):
    """Invalidates every key of default_native: keys made by other tests go too."""
    k = key(bob.es, f"{bob.name}-1")
    mine = key(admin, "admin-" + uuid.uuid4().hex[:10])
    body = ok(admin.security.invalidate_api_key(realm_name=REALM))
    assert {k["id"], mine["id"]} <= set(body["invalidated_api_keys"]), body
    assert body["error_count"] == 0 and "error_details" not in body, body
    is_refused(k)
    is_refused(mine)


def test_documented_cluster_privileges_and_has_privileges(admin):
    role = "ops-" + uuid.uuid4().hex[:10]
    made = ok(admin.security.put_role(
        name=role,
        cluster=["monitor", "manage_own_api_key", "manage_token", "none"],
        indices=[{"names": ["logs-*"], "privileges": ["read"]}],
        applications=[{"application": "myapp", "privileges": ["read"], "resources": ["*"]}],
    ))
    assert made == {"role": {"created": True}}
    ok(admin.security.put_privileges(privileges={"myapp": {"read": {"actions": ["data:read/*"]}}}))
    name = "carol-" + uuid.uuid4().hex[:10]
    ok(admin.security.put_user(username=name, password=BOB_PASSWORD, roles=[role]))
    carol = es(basic_auth=(name, BOB_PASSWORD))
    ask = dict(
        cluster=["monitor", "manage", "manage_own_api_key"],
        index=[{"names": ["logs-1", "secret"], "privileges": ["read"]}],
        application=[{"application": "myapp", "privileges": ["read", "data:write/x"], "resources": ["doc/1"]}],
    )
    expected = {
        "username": name,
        "has_all_requested": False,
        "cluster": {"monitor": True, "manage": False, "manage_own_api_key": True},
        "index": {"logs-1": {"read": True}, "secret": {"read": False}},
        "application": {"myapp": {"doc/1": {"read": True, "data:write/x": False}}},
    }
    assert ok(carol.security.has_privileges(**ask)) == expected
    assert ok(carol.security.has_privileges(user=name, **ask)) == expected
    fails(BadRequestError, 400, carol.security.has_privileges, user="admin", cluster=["monitor"])
    e = fails(BadRequestError, 400, admin.security.put_role, name="odd-" + uuid.uuid4().hex[:6], cluster=["sing"])
    validation_failed(e)
    # A key asking for `all` holds what its owner holds of it: enough to read itself.
    k = key(carol, "wide", role_descriptors={"r": {"cluster": ["all"]}})
    mine = es(api_key=k["encoded"])
    got = ok(mine.security.get_api_key(id=k["id"]))["api_keys"]
    assert [g["id"] for g in got] == [k["id"]]
    held = ok(mine.security.has_privileges(cluster=["manage_own_api_key", "manage_api_key"]))
    assert held["cluster"] == {"manage_own_api_key": True, "manage_api_key": False}, held
    assert ok(carol.cluster.health())["status"] == "green"


def test_reserved_names_are_refused(admin):
    e = fails(BadRequestError, 400, admin.security.put_user, username="_someone", password=BOB_PASSWORD)
    assert "reserved" in e.body["error"]["reason"], e.body
    # The path is `_has_privileges`' own, which takes GET and POST only. (A client of its own:
    # the server answers without reading the body, then closes that connection.)
    once = es(basic_auth=("admin", PASSWORD))
    e = fails(ApiError, 405, once.security.put_user, username="_has_privileges", password=BOB_PASSWORD)
    assert e.body["error"].endswith("allowed: [GET, HEAD, POST]"), e.body
    fails(BadRequestError, 400, admin.security.put_role, name="_ops", cluster=[])
    assert "_has_privileges" not in ok(admin.security.get_user())


def test_descriptors_normalized_and_limited_by(admin, bob):
    k = key(bob.es, "narrow", role_descriptors={"r": {"cluster": ["manage_own_api_key"], "index": [{"names": "logs", "privileges": ["read"]}]}})
    got = ok(admin.security.get_api_key(id=k["id"], with_limited_by=True))["api_keys"][0]
    assert got["role_descriptors"] == {"r": {
        "cluster": ["manage_own_api_key"],
        "indices": [{"names": ["logs"], "privileges": ["read"], "allow_restricted_indices": False}],
        "applications": [], "run_as": [], "metadata": {}, "transient_metadata": {"enabled": True},
    }}, got
    assert list(got["limited_by"][0]) == [ROLE], got
    assert got["limited_by"][0][ROLE]["cluster"] == ["manage_own_api_key"], got
    queried = ok(admin.security.query_api_keys(query={"ids": {"values": [k["id"]]}}, with_limited_by=True))
    assert queried["api_keys"][0]["limited_by"] == got["limited_by"]
    fails(AuthorizationException, 403, bob.es.security.get_api_key, id=k["id"], with_limited_by=True)


def test_bulk_update_and_clear_cache(admin, bob):
    k1, k2 = key(bob.es, "one"), key(bob.es, "two")
    done = ok(bob.es.security.bulk_update_api_keys(ids=[k1["id"], k2["id"], unknown_id()], metadata={"env": "prod"}))
    assert sorted(done["updated"]) == sorted([k1["id"], k2["id"]]), done
    assert done["noops"] == [] and done["errors"]["count"] == 1, done
    again = ok(bob.es.security.bulk_update_api_keys(ids=[k1["id"]], metadata={"env": "prod"}))
    assert again == {"updated": [], "noops": [k1["id"]]}, again
    cleared = ok(admin.security.clear_api_key_cache(ids=[k1["id"], k2["id"]]))
    assert cleared["_nodes"]["failed"] == 0, cleared
    assert authenticates(k1)["api_key"]["id"] == k1["id"]
    fails(AuthorizationException, 403, bob.es.security.clear_api_key_cache, ids="*")


def test_application_privileges(admin):
    app = "app" + uuid.uuid4().hex[:8]
    made = ok(admin.security.put_privileges(privileges={app: {"read": {"actions": ["data:read/*"], "metadata": {"d": 1}}}}))
    assert made == {app: {"read": {"created": True}}}
    got = ok(admin.security.get_privileges(application=app, name="read"))
    assert got == {app: {"read": {"application": app, "name": "read", "actions": ["data:read/*"], "metadata": {"d": 1}}}}
    assert "manage_token" in ok(admin.security.get_builtin_privileges())["cluster"]
    assert ok(admin.security.delete_privileges(application=app, name="read")) == {app: {"read": {"found": True}}}
    fails(NotFoundError, 404, admin.security.get_privileges, application=app)


def test_search_after_with_a_date_string(admin, bob):
    made = [key(bob.es, n) for n in ("a", "b", "c")]
    page = ok(bob.es.security.query_api_keys(sort=["creation"], size=1))
    first = page["api_keys"][0]
    as_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(first["creation"] / 1000)) + ".%03dZ" % (first["creation"] % 1000)
    by_number = ok(bob.es.security.query_api_keys(sort=["creation"], search_after=first["_sort"]))
    by_text = ok(bob.es.security.query_api_keys(sort=["creation"], search_after=[as_text]))
    assert [k["id"] for k in by_text["api_keys"]] == [k["id"] for k in by_number["api_keys"]]
    creations = [k["creation"] for k in ok(bob.es.security.get_api_key(owner=True))["api_keys"]]
    assert len(creations) == len(made)
    assert len(by_text["api_keys"]) == len([c for c in creations if c > first["creation"]])
    assert first["id"] not in [k["id"] for k in by_text["api_keys"]]
