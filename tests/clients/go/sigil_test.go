// Package clients drives Sigil with the vendors' own Go SDKs, unchanged: the Atlas Go SDK
// (current and the Atlas document's own v20241113001), go-elasticsearch and the Huawei Cloud
// Go SDK. Run it against a running server:
//
//	SIGIL_URL=http://127.0.0.1:8420 SIGIL_ADMIN_PASSWORD=... go test ./...
//
// `cargo test` runs it against a fresh test server (crates/sigil-server/tests/it/go_clients.rs),
// which also sets SIGIL_GO_FEDERATION: identity providers whose JWKS the tests revoke, each
// with a token it issued before.
package clients

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// sigilURL is the server's base URL, without a trailing slash.
func sigilURL(t *testing.T) string {
	return strings.TrimSuffix(required(t, "SIGIL_URL"), "/")
}

func adminPassword(t *testing.T) string {
	return required(t, "SIGIL_ADMIN_PASSWORD")
}

// required reads an environment variable that must be set: a missing one fails, never skips.
func required(t *testing.T, name string) string {
	t.Helper()
	value := os.Getenv(name)
	if value == "" {
		t.Fatalf("%s must be set", name)
	}
	return value
}

// provider is an identity provider connected to an organization of its own, whose role
// mapping makes the bearer of `Token` an owner of it.
type provider struct {
	OrgID                string `json:"orgId"`
	FederationSettingsID string `json:"federationSettingsId"`
	IdentityProviderID   string `json:"identityProviderId"`
	Token                string `json:"token"`
}

// federated answers the provider the harness prepared under `name`.
func federated(t *testing.T, name string) provider {
	t.Helper()
	var all map[string]provider
	if err := json.Unmarshal([]byte(required(t, "SIGIL_GO_FEDERATION")), &all); err != nil {
		t.Fatalf("SIGIL_GO_FEDERATION: %v", err)
	}
	p, ok := all[name]
	if !ok {
		t.Fatalf("SIGIL_GO_FEDERATION has no %q", name)
	}
	return p
}

// bearerStatus is the status of GET /api/atlas/v2/orgs/{orgId} with `token` as a Bearer.
func bearerStatus(t *testing.T, orgID, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, sigilURL(t)+"/api/atlas/v2/orgs/"+orgID, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// unique is a name no other run of the tests uses.
func unique(prefix string) string {
	return prefix + "-" + strings.ReplaceAll(time.Now().Format("150405.000000000"), ".", "")
}
