// A real OpenID provider nobody on the project wrote (panva's oidc-provider), as the issuer
// of Sigil's federation end-to-end test (crates/sigil-server/tests/it/federation_oidc_provider.rs).
//
//   node tests/clients/oidc/issuer.mjs [--port N]    (0, the default: an ephemeral port)
//
// Listens on 127.0.0.1 and prints exactly one line on stdout, `ISSUER http://127.0.0.1:PORT`,
// once it accepts requests; everything else (oidc-provider's notices, errors) goes to stderr.
// The one client, `sigil-workload` / `sigil-workload-secret` (client_secret_basic), may use the
// client_credentials grant; its access tokens for the resource `urn:sigil:test` are RFC 9068
// JWTs (typ at+jwt) signed with ES256, with `aud` "urn:sigil:test" and `groups` ["sigil-e2e"].
// The keys are generated at each start: nothing secret is stored.

import * as crypto from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

// oidc-provider prints its notices with console.info: keep stdout for the ISSUER line.
console.info = console.error;
console.log = console.error;

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`issuer.mjs: --port must be 0..65535, not ${values.port}`);
  process.exit(2);
}

const RESOURCE = 'urn:sigil:test';

/** A fresh private JWK for `alg`, with a random kid. */
function privateJwk(type, options, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: `${alg.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`, alg, use: 'sig' };
}

const jwks = {
  keys: [
    // The access tokens' key.
    privateJwk('ec', { namedCurve: 'P-256' }, 'ES256'),
    // oidc-provider signs ID tokens with RS256 by default and wants a key for it.
    privateJwk('rsa', { modulusLength: 2048 }, 'RS256'),
  ],
};

const configuration = {
  clients: [
    {
      client_id: 'sigil-workload',
      client_secret: 'sigil-workload-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks,
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: 'api',
          audience: RESOURCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
  ttl: { ClientCredentials: 600 },
  // Every access token names the group the test maps to a Sigil role.
  extraTokenClaims: async () => ({ groups: ['sigil-e2e'] }),
  // Fixed, not secret: nothing here outlives the process.
  cookies: { keys: ['sigil-oidc-test-issuer-cookie-key'] },
};

const server = (await import('node:http')).createServer();
server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (_ctx, err) => console.error('issuer.mjs: server_error', err));
  provider.on('grant.error', (_ctx, err) => {
    console.error(`issuer.mjs: grant.error ${err.message} (${err.error_detail ?? ''})`);
  });
  server.on('request', provider.callback());
  process.stdout.write(`ISSUER ${issuer}\n`);
});
server.on('error', (err) => {
  console.error(`issuer.mjs: ${err.message}`);
  process.exit(1);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
