// Hostile and malformed requests: every one must be refused with a 4xx
// application/problem+json (type/title/status/detail; `issues` naming the bad field for
// validation problems) and must write nothing: D1 row counts, and the rows of the fixture
// orgs themselves, are the same before and after each request. A separate group checks that
// SQL- and HTML-looking strings that ARE valid input are stored and returned verbatim as JSON.
import { SELF, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { SignJWT, base64url, exportJWK, generateKeyPair, type JWK, type JWTPayload } from "jose";
import { BASE, call, callJson, expectProblem, flushAudit, memberWithKey, rowCounts, signupOrg, unique, type Call, type Org } from "./helpers";

const PROBLEM_BASE = "https://sysop.dev/problems/";
const MAX_BODY_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------
// Fixture: two orgs (the second is "another tenant"), a plain member, a narrowly scoped key,
// a real access token, a token whose key was revoked, the published JWKS, an attacker's own
// Ed25519 key, and an OIDC issuer registered by the first org (with a key the test holds).
// ---------------------------------------------------------------------------------------

interface Fixture {
  org: Org;
  other: Org;
  ownerEmail: string;
  otherOwnerEmail: string;
  member: { principalId: string; key: string; keyId: string };
  narrowKey: string;
  token: string;
  revokedKeyToken: string;
  jwksText: string;
  realJwk: JWK & { kid: string };
  attacker: { privateKey: CryptoKey; publicJwk: JWK };
  idp: { issuer: string; audience: string; kid: string; privateKey: CryptoKey; publicJwk: JWK };
}

let fx: Fixture;

const orgIds = () => [fx.org.orgId, fx.other.orgId];

beforeAll(async () => {
  const org = await signupOrg("hostile");
  const other = await signupOrg("hostile-other");
  const me = await callJson({ path: "/v1/me", key: org.key }, 200);
  const otherMe = await callJson({ path: "/v1/me", key: other.key }, 200);
  const member = await memberWithKey(org, "member");
  const narrow = await callJson({ method: "POST", path: "/v1/keys", key: org.key, body: { name: "narrow", scopes: ["teams:read"] } }, 201);
  const token = await callJson({ method: "POST", path: "/v1/auth/token", key: org.key }, 200);

  // A token whose key is revoked afterwards.
  const doomed = await callJson({ method: "POST", path: "/v1/keys", key: org.key, body: { name: "doomed" } }, 201);
  const doomedToken = await callJson({ method: "POST", path: "/v1/auth/token", key: doomed.body.key }, 200);
  await callJson({ method: "POST", path: `/v1/keys/${doomed.body.id}/revoke`, key: org.key }, 200);

  const jwksRes = await call({ path: "/.well-known/jwks.json" });
  expect(jwksRes.status).toBe(200);
  const jwksText = await jwksRes.text();
  const realJwk = (JSON.parse(jwksText) as { keys: (JWK & { kid: string })[] }).keys[0]!;
  expect(realJwk.kid).toBeTruthy();

  const att = await generateKeyPair("EdDSA", { extractable: true });
  const attacker = { privateKey: att.privateKey, publicJwk: await exportJWK(att.publicKey) };

  const idpPair = await generateKeyPair("EdDSA", { extractable: true });
  const kid = "idp-key-1";
  const idp = {
    issuer: `https://${unique("idp")}.example`,
    audience: unique("sysop-aud"),
    kid,
    privateKey: idpPair.privateKey,
    publicJwk: { ...(await exportJWK(idpPair.publicKey)), kid, alg: "EdDSA", use: "sig" } as JWK,
  };
  await callJson(
    { method: "POST", path: "/v1/oidc-issuers", key: org.key, body: { issuer: idp.issuer, audience: idp.audience, jwks: { keys: [idp.publicJwk] } } },
    201,
  );

  fx = {
    org,
    other,
    ownerEmail: me.body.email,
    otherOwnerEmail: otherMe.body.email,
    member,
    narrowKey: narrow.body.key,
    token: token.body.access_token,
    revokedKeyToken: doomedToken.body.access_token,
    jwksText,
    realJwk,
    attacker,
    idp,
  };
  await flushAudit(orgIds());
});

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const nowSec = () => Math.floor(Date.now() / 1000);
const randomJti = () => `jti_${Array.from(crypto.getRandomValues(new Uint8Array(20)), (b) => "abcdefghijklmnopqrstuvwxyz234567"[b & 31]).join("")}`;

/** Claims shaped exactly like the ones sysop puts in its access tokens. */
function accessClaims(over: Record<string, unknown> = {}): JWTPayload {
  const iat = nowSec();
  return {
    iss: env.TOKEN_ISSUER,
    aud: env.TOKEN_AUDIENCE,
    sub: fx.org.ownerId,
    org: fx.org.orgId,
    typ: "access",
    key: fx.org.keyId,
    scope: "*",
    jti: randomJti(),
    iat,
    exp: iat + 600,
    ...over,
  };
}

function oidcClaims(over: Record<string, unknown> = {}): JWTPayload {
  const iat = nowSec();
  return { iss: fx.idp.issuer, aud: fx.idp.audience, sub: "idp-user-1", email: fx.ownerEmail, iat, exp: iat + 600, ...over };
}

/** Signed with a key the attacker made; sysop never published it. */
const signWithAttackerKey = (claims: JWTPayload, header: Record<string, unknown> = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", ...header }).sign(fx.attacker.privateKey);

/** Signed by sysop's real signing key (the SigningKeys Durable Object), with any claims. */
const signWithSysopKey = (claims: JWTPayload, typ = "at+jwt") => env.SIGNING_KEYS.getByName("global").sign(claims, { typ });

const signWithIdpKey = (claims: JWTPayload) =>
  new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: fx.idp.kid, typ: "JWT" }).sign(fx.idp.privateKey);

