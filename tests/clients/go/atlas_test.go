package clients

// The current Atlas Go SDK against Sigil's Atlas Admin API v2 face and its OAuth 2.0 endpoints.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/atlas-sdk/v20250312010/admin"
	"go.mongodb.org/atlas-sdk/v20250312010/auth/clientcredentials"
	"golang.org/x/oauth2"
)

// digestClient is the SDK with HTTP Digest: a user's name and password or a programmatic API
// key's public and private key. UseBaseURL comes first, as the SDK's modifiers apply in order.
func digestClient(t *testing.T, user, password string) *admin.APIClient {
	t.Helper()
	client, err := admin.NewClient(admin.UseBaseURL(sigilURL(t)), admin.UseDigestAuth(user, password))
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// oauthClient is the SDK with a service account's client id and secret: it fetches its own
// tokens from {base}/api/oauth/token.
func oauthClient(t *testing.T, clientID, secret string) *admin.APIClient {
	t.Helper()
	client, err := admin.NewClient(admin.UseBaseURL(sigilURL(t)), admin.UseOAuthAuth(context.Background(), clientID, secret))
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func adminClient(t *testing.T) *admin.APIClient {
	return digestClient(t, "admin", adminPassword(t))
}

// fatalIf fails the test on an error, with the SDK's decoded ApiError when there is one.
func fatalIf(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if apiErr, ok := admin.AsError(err); ok {
		t.Fatalf("%v: %d %s %s", err, apiErr.Error, apiErr.ErrorCode, apiErr.GetDetail())
	}
	t.Fatal(err)
}

func defaultOrg(t *testing.T, client *admin.APIClient) string {
	t.Helper()
	ctx := context.Background()
	orgs, _, err := client.OrganizationsApi.ListOrgs(ctx).Execute()
	fatalIf(t, err)
	for _, org := range orgs.GetResults() {
		if org.GetName() == "default" {
			return org.GetId()
		}
	}
	t.Fatalf("no organization named default among %d", orgs.GetTotalCount())
	return ""
}

// ownerAccount creates a service account owning `orgID` and answers its client id and secret.
func ownerAccount(t *testing.T, client *admin.APIClient, orgID string) (string, string) {
	t.Helper()
	account, _, err := client.ServiceAccountsApi.CreateOrgServiceAccount(context.Background(), orgID,
		&admin.OrgServiceAccountRequest{
			Name: unique("go-sdk"), Description: "made by the Atlas Go SDK",
			Roles: []string{"ORG_OWNER"}, SecretExpiresAfterHours: 24,
		}).Execute()
	fatalIf(t, err)
	secrets := account.GetSecrets()
	if len(secrets) != 1 || secrets[0].GetSecret() == "" {
		t.Fatalf("a new service account has one secret, shown once: %+v", secrets)
	}
	return account.GetClientId(), secrets[0].GetSecret()
}

// The Atlas document's program with the current SDK: a service account's client id and
// secret through UseOAuthAuth, the JWKS of a provider revoked, and a token it issued before
// refused.
func TestAtlasOAuthRevokesAProvidersJwks(t *testing.T) {
	ctx := context.Background()
	p := federated(t, "oauth")
	if status := bearerStatus(t, p.OrgID, p.Token); status != http.StatusOK {
		t.Fatalf("the provider's token before the revoke: %d", status)
	}
	clientID, secret := ownerAccount(t, adminClient(t), p.OrgID)
	client := oauthClient(t, clientID, secret)
	org, _, err := client.OrganizationsApi.GetOrg(ctx, p.OrgID).Execute()
	fatalIf(t, err)
	if org.GetId() != p.OrgID {
		t.Fatalf("GetOrg answered %q", org.GetId())
	}
	httpResp, err := client.FederatedAuthenticationApi.
		RevokeIdentityProviderJwksWithParams(ctx, &admin.RevokeIdentityProviderJwksApiParams{
			FederationSettingsId: p.FederationSettingsID,
			IdentityProviderId:   p.IdentityProviderID,
		}).
		Execute()
	fatalIf(t, err)
	if httpResp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d", httpResp.StatusCode)
	}
	if status := bearerStatus(t, p.OrgID, p.Token); status != http.StatusUnauthorized {
		t.Fatalf("the provider's token after the revoke: %d", status)
	}
}

// The same revoke with a programmatic API key and HTTP Digest.
func TestAtlasDigestApiKeyRevokesAProvidersJwks(t *testing.T) {
	ctx := context.Background()
	p := federated(t, "digest")
	key, _, err := adminClient(t).ProgrammaticAPIKeysApi.CreateOrgApiKey(ctx, p.OrgID,
		&admin.CreateAtlasOrganizationApiKey{Desc: "Atlas Go SDK", Roles: []string{"ORG_OWNER"}}).Execute()
	fatalIf(t, err)
	client := digestClient(t, key.GetPublicKey(), key.GetPrivateKey())
	httpResp, err := client.FederatedAuthenticationApi.
		RevokeIdentityProviderJwks(ctx, p.FederationSettingsID, p.IdentityProviderID).Execute()
	fatalIf(t, err)
	if httpResp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d", httpResp.StatusCode)
	}
	if status := bearerStatus(t, p.OrgID, p.Token); status != http.StatusUnauthorized {
		t.Fatalf("the provider's token after the revoke: %d", status)
	}
	// A wrong private key is refused with the SDK's ApiError.
	wrong := digestClient(t, key.GetPublicKey(), "00000000-0000-0000-0000-000000000000")
	_, _, err = wrong.OrganizationsApi.GetOrg(ctx, p.OrgID).Execute()
	apiErr, ok := admin.AsError(err)
	if !ok || apiErr.Error != http.StatusUnauthorized {
		t.Fatalf("a wrong private key: %v", err)
	}
}

