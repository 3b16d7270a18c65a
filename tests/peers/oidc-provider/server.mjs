// A real OpenID Connect provider (panva/oidc-provider) for yunguan's
// integration tests. It signs users in with the authorization code flow and
// PKCE (S256), over plain HTTP on 127.0.0.1, without a browser: the login
// form is a plain HTML form that an HTTP client can post to directly.
//
// Configuration (environment variable, or the matching --flag=value):
//   PORT         --port          port on 127.0.0.1; 0 (default) picks a free one
//   CLIENT_ID    --client-id     the one registered client (default "yunguan")
//   CLIENT_SECRET --client-secret its secret (default "yunguan-secret")
//   REDIRECT_URI --redirect-uri  redirect URI(s), comma-separated (required)
//   POST_LOGOUT_REDIRECT_URI --post-logout-redirect-uri  optional, comma-separated
//   USERS_FILE   --users-file    JSON file of users (required), re-read on every use:
//     {"alice": {"password": "...", "email": "...", "name": "...",
//                "groups": ["yunguan-admins"], "tenant": "edu"}}
//
// When ready it prints exactly one line on stdout:
//   listening http://127.0.0.1:PORT
// and that URL is the issuer. Everything else (notices, errors) goes to stderr,
// so a test can read the first stdout line without filtering.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

// oidc-provider prints its notices with console.info, which is stdout. The
// test reads stdout for the "listening" line, so every console output except
// that line is sent to stderr.
console.log = console.error;
console.info = console.error;

// ---------------------------------------------------------------- settings --

const { values: flags } = parseArgs({
  options: {
    port: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    'post-logout-redirect-uri': { type: 'string' },
    'users-file': { type: 'string' },
  },
  strict: true,
});

function setting(flag, env, fallback) {
  const value = flags[flag] ?? process.env[env] ?? fallback;
  return value === '' ? fallback : value;
}

function fail(message) {
  process.stderr.write(`oidc-provider peer: ${message}\n`);
  process.exit(2);
}

