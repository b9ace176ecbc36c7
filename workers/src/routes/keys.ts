// API keys: create (the secret is returned once, only its SHA-256 is kept), list (never the
// secret), read, revoke (the next request with the key fails). Everyone manages their own
// keys; owners and admins (keys:manage) see and revoke all, and mint keys for others.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { and, eq, isNull } from "drizzle-orm";
import type { Context } from "hono";
import type { AppEnv } from "../http/app-env";
import { authorize } from "../http/authorize";
import { database } from "../db/client";
import { findApiKey, findPrincipal } from "../db/lookups";
import { afterCursor, newestFirst, page } from "../db/pagination";
import { apiKeys, type ApiKeyRow } from "../db/schema";
import { conflict, fail } from "../domain/errors";
import { can, isKnownScope } from "../domain/authz/roles";
import { newApiKey } from "../domain/identity/ids";
import { sha256Hex } from "../domain/audit/chain";
import { recordAudit } from "../audit/record";
import { credentialsChanged } from "../governance/credentials";
import { defineRoute, json, jsonBody, KeyIdParams, listOf, Name, PageQuery, PrincipalId } from "./common";
import { ApiKeyView, NewApiKeyView, apiKeyView } from "./views";

const MAX_KEY_LIFETIME_DAYS = 366;

const KeyCreate = z
  .strictObject({
    name: Name,
    scopes: z
      .array(z.string().refine(isKnownScope, "unknown scope: use a permission (teams:read), an area (teams:*) or *"))
      .min(1)
      .max(32)
      .default(["*"]),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    principal_id: PrincipalId.optional()
      .openapi({ description: "Whose key it is; defaults to the caller. Others need keys:manage." }),
  })
  .openapi("ApiKeyCreate");

const ListQuery = PageQuery.extend({
  principal_id: PrincipalId.optional().openapi({ param: { name: "principal_id", in: "query" } }),
  include_revoked: z.enum(["true", "false"]).default("false").openapi({ param: { name: "include_revoked", in: "query" } }),
});

const listRoute = defineRoute({
  method: "get",
  path: "/keys",
  tags: ["keys"],
  summary: "List API keys: your own, or with keys:manage anyone's in the org",
  access: "own_keys",
  request: { query: ListQuery },
  responses: { 200: json(listOf(ApiKeyView, "ApiKeyList"), "A page of keys, without secrets") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/keys",
  tags: ["keys"],
  summary: "Create an API key with scopes and an optional expiry",
  access: "own_keys",
  request: { body: jsonBody(KeyCreate) },
  responses: { 201: json(NewApiKeyView, "The key; the `key` field is shown only now") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/keys/{key_id}",
  tags: ["keys"],
  summary: "Read an API key's metadata (never its secret)",
  access: "own_keys",
  request: { params: KeyIdParams },
  responses: { 200: json(ApiKeyView, "The key") },
});

const revokeRoute = defineRoute({
  method: "post",
  path: "/keys/{key_id}/revoke",
  tags: ["keys"],
  summary: "Revoke an API key; it fails from its next request on",
  access: "own_keys",
  request: { params: KeyIdParams },
  responses: { 200: json(ApiKeyView, "The revoked key") },
});

/** Own keys need keys:read/keys:write; anyone else's need keys:manage. */
function authorizeKeyAccess(c: Context<AppEnv>, ownerId: string, write: boolean): void {
  authorize(c, ownerId === c.var.principal.id ? (write ? "keys:write" : "keys:read") : "keys:manage");
}

export const keyRoutes = newRouter()
  .openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const me = c.var.principal;
    // Without a principal_id, a caller who may manage keys sees the org's; others see their own.
    const owner = q.principal_id ?? (can(me, "keys:manage") ? undefined : me.id);
    if (owner) authorizeKeyAccess(c, owner, false);
    const rows = await database(c.env)
      .select()
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.orgId, me.orgId),
          owner ? eq(apiKeys.principalId, owner) : undefined,
          q.include_revoked === "true" ? undefined : isNull(apiKeys.revokedAt),
          afterCursor(apiKeys, q.cursor),
        ),
      )
      .orderBy(...newestFirst(apiKeys))
      .limit(q.limit + 1);
    const p = page(rows, q.limit);
    return c.json({ data: p.rows.map(apiKeyView), next_cursor: p.nextCursor }, 200);
  })
  .openapi(createRoute, async (c) => {
    const body = c.req.valid("json");
    const me = c.var.principal;
    const now = new Date();
    const ownerId = body.principal_id ?? me.id;
    authorizeKeyAccess(c, ownerId, true);
    const db = database(c.env);
    const owner = await findPrincipal(db, me.orgId, ownerId);
    if (owner.status !== "active") conflict("That principal has been removed.");
    if (body.expires_at) {
      const at = Date.parse(body.expires_at);
      if (at <= now.getTime() || at > now.getTime() + MAX_KEY_LIFETIME_DAYS * 86_400_000) {
        fail({
          kind: "validation",
          detail: "Invalid body.expires_at.",
          issues: [{ path: "body.expires_at", message: `must be in the future and within ${MAX_KEY_LIFETIME_DAYS} days`, code: "out_of_range" }],
        });
      }
    }
    const material = newApiKey();
    const row: ApiKeyRow = {
      id: material.id,
      orgId: me.orgId,
      principalId: owner.id,
      name: body.name,
      prefix: material.prefix,
      secretHash: sha256Hex(material.key),
      scopes: body.scopes,
      expiresAt: body.expires_at ? new Date(body.expires_at).toISOString() : null,
      revokedAt: null,
      lastUsedAt: null,
      createdBy: me.id,
      createdAt: now.toISOString(),
    };
    await db.insert(apiKeys).values(row);
    await recordAudit(c, me.orgId, [
      {
        action: "api_key.created",
        target: { type: "api_key", id: row.id },
        details: { principal_id: owner.id, name: row.name, prefix: row.prefix, scopes: row.scopes, expires_at: row.expiresAt },
      },
    ]);
    return c.json({ ...apiKeyView(row), key: material.key }, 201);
  })
  .openapi(getRoute, async (c) => {
    const key = await findApiKey(database(c.env), c.var.principal.orgId, c.req.valid("param").key_id);
    authorizeKeyAccess(c, key.principalId, false);
    return c.json(apiKeyView(key), 200);
  })
  .openapi(revokeRoute, async (c) => {
    const db = database(c.env);
    const key = await findApiKey(db, c.var.principal.orgId, c.req.valid("param").key_id);
    authorizeKeyAccess(c, key.principalId, true);
    if (key.revokedAt) conflict("The key is already revoked.");
    const revokedAt = new Date().toISOString();
    await db.update(apiKeys).set({ revokedAt }).where(eq(apiKeys.id, key.id));
    await credentialsChanged(c.env, key.orgId, [key.id]);
    await recordAudit(c, key.orgId, [{ action: "api_key.revoked", target: { type: "api_key", id: key.id }, details: { principal_id: key.principalId, prefix: key.prefix } }]);
    return c.json(apiKeyView({ ...key, revokedAt }), 200);
  });