func TestAtlasIdentityProvidersAndRoleMappings(t *testing.T) {
	ctx := context.Background()
	client := adminClient(t)
	orgID := defaultOrg(t, client)
	settings, _, err := client.FederatedAuthenticationApi.GetFederationSettings(ctx, orgID).Execute()
	fatalIf(t, err)
	fs := settings.GetId()
	audience := unique("go-sdk-audience")
	created, _, err := client.FederatedAuthenticationApi.CreateIdentityProvider(ctx, fs,
		&admin.FederationOidcIdentityProviderUpdate{
			Protocol: admin.PtrString("OIDC"), IdpType: admin.PtrString("WORKLOAD"),
			DisplayName: admin.PtrString("made by the Atlas Go SDK"), IssuerUri: admin.PtrString("https://go-sdk.example.com"),
			Audience: admin.PtrString(audience), AuthorizationType: admin.PtrString("GROUP"), GroupsClaim: admin.PtrString("groups"),
		}).Execute()
	fatalIf(t, err)
	id := created.GetId()
	if len(id) != 24 || created.GetAudience() != audience {
		t.Fatalf("created: %+v", created)
	}
	listed, _, err := client.FederatedAuthenticationApi.ListIdentityProvidersWithParams(ctx,
		&admin.ListIdentityProvidersApiParams{FederationSettingsId: fs, Protocol: &[]string{"OIDC"}}).Execute()
	fatalIf(t, err)
	found := false
	for _, idp := range listed.GetResults() {
		found = found || idp.GetId() == id
	}
	if !found {
		t.Fatalf("%s not listed among %d", id, listed.GetTotalCount())
	}
	updated, _, err := client.FederatedAuthenticationApi.UpdateIdentityProvider(ctx, fs, id,
		&admin.FederationIdentityProviderUpdate{DisplayName: admin.PtrString("renamed by the Atlas Go SDK")}).Execute()
	fatalIf(t, err)
	if updated.GetDisplayName() != "renamed by the Atlas Go SDK" {
		t.Fatalf("updated: %+v", updated)
	}
	got, _, err := client.FederatedAuthenticationApi.GetIdentityProvider(ctx, fs, id).Execute()
	fatalIf(t, err)
	if got.GetDisplayName() != "renamed by the Atlas Go SDK" || got.GetIssuerUri() != "https://go-sdk.example.com" {
		t.Fatalf("got: %+v", got)
	}

	group := unique("go-sdk-group")
	mapping, _, err := client.FederatedAuthenticationApi.CreateRoleMapping(ctx, fs, orgID,
		&admin.AuthFederationRoleMapping{ExternalGroupName: group, RoleAssignments: &[]admin.ConnectedOrgConfigRoleAssignment{
			{OrgId: admin.PtrString(orgID), Role: admin.PtrString("ORG_MEMBER")},
		}}).Execute()
	fatalIf(t, err)
	mappings, _, err := client.FederatedAuthenticationApi.ListRoleMappings(ctx, fs, orgID).Execute()
	fatalIf(t, err)
	found = false
	for _, m := range mappings.GetResults() {
		found = found || m.GetId() == mapping.GetId()
	}
	if !found {
		t.Fatalf("role mapping %s not listed", mapping.GetId())
	}
	_, _, err = client.FederatedAuthenticationApi.UpdateRoleMapping(ctx, fs, mapping.GetId(), orgID,
		&admin.AuthFederationRoleMapping{ExternalGroupName: group, RoleAssignments: &[]admin.ConnectedOrgConfigRoleAssignment{
			{OrgId: admin.PtrString(orgID), Role: admin.PtrString("ORG_READ_ONLY")},
		}}).Execute()
	fatalIf(t, err)
	again, _, err := client.FederatedAuthenticationApi.GetRoleMapping(ctx, fs, mapping.GetId(), orgID).Execute()
	fatalIf(t, err)
	if roles := again.GetRoleAssignments(); len(roles) != 1 || roles[0].GetRole() != "ORG_READ_ONLY" {
		t.Fatalf("the updated mapping: %+v", again)
	}
	_, err = client.FederatedAuthenticationApi.DeleteRoleMapping(ctx, fs, mapping.GetId(), orgID).Execute()
	fatalIf(t, err)
	_, err = client.FederatedAuthenticationApi.DeleteIdentityProvider(ctx, fs, id).Execute()
	fatalIf(t, err)

	// A deleted provider is an error the SDK decodes into its ApiError.
	_, _, err = client.FederatedAuthenticationApi.GetIdentityProvider(ctx, fs, id).Execute()
	apiErr, ok := admin.AsError(err)
	if !ok {
		t.Fatalf("not an ApiError: %v", err)
	}
	if apiErr.Error != http.StatusNotFound || apiErr.ErrorCode == "" || !strings.Contains(apiErr.GetDetail(), id) {
		t.Fatalf("the ApiError of a deleted provider: %+v (%s)", apiErr, apiErr.GetDetail())
	}
	if !admin.IsErrorCode(err, apiErr.ErrorCode) {
		t.Fatal("IsErrorCode disagrees with AsError")
	}
}

