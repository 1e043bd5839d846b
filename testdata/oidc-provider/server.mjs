// server.mjs runs panva's oidc-provider on 127.0.0.1 for tokentop's tests
// (TestOIDCProviderIss in flows/oidcprovider_test.go): an authorization
// server tokentop's authors did not write, for the RFC 9207 iss check.
//
//   node server.mjs [--port N] [--redirect-uri URI]
//
// --port 0 (the default) takes a free port. Once it listens, it prints one
// JSON line on stdout, {"issuer":"http://127.0.0.1:PORT","port":PORT}, and
// nothing else. It has one public client, "tokentop-test" (native, PKCE, no
// secret), whose redirect URI is --redirect-uri (default
// http://127.0.0.1/callback: a native client's loopback redirect matches on
// any port, RFC 8252 §7.3). Every sign-in logs in the user "alice" and grants
// what was asked without a page: the interaction URL finishes the
// interaction at once, so a client that keeps cookies and follows redirects
// reaches the redirect URI. An authorization request with
// login_hint=decline is answered error=access_denied instead.
//
// GET /_test/requests answers the requests the provider was sent so far, in
// order: [{"method":"GET","path":"/auth","agent":"…"}, …]. It is the tests'
// way to see that no token request was made.
//
// It exits when stdin closes or on SIGTERM, so a test that dies does not
// leave it behind.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'redirect-uri': { type: 'string', default: 'http://127.0.0.1/callback' },
  },
});

const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`server.mjs: --port ${args.port} is not a port`);
  process.exit(2);
}

const clientID = 'tokentop-test';
const accountID = 'alice';
const maxRequestsLogged = 10000;

// A fresh signing key per run, so the provider does not fall back to its
// development key (and warn about it).
// RS256, the default of OpenID Connect clients' id_token_signed_response_alg.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig', alg: 'RS256' };

const requests = [];

const server = createServer();
server.listen(port, '127.0.0.1', () => {
  const { port: chosen } = server.address();
  const issuer = `http://127.0.0.1:${chosen}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientID,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [args['redirect-uri']],
    }],
    jwks: { keys: [jwk] },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    features: { devInteractions: { enabled: false } },
    pkce: { methods: ['S256'], required: () => true },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (ctx, sub) => (sub === accountID
      ? { accountId: sub, claims: () => ({ sub }) }
      : undefined),
  });
  provider.on('server_error', (ctx, err) => console.error('server.mjs: server_error', err));

  const handle = provider.callback();
  server.on('request', async (req, res) => {
    const path = new URL(req.url, issuer).pathname;
    if (path === '/_test/requests') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(requests));
      return;
    }
    if (requests.length < maxRequestsLogged) {
      requests.push({ method: req.method, path, agent: String(req.headers['user-agent'] ?? '').slice(0, 100) });
    }
    if (path.startsWith('/interaction/')) {
      try {
        await finishInteraction(provider, req, res);
      } catch (err) {
        console.error('server.mjs: interaction:', err);
        res.writeHead(500).end('interaction failed');
      }
      return;
    }
    handle(req, res);
  });

  process.stdout.write(`${JSON.stringify({ issuer, port: chosen })}\n`);
});

// finishInteraction logs alice in and grants the client what the
// authorization request asked for, in one step.
async function finishInteraction(provider, req, res) {
  const { prompt, params, grantId } = await provider.interactionDetails(req, res);
  if (params.login_hint === 'decline') {
    // The person says no: an error response, which carries iss as well
    // (RFC 9207 §2).
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'the person declined',
    }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: accountID, clientId: params.client_id });
  const d = prompt.details;
  if (params.scope) grant.addOIDCScope(String(params.scope));
  if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  await provider.interactionFinished(req, res, {
    login: { accountId: accountID },
    consent: { grantId: await grant.save() },
  }, { mergeWithLastSubmission: false });
}

server.on('error', (err) => {
  console.error(`server.mjs: ${err.message}`);
  process.exit(1);
});

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
