// Credentials: exchanging an API key for a short-lived access token (POST /v1/auth/token),
// the caller's own identity (GET /v1/me), and the public keys that verify sysop's tokens
// (GET /.well-known/jwks.json).
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { issueAccessToken, publishedJwks, tokenTtlSeconds } from "../auth/access-token";
import { forbidden, fail } from "../domain/errors";
import { isKnownScope, scopeAllows, PERMISSIONS, ORG_ROLES, TEAM_ROLES, PRINCIPAL_KINDS } from "../domain/authz/roles";
import { MAX_TOKEN_TTL_SECONDS } from "../domain/identity/token-policy";
import { recordAudit } from "../audit/record";
import { defineRoute, json } from "./common";

const TokenRequest = z
  .strictObject({
    scopes: z.array(z.string().refine(isKnownScope, "unknown scope")).min(1).max(32).optional()
      .openapi({ description: "Narrow the token to these scopes (each must be allowed by the key)." }),
    ttl_seconds: z.number().int().min(60).max(MAX_TOKEN_TTL_SECONDS).optional(),
  })
  .openapi("TokenRequest");

const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    expires_at: z.string(),
    scope: z.string(),
  })
  .openapi("TokenResponse");

const tokenRoute = defineRoute({
  method: "post",
  path: "/auth/token",
  tags: ["identity"],
  summary: "Exchange an API key for a short-lived access token (JWT, EdDSA)",
  access: "authenticated",
  request: { body: { required: false, content: { "application/json": { schema: TokenRequest } } } },
  responses: { 200: json(TokenResponse, "An access token") },
});

const MeView = z
  .object({
    id: z.string(),
    org_id: z.string(),
    kind: z.enum(PRINCIPAL_KINDS),
    email: z.string().nullable(),
    name: z.string(),
    org_role: z.enum(ORG_ROLES),
    teams: z.array(z.object({ team_id: z.string(), role: z.enum(TEAM_ROLES) })),
    scopes: z.array(z.string()),
    credential: z.enum(["api_key", "access_token", "oidc", "slack"]),
  })
  .openapi("Me");

const meRoute = defineRoute({
  method: "get",
  path: "/me",
  tags: ["identity"],
  summary: "Who the credential belongs to, with roles and scopes",
  access: "authenticated",
  responses: { 200: json(MeView, "The calling principal") },
});

export const auth = newRouter()
  .openapi(tokenRoute, async (c) => {
    const p = c.var.principal;
    if (p.credential.type !== "api_key") forbidden("Only an API key can be exchanged for an access token.");
    const keyId = (p.credential as { keyId: string }).keyId;
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof TokenRequest>;
    const scopes = body.scopes ?? p.scopes;
    // A narrowed token may not cover any permission the key itself does not.
    const wider = scopes.filter((s) => PERMISSIONS.some((perm) => scopeAllows([s], perm) && !scopeAllows(p.scopes, perm)));
    if (body.scopes && wider.length) {
      fail({
        kind: "validation",
        detail: "Invalid body.scopes.",
        issues: wider.map((s) => ({ path: "body.scopes", message: `the key does not grant ${s}`, code: "scope_not_granted" })),
      });
    }
    const ttl = tokenTtlSeconds(c.env, body.ttl_seconds);
    const { token, claims } = await issueAccessToken(c.env, { principalId: p.id, orgId: p.orgId, keyId, scopes: [...scopes] }, ttl, new Date());
    await recordAudit(c, p.orgId, [
      {
        action: "auth.token_issued",
        target: { type: "api_key", id: keyId },
        details: { jti: claims.jti, scope: claims.scope, expires_at: new Date(claims.exp * 1000).toISOString() },
      },
    ]);
    return c.json(
      { access_token: token, token_type: "Bearer" as const, expires_in: ttl, expires_at: new Date(claims.exp * 1000).toISOString(), scope: claims.scope },
      200,
    );
  })
  .openapi(meRoute, (c) => {
    const p = c.var.principal;
    return c.json(
      {
        id: p.id,
        org_id: p.orgId,
        kind: p.kind,
        email: p.email,
        name: p.name,
        org_role: p.orgRole,
        teams: Object.entries(p.teamRoles).map(([team_id, role]) => ({ team_id, role })),
        scopes: [...p.scopes],
        credential: p.credential.type,
      },
      200,
    );
  });

const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).openapi("Jwks");

const jwksRoute = defineRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["identity"],
  summary: "Public keys that verify sysop's access tokens (and, later, runner jobs)",
  access: "public",
  responses: { 200: json(Jwks, "JSON Web Key Set") },
});

export const jwks = newRouter().openapi(jwksRoute, async (c) => {
  const set = await publishedJwks(c.env);
  c.header("cache-control", "public, max-age=300");
  return c.json({ keys: set.keys as Record<string, unknown>[] }, 200);
});
