package clients

// The Atlas document's own SDK version, v20241113001, whose name for the JWKS revoke is
// RevokeJwksFromIdentityProvider.

import (
	"context"
	"net/http"
	"testing"

	seed "go.mongodb.org/atlas-sdk/v20241113001/admin"
)

func TestAtlasDocumentsSdkRevokesAProvidersJwks(t *testing.T) {
	ctx := context.Background()
	p := federated(t, "document_sdk")
	clientID, secret := ownerAccount(t, adminClient(t), p.OrgID)
	client, err := seed.NewClient(seed.UseBaseURL(sigilURL(t)), seed.UseOAuthAuth(ctx, clientID, secret))
	if err != nil {
		t.Fatal(err)
	}
	params := &seed.RevokeJwksFromIdentityProviderApiParams{
		FederationSettingsId: p.FederationSettingsID,
		IdentityProviderId:   p.IdentityProviderID,
	}
	httpResp, err := client.FederatedAuthenticationApi.
		RevokeJwksFromIdentityProviderWithParams(ctx, params).
		Execute()
	if err != nil {
		if apiErr, ok := seed.AsError(err); ok {
			t.Fatalf("%d %s %s", apiErr.Error, apiErr.ErrorCode, apiErr.GetDetail())
		}
		t.Fatal(err)
	}
	if httpResp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d", httpResp.StatusCode)
	}
	if status := bearerStatus(t, p.OrgID, p.Token); status != http.StatusUnauthorized {
		t.Fatalf("the provider's token after the revoke: %d", status)
	}
}