func TestAtlasServiceAccountsAndSecrets(t *testing.T) {
	ctx := context.Background()
	client := adminClient(t)
	orgID := defaultOrg(t, client)
	clientID, secret := ownerAccount(t, client, orgID)
	sa := client.ServiceAccountsApi
	listed, _, err := sa.ListOrgServiceAccounts(ctx, orgID).Execute()
	fatalIf(t, err)
	found := false
	for _, account := range listed.GetResults() {
		found = found || account.GetClientId() == clientID
	}
	if !found {
		t.Fatalf("%s not listed", clientID)
	}
	updated, _, err := sa.UpdateOrgServiceAccount(ctx, clientID, orgID,
		&admin.OrgServiceAccountUpdateRequest{Description: admin.PtrString("updated by the Atlas Go SDK")}).Execute()
	fatalIf(t, err)
	if updated.GetDescription() != "updated by the Atlas Go SDK" {
		t.Fatalf("updated: %+v", updated)
	}
	second, _, err := sa.CreateOrgSecret(ctx, orgID, clientID, &admin.ServiceAccountSecretRequest{SecretExpiresAfterHours: 48}).Execute()
	fatalIf(t, err)
	if second.GetSecret() == "" || second.GetSecret() == secret {
		t.Fatalf("the second secret: %+v", second)
	}
	if second.ExpiresAt.Sub(second.CreatedAt).Round(time.Hour) != 48*time.Hour {
		t.Fatalf("48 hours asked: %v to %v", second.CreatedAt, second.ExpiresAt)
	}
	got, _, err := sa.GetOrgServiceAccount(ctx, orgID, clientID).Execute()
	fatalIf(t, err)
	if secrets := got.GetSecrets(); len(secrets) != 2 || secrets[0].GetSecret() != "" || secrets[1].GetSecret() != "" {
		t.Fatalf("the secrets are listed, never shown again: %+v", secrets)
	}
	// The second secret works with the SDK's OAuth; then it is deleted and no longer works.
	whoami := oauthClient(t, clientID, second.GetSecret())
	_, _, err = whoami.OrganizationsApi.GetOrg(ctx, orgID).Execute()
	fatalIf(t, err)
	_, err = sa.DeleteOrgSecret(ctx, clientID, second.Id, orgID).Execute()
	fatalIf(t, err)
	conf := tokenConfig(t, clientID, second.GetSecret())
	if _, err := conf.Token(ctx); err == nil {
		t.Fatal("a deleted secret still gets tokens")
	}
	_, err = sa.DeleteOrgServiceAccount(ctx, clientID, orgID).Execute()
	fatalIf(t, err)
	_, _, err = sa.GetOrgServiceAccount(ctx, orgID, clientID).Execute()
	if apiErr, ok := admin.AsError(err); !ok || apiErr.Error != http.StatusNotFound {
		t.Fatalf("a deleted service account: %v", err)
	}
}

