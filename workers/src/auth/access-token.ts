// sysop's own access tokens: short-lived JWTs (EdDSA) minted from an API key by
// POST /v1/auth/token and verified against the published JWKS. Only EdDSA is accepted for
// them, and iss, aud, typ and exp are required, so `alg: none`, HS/RS confusion and tokens
// meant for another audience all fail here.
import { createLocalJWKSet, jwtVerify, errors, type JWTPayload, type JWK } from "jose";
import type { Env } from "../env";
import { TOKEN_ALG, MAX_TOKEN_TTL_SECONDS } from "../domain/identity/token-policy";
import { randomBase32 } from "../domain/identity/ids";

export const ACCESS_TOKEN_TYP = "at+jwt";

export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  aud: string;
  sub: string;
  org: string;
  typ: "access";
  /** The API key the token was exchanged from; revoking the key ends the token too. */
  key: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
}

export const signingKeys = (env: Env) => env.SIGNING_KEYS.getByName("global");

export function tokenTtlSeconds(env: Env, requested?: number): number {
  const configured = Math.min(Number(env.TOKEN_TTL_SECONDS) || 900, MAX_TOKEN_TTL_SECONDS);
  return Math.max(60, Math.min(requested ?? configured, configured));
}

export async function issueAccessToken(
  env: Env,
  subject: { principalId: string; orgId: string; keyId: string; scopes: string[] },
  ttlSeconds: number,
  now: Date,
): Promise<{ token: string; claims: AccessTokenClaims }> {
  const iat = Math.floor(now.getTime() / 1000);
  const claims: AccessTokenClaims = {
    iss: env.TOKEN_ISSUER,
    aud: env.TOKEN_AUDIENCE,
    sub: subject.principalId,
    org: subject.orgId,
    typ: "access",
    key: subject.keyId,
    scope: subject.scopes.join(" "),
    jti: `jti_${randomBase32(20)}`,
    iat,
    exp: iat + ttlSeconds,
  };
  const token = await signingKeys(env).sign(claims, { typ: ACCESS_TOKEN_TYP });
  return { token, claims };
}

// Public keys are cached per isolate; an unknown kid (a key rotated in since) refetches once.
let jwksCache: { jwks: { keys: JWK[] }; fetchedAt: number } | null = null;
const JWKS_CACHE_MS = 5 * 60_000;

export async function publishedJwks(env: Env, fresh = false): Promise<{ keys: JWK[] }> {
  if (!fresh && jwksCache && Date.now() - jwksCache.fetchedAt < JWKS_CACHE_MS) return jwksCache.jwks;
  const jwks = await signingKeys(env).publicJwks();
  jwksCache = { jwks, fetchedAt: Date.now() };
  return jwks;
}

export type AccessTokenCheck = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: string };

export async function verifyAccessToken(env: Env, token: string, now: Date): Promise<AccessTokenCheck> {
  const options = {
    issuer: env.TOKEN_ISSUER,
    audience: env.TOKEN_AUDIENCE,
    algorithms: [TOKEN_ALG],
    typ: ACCESS_TOKEN_TYP,
    requiredClaims: ["exp", "iat", "sub", "org", "typ", "key", "jti"],
    currentDate: now,
    clockTolerance: 30,
  };
  for (const fresh of [false, true]) {
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(await publishedJwks(env, fresh)), options);
      if (payload.typ !== "access" || typeof payload.org !== "string" || typeof payload.key !== "string") {
        return { ok: false, reason: "not a sysop access token" };
      }
      if (typeof payload.exp !== "number" || typeof payload.iat !== "number" || payload.exp - payload.iat > MAX_TOKEN_TTL_SECONDS) {
        return { ok: false, reason: "token lifetime exceeds the maximum" };
      }
      return { ok: true, claims: payload as AccessTokenClaims };
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey && !fresh) continue;
      return { ok: false, reason: describeJoseError(err) };
    }
  }
  return { ok: false, reason: "no published key matches the token" };
}

export function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "the token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not accepted`;
  if (err instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not allowed";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (err instanceof errors.JWKSNoMatchingKey) return "no published key matches the token";
  if (err instanceof errors.JOSEError) return "the token is not a valid JWT";
  return "the token is not a valid JWT";
}
