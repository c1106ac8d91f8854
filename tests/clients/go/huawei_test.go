package clients

// The Huawei Cloud Go SDK (huaweicloud-sdk-go-v3, services/iam/v3) against Sigil's IAM face:
// requests signed with an access key (SDK-HMAC-SHA256) for the OpenID Connect configuration
// (create, show, update), an ID-token login, and requests carrying the token it gave
// (`X-Auth-Token`); the workload-identity credential (`WithIdpId` + `WithIdTokenFile`), and the
// same federated chain call by call: unscoped login, token method, temporary access key and
// security token, requests signed with them.

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	atlas "go.mongodb.org/atlas-sdk/v20250312010/admin"
)

const oidcIssuer = "https://go-sdk-idp.example.com"

// iamRequest sends `body` as JSON with the admin's token, the setup the SDK has no call for.
func iamRequest(t *testing.T, method, path, token string, body any, status int) (*http.Response, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, sigilURL(t)+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, answer)
	}
	return resp, answer
}

type iamAdmin struct {
	token, userID, domainID string
}

func iamLogin(t *testing.T) iamAdmin {
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": "admin", "password": adminPassword(t), "domain": map[string]any{"name": "default"}}}},
		"scope": map[string]any{"domain": map[string]any{"name": "default"}},
	}}
	resp, answer := iamRequest(t, http.MethodPost, "/v3/auth/tokens", "", body, http.StatusCreated)
	token := answer["token"].(map[string]any)
	return iamAdmin{
		token:    resp.Header.Get("X-Subject-Token"),
		userID:   token["user"].(map[string]any)["id"].(string),
		domainID: token["domain"].(map[string]any)["id"].(string),
	}
}

// accessKey creates a permanent access key of the admin, deleted when the test ends: (ak, sk).
func (a iamAdmin) accessKey(t *testing.T) (string, string) {
	_, answer := iamRequest(t, http.MethodPost, "/v3.0/OS-CREDENTIAL/credentials", a.token,
		map[string]any{"credential": map[string]any{"user_id": a.userID, "description": "huaweicloud-sdk-go-v3"}}, http.StatusCreated)
	credential := answer["credential"].(map[string]any)
	access := credential["access"].(string)
	// A user holds two keys at most: each test gives its key back.
	t.Cleanup(func() {
		iamRequest(t, http.MethodDelete, "/v3.0/OS-CREDENTIAL/credentials/"+access, a.token, nil, http.StatusNoContent)
	})
	return access, credential["secret"].(string)
}

func (a iamAdmin) provider(t *testing.T) string {
	name := unique("go-sdk")
	iamRequest(t, http.MethodPost, "/v3.0/OS-FEDERATION/identity-providers/"+name, a.token,
		map[string]any{"identity_provider": map[string]any{"sso_type": "virtual_user_sso"}}, http.StatusCreated)
	return name
}

func iamClient(t *testing.T, credential auth.ICredential) *iam.IamClient {
	t.Helper()
	hc, err := iam.IamClientBuilder().WithEndpoints([]string{sigilURL(t)}).WithCredential(credential).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return iam.NewIamClient(hc)
}

func signedClient(t *testing.T, ak, sk, domainID string) *iam.IamClient {
	credential, err := global.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithDomainId(domainID).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	return iamClient(t, credential)
}

// tokenCredential is the SDK's own X-Auth-Token credential (v3.IamCredentials); with no
// token it sends none, for the calls that need no credential.
func tokenCredential(token string) auth.ICredential {
	return iam.NewIamCredentialsBuilder().WithXAuthToken(token).Build()
}

// signingKey is an identity provider's RSA key: its JWKS and its RS256 ID tokens.
type signingKey struct {
	private *rsa.PrivateKey
	kid     string
}

func newSigningKey(t *testing.T) signingKey {
	private, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{private: private, kid: unique("kid")}
}

func b64(raw []byte) string { return base64.RawURLEncoding.EncodeToString(raw) }

func (k signingKey) jwks() string {
	e := big.NewInt(int64(k.private.PublicKey.E)).Bytes()
	raw, _ := json.Marshal(map[string]any{"keys": []any{map[string]any{
		"kty": "RSA", "kid": k.kid, "alg": "RS256", "use": "sig",
		"n": b64(k.private.PublicKey.N.Bytes()), "e": b64(e),
	}}})
	return string(raw)
}

