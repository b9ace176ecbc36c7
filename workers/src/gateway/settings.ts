// The org's gateway settings (prices and the opened provider key), cached per isolate for
// half a minute so a model call does not read D1. Changes through the API clear this
// isolate's copy at once; other isolates see them within SETTINGS_CACHE_MS.
import { and, eq } from "drizzle-orm";
import type { Env } from "../env";
import { database } from "../db/client";
import { orgPrices, providerKeys } from "../db/schema";
import { open } from "../domain/crypto/secret-box";
import type { ModelPrice } from "../domain/prices/types";
import type { ProviderName } from "./providers";

export const SETTINGS_CACHE_MS = 30_000;

export interface GatewaySettings {
  overrides: Record<string, ModelPrice>;
  defaultPrice: ModelPrice | null;
  apiKey: string | null;
}

const cache = new Map<string, { value: GatewaySettings; at: number }>();

export async function gatewaySettings(env: Env, orgId: string, provider: ProviderName): Promise<GatewaySettings> {
  const key = `${orgId}:${provider}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < SETTINGS_CACHE_MS) return hit.value;
  const db = database(env);
  const [priceRows, keyRows] = await db.batch([
    db.select().from(orgPrices).where(eq(orgPrices.orgId, orgId)),
    db.select().from(providerKeys).where(and(eq(providerKeys.orgId, orgId), eq(providerKeys.provider, provider))),
  ]);
  const sealed = keyRows[0]?.sealed;
  const value: GatewaySettings = {
    overrides: priceRows[0]?.overrides ?? {},
    defaultPrice: priceRows[0]?.defaultPrice ?? null,
    apiKey: sealed && env.SECRETS_KEY ? await open(env.SECRETS_KEY, orgId, sealed) : null,
  };
  cache.set(key, { value, at: Date.now() });
  return value;
}

/** After PUT/DELETE of a key or prices: this isolate forgets the org's settings. */
export function forgetGatewaySettings(orgId: string): void {
  for (const k of cache.keys()) if (k.startsWith(`${orgId}:`)) cache.delete(k);
}