/** HS256 over header.payload with an arbitrary secret: the alg-confusion attack. */
const signHs256 = (claims: JWTPayload, secret: string, header: Record<string, unknown> = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256", ...header }).sign(new TextEncoder().encode(secret));

const b64json = (v: unknown) => base64url.encode(JSON.stringify(v));
const unsecuredJwt = (claims: JWTPayload, header: Record<string, unknown> = { alg: "none", typ: "at+jwt" }) =>
  `${b64json(header)}.${b64json(claims)}.`;

/** A real token with one claim changed in the payload; the signature is kept. */
function tamperPayload(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [h, p, s] = token.split(".");
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p!))) as Record<string, unknown>;
  change(claims);
  return `${h}.${b64json(claims)}.${s}`;
}

/** Flips one character of a sysop API key's secret (keeping it well-formed). */
const flipLastChar = (key: string) => key.slice(0, -1) + (key.endsWith("a") ? "b" : "a");

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

const get = (path: string, key?: string): Call => ({ path, key });
const post = (path: string, body: unknown, key?: string, method = "POST"): Call => ({ method, path, key, body });
const raw = (path: string, rawBody: string, contentType: string | null, key?: string, method = "POST"): Call => ({
  method,
  path,
  key,
  rawBody,
  headers: contentType ? { "content-type": contentType } : {},
});

/** The rows of the fixture orgs in every state-bearing table (minus last_used_at, which
 * authentication itself refreshes), so an UPDATE by a refused request shows too. */