function list(value) {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

const port = Number(setting('port', 'PORT', '0'));
const clientId = setting('client-id', 'CLIENT_ID', 'yunguan');
const clientSecret = setting('client-secret', 'CLIENT_SECRET', 'yunguan-secret');
const redirectUris = list(setting('redirect-uri', 'REDIRECT_URI'));
const postLogoutRedirectUris = list(setting('post-logout-redirect-uri', 'POST_LOGOUT_REDIRECT_URI'));
const usersFile = setting('users-file', 'USERS_FILE');

if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad PORT: ${port}`);
if (redirectUris.length === 0) fail('REDIRECT_URI is required');
if (!usersFile) fail('USERS_FILE is required');
// Fail at start-up rather than at the first login if the file is unusable.
try {
  JSON.parse(readFileSync(usersFile, 'utf8'));
} catch (err) {
  fail(`cannot read USERS_FILE ${usersFile}: ${err.message}`);
}

// ------------------------------------------------------------------- users --

// The file is read again on every call, so a test can change a user's groups
// or tenant between two logins and see the change in the next tokens.
async function loadUsers() {
  return JSON.parse(await readFile(usersFile, 'utf8'));
}

async function findUser(name) {
  const users = await loadUsers();
  return Object.hasOwn(users, name) ? users[name] : undefined;
}

// The claims of one user. oidc-provider picks from these the ones that the
// granted scopes allow (see `claims` in the configuration below).
function claimsOf(name, user) {
  return {
    sub: name,
    preferred_username: name,
    name: user.name ?? name,
    email: user.email,
    email_verified: user.email_verified ?? (user.email !== undefined),
    groups: Array.isArray(user.groups) ? user.groups : [],
    tenant: user.tenant,
  };
}

// Called by oidc-provider whenever it needs the account behind a token
// (ID token, userinfo, token exchange). An account deleted from the file
// makes later token requests fail, like a real directory would.
async function findAccount(_ctx, sub) {
  const user = await findUser(sub);
  if (!user) return undefined;
  return {
    accountId: sub,
    async claims() {
      // Re-read here too, so userinfo reflects the file as it is now.
      const fresh = (await findUser(sub)) ?? user;
      return claimsOf(sub, fresh);
    },
  };
}

// --------------------------------------------------------------- provider --

function makeSigningKey() {
  // A fresh RSA key per run: RS256 is what OIDC clients (including the Rust
  // `openidconnect` crate) accept by default, and a generated key avoids
  // oidc-provider's built-in development key and its warning.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: randomBytes(8).toString('hex') };
}

function providerConfiguration() {
  const client = {
    client_id: clientId,
    client_secret: clientSecret,
    // "web" clients may use http redirect URIs as long as the implicit flow
    // is off, which it is: only the code flow is registered.
    application_type: 'web',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: redirectUris,
    // client_secret_basic is registered, but oidc-provider treats basic and
    // post as the same method, so a client may send the secret either way.
    token_endpoint_auth_method: 'client_secret_basic',
  };
  if (postLogoutRedirectUris.length) client.post_logout_redirect_uris = postLogoutRedirectUris;

  return {
    clients: [client],
    jwks: { keys: [makeSigningKey()] },
    findAccount,

    // Scope -> claims. The keys also become the supported scopes.
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'tenant'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // Put the scope-granted claims into the ID token itself, not only into
    // userinfo: yunguan reads groups and tenant straight from the ID token.
    conformIdTokenClaims: false,

    // Code flow only, PKCE always (oidc-provider 9 knows only S256).
    responseTypes: ['code'],
    pkce: { required: () => true },

    features: {
      // Our own interaction routes (below) replace the development ones, so
      // the login can be completed by an HTTP client without JavaScript.
      devInteractions: { enabled: false },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },

    // Lifetimes, in seconds. These are oidc-provider's usual values, spelled
    // out so it does not print a notice for each one it falls back to.
    ttl: {
      AuthorizationCode: 60,
      AccessToken: 3600,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },

    // Signed cookies, with a key that only lives as long as this process.
    cookies: { keys: [randomBytes(32).toString('hex')] },

    // Refresh tokens whenever the client may use them, so tests of token
    // refresh need no offline_access consent dance.
    issueRefreshToken: async (_ctx, c) => c.grantTypeAllowed('refresh_token'),

    // No cross-origin browsers here: say so, which also silences the
    // "you SHOULD change clientBasedCORS" notice.
    clientBasedCORS: () => false,
  };
}

// ----------------------------------------------------------- interactions --

function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

function loginPage(uid, { login = '', error } = {}) {
  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Sign in</title></head>
<body>
  <h1>Sign in</h1>
  ${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
  <form method="post" action="/interaction/${escapeHtml(uid)}/login">
    <label>Login <input name="login" value="${escapeHtml(login)}" autofocus></label>
    <label>Password <input name="password" type="password"></label>
    <button type="submit">Sign in</button>
  </form>
  <p><a href="/interaction/${escapeHtml(uid)}/abort">Cancel</a></p>
</body>
</html>
`;
}

// Reads an application/x-www-form-urlencoded request body. Small and
// dependency-free: the only form here has two short fields.
async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Consent is given on the user's behalf: a Grant holding every scope that
// the authorization request asked for. Returns the grant id.
async function grantEverythingRequested(provider, details, accountId) {
  const { params } = details;
  let grant;
  if (details.grantId) {
    grant = await provider.Grant.find(details.grantId);
    // A grant left over from another account in the same browser session
    // must not be reused for this one.
    if (grant && grant.accountId !== accountId) grant = undefined;
  }
  grant ??= new provider.Grant({ accountId, clientId: params.client_id });

  // Scopes are all there is to grant: the `claims` request parameter is off
  // (oidc-provider's default), so claims are only ever asked for by scope.
  if (params.scope) grant.addOIDCScope(params.scope);
  return grant.save();
}

// Checks the credentials and, if they are right, tells oidc-provider that the
// user signed in and consented. Returns where to send the browser next (the
// authorization "resume" URL, which in turn redirects to the client), or
// undefined when the credentials are wrong.
async function completeLogin(provider, ctx, details, login, password) {
  const user = login ? await findUser(login) : undefined;
  if (!user || typeof user.password !== 'string' || user.password !== password) return undefined;

  // Another user is already signed in with these cookies (e.g. prompt=login
  // and a different login). oidc-provider would then answer with an
  // auto-submitting logout form that needs JavaScript; instead, end the old
  // session here so the new user simply replaces it.
  if (details.session?.accountId && details.session.accountId !== login) {
    const previous = await provider.Session.findByUid(details.session.uid);
    details.session = undefined;
    await details.save(details.exp - Math.floor(Date.now() / 1000));
    if (previous) await previous.destroy();
  }

  const grantId = await grantEverythingRequested(provider, details, login);
  return provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId: login },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

