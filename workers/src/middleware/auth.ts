// Authentication for /v1: `Authorization: Bearer <credential>` where the credential is a
// sysop API key, a sysop access token, or a token from the org's registered OIDC issuer.
// Sets c.var.principal; anything else is a 401 problem. Authorisation is per route.
import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import { decodeJwt } from "jose";
import type { AppEnv } from "../http/app-env";
import { database, type Db } from "../db/client";
import { loadActivePrincipal, loadKeyWithPrincipal, type LoadedPrincipal } from "../db/principals";
import { keyRefusal, lastUsedIsStale, presentedKeyMatches, touchLastUsed } from "../auth/api-key";
import { cachedCredential, forgetCredential, rememberCredential, type CachedCredential } from "../auth/credential-cache";
import { verifyAccessToken } from "../auth/access-token";
import { verifyOidcToken } from "../auth/oidc";
import type { Credential, Principal } from "../auth/principal";
import { unauthenticated } from "../domain/errors";
import { looksLikeApiKey, parseApiKey } from "../domain/identity/ids";
import type { Env } from "../env";

const MAX_CREDENTIAL_LENGTH = 8192;

export function bearerCredential(header: string | undefined): string {
  if (!header) return unauthenticated("Send `Authorization: Bearer <API key or token>`.");
  const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!m || m[1]!.length > MAX_CREDENTIAL_LENGTH) return unauthenticated("The Authorization header must be `Bearer <API key or token>`.");
  return m[1]!;
}

/** The credential a request presents: Bearer, or (Anthropic's SDKs, through the gateway) x-api-key. */
export function presentedCredential(c: Context<AppEnv>): string {
  const apiKeyHeader = c.req.path.startsWith("/v1/llm/anthropic/") ? c.req.header("x-api-key") : undefined;
  return !c.req.header("authorization") && apiKeyHeader ? apiKeyHeader : bearerCredential(c.req.header("authorization"));
}

/**
 * Routes whose API-key lookups may come from the credential cache (see credential-cache.ts).
 * Each of them asks the DecisionDesk, which refuses grants read before a change to them.
 */
const CACHED_CREDENTIAL_PATHS = new Set(["/v1/decisions", "/v1/llm/anthropic/v1/messages", "/v1/llm/openai/v1/chat/completions"]);

export const requireAuth = () =>
  createMiddleware<AppEnv>(async function requireAuth(c, next) {
    const credential = presentedCredential(c);
    const useCache = c.req.method === "POST" && CACHED_CREDENTIAL_PATHS.has(c.req.path);
    c.set("principal", await authenticate(c.env, database(c.env), credential, new Date(), (p) => c.executionCtx.waitUntil(p), { useCache }));
    await next();
  });

/** API key row + principal, from the cache when allowed, else from D1 (and cached). */
async function keyAndPrincipal(db: Db, keyId: string, now: Date, useCache: boolean): Promise<(CachedCredential & { fromCache: boolean }) | null> {
  if (useCache) {
    const hit = cachedCredential(keyId, now.getTime());
    if (hit) return { ...hit, fromCache: true };
  } else {
    forgetCredential(keyId);
  }
  const found = await loadKeyWithPrincipal(db, keyId);
  if (!found) return null;
  const entry = { ...found, loadedAt: now.getTime() };
  rememberCredential(keyId, entry);
  return { ...entry, fromCache: false };
}

export async function authenticate(
  env: Env,
  db: Db,
  presented: string,
  now: Date,
  background: (p: Promise<unknown>) => void,
  opts: { useCache?: boolean } = {},
): Promise<Principal> {
  const useCache = opts.useCache ?? false;
  if (looksLikeApiKey(presented)) {
    const parsed = parseApiKey(presented);
    if (!parsed) return unauthenticated("The API key is malformed.");
    const found = await keyAndPrincipal(db, parsed.id, now, useCache);
    if (!found || !presentedKeyMatches(found.key, presented)) return unauthenticated("The API key is not valid.");
    const refusal = keyRefusal(found.key, now);
    if (refusal) return unauthenticated(`The API key is ${refusal}.`);
    if (lastUsedIsStale(found.key, now)) {
      found.key.lastUsedAt = now.toISOString(); // the cached row too, so this happens once a minute
      background(touchLastUsed(db, found.key.id, now));
    }
    return principalFrom(found.principal, found.key.orgId, found.key.scopes, { type: "api_key", keyId: found.key.id }, found.loadedAt, found.fromCache);
  }

  let iss: unknown;
  try {
    iss = decodeJwt(presented).iss;
  } catch {
    return unauthenticated("The credential is neither a sysop API key nor a JWT.");
  }
  if (typeof iss !== "string") return unauthenticated("The token has no iss claim.");

  if (iss === env.TOKEN_ISSUER) {
    const check = await verifyAccessToken(env, presented, now);
    if (!check.ok) return unauthenticated(`The access token is not accepted: ${check.reason}.`);
    // The token dies with the key it came from, and names that key's own principal.
    const found = await keyAndPrincipal(db, check.claims.key, now, useCache);
    if (!found || found.key.orgId !== check.claims.org || found.key.principalId !== check.claims.sub || keyRefusal(found.key, now)) {
      return unauthenticated("The token does not match the API key it came from, or that key is revoked or expired.");
    }
    const credential: Credential = { type: "access_token", keyId: found.key.id, jti: check.claims.jti };
    return principalFrom(found.principal, check.claims.org, check.claims.scope.split(" ").filter(Boolean), credential, found.loadedAt, found.fromCache);
  }

  const check = await verifyOidcToken(db, presented, iss, now);
  if (!check.ok) return unauthenticated(`The identity token is not accepted: ${check.reason}.`);
  const loaded = await loadActivePrincipal(db, check.issuer.orgId, check.principalId);
  return principalFrom(loaded, check.issuer.orgId, ["*"], { type: "oidc", issuerId: check.issuer.id }, now.getTime(), false);
}

export function principalFrom(
  loaded: LoadedPrincipal | null,
  orgId: string,
  scopes: string[],
  credential: Credential,
  loadedAt: number,
  fromCache: boolean,
): Principal {
  // INVARIANT: a credential acts only for an active principal of the org it was issued in.
  if (!loaded || loaded.row.status !== "active" || loaded.row.orgId !== orgId) {
    return unauthenticated("The principal behind this credential is not active.");
  }
  const { row, teamRoles } = loaded;
  return { id: row.id, orgId: row.orgId, kind: row.kind, email: row.email, name: row.name, orgRole: row.orgRole, teamRoles, scopes, credential, loadedAt, fromCache };
}
