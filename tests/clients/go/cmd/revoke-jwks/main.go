// The Atlas Admin API document's Go program for revoking an identity provider's JWKS, with the
// document's own SDK version, unchanged but for three lines: the base URL (Sigil's, from
// MONGODB_ATLAS_BASE_URL, given before UseOAuthAuth as the SDK requires), the context this
// SDK version's UseOAuthAuth takes, and the two path parameters, from the command line.
//
//	MONGODB_ATLAS_BASE_URL=http://127.0.0.1:8420 MONGODB_ATLAS_CLIENT_ID=mdb_sa_id_... \
//	MONGODB_ATLAS_CLIENT_SECRET=mdb_sa_sk_... go run ./cmd/revoke-jwks FEDERATION_SETTINGS_ID IDENTITY_PROVIDER_ID
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	sdk "go.mongodb.org/atlas-sdk/v20241113001/admin"
)

func main() {
	ctx := context.Background()
	clientID := os.Getenv("MONGODB_ATLAS_CLIENT_ID")
	clientSecret := os.Getenv("MONGODB_ATLAS_CLIENT_SECRET")
	if len(os.Args) != 3 {
		log.Fatalf("usage: %s FEDERATION_SETTINGS_ID IDENTITY_PROVIDER_ID", os.Args[0])
	}

	// See https://dochub.mongodb.org/core/atlas-go-sdk-oauth
	client, err := sdk.NewClient(sdk.UseBaseURL(os.Getenv("MONGODB_ATLAS_BASE_URL")),
		sdk.UseOAuthAuth(ctx, clientID, clientSecret))
	if err != nil {
		log.Fatalf("Error: %v", err)
	}

	params := &sdk.RevokeJwksFromIdentityProviderApiParams{
		FederationSettingsId: os.Args[1],
		IdentityProviderId:   os.Args[2],
	}
	httpResp, err := client.FederatedAuthenticationApi.
		RevokeJwksFromIdentityProviderWithParams(ctx, params).
		Execute()
	if err != nil {
		if apiErr, ok := sdk.AsError(err); ok {
			log.Fatalf("Error: %d %s: %s", apiErr.Error, apiErr.ErrorCode, apiErr.GetDetail())
		}
		log.Fatalf("Error: %v", err)
	}
	fmt.Println(httpResp.Status)
}