// Koa middleware for /interaction/:uid[/login|/abort]. It runs before
// oidc-provider's own routes (Provider#use inserts it there).
function interactionRoutes(provider) {
  const route = /^\/interaction\/([^/]+)(?:\/(login|abort))?\/?$/;

  return async (ctx, next) => {
    const match = route.exec(ctx.path);
    if (!match) return next();
    const [, uid, action] = match;

    ctx.set('cache-control', 'no-store');
    // interactionDetails finds the interaction through the `_interaction`
    // cookie (path /interaction/<uid>), so a client that lost its cookies, or
    // comes back after the interaction ended or expired, gets a 400 here.
    // Say why in the body and on stderr: Koa alone would only answer
    // "invalid_request".
    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (!(err.statusCode < 500)) throw err;
      const why = `${err.error}: ${err.error_description ?? err.message}`;
      process.stderr.write(`oidc-provider peer: ${ctx.method} ${ctx.path}: ${why}\n`);
      ctx.status = err.statusCode;
      ctx.type = 'text/plain';
      ctx.body = `${why}\n`;
      return undefined;
    }
    if (details.uid !== uid) {
      ctx.status = 400;
      ctx.type = 'text/plain';
      ctx.body = 'interaction cookie does not match the URL\n';
      return undefined;
    }

    const redirect = (location) => {
      ctx.status = 303;
      ctx.redirect(location);
    };

    if (action === 'abort') {
      return redirect(await provider.interactionResult(ctx.req, ctx.res, {
        error: 'access_denied',
        error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false }));
    }

    if (action === 'login' && (ctx.method === 'POST' || ctx.method === 'GET')) {
      // POST is what the form sends; GET with the same fields as query
      // parameters is a shortcut for tests.
      const form = ctx.method === 'POST' ? await readForm(ctx.req) : new URLSearchParams(ctx.querystring);
      const login = form.get('login') ?? '';
      const location = await completeLogin(provider, ctx, details, login, form.get('password') ?? '');
      if (location) return redirect(location);
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage(uid, { login, error: 'Invalid login or password.' });
      return undefined;
    }

    if (!action && ctx.method === 'GET') {
      if (details.prompt.name === 'consent') {
        // Already signed in but the request asks for more than was granted:
        // consent silently, keeping the earlier login.
        const grantId = await grantEverythingRequested(provider, details, details.session.accountId);
        return redirect(await provider.interactionResult(ctx.req, ctx.res, {
          consent: { grantId },
        }, { mergeWithLastSubmission: true }));
      }
      ctx.type = 'html';
      ctx.body = loginPage(uid);
      return undefined;
    }

    ctx.status = 405;
    ctx.type = 'text/plain';
    ctx.body = 'method not allowed\n';
    return undefined;
  };
}

// ------------------------------------------------------------------ start --

// The issuer contains the port, and with PORT=0 the port is known only after
// listening, so the HTTP server starts first and the provider is created
// right after. A request arriving in between gets a 503; tests wait for the
// "listening" line, which is printed only once the provider is in place.
let handler = (_req, res) => {
  res.statusCode = 503;
  res.end();
};
const server = http.createServer((req, res) => handler(req, res));

server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, providerConfiguration());
  provider.use(interactionRoutes(provider));

  // Errors go to stderr so a failing test shows why.
  for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error', 'introspection.error', 'revocation.error']) {
    provider.on(event, (_ctx, err) => {
      process.stderr.write(`oidc-provider peer: ${event}: ${err.name}: ${err.message}${err.error_description ? ` (${err.error_description})` : ''}\n`);
    });
  }

  // Why the provider asked for a login or consent: handy when a test
  // unexpectedly lands on the login form.
  provider.on('interaction.started', (_ctx, prompt) => {
    process.stderr.write(`oidc-provider peer: interaction: ${prompt.name} (${prompt.reasons.join(', ')})\n`);
  });

  handler = provider.callback();
  process.stdout.write(`listening ${issuer}\n`);
});

server.on('error', (err) => fail(`cannot listen: ${err.message}`));

function shutdown() {
  // Close idle keep-alive connections too, or close() would wait for them.
  server.close(() => process.exit(0));
  server.closeAllConnections();
  // Do not hang on a stuck request.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