func (k signingKey) idToken(t *testing.T, audience, sub, group string) string {
	header, _ := json.Marshal(map[string]any{"alg": "RS256", "typ": "JWT", "kid": k.kid})
	now := time.Now().Unix()
	claims, _ := json.Marshal(map[string]any{"iss": oidcIssuer, "sub": sub, "aud": audience,
		"iat": now, "exp": now + 300, "groups": []string{group}})
	input := b64(header) + "." + b64(claims)
	digest := sha256.Sum256([]byte(input))
	signature, err := rsa.SignPKCS1v15(rand.Reader, k.private, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(signature)
}

func serviceError(t *testing.T, err error) *sdkerr.ServiceResponseError {
	t.Helper()
	var e *sdkerr.ServiceResponseError
	if !errors.As(err, &e) {
		t.Fatalf("not a ServiceResponseError: %v", err)
	}
	return e
}

func TestHuaweiOpenIdConnectConfigurationSignedWithAnAccessKey(t *testing.T) {
	admin := iamLogin(t)
	ak, sk := admin.accessKey(t)
	client := signedClient(t, ak, sk, admin.domainID)
	idp := admin.provider(t)
	key := newSigningKey(t)
	audience := unique("go-sdk-client")
	created, err := client.CreateOpenIdConnectConfig(&model.CreateOpenIdConnectConfigRequest{
		IdpId: idp,
		Body: &model.CreateOpenIdConnectConfigRequestBody{OpenidConnectConfig: &model.CreateOpenIdConnectConfig{
			AccessMode: "program", IdpUrl: oidcIssuer, ClientId: audience, SigningKey: key.jwks(),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.OpenidConnectConfig.IdpUrl != oidcIssuer || created.OpenidConnectConfig.ClientId != audience {
		t.Fatalf("created: %+v", created.OpenidConnectConfig)
	}
	// The IAM document's update, with its second example's body.
	scope, endpoint := "openid", "https://go-sdk-idp.example.com/o/oauth2/v2/auth"
	accessMode := "program_console"
	responseType := model.GetUpdateOpenIdConnectConfigResponseTypeEnum().ID_TOKEN
	responseMode := model.GetUpdateOpenIdConnectConfigResponseModeEnum().FORM_POST
	jwks := key.jwks()
	updated, err := client.UpdateOpenIdConnectConfig(&model.UpdateOpenIdConnectConfigRequest{
		IdpId: idp,
		Body: &model.UpdateOpenIdConnectConfigRequestBody{OpenidConnectConfig: &model.UpdateOpenIdConnectConfig{
			AccessMode: &accessMode, IdpUrl: &[]string{oidcIssuer}[0], ClientId: &audience,
			AuthorizationEndpoint: &endpoint, Scope: &scope, ResponseType: &responseType,
			ResponseMode: &responseMode, SigningKey: &jwks,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if updated.OpenidConnectConfig.AccessMode != accessMode {
		t.Fatalf("updated: %+v", updated.OpenidConnectConfig)
	}
	shown, err := client.ShowOpenIdConnectConfig(&model.ShowOpenIdConnectConfigRequest{IdpId: idp})
	if err != nil {
		t.Fatal(err)
	}
	if shown.OpenidConnectConfig.Scope != "openid" || shown.OpenidConnectConfig.AuthorizationEndpoint != endpoint {
		t.Fatalf("shown: %+v", shown.OpenidConnectConfig)
	}
	// A bad value is the SDK's ServiceResponseError, in IAM's format, naming the field.
	short := "abc"
	_, err = client.UpdateOpenIdConnectConfig(&model.UpdateOpenIdConnectConfigRequest{
		IdpId: idp,
		Body:  &model.UpdateOpenIdConnectConfigRequestBody{OpenidConnectConfig: &model.UpdateOpenIdConnectConfig{ClientId: &short}},
	})
	bad := serviceError(t, err)
	if bad.StatusCode != http.StatusBadRequest || bad.ErrorCode != "IAM.0011" || !bytes.Contains([]byte(bad.ErrorMessage), []byte("client_id")) {
		t.Fatalf("a too short client_id: %+v", bad)
	}
	// A wrong secret key is refused.
	wrong := signedClient(t, ak, sk[:len(sk)-1]+"A", admin.domainID)
	if sk[len(sk)-1] == 'A' {
		wrong = signedClient(t, ak, sk[:len(sk)-1]+"B", admin.domainID)
	}
	_, err = wrong.ShowOpenIdConnectConfig(&model.ShowOpenIdConnectConfigRequest{IdpId: idp})
	if refused := serviceError(t, err); refused.StatusCode != http.StatusUnauthorized || refused.ErrorCode != "IAM.0007" {
		t.Fatalf("a wrong secret key: %+v", refused)
	}
}

func TestHuaweiIdTokenLoginAndXAuthTokenCredentials(t *testing.T) {
	admin := iamLogin(t)
	ak, sk := admin.accessKey(t)
	signed := signedClient(t, ak, sk, admin.domainID)
	idp := admin.provider(t)
	key := newSigningKey(t)
	audience := unique("go-sdk-client")
	_, err := signed.CreateOpenIdConnectConfig(&model.CreateOpenIdConnectConfigRequest{
		IdpId: idp,
		Body: &model.CreateOpenIdConnectConfigRequestBody{OpenidConnectConfig: &model.CreateOpenIdConnectConfig{
			AccessMode: "program", IdpUrl: oidcIssuer, ClientId: audience, SigningKey: key.jwks(),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	group := unique("go-sdk-group")
	mapGroupToOwner(t, group)

	// The login needs no credential of its own: the ID token is the proof.
	anonymous := iamClient(t, tokenCredential(""))
	domain := "default"
	answer, err := anonymous.CreateTokenWithIdToken(&model.CreateTokenWithIdTokenRequest{
		XIdpId: idp,
		Body: &model.GetIdTokenRequestBody{Auth: &model.GetIdTokenAuthParams{
			IdToken: &model.GetIdTokenIdTokenBody{Id: key.idToken(t, audience, "carol", group)},
			Scope:   &model.GetIdTokenIdScopeBody{Domain: &model.GetIdTokenScopeDomainOrProjectBody{Name: &domain}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if answer.XSubjectToken == nil || *answer.XSubjectToken == "" || answer.Token.User.Name == nil || *answer.Token.User.Name != "carol" {
		t.Fatalf("the login: %+v", answer)
	}
	// The token it gave, in X-Auth-Token, reads the configuration through the SDK.
	withToken := iamClient(t, tokenCredential(*answer.XSubjectToken))
	shown, err := withToken.ShowOpenIdConnectConfig(&model.ShowOpenIdConnectConfigRequest{IdpId: idp})
	if err != nil {
		t.Fatal(err)
	}
	if shown.OpenidConnectConfig.ClientId != audience {
		t.Fatalf("shown: %+v", shown.OpenidConnectConfig)
	}
	// An ID token of another key is refused.
	_, err = anonymous.CreateTokenWithIdToken(&model.CreateTokenWithIdTokenRequest{
		XIdpId: idp,
		Body: &model.GetIdTokenRequestBody{Auth: &model.GetIdTokenAuthParams{
			IdToken: &model.GetIdTokenIdTokenBody{Id: newSigningKey(t).idToken(t, audience, "mallory", group)},
			Scope:   &model.GetIdTokenIdScopeBody{Domain: &model.GetIdTokenScopeDomainOrProjectBody{Name: &domain}},
		}},
	})
	if refused := serviceError(t, err); refused.StatusCode != http.StatusUnauthorized || refused.ErrorCode != "IAM.0007" {
		t.Fatalf("a foreign ID token: %+v", refused)
	}
	// A token that is not Sigil's is refused.
	_, err = iamClient(t, tokenCredential("not-a-token")).ShowOpenIdConnectConfig(&model.ShowOpenIdConnectConfigRequest{IdpId: idp})
	if refused := serviceError(t, err); refused.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong X-Auth-Token: %+v", refused)
	}
}

// mapGroupToOwner maps `group` to ORG_OWNER of `default` (on the Atlas face, with the SDK).
func mapGroupToOwner(t *testing.T, group string) {
	client := adminClient(t)
	orgID := defaultOrg(t, client)
	ctx := t.Context()
	settings, _, err := client.FederatedAuthenticationApi.GetFederationSettings(ctx, orgID).Execute()
	fatalIf(t, err)
	role := "ORG_OWNER"
	_, _, err = client.FederatedAuthenticationApi.CreateRoleMapping(ctx, settings.GetId(), orgID,
		&atlas.AuthFederationRoleMapping{ExternalGroupName: group, RoleAssignments: &[]atlas.ConnectedOrgConfigRoleAssignment{{OrgId: &orgID, Role: &role}}}).Execute()
	fatalIf(t, err)
}

// federatedProvider configures a fresh provider with `key` pinned (program mode) and maps its
// own group to ORG_OWNER of default: (provider name, audience, group).
func federatedProvider(t *testing.T, admin iamAdmin, signed *iam.IamClient, key signingKey) (string, string, string) {
	idp := admin.provider(t)
	audience := unique("go-sdk-client")
	_, err := signed.CreateOpenIdConnectConfig(&model.CreateOpenIdConnectConfigRequest{
		IdpId: idp,
		Body: &model.CreateOpenIdConnectConfigRequestBody{OpenidConnectConfig: &model.CreateOpenIdConnectConfig{
			AccessMode: "program", IdpUrl: oidcIssuer, ClientId: audience, SigningKey: key.jwks(),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	group := unique("go-sdk-group")
	mapGroupToOwner(t, group)
	return idp, audience, group
}

func TestHuaweiWorkloadIdentityCredentials(t *testing.T) {
	admin := iamLogin(t)
	ak, sk := admin.accessKey(t)
	key := newSigningKey(t)
	idp, audience, group := federatedProvider(t, admin, signedClient(t, ak, sk, admin.domainID), key)
	file := filepath.Join(t.TempDir(), "id_token")
	if err := os.WriteFile(file, []byte(key.idToken(t, audience, "wanda", group)), 0o600); err != nil {
		t.Fatal(err)
	}
	// The SDK logs in without a scope (X-Request-Id required on that answer), gets a temporary
	// access key for the unscoped token and signs with it and its security token, by itself.
	credential, err := global.NewCredentialsBuilder().WithIdpId(idp).WithIdTokenFile(file).
		WithDomainId(admin.domainID).WithIamEndpointOverride(sigilURL(t)).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	shown, err := iamClient(t, credential).ShowOpenIdConnectConfig(&model.ShowOpenIdConnectConfigRequest{IdpId: idp})
	if err != nil {
		t.Fatal(err)
	}
	if shown.OpenidConnectConfig.ClientId != audience {
		t.Fatalf("shown: %+v", shown.OpenidConnectConfig)
	}
}

func TestHuaweiTemporaryAccessKeyChain(t *testing.T) {
	admin := iamLogin(t)
	ak, sk := admin.accessKey(t)
	key := newSigningKey(t)
	idp, audience, group := federatedProvider(t, admin, signedClient(t, ak, sk, admin.domainID), key)
	anonymous := iamClient(t, tokenCredential(""))

	// The unscoped login: no scope in the body.
	login, err := anonymous.CreateTokenWithIdToken(&model.CreateTokenWithIdTokenRequest{
		XIdpId: idp,
		Body: &model.GetIdTokenRequestBody{Auth: &model.GetIdTokenAuthParams{
			IdToken: &model.GetIdTokenIdTokenBody{Id: key.idToken(t, audience, "wanda", group)},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	unscoped := *login.XSubjectToken
	// It acts nowhere: as X-Auth-Token it is refused.
	_, err = iamClient(t, tokenCredential(unscoped)).ShowOpenIdConnectConfig(&model.ShowOpenIdConnectConfigRequest{IdpId: idp})
	if refused := serviceError(t, err); refused.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an unscoped token as X-Auth-Token: %+v", refused)
	}

	// The token method: a token scoped to default.
	domain := "default"
	scoped, err := anonymous.KeystoneCreateScopedToken(&model.KeystoneCreateScopedTokenRequest{
		Body: &model.KeystoneCreateScopedTokenRequestBody{Auth: &model.ScopedTokenAuth{
			Identity: &model.ScopedTokenIdentity{Methods: []string{"token"}, Token: &model.ScopedToken{Id: unscoped}},
			Scope:    &model.TokenSocpeOption{Domain: &model.ScopeDomainOption{Name: &domain}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iamClient(t, tokenCredential(*scoped.XSubjectToken)).ShowOpenIdConnectConfig(
		&model.ShowOpenIdConnectConfigRequest{IdpId: idp}); err != nil {
		t.Fatal(err)
	}

	// A temporary access key for the unscoped token, then plain AK/SK with its security token.
	duration := int32(900)
	temporary, err := anonymous.CreateTemporaryAccessKeyByToken(&model.CreateTemporaryAccessKeyByTokenRequest{
		Body: &model.CreateTemporaryAccessKeyByTokenRequestBody{Auth: &model.TokenAuth{Identity: &model.TokenAuthIdentity{
			Methods: []model.TokenAuthIdentityMethods{model.GetTokenAuthIdentityMethodsEnum().TOKEN},
			Token:   &model.IdentityToken{Id: &unscoped, DurationSeconds: &duration},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := temporary.Credential
	withKey, err := global.NewCredentialsBuilder().WithAk(c.Access).WithSk(c.Secret).
		WithSecurityToken(c.Securitytoken).WithDomainId(admin.domainID).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	shown, err := iamClient(t, withKey).ShowOpenIdConnectConfig(&model.ShowOpenIdConnectConfigRequest{IdpId: idp})
	if err != nil {
		t.Fatal(err)
	}
	if shown.OpenidConnectConfig.ClientId != audience {
		t.Fatalf("shown: %+v", shown.OpenidConnectConfig)
	}
	// Without its security token the key is refused.
	_, err = signedClient(t, c.Access, c.Secret, admin.domainID).ShowOpenIdConnectConfig(
		&model.ShowOpenIdConnectConfigRequest{IdpId: idp})
	if refused := serviceError(t, err); refused.StatusCode != http.StatusUnauthorized || refused.ErrorCode != "IAM.0007" {
		t.Fatalf("a temporary key without X-Security-Token: %+v", refused)
	}
}
