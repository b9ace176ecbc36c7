// The LLM gateway's org settings: provider API keys (sealed; never returned, only whether
// one is set) and model prices (overrides of the default table, and a default price for
// models the table does not know). Owners and admins set them; everyone may read prices.
import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { newRouter } from "../http/router";
import { authorize } from "../http/authorize";
import { database } from "../db/client";
import { orgPrices, providerKeys } from "../db/schema";
import { fail } from "../domain/errors";
import { seal } from "../domain/crypto/secret-box";
import { DEFAULT_PRICES } from "../domain/prices/defaults";
import { recordAudit } from "../audit/record";
import { forgetGatewaySettings } from "../gateway/settings";
import { defineRoute, json, jsonBody, Timestamp } from "./common";

const PROVIDERS = ["anthropic", "openai"] as const;
const ProviderParams = z.object({ provider: z.enum(PROVIDERS).openapi({ param: { name: "provider", in: "path" } }) });
const PerMillion = z.number().int().min(0).max(1e12).openapi({ description: "integer micro-dollars per million tokens" });
const Rates = z.strictObject({ input: PerMillion, output: PerMillion, cache_read: PerMillion, cache_write: PerMillion, cache_write_1h: PerMillion.optional() });
const Price = Rates.extend({ long_context: z.strictObject({ above_prompt_tokens: z.number().int().min(1), rates: Rates }).optional() }).openapi("ModelPrice");

const ProviderKeyPut = z.strictObject({ api_key: z.string().min(10).max(500).openapi({ description: "Stored sealed (AES-GCM); never returned." }) }).openapi("ProviderKeyPut");
const ProviderView = z.object({ provider: z.enum(PROVIDERS), configured: z.boolean(), updated_at: Timestamp.nullable() }).openapi("ProviderKey");
const PricesPut = z
  .strictObject({ overrides: z.record(z.string().min(1).max(200), Price).default({}), default_price: Price.nullable().default(null) })
  .openapi("OrgPricesPut");
const PricesView = z
  .object({ overrides: z.record(z.string(), Price), default_price: Price.nullable(), default_table: z.record(z.string(), z.unknown()) })
  .openapi("OrgPrices");

const listRoute = defineRoute({ method: "get", path: "/org/providers", tags: ["gateway"], summary: "Which provider keys the org has set", access: "org:read", responses: { 200: json(z.object({ data: z.array(ProviderView) }).openapi("ProviderKeyList"), "Providers") } });
const putRoute = defineRoute({ method: "put", path: "/org/providers/{provider}", tags: ["gateway"], summary: "Set the org's API key for a provider (used by the LLM gateway)", access: "org:write", request: { params: ProviderParams, body: jsonBody(ProviderKeyPut) }, responses: { 200: json(ProviderView, "Set") } });
const deleteRoute = defineRoute({ method: "delete", path: "/org/providers/{provider}", tags: ["gateway"], summary: "Remove the org's key for a provider", access: "org:write", request: { params: ProviderParams }, responses: { 200: json(ProviderView, "Removed") } });
const getPricesRoute = defineRoute({ method: "get", path: "/org/prices", tags: ["gateway"], summary: "Model prices: the org's overrides and default, and the built-in table", access: "org:read", responses: { 200: json(PricesView, "Prices") } });
const putPricesRoute = defineRoute({ method: "put", path: "/org/prices", tags: ["gateway"], summary: "Set model price overrides and a default price for unknown models", access: "org:write", request: { body: jsonBody(PricesPut) }, responses: { 200: json(PricesView, "Prices") } });

export const providerRoutes = newRouter()
  .openapi(listRoute, async (c) => {
    authorize(c, "org:read");
    const rows = await database(c.env).select({ provider: providerKeys.provider, updatedAt: providerKeys.updatedAt }).from(providerKeys).where(eq(providerKeys.orgId, c.var.principal.orgId));
    return c.json({ data: PROVIDERS.map((p) => ({ provider: p, configured: rows.some((r) => r.provider === p), updated_at: rows.find((r) => r.provider === p)?.updatedAt ?? null })) }, 200);
  })
  .openapi(putRoute, async (c) => {
    authorize(c, "org:write");
    if (!c.env.SECRETS_KEY) fail({ kind: "unavailable", detail: "This sysop has no SECRETS_KEY to seal provider keys with." });
    const { provider } = c.req.valid("param");
    const orgId = c.var.principal.orgId;
    const row = { orgId, provider, sealed: await seal(c.env.SECRETS_KEY!, orgId, c.req.valid("json").api_key), updatedAt: new Date().toISOString() };
    await database(c.env).insert(providerKeys).values(row).onConflictDoUpdate({ target: [providerKeys.orgId, providerKeys.provider], set: { sealed: row.sealed, updatedAt: row.updatedAt } });
    forgetGatewaySettings(orgId);
    await recordAudit(c, orgId, [{ action: "provider_key.set", target: { type: "provider", id: provider }, details: { provider } }]);
    return c.json({ provider, configured: true, updated_at: row.updatedAt }, 200);
  })
  .openapi(deleteRoute, async (c) => {
    authorize(c, "org:write");
    const { provider } = c.req.valid("param");
    const orgId = c.var.principal.orgId;
    await database(c.env).delete(providerKeys).where(and(eq(providerKeys.orgId, orgId), eq(providerKeys.provider, provider)));
    forgetGatewaySettings(orgId);
    await recordAudit(c, orgId, [{ action: "provider_key.removed", target: { type: "provider", id: provider }, details: { provider } }]);
    return c.json({ provider, configured: false, updated_at: null }, 200);
  })
  .openapi(getPricesRoute, async (c) => {
    authorize(c, "org:read");
    const row = (await database(c.env).select().from(orgPrices).where(eq(orgPrices.orgId, c.var.principal.orgId)))[0];
    return c.json({ overrides: row?.overrides ?? {}, default_price: row?.defaultPrice ?? null, default_table: DEFAULT_PRICES as Record<string, unknown> }, 200);
  })
  .openapi(putPricesRoute, async (c) => {
    authorize(c, "org:write");
    const body = c.req.valid("json");
    const orgId = c.var.principal.orgId;
    const row = { orgId, overrides: body.overrides, defaultPrice: body.default_price, updatedAt: new Date().toISOString() };
    await database(c.env).insert(orgPrices).values(row).onConflictDoUpdate({ target: orgPrices.orgId, set: { overrides: row.overrides, defaultPrice: row.defaultPrice, updatedAt: row.updatedAt } });
    forgetGatewaySettings(orgId);
    await recordAudit(c, orgId, [{ action: "prices.set", target: { type: "org", id: orgId }, details: { models: Object.keys(body.overrides), default_price: body.default_price } }]);
    return c.json({ overrides: row.overrides, default_price: row.defaultPrice, default_table: DEFAULT_PRICES as Record<string, unknown> }, 200);
  });