async function fixtureRows(): Promise<string[]> {
  const ids = orgIds();
  const out: string[] = [];
  const tables: [string, string][] = [
    ["orgs", "id"],
    ["principals", "org_id"],
    ["teams", "org_id"],
    ["team_members", "org_id"],
    ["repos", "org_id"],
    ["api_keys", "org_id"],
    ["oidc_issuers", "org_id"],
    ["audit_events", "org_id"],
  ];
  for (const [table, col] of tables) {
    const { results } = await env.DB.prepare(`SELECT * FROM ${table} WHERE ${col} IN (?, ?)`).bind(...ids).all<Record<string, unknown>>();
    for (const r of results) {
      delete r.last_used_at;
      out.push(`${table} ${JSON.stringify(r)}`);
    }
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------

interface Case {
  name: string;
  /** Builds and sends the request; runs after the "before" snapshot. */
  send: (f: Fixture) => Promise<Response>;
  status: number;
  /** Problem type slug: the `type` must be PROBLEM_BASE + this. */
  type: string;
  /** For validation problems: a path `issues` must name, like "body.name". */
  issue?: string;
  /** Optionally, what `detail` must say (so the request fails for the intended reason). */
  detail?: RegExp;
}

const req = (build: (f: Fixture) => Call | Promise<Call>) => async (f: Fixture) => call(await build(f));
const withAuth = (build: (f: Fixture) => Promise<string> | string, path = "/v1/me") => async (f: Fixture) =>
  call({ path, headers: bearer(await build(f)) });

const longName = "x".repeat(121);
const deepJson = "[".repeat(20_000) + "]".repeat(20_000); // about 40 KB, under the body limit
const oversize = JSON.stringify({ name: "big", pad: "a".repeat(MAX_BODY_BYTES + 1024) });

const CASES: Case[] = [
  // ---- body parsing and media types ----
  { name: "malformed JSON body", send: req((f) => raw("/v1/teams", '{"name": "x",', "application/json", f.org.key)), status: 400, type: "malformed-body" },
  { name: "empty body with a JSON content-type", send: req((f) => raw("/v1/teams", "", "application/json", f.org.key)), status: 400, type: "malformed-body" },
  { name: "JSON with a trailing comma and comments", send: req((f) => raw("/v1/teams", '{"name": "x", /* hi */}', "application/json", f.org.key)), status: 400, type: "malformed-body" },
  { name: "JSON array instead of an object", send: req((f) => post("/v1/teams", [{ name: "x" }], f.org.key)), status: 422, type: "validation", issue: "body" },
  { name: "JSON string instead of an object", send: req((f) => post("/v1/teams", "a team", f.org.key)), status: 422, type: "validation", issue: "body" },
  { name: "JSON null instead of an object", send: req((f) => raw("/v1/teams", "null", "application/json", f.org.key)), status: 422, type: "validation", issue: "body" },
  { name: "JSON number instead of an object", send: req((f) => raw("/v1/teams", "42", "application/json", f.org.key)), status: 422, type: "validation", issue: "body" },
  { name: "20 000-deep nested arrays", send: req((f) => raw("/v1/teams", deepJson, "application/json", f.org.key)), status: 422, type: "validation", issue: "body" },
  { name: "text/plain body", send: req((f) => raw("/v1/teams", '{"name":"x"}', "text/plain", f.org.key)), status: 415, type: "unsupported-media-type" },
  { name: "body without a content-type (fetch sends text/plain)", send: req((f) => raw("/v1/teams", '{"name":"x"}', null, f.org.key)), status: 415, type: "unsupported-media-type" },
  { name: "form-urlencoded body", send: req((f) => raw("/v1/teams", "name=x", "application/x-www-form-urlencoded", f.org.key)), status: 415, type: "unsupported-media-type" },
  {
    name: "multipart body",
    send: req((f) => raw("/v1/teams", '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n', "multipart/form-data; boundary=b", f.org.key)),
    status: 415,
    type: "unsupported-media-type",
  },
  { name: "text/plain on the optional-body token route", send: req((f) => raw("/v1/auth/token", "{}", "text/plain", f.org.key)), status: 415, type: "unsupported-media-type" },
  { name: "oversize body (> 64 KiB) with content-length", send: req((f) => raw("/v1/teams", oversize, "application/json", f.org.key)), status: 413, type: "payload-too-large" },
  { name: "oversize body on the unauthenticated signup route", send: req(() => raw("/v1/signup", oversize, "application/json")), status: 413, type: "payload-too-large" },
  {
    name: "oversize streamed body without content-length",
    send: async (f) => {
      // 64 KiB in four chunks, then one byte too many: the Worker stops reading there.
      const chunks = [...Array.from({ length: 4 }, () => "a".repeat(16 * 1024)), "a"].map((s) => new TextEncoder().encode(s));
      const body = new ReadableStream<Uint8Array>({
        pull(ctrl) {
          const next = chunks.shift();
          if (next) ctrl.enqueue(next);
          else ctrl.close();
        },
      });
      return SELF.fetch(`${BASE}/v1/teams`, { method: "POST", headers: { ...bearer(f.org.key), "content-type": "application/json" }, body });
    },
    status: 413,
    type: "payload-too-large",
  },

  // ---- strict bodies: types, required fields, unknown fields, lengths ----
  { name: "number for name", send: req((f) => post("/v1/teams", { name: 123 }, f.org.key)), status: 422, type: "validation", issue: "body.name" },
  { name: "array for name", send: req((f) => post("/v1/teams", { name: ["x"] }, f.org.key)), status: 422, type: "validation", issue: "body.name" },
  { name: "null for name", send: req((f) => post("/v1/teams", { name: null }, f.org.key)), status: 422, type: "validation", issue: "body.name" },
  { name: "missing required name", send: req((f) => post("/v1/teams", {}, f.org.key)), status: 422, type: "validation", issue: "body.name" },
  { name: "unknown field on a strict body", send: req((f) => post("/v1/teams", { name: "x", extra: true }, f.org.key)), status: 422, type: "validation", issue: "body.extra" },
  {
    name: "__proto__ key (prototype pollution) on a strict body",
    send: req((f) => raw("/v1/teams", '{"name":"x","__proto__":{"org_role":"owner"}}', "application/json", f.org.key)),
    status: 422,
    type: "validation",
    issue: "body.__proto__",
  },
  { name: "empty string name", send: req((f) => post("/v1/teams", { name: "" }, f.org.key)), status: 422, type: "validation", issue: "body.name" },
  { name: "whitespace-only name", send: req((f) => post("/v1/teams", { name: " \t\n " }, f.org.key)), status: 422, type: "validation", issue: "body.name" },
  { name: "too-long name (121 chars)", send: req((f) => post("/v1/teams", { name: longName }, f.org.key)), status: 422, type: "validation", issue: "body.name" },
  { name: "duplicate keys in JSON (the last, empty, wins)", send: req((f) => raw("/v1/teams", '{"name":"ok","name":""}', "application/json", f.org.key)), status: 422, type: "validation", issue: "body.name" },
  { name: "team name with nothing to slug (!!!)", send: req((f) => post("/v1/teams", { name: "!!!" }, f.org.key)), status: 422, type: "validation", issue: "body.slug" },
  { name: "org name with nothing to slug (日本語)", send: req(() => post("/v1/signup", { org_name: "日本語", owner_email: `${unique("jp")}@example.com`, owner_name: "J" })), status: 422, type: "validation", issue: "body.org_slug" },
  { name: "team name whose slug is taken (Default)", send: req((f) => post("/v1/teams", { name: "Default" }, f.org.key)), status: 409, type: "conflict" },
  { name: "SQL-looking slug", send: req((f) => post("/v1/teams", { name: "x", slug: "x'; DROP TABLE teams;--" }, f.org.key)), status: 422, type: "validation", issue: "body.slug" },
  { name: "empty org name on PATCH /v1/org", send: req((f) => post("/v1/org", { name: "" }, f.org.key, "PATCH")), status: 422, type: "validation", issue: "body.name" },
  { name: "unknown field on PATCH /v1/org (slug is immutable)", send: req((f) => post("/v1/org", { name: "x", slug: "hijack" }, f.org.key, "PATCH")), status: 422, type: "validation", issue: "body.slug" },

  // ---- signup ----
  { name: "signup with an invalid email", send: req(() => post("/v1/signup", { org_name: unique("bad-email"), owner_email: "not-an-email", owner_name: "X" })), status: 422, type: "validation", issue: "body.owner_email" },
  { name: "signup with a script tag as email", send: req(() => post("/v1/signup", { org_name: unique("xss-email"), owner_email: "<script>@x.example", owner_name: "X" })), status: 422, type: "validation", issue: "body.owner_email" },
  { name: "signup missing owner_email", send: req(() => post("/v1/signup", { org_name: unique("no-email"), owner_name: "X" })), status: 422, type: "validation", issue: "body.owner_email" },
  { name: "signup with a too-long org_name", send: req(() => post("/v1/signup", { org_name: longName, owner_email: `${unique("long")}@example.com`, owner_name: "X" })), status: 422, type: "validation", issue: "body.org_name" },
  { name: "signup with a path-traversal slug", send: req(() => post("/v1/signup", { org_name: "Trav", org_slug: "../../etc", owner_email: `${unique("trav")}@example.com`, owner_name: "X" })), status: 422, type: "validation", issue: "body.org_slug" },
  {
    name: "signup smuggling an org_role (mass assignment)",
    send: req(() => post("/v1/signup", { org_name: unique("mass"), owner_email: `${unique("mass")}@example.com`, owner_name: "X", org_role: "owner" })),
    status: 422,
    type: "validation",
    issue: "body.org_role",
  },
  { name: "duplicate signup (same owner email)", send: req((f) => post("/v1/signup", { org_name: unique("dup"), owner_email: f.ownerEmail, owner_name: "Dup" })), status: 409, type: "conflict" },
  {
    name: "duplicate signup (owner email in upper case with spaces)",
    send: req((f) => post("/v1/signup", { org_name: unique("dup-case"), owner_email: `  ${f.ownerEmail.toUpperCase()} `, owner_name: "Dup" })),
    status: 409,
    type: "conflict",
  },
  { name: "duplicate signup (same org slug)", send: req((f) => post("/v1/signup", { org_name: "Dup", org_slug: f.org.slug, owner_email: `${unique("dup-slug")}@example.com`, owner_name: "Dup" })), status: 409, type: "conflict" },

  // ---- enums ----
  { name: "org_role superuser", send: req((f) => post("/v1/principals", { kind: "user", email: `${unique("su")}@example.com`, name: "S", org_role: "superuser" }, f.org.key)), status: 422, type: "validation", issue: "body.org_role" },
  { name: "principal kind robot", send: req((f) => post("/v1/principals", { kind: "robot", name: "R2" }, f.org.key)), status: 422, type: "validation", issue: "body.kind" },
  {
    name: "team role boss in a principal's teams",
    send: req((f) => post("/v1/principals", { kind: "agent", name: "A", teams: [{ team_id: f.org.teamId, role: "boss" }] }, f.org.key)),
    status: 422,
    type: "validation",
    issue: "body.teams.0.role",
  },
  { name: "string instead of the teams array", send: req((f) => post("/v1/principals", { kind: "agent", name: "A", teams: f.org.teamId }, f.org.key)), status: 422, type: "validation", issue: "body.teams" },
  {
    name: "the same team granted twice (the batch must roll back whole)",
    send: req((f) => post("/v1/principals", { kind: "agent", name: "A", teams: [{ team_id: f.org.teamId, role: "member" }, { team_id: f.org.teamId, role: "lead" }] }, f.org.key)),
    status: 409,
    type: "conflict",
  },
  {
    name: "51 team grants (over the maximum)",
    send: req((f) => post("/v1/principals", { kind: "agent", name: "A", teams: Array.from({ length: 51 }, () => ({ team_id: f.org.teamId, role: "member" })) }, f.org.key)),
    status: 422,
    type: "validation",
    issue: "body.teams",
  },
  { name: "email on an agent (field of the other variant)", send: req((f) => post("/v1/principals", { kind: "agent", name: "A", email: "a@example.com" }, f.org.key)), status: 422, type: "validation", issue: "body.email" },
  { name: "team role boss on PUT membership", send: req((f) => post(`/v1/teams/${f.org.teamId}/members/${f.member.principalId}`, { role: "boss" }, f.org.key, "PUT")), status: 422, type: "validation", issue: "body.role" },
  { name: "include_archived=yes", send: req((f) => get("/v1/teams?include_archived=yes", f.org.key)), status: 422, type: "validation", issue: "query.include_archived" },

  // ---- keys and tokens: bodies ----
  { name: "string instead of the scopes array", send: req((f) => post("/v1/keys", { name: "k", scopes: "*" }, f.org.key)), status: 422, type: "validation", issue: "body.scopes" },
  { name: "33 scopes (over the maximum)", send: req((f) => post("/v1/keys", { name: "k", scopes: Array.from({ length: 33 }, () => "teams:read") }, f.org.key)), status: 422, type: "validation", issue: "body.scopes" },
  { name: "unknown scope superuser", send: req((f) => post("/v1/keys", { name: "k", scopes: ["superuser"] }, f.org.key)), status: 422, type: "validation", issue: "body.scopes.0" },
  { name: "non-date expires_at", send: req((f) => post("/v1/keys", { name: "k", expires_at: "yesterday" }, f.org.key)), status: 422, type: "validation", issue: "body.expires_at" },
  { name: "expires_at in the past", send: req((f) => post("/v1/keys", { name: "k", expires_at: "2001-01-01T00:00:00Z" }, f.org.key)), status: 422, type: "validation", issue: "body.expires_at" },
  { name: "ttl_seconds overflowing to Infinity", send: req((f) => raw("/v1/auth/token", '{"ttl_seconds": 1e400}', "application/json", f.org.key)), status: 422, type: "validation", issue: "body.ttl_seconds" },
  { name: "ttl_seconds as a string", send: req((f) => post("/v1/auth/token", { ttl_seconds: "600" }, f.org.key)), status: 422, type: "validation", issue: "body.ttl_seconds" },
  { name: "token scopes wider than the key's", send: req((f) => post("/v1/auth/token", { scopes: ["teams:write"] }, f.narrowKey)), status: 422, type: "validation", issue: "body.scopes" },
  { name: "exchanging an access token for another", send: req((f) => post("/v1/auth/token", {}, f.token)), status: 403, type: "forbidden" },

  // ---- repos and OIDC issuers ----
  { name: "javascript: repo url", send: req((f) => post("/v1/repos", { team_id: f.org.teamId, name: "acme/x", url: "javascript:alert(1)" }, f.org.key)), status: 422, type: "validation", issue: "body.url" },
  {
    name: "path scope escaping the repo root",
    send: req((f) => post("/v1/repos", { team_id: f.org.teamId, name: "acme/x", path_scopes: [{ path: "../../etc/passwd", read: ["owner"], write: [] }] }, f.org.key)),
    status: 422,
    type: "validation",
    issue: "body.path_scopes.0.path",
  },
  { name: "repo name with shell metacharacters", send: req((f) => post("/v1/repos", { team_id: f.org.teamId, name: "acme/x; rm -rf /" }, f.org.key)), status: 422, type: "validation", issue: "body.name" },
  {
    name: "symmetric (oct) key in an OIDC issuer's JWKS",
    send: req((f) => post("/v1/oidc-issuers", { issuer: "https://idp.example", audience: unique("aud"), jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }, f.org.key)),
    status: 422,
    type: "validation",
    issue: "body.jwks.keys.0.kty",
  },
  {
    name: "private key material in an OIDC issuer's JWKS",
    send: req((f) => post("/v1/oidc-issuers", { issuer: "https://idp.example", audience: unique("aud"), jwks: { keys: [{ ...f.attacker.publicJwk, d: "AAAA" }] } }, f.org.key)),
    status: 422,
    type: "validation",
    issue: "body.jwks.keys.0",
  },
  {
    name: "http:// OIDC issuer",
    send: req((f) => post("/v1/oidc-issuers", { issuer: "http://idp.example", audience: unique("aud"), jwks: { keys: [f.idp.publicJwk] } }, f.org.key)),
    status: 422,
    type: "validation",
    issue: "body.issuer",
  },

  // ---- path ids ----
  { name: "non-id team path", send: req((f) => get("/v1/teams/not-an-id", f.org.key)), status: 422, type: "validation", issue: "path.team_id" },
  { name: "SQL-looking team path id", send: req((f) => get("/v1/teams/team_1%27%20OR%201=1", f.org.key)), status: 422, type: "validation", issue: "path.team_id" },
  { name: "encoded path traversal as team id", send: req((f) => get("/v1/teams/..%2F..%2Forg", f.org.key)), status: 422, type: "validation", issue: "path.team_id" },
  { name: "NUL byte in a team id", send: req((f) => get("/v1/teams/team_abc%00", f.org.key)), status: 422, type: "validation", issue: "path.team_id" },
  { name: "broken percent-encoding in a team id", send: req((f) => get("/v1/teams/team_%E0%A4%A", f.org.key)), status: 422, type: "validation", issue: "path.team_id" },
  { name: "upper-case team id", send: req((f) => get("/v1/teams/team_ABCDEF", f.org.key)), status: 422, type: "validation", issue: "path.team_id" },
  { name: "script tag as principal id", send: req((f) => get("/v1/principals/usr_%3Cscript%3E", f.org.key)), status: 422, type: "validation", issue: "path.principal_id" },
  { name: "SQL-looking key id on revoke", send: req((f) => post("/v1/keys/key_x'%20OR%20'1'='1/revoke", undefined, f.org.key)), status: 422, type: "validation", issue: "path.key_id" },
  { name: "bad principal id on PUT membership", send: req((f) => post(`/v1/teams/${f.org.teamId}/members/root`, { role: "member" }, f.org.key, "PUT")), status: 422, type: "validation", issue: "path.principal_id" },
  { name: "well-formed but unknown team id", send: req((f) => get(`/v1/teams/team_${"a".repeat(20)}`, f.org.key)), status: 404, type: "not-found" },

  // ---- cross-tenant ----
  { name: "reading another org's team", send: req((f) => get(`/v1/teams/${f.other.teamId}`, f.org.key)), status: 404, type: "not-found" },
  { name: "renaming another org's team", send: req((f) => post(`/v1/teams/${f.other.teamId}`, { name: "pwned" }, f.org.key, "PATCH")), status: 404, type: "not-found" },
  { name: "archiving another org's team", send: req((f) => post(`/v1/teams/${f.other.teamId}/archive`, undefined, f.org.key)), status: 404, type: "not-found" },
  { name: "removing another org's owner", send: req((f) => post(`/v1/principals/${f.other.ownerId}`, undefined, f.org.key, "DELETE")), status: 404, type: "not-found" },
  { name: "revoking another org's key", send: req((f) => post(`/v1/keys/${f.other.keyId}/revoke`, undefined, f.org.key)), status: 404, type: "not-found" },
  { name: "minting a key for another org's owner", send: req((f) => post("/v1/keys", { name: "k", principal_id: f.other.ownerId }, f.org.key)), status: 404, type: "not-found" },
  { name: "registering a repo to another org's team", send: req((f) => post("/v1/repos", { team_id: f.other.teamId, name: "acme/x" }, f.org.key)), status: 404, type: "not-found" },
  { name: "adding another org's owner to my team", send: req((f) => post(`/v1/teams/${f.org.teamId}/members/${f.other.ownerId}`, { role: "lead" }, f.org.key, "PUT")), status: 404, type: "not-found" },

  // ---- authorisation ----
  { name: "member creating a team", send: req((f) => post("/v1/teams", { name: "nope" }, f.member.key)), status: 403, type: "forbidden" },
  { name: "member making an owner", send: req((f) => post("/v1/principals", { kind: "agent", name: "A", org_role: "owner" }, f.member.key)), status: 403, type: "forbidden" },
  { name: "member promoting themselves", send: req((f) => post(`/v1/principals/${f.member.principalId}`, { org_role: "admin" }, f.member.key, "PATCH")), status: 403, type: "forbidden" },
  { name: "teams:read key creating a team", send: req((f) => post("/v1/teams", { name: "nope" }, f.narrowKey)), status: 403, type: "forbidden" },

  // ---- query strings ----
  { name: "SQL in the audit action filter", send: req((f) => get(`/v1/audit?action=${encodeURIComponent("' OR 1=1--")}`, f.org.key)), status: 422, type: "validation", issue: "query.action" },
  { name: "script tag as principal kind", send: req((f) => get(`/v1/principals?kind=${encodeURIComponent("<script>alert(1)</script>")}`, f.org.key)), status: 422, type: "validation", issue: "query.kind" },
  { name: "garbage cursor", send: req((f) => get("/v1/teams?cursor=%%%not-a-cursor", f.org.key)), status: 422, type: "validation", issue: "query.cursor" },
  { name: "base64 cursor of the wrong shape", send: req((f) => get(`/v1/teams?cursor=${base64url.encode('{"id":"x"}')}`, f.org.key)), status: 422, type: "validation", issue: "query.cursor" },
  { name: "too-long cursor", send: req((f) => get(`/v1/principals?cursor=${"a".repeat(201)}`, f.org.key)), status: 422, type: "validation", issue: "query.cursor" },
  { name: "non-numeric audit cursor", send: req((f) => get("/v1/audit?cursor=1%20OR%201=1", f.org.key)), status: 422, type: "validation", issue: "query.cursor" },
  { name: "limit=0", send: req((f) => get("/v1/teams?limit=0", f.org.key)), status: 422, type: "validation", issue: "query.limit" },
  { name: "limit=100000", send: req((f) => get("/v1/teams?limit=100000", f.org.key)), status: 422, type: "validation", issue: "query.limit" },
  { name: "limit=-1", send: req((f) => get("/v1/keys?limit=-1", f.org.key)), status: 422, type: "validation", issue: "query.limit" },
  { name: "limit=abc", send: req((f) => get("/v1/principals?limit=abc", f.org.key)), status: 422, type: "validation", issue: "query.limit" },
  { name: "limit=1.5", send: req((f) => get("/v1/repos?limit=1.5", f.org.key)), status: 422, type: "validation", issue: "query.limit" },
  { name: "repeated limit (array)", send: req((f) => get("/v1/teams?limit=1&limit=2", f.org.key)), status: 422, type: "validation", issue: "query.limit" },
  { name: "audit limit=100000", send: req((f) => get("/v1/audit?limit=100000", f.org.key)), status: 422, type: "validation", issue: "query.limit" },
  { name: "non-date audit from", send: req((f) => get("/v1/audit?from=yesterday", f.org.key)), status: 422, type: "validation", issue: "query.from" },
  { name: "audit from after to", send: req((f) => get("/v1/audit?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", f.org.key)), status: 422, type: "validation", issue: "query.from" },
  { name: "too-long audit actor", send: req((f) => get(`/v1/audit?actor=${"a".repeat(101)}`, f.org.key)), status: 422, type: "validation", issue: "query.actor" },
  { name: "SQL-looking principal_id filter on keys", send: req((f) => get(`/v1/keys?principal_id=${encodeURIComponent("usr_x' OR '1'='1")}`, f.org.key)), status: 422, type: "validation", issue: "query.principal_id" },
  { name: "unknown route under /v1", send: req((f) => get("/v1/admin/users", f.org.key)), status: 404, type: "not-found" },

  // ---- the Authorization header ----
  { name: "missing Authorization", send: req(() => get("/v1/teams")), status: 401, type: "unauthenticated" },
  { name: "Basic credentials", send: req(() => ({ path: "/v1/teams", headers: { authorization: `Basic ${btoa("admin:admin")}` } })), status: 401, type: "unauthenticated" },
  { name: "Bearer with nothing after it", send: req(() => ({ path: "/v1/teams", headers: { authorization: "Bearer " } })), status: 401, type: "unauthenticated" },
  { name: "Bearer with two credentials", send: req((f) => ({ path: "/v1/teams", headers: { authorization: `Bearer ${f.org.key} ${f.org.key}` } })), status: 401, type: "unauthenticated" },
  { name: "Bearer garbage", send: req(() => ({ path: "/v1/teams", headers: bearer("not.a.jwt") })), status: 401, type: "unauthenticated", detail: /neither a sysop API key nor a JWT/ },
  { name: "oversized credential (9000 chars)", send: req(() => ({ path: "/v1/teams", headers: bearer("a".repeat(9000)) })), status: 401, type: "unauthenticated" },
  { name: "SQL as the bearer credential", send: req(() => ({ path: "/v1/teams", headers: bearer("sysop_'OR'1'='1") })), status: 401, type: "unauthenticated", detail: /malformed/ },
  {
    name: "well-formed but unknown sysop key",
    send: req(() => ({ path: "/v1/teams", headers: bearer(`sysop_${"a".repeat(12)}_${"b".repeat(52)}`) })),
    status: 401,
    type: "unauthenticated",
    detail: /not valid/,
  },
  { name: "real key id with a wrong secret", send: req((f) => ({ path: "/v1/teams", headers: bearer(flipLastChar(f.org.key)) })), status: 401, type: "unauthenticated", detail: /not valid/ },
  { name: "truncated sysop key", send: req((f) => ({ path: "/v1/teams", headers: bearer(f.org.key.slice(0, -1)) })), status: 401, type: "unauthenticated", detail: /malformed/ },
  { name: "revoked key's access token", send: withAuth((f) => f.revokedKeyToken, "/v1/teams"), status: 401, type: "unauthenticated", detail: /key it came from/ },
  { name: "sysop key without the Bearer scheme", send: req((f) => ({ path: "/v1/teams", headers: { authorization: f.org.key } })), status: 401, type: "unauthenticated" },
  { name: "sysop key with the Token scheme", send: req((f) => ({ path: "/v1/teams", headers: { authorization: `Token ${f.org.key}` } })), status: 401, type: "unauthenticated" },
  { name: "sysop key in X-Api-Key", send: req((f) => ({ path: "/v1/teams", headers: { "x-api-key": f.org.key } })), status: 401, type: "unauthenticated" },
  { name: "sysop key in the query string", send: req((f) => get(`/v1/teams?api_key=${f.org.key}`)), status: 401, type: "unauthenticated" },
  { name: "sysop key as a cookie", send: req((f) => ({ path: "/v1/teams", headers: { cookie: `token=${f.org.key}` } })), status: 401, type: "unauthenticated" },

  // ---- forged and doctored sysop access tokens ----
  {
    name: "forged JWT: own Ed25519 key, sysop's kid, valid-looking claims",
    send: withAuth((f) => signWithAttackerKey(accessClaims(), { kid: f.realJwk.kid })),
    status: 401,
    type: "unauthenticated",
    detail: /signature/,
  },
  { name: "forged JWT: own Ed25519 key, no kid", send: withAuth(() => signWithAttackerKey(accessClaims())), status: 401, type: "unauthenticated" },
  { name: "forged JWT: own key, unknown kid", send: withAuth(() => signWithAttackerKey(accessClaims(), { kid: "sk_attacker" })), status: 401, type: "unauthenticated" },
  {
    name: "forged JWT: own key embedded in the jwk header",
    send: withAuth((f) => signWithAttackerKey(accessClaims(), { jwk: f.attacker.publicJwk })),
    status: 401,
    type: "unauthenticated",
  },
  {
    name: "forged expired JWT (own key)",
    send: withAuth((f) => signWithAttackerKey(accessClaims({ iat: nowSec() - 7200, exp: nowSec() - 3600 }), { kid: f.realJwk.kid })),
    status: 401,
    type: "unauthenticated",
  },
  { name: "forged JWT with the wrong aud (own key)", send: withAuth(() => signWithAttackerKey(accessClaims({ aud: "someone-else" }))), status: 401, type: "unauthenticated" },
  {
    name: "real token with a tampered payload (scope widened)",
    send: withAuth((f) => tamperPayload(f.token, (c) => (c.scope = "* audit:read"))),
    status: 401,
    type: "unauthenticated",
    detail: /signature/,
  },
  {
    name: "real token with a tampered payload (exp extended)",
    send: withAuth((f) => tamperPayload(f.token, (c) => (c.exp = (c.exp as number) + 1))),
    status: 401,
    type: "unauthenticated",
    detail: /signature/,
  },
  { name: "real token with the signature stripped", send: withAuth((f) => f.token.split(".").slice(0, 2).join(".") + "."), status: 401, type: "unauthenticated" },
  { name: "alg none", send: withAuth(() => unsecuredJwt(accessClaims())), status: 401, type: "unauthenticated", detail: /algorithm/ },
  { name: "alg None (mixed case)", send: withAuth(() => unsecuredJwt(accessClaims(), { alg: "None", typ: "at+jwt" })), status: 401, type: "unauthenticated" },
  {
    name: "HS256 keyed with sysop's published JWK (alg confusion)",
    send: withAuth((f) => signHs256(accessClaims(), JSON.stringify(f.realJwk), { typ: "at+jwt", kid: f.realJwk.kid })),
    status: 401,
    type: "unauthenticated",
    detail: /algorithm/,
  },
  {
    name: "HS256 keyed with the raw JWKS document",
    send: withAuth((f) => signHs256(accessClaims(), f.jwksText, { typ: "at+jwt" })),
    status: 401,
    type: "unauthenticated",
  },
  {
    name: "HS256 keyed with the public key's x value",
    send: withAuth((f) => signHs256(accessClaims(), f.realJwk.x!, { typ: "at+jwt", kid: f.realJwk.kid })),
    status: 401,
    type: "unauthenticated",
  },
  { name: "JWT from an unregistered issuer", send: withAuth(() => signWithAttackerKey(accessClaims({ iss: "https://evil.example" }))), status: 401, type: "unauthenticated", detail: /issuer is not registered/ },
  { name: "JWT without iss", send: withAuth(() => signWithAttackerKey(accessClaims({ iss: undefined }))), status: 401, type: "unauthenticated", detail: /no iss/ },
  { name: "JWT with a non-string iss", send: withAuth(() => unsecuredJwt(accessClaims({ iss: ["https://sysop.local"] }))), status: 401, type: "unauthenticated" },
  { name: "JWE-shaped credential (5 segments)", send: withAuth(() => "a.b.c.d.e"), status: 401, type: "unauthenticated" },

  // ---- genuinely signed by sysop's key, but wrong in exactly one way ----
  { name: "sysop-signed but expired", send: withAuth(() => signWithSysopKey(accessClaims({ iat: nowSec() - 7200, exp: nowSec() - 3600 }))), status: 401, type: "unauthenticated", detail: /expired/ },
  { name: "sysop-signed with the wrong aud", send: withAuth(() => signWithSysopKey(accessClaims({ aud: "another-api" }))), status: 401, type: "unauthenticated", detail: /aud/ },
  { name: "sysop-signed with typ header JWT (not at+jwt)", send: withAuth(() => signWithSysopKey(accessClaims(), "JWT")), status: 401, type: "unauthenticated" },
  { name: "sysop-signed with typ claim refresh", send: withAuth(() => signWithSysopKey(accessClaims({ typ: "refresh" }))), status: 401, type: "unauthenticated" },
  {
    name: "sysop-signed with a lifetime over the maximum",
    send: withAuth(() => signWithSysopKey(accessClaims({ exp: nowSec() + 7200 }))),
    status: 401,
    type: "unauthenticated",
    detail: /lifetime/,
  },
  { name: "sysop-signed without jti", send: withAuth(() => signWithSysopKey(accessClaims({ jti: undefined }))), status: 401, type: "unauthenticated" },
  { name: "sysop-signed naming an unknown key", send: withAuth(() => signWithSysopKey(accessClaims({ key: `key_${"z".repeat(12)}` }))), status: 401, type: "unauthenticated", detail: /key it came from/ },
  { name: "sysop-signed with my key but another org", send: withAuth((f) => signWithSysopKey(accessClaims({ org: f.other.orgId }))), status: 401, type: "unauthenticated" },
  { name: "sysop-signed with another org's owner as sub", send: withAuth((f) => signWithSysopKey(accessClaims({ sub: f.other.ownerId }))), status: 401, type: "unauthenticated", detail: /key it came from/ },
  { name: "sysop-signed with a colleague as sub of the owner's key", send: withAuth((f) => signWithSysopKey(accessClaims({ sub: f.member.principalId }))), status: 401, type: "unauthenticated", detail: /key it came from/ },

  // ---- tokens from the org's registered OIDC issuer ----
  {
    name: "OIDC: HS256 keyed with the registered JWK",
    send: withAuth((f) => signHs256(oidcClaims(), JSON.stringify(f.idp.publicJwk), { kid: f.idp.kid })),
    status: 401,
    type: "unauthenticated",
    detail: /algorithm/,
  },
  { name: "OIDC: alg none", send: withAuth(() => unsecuredJwt(oidcClaims(), { alg: "none" })), status: 401, type: "unauthenticated", detail: /algorithm/ },
  { name: "OIDC: signed by a key the issuer never registered", send: withAuth(() => signWithAttackerKey(oidcClaims(), { kid: "idp-key-1", typ: "JWT" })), status: 401, type: "unauthenticated" },
  { name: "OIDC: wrong aud", send: withAuth(() => signWithIdpKey(oidcClaims({ aud: "not-sysop" }))), status: 401, type: "unauthenticated", detail: /aud/ },
  { name: "OIDC: expired", send: withAuth(() => signWithIdpKey(oidcClaims({ iat: nowSec() - 7200, exp: nowSec() - 3600 }))), status: 401, type: "unauthenticated", detail: /expired/ },
  { name: "OIDC: no exp", send: withAuth(() => signWithIdpKey(oidcClaims({ exp: undefined }))), status: 401, type: "unauthenticated" },
  { name: "OIDC: email of another org's owner", send: withAuth((f) => signWithIdpKey(oidcClaims({ email: f.otherOwnerEmail }))), status: 401, type: "unauthenticated", detail: /no active member/ },
  { name: "OIDC: email_verified false", send: withAuth(() => signWithIdpKey(oidcClaims({ email_verified: false }))), status: 401, type: "unauthenticated", detail: /not verified/ },
  { name: "OIDC: no email claim", send: withAuth(() => signWithIdpKey(oidcClaims({ email: undefined }))), status: 401, type: "unauthenticated" },
];

describe("hostile and malformed requests", () => {
  it("has at least 30 distinctly named cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it("controls: correctly formed credentials of each kind are accepted (so the refusals below mean something)", async () => {
    for (const credential of [fx.org.key, fx.token, await signWithSysopKey(accessClaims()), await signWithIdpKey(oidcClaims())]) {
      const res = await call({ path: "/v1/me", headers: bearer(credential) });
      expect(res.status, await res.clone().text()).toBe(200);
      expect((await res.json()) as { id: string }).toMatchObject({ id: fx.org.ownerId });
    }
  });

  for (const c of CASES) {
    it(`${c.name} -> ${c.status} ${c.type}`, async () => {
      await flushAudit(orgIds());
      const countsBefore = await rowCounts();
      const rowsBefore = await fixtureRows();

      const res = await c.send(fx);
      const body = await expectProblem(res, c.status);
      expect(body.type).toBe(PROBLEM_BASE + c.type);
      expect(body.request_id).toMatch(/^req_/);
      expect(JSON.stringify(body)).not.toMatch(/\bat .*\(.*:\d+:\d+\)|stack/i); // no stack traces
      if (c.issue) expect((body.issues as { path: string }[] | undefined)?.map((i) => i.path) ?? [], JSON.stringify(body)).toContain(c.issue);
      if (c.detail) expect(body.detail).toMatch(c.detail);
      if (c.status === 413) expect(body.limit_bytes).toBe(MAX_BODY_BYTES);
      if (c.status === 401) expect(res.headers.get("www-authenticate")).toBe('Bearer realm="sysop"');

      await flushAudit(orgIds());
      expect(await rowCounts()).toEqual(countsBefore);
      expect(await fixtureRows()).toEqual(rowsBefore);
    });
  }
});

describe("SQL- and HTML-looking strings that are valid input", () => {
  const SQL_NAME = "Robert'); DROP TABLE teams;--";
  const HTML_NAME = "<img src=x onerror=alert(1)>";
  const SCRIPT_NAME = '<script>alert("x")</script>';
  const ORG_NAME = "'; DELETE FROM orgs; -- \" OR \"1\"=\"1";

  const expectJson = (res: Response) => {
    const ct = res.headers.get("content-type") ?? "";
    expect(ct).toMatch(/^application\/json/);
    expect(ct).not.toMatch(/html/);
  };

  it("are stored verbatim and returned as application/json, never HTML", async () => {
    const org = await signupOrg("verbatim");

    const created: string[] = [];
    for (const name of [SQL_NAME, HTML_NAME]) {
      const res = await call({ method: "POST", path: "/v1/teams", key: org.key, body: { name } });
      expect(res.status).toBe(201);
      expectJson(res);
      const team = (await res.json()) as { id: string; name: string };
      expect(team.name).toBe(name);
      created.push(team.id);

      const read = await call({ path: `/v1/teams/${team.id}`, key: org.key });
      expect(read.status).toBe(200);
      expectJson(read);
      const text = await read.text();
      expect(JSON.parse(text).name).toBe(name);
      expect(text).toContain(JSON.stringify(name)); // the JSON string itself, not an HTML rendering

      const row = await env.DB.prepare("SELECT name FROM teams WHERE id = ?").bind(team.id).first<{ name: string }>();
      expect(row?.name).toBe(name);
    }

    // The teams table survived and holds exactly the default team plus the two new ones.
    const n = await env.DB.prepare("SELECT count(*) AS n FROM teams WHERE org_id = ?").bind(org.orgId).first<{ n: number }>();
    expect(n?.n).toBe(3);
    const list = await call({ path: "/v1/teams", key: org.key });
    expectJson(list);
    const names = ((await list.json()) as { data: { name: string }[] }).data.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining([SQL_NAME, HTML_NAME, "Default"]));

    const agent = await call({ method: "POST", path: "/v1/principals", key: org.key, body: { kind: "agent", name: SCRIPT_NAME } });
    expect(agent.status).toBe(201);
    expectJson(agent);
    expect(((await agent.json()) as { name: string }).name).toBe(SCRIPT_NAME);

    const renamed = await call({ method: "PATCH", path: "/v1/org", key: org.key, body: { name: ORG_NAME } });
    expect(renamed.status).toBe(200);
    expectJson(renamed);
    expect(((await renamed.json()) as { name: string }).name).toBe(ORG_NAME);
    const orgRow = await env.DB.prepare("SELECT name FROM orgs WHERE id = ?").bind(org.orgId).first<{ name: string }>();
    expect(orgRow?.name).toBe(ORG_NAME);

    // The evidence log carries them verbatim too.
    const audit = await call({ path: "/v1/audit?action=team.created", key: org.key });
    expect(audit.status).toBe(200);
    expectJson(audit);
    const events = ((await audit.json()) as { data: { details: { name: string } }[] }).data;
    expect(events.map((e) => e.details.name)).toEqual(expect.arrayContaining([SQL_NAME, HTML_NAME]));
  });

  it("SQL-looking values in free-text filters are data, not SQL", async () => {
    const org = await signupOrg("sqlfilter");
    await flushAudit([org.orgId]);
    const all = await callJson({ path: "/v1/audit", key: org.key }, 200);
    expect(all.body.data.length).toBeGreaterThan(0); // the signup event exists ...
    for (const q of ["actor=' OR '1'='1", "target=x' OR 1=1--", "actor=%25", "target=*"]) {
      const res = await call({ path: `/v1/audit?${q.replace(/ /g, "%20").replace(/'/g, "%27")}`, key: org.key });
      expect(res.status, q).toBe(200);
      expectJson(res);
      expect(((await res.json()) as { data: unknown[] }).data, q).toEqual([]); // ... but no filter matches it
    }
  });

  it("an action prefix filter treats _ literally: api_key.* finds api_key.created, a_i_key.* finds nothing", async () => {
    const org = await signupOrg("likefilter");
    await callJson({ method: "POST", path: "/v1/keys", key: org.key, body: { name: "k" } }, 201);
    await flushAudit([org.orgId]);
    const actions = async (filter: string) =>
      ((await callJson({ path: `/v1/audit?action=${filter}`, key: org.key }, 200)).body.data as { action: string }[]).map((e) => e.action);
    expect(await actions("api_key.created")).toEqual(["api_key.created"]);
    // `_` is a LIKE wildcard: it must match itself only, never any character.
    expect(await actions("a_i_key.*")).toEqual([]);
    expect(await actions("api_key.*")).toEqual(["api_key.created"]);
  });
});
