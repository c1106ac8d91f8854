package clients

// go-elasticsearch (the official Go client, plain esapi) against Sigil's Elasticsearch security
// face: API keys created, read, queried and invalidated by every rule of Elasticsearch's
// invalidate-API-keys page, and requests authenticated with `APIKey`.

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
)

const esRealm = "default_native"

func esClient(t *testing.T, config elasticsearch.Config) *elasticsearch.Client {
	t.Helper()
	config.Addresses = []string{sigilURL(t)}
	config.MaxRetries = 0
	config.DisableRetry = true
	client, err := elasticsearch.NewClient(config)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func esAdmin(t *testing.T) *elasticsearch.Client {
	return esClient(t, elasticsearch.Config{Username: "admin", Password: adminPassword(t)})
}

// esBody checks a response's status and decodes its JSON body.
func esBody(t *testing.T, resp *esapi.Response, err error, status int) map[string]any {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%d (wanted %d): %s", resp.StatusCode, status, raw)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return body
}

func esJSON(v any) io.Reader {
	raw, _ := json.Marshal(v)
	return strings.NewReader(string(raw))
}

type esKey struct {
	ID, Name, Encoded string
}

func createKey(t *testing.T, client *elasticsearch.Client, name string) esKey {
	t.Helper()
	resp, err := client.Security.CreateAPIKey(esJSON(map[string]any{"name": name, "expiration": "1d"}))
	body := esBody(t, resp, err, http.StatusOK)
	return esKey{ID: body["id"].(string), Name: name, Encoded: body["encoded"].(string)}
}

func authenticateStatus(t *testing.T, key esKey) int {
	t.Helper()
	resp, err := esClient(t, elasticsearch.Config{APIKey: key.Encoded}).Security.Authenticate()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func ids(values any) []string {
	var out []string
	for _, v := range values.([]any) {
		out = append(out, v.(string))
	}
	sort.Strings(out)
	return out
}

// invalidate runs one invalidation and checks which keys it invalidated, and which it found
// invalidated already.
func invalidate(t *testing.T, client *elasticsearch.Client, query map[string]any, invalidated []esKey, previously ...esKey) {
	t.Helper()
	resp, err := client.Security.InvalidateAPIKey(esJSON(query))
	body := esBody(t, resp, err, http.StatusOK)
	want := func(keys []esKey) []string {
		var out []string
		for _, k := range keys {
			out = append(out, k.ID)
		}
		sort.Strings(out)
		return out
	}
	if got := ids(body["invalidated_api_keys"]); strings.Join(got, ",") != strings.Join(want(invalidated), ",") {
		t.Fatalf("%v invalidated %v, wanted %v", query, got, want(invalidated))
	}
	if got := ids(body["previously_invalidated_api_keys"]); strings.Join(got, ",") != strings.Join(want(previously), ",") {
		t.Fatalf("%v found %v invalidated before, wanted %v", query, got, want(previously))
	}
	if body["error_count"].(float64) != 0 {
		t.Fatalf("%v: %v", query, body)
	}
}

// esUser creates a user of default_native who may manage only its own API keys.
func esUser(t *testing.T) (string, *elasticsearch.Client) {
	t.Helper()
	admin := esAdmin(t)
	resp, err := admin.Security.PutRole("go-own-keys", esJSON(map[string]any{"cluster": []string{"manage_own_api_key"}}))
	esBody(t, resp, err, http.StatusOK)
	name := unique("go-bob")
	resp, err = admin.Security.PutUser(name, esJSON(map[string]any{"password": "go-bob-password", "roles": []string{"go-own-keys"}}))
	esBody(t, resp, err, http.StatusOK)
	return name, esClient(t, elasticsearch.Config{Username: name, Password: "go-bob-password"})
}

func TestElasticsearchApiKeysCreateGetQueryAndAuthenticate(t *testing.T) {
	name, bob := esUser(t)
	key := createKey(t, bob, name+"-a")
	if authenticateStatus(t, key) != http.StatusOK {
		t.Fatal("a new key does not authenticate")
	}
	resp, err := esClient(t, elasticsearch.Config{APIKey: key.Encoded}).Security.Authenticate()
	who := esBody(t, resp, err, http.StatusOK)
	if who["username"] != name || who["authentication_type"] != "api_key" {
		t.Fatalf("authenticate: %v", who)
	}
	resp, err = bob.Security.GetAPIKey(bob.Security.GetAPIKey.WithID(key.ID))
	got := esBody(t, resp, err, http.StatusOK)
	keys := got["api_keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["name"] != key.Name || keys[0].(map[string]any)["invalidated"] != false {
		t.Fatalf("get: %v", got)
	}
	resp, err = esAdmin(t).Security.GetAPIKey(esAdmin(t).Security.GetAPIKey.WithUsername(name),
		esAdmin(t).Security.GetAPIKey.WithRealmName(esRealm))
	if got := esBody(t, resp, err, http.StatusOK)["api_keys"].([]any); len(got) != 1 {
		t.Fatalf("get by username and realm: %v", got)
	}
	other := createKey(t, bob, name+"-b")
	invalidate(t, bob, map[string]any{"owner": true, "ids": []string{other.ID}}, []esKey{other})
	resp, err = bob.Security.QueryAPIKeys(bob.Security.QueryAPIKeys.WithBody(esJSON(map[string]any{
		"query": map[string]any{"bool": map[string]any{"must": []any{
			map[string]any{"prefix": map[string]any{"name": name}},
			map[string]any{"term": map[string]any{"invalidated": false}},
		}}},
	})))
	found := esBody(t, resp, err, http.StatusOK)
	if found["count"].(float64) != 1 || found["api_keys"].([]any)[0].(map[string]any)["id"] != key.ID {
		t.Fatalf("query: %v", found)
	}
	// A wrong key is 401 in Elasticsearch's error shape.
	wrong := esKey{Encoded: "bm90LWFuLWlkOm5vdC1hLWtleQ=="}
	resp, err = esClient(t, elasticsearch.Config{APIKey: wrong.Encoded}).Security.Authenticate()
	refused := esBody(t, resp, err, http.StatusUnauthorized)
	if refused["error"].(map[string]any)["type"] != "security_exception" {
		t.Fatalf("a wrong key: %v", refused)
	}
}

func TestElasticsearchInvalidationRules(t *testing.T) {
	admin := esAdmin(t)
	name, bob := esUser(t)
	// By ids, and again: the second time they were invalidated before.
	k1, k2 := createKey(t, bob, name+"-1"), createKey(t, bob, name+"-2")
	invalidate(t, admin, map[string]any{"ids": []string{k1.ID, k2.ID}}, []esKey{k1, k2})
	invalidate(t, admin, map[string]any{"ids": []string{k1.ID, k2.ID}}, nil, k1, k2)
	if authenticateStatus(t, k1) != http.StatusUnauthorized {
		t.Fatal("an invalidated key still authenticates")
	}
	// By the deprecated single id.
	k3 := createKey(t, bob, name+"-3")
	invalidate(t, admin, map[string]any{"id": k3.ID}, []esKey{k3})
	// By name.
	k4, k5 := createKey(t, bob, name+"-4"), createKey(t, bob, name+"-5")
	invalidate(t, admin, map[string]any{"name": k4.Name}, []esKey{k4})
	// By username, by username and realm, by realm alone.
	k6 := createKey(t, bob, name+"-6")
	invalidate(t, admin, map[string]any{"username": name}, []esKey{k5, k6}, k1, k2, k3, k4)
	k7 := createKey(t, bob, name+"-7")
	invalidate(t, admin, map[string]any{"username": name, "realm_name": esRealm}, []esKey{k7}, k1, k2, k3, k4, k5, k6)
	// The owner's own keys, with `owner`.
	k8, k9 := createKey(t, bob, name+"-8"), createKey(t, bob, name+"-9")
	invalidate(t, bob, map[string]any{"owner": true, "ids": []string{k8.ID}}, []esKey{k8})
	invalidate(t, bob, map[string]any{"owner": true, "name": k9.Name}, []esKey{k9})
	// A key invalidates itself.
	k10 := createKey(t, bob, name+"-10")
	invalidate(t, esClient(t, elasticsearch.Config{APIKey: k10.Encoded}), map[string]any{"ids": []string{k10.ID}}, []esKey{k10})
	if authenticateStatus(t, k10) != http.StatusUnauthorized {
		t.Fatal("a key that invalidated itself still authenticates")
	}
	// manage_own_api_key may not invalidate another user's keys.
	adminKey := createKey(t, admin, unique("go-admin-key"))
	resp, err := bob.Security.InvalidateAPIKey(esJSON(map[string]any{"ids": []string{adminKey.ID}}))
	if body := esBody(t, resp, err, http.StatusForbidden); body["error"].(map[string]any)["type"] != "security_exception" {
		t.Fatalf("bob invalidating the admin's key: %v", body)
	}
	// A query naming no keys is refused with a validation error naming the rule.
	resp, err = admin.Security.InvalidateAPIKey(esJSON(map[string]any{}))
	if body := esBody(t, resp, err, http.StatusBadRequest); body["error"].(map[string]any)["type"] != "action_request_validation_exception" {
		t.Fatalf("an empty invalidation: %v", body)
	}
	invalidate(t, admin, map[string]any{"ids": []string{adminKey.ID}}, []esKey{adminKey})
}

// Elasticsearch's whole cluster-privilege vocabulary, `_has_privileges` (a key holding the
// intersection of its descriptors with its owner's), bulk update, the cache clear, the
// application privileges API and the cluster probes, as go-elasticsearch calls them.
func TestElasticsearchPrivilegesBulkUpdateAndProbes(t *testing.T) {
	admin := esAdmin(t)
	role := unique("go-ops")
	resp, err := admin.Security.PutRole(role, esJSON(map[string]any{
		"cluster": []string{"monitor", "manage_own_api_key", "manage_token"},
		"indices": []any{map[string]any{"names": []string{"logs-*"}, "privileges": []string{"read"}}},
	}))
	esBody(t, resp, err, http.StatusOK)
	name := unique("go-carol")
	resp, err = admin.Security.PutUser(name, esJSON(map[string]any{"password": "go-carol-password", "roles": []string{role}}))
	esBody(t, resp, err, http.StatusOK)
	carol := esClient(t, elasticsearch.Config{Username: name, Password: "go-carol-password"})

	ask := map[string]any{
		"cluster": []string{"monitor", "manage"},
		"index":   []any{map[string]any{"names": []string{"logs-1"}, "privileges": []string{"read", "write"}}},
	}
	resp, err = carol.Security.HasPrivileges(esJSON(ask), carol.Security.HasPrivileges.WithUser(name))
	held := esBody(t, resp, err, http.StatusOK)
	cluster := held["cluster"].(map[string]any)
	index := held["index"].(map[string]any)["logs-1"].(map[string]any)
	if held["username"] != name || held["has_all_requested"] != false || cluster["monitor"] != true ||
		cluster["manage"] != false || index["read"] != true || index["write"] != false {
		t.Fatalf("has_privileges: %v", held)
	}

	// A key asking for `all` holds manage_own_api_key (its owner's), enough to read itself.
	resp, err = carol.Security.CreateAPIKey(esJSON(map[string]any{
		"name": name + "-wide", "role_descriptors": map[string]any{"r": map[string]any{"cluster": []string{"all"}}},
	}))
	created := esBody(t, resp, err, http.StatusOK)
	wide := esKey{ID: created["id"].(string), Encoded: created["encoded"].(string)}
	keyClient := esClient(t, elasticsearch.Config{APIKey: wide.Encoded})
	resp, err = keyClient.Security.GetAPIKey(keyClient.Security.GetAPIKey.WithID(wide.ID))
	if got := esBody(t, resp, err, http.StatusOK)["api_keys"].([]any); len(got) != 1 {
		t.Fatalf("a key reads itself: %v", got)
	}
	resp, err = keyClient.Security.GetAPIKey(keyClient.Security.GetAPIKey.WithID(wide.ID),
		keyClient.Security.GetAPIKey.WithWithLimitedBy(true))
	esBody(t, resp, err, http.StatusForbidden)

	other := createKey(t, carol, name+"-other")
	resp, err = carol.Security.BulkUpdateAPIKeys(esJSON(map[string]any{
		"ids": []string{wide.ID, other.ID}, "metadata": map[string]any{"env": "prod"},
	}))
	bulk := esBody(t, resp, err, http.StatusOK)
	if got := ids(bulk["updated"]); len(got) != 2 || len(bulk["noops"].([]any)) != 0 {
		t.Fatalf("bulk update: %v", bulk)
	}
	resp, err = admin.Security.ClearAPIKeyCache([]string{wide.ID, other.ID})
	if nodes := esBody(t, resp, err, http.StatusOK)["_nodes"].(map[string]any); nodes["failed"].(float64) != 0 {
		t.Fatalf("clear cache: %v", nodes)
	}
	if authenticateStatus(t, other) != http.StatusOK {
		t.Fatal("a key does not authenticate after the cache was cleared")
	}

	app := "go" + strings.ToLower(unique("app"))
	app = strings.NewReplacer("-", "", "_", "").Replace(app)
	resp, err = admin.Security.PutPrivileges(esJSON(map[string]any{
		app: map[string]any{"read": map[string]any{"actions": []string{"data:read/*"}}},
	}))
	if made := esBody(t, resp, err, http.StatusOK); made[app].(map[string]any)["read"].(map[string]any)["created"] != true {
		t.Fatalf("put privileges: %v", made)
	}
	resp, err = admin.Security.GetPrivileges(admin.Security.GetPrivileges.WithApplication(app))
	if got := esBody(t, resp, err, http.StatusOK)[app].(map[string]any)["read"].(map[string]any); got["name"] != "read" {
		t.Fatalf("get privileges: %v", got)
	}

	resp, err = carol.Cluster.Health()
	if health := esBody(t, resp, err, http.StatusOK); health["status"] != "green" {
		t.Fatalf("health: %v", health)
	}
	resp, err = esClient(t, elasticsearch.Config{APIKey: other.Encoded}).Cluster.Health()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a key of a monitor owner, without descriptors, reads health: %d", resp.StatusCode)
	}
}