// tokenConfig is the SDK's own client-credentials configuration, as UseOAuthAuth makes it.
func tokenConfig(t *testing.T, clientID, secret string) *clientcredentials.Config {
	conf := clientcredentials.NewConfig(clientID, secret)
	conf.TokenURL = sigilURL(t) + clientcredentials.TokenAPIPath
	conf.RevokeURL = sigilURL(t) + clientcredentials.RevokeAPIPath
	return conf
}

// The SDK's token source knows when its token expires (Sigil's `expires_in`), fetches a new
// one when the old is about to expire, and its revoke helper (which accepts only 200) revokes.
func TestAtlasTokenRefreshAndRevoke(t *testing.T) {
	ctx := context.Background()
	client := adminClient(t)
	orgID := defaultOrg(t, client)
	clientID, secret := ownerAccount(t, client, orgID)
	conf := tokenConfig(t, clientID, secret)
	first, err := conf.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(first.Expiry); left < 59*time.Minute || left > time.Hour {
		t.Fatalf("the token expires in %v: expires_in is missing or wrong", left)
	}
	// A token source holding a token about to expire (within oauth2's early-expiry margin)
	// fetches a fresh one from Sigil instead of using it.
	almostExpired := *first
	almostExpired.Expiry = time.Now().Add(5 * time.Second)
	source := oauth2.ReuseTokenSource(&almostExpired, conf.TokenSource(ctx))
	fresh, err := source.Token()
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == first.AccessToken || time.Until(fresh.Expiry) < 59*time.Minute {
		t.Fatalf("no fresh token: %+v", fresh)
	}
	if status := bearerStatus(t, orgID, fresh.AccessToken); status != http.StatusOK {
		t.Fatalf("the fresh token: %d", status)
	}
	reused, err := source.Token()
	if err != nil || reused.AccessToken != fresh.AccessToken {
		t.Fatalf("a valid token is reused: %v", err)
	}

	if err := conf.RevokeToken(ctx, fresh); err != nil {
		t.Fatalf("the SDK's revoke: %v", err)
	}
	if status := bearerStatus(t, orgID, fresh.AccessToken); status != http.StatusUnauthorized {
		t.Fatalf("a revoked token: %d", status)
	}
	if status := bearerStatus(t, orgID, first.AccessToken); status != http.StatusOK {
		t.Fatalf("the other token of the account: %d", status)
	}
}
