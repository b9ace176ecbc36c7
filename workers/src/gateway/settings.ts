// The org's gateway settings (prices and the opened provider key), cached per isolate for
// half a minute so a model call does not read D1. Changes through the API clear this
// isolate's copy at once; other isolates see them within SETTINGS_CACHE_MS, or twice that
// on the gateway path, which answers from an expired copy while a fresh one loads.
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
const refreshing = new Map<string, { promise: Promise<GatewaySettings> }>();

/**
 * The org's settings for a provider. A copy older than SETTINGS_CACHE_MS (but younger than
 * twice that) is still answered while a fresh one loads in the background (when the caller
 * can keep that work alive with `waitUntil`), so the call that finds the copy expired does
 * not wait for D1: otherwise every concurrent call at that moment would.
 */
export async function gatewaySettings(env: Env, orgId: string, provider: ProviderName, waitUntil?: (p: Promise<unknown>) => void): Promise<GatewaySettings> {
  const key = `${orgId}:${provider}`;
  const hit = cache.get(key);
  const age = hit ? Date.now() - hit.at : Infinity;
  if (hit && age < SETTINGS_CACHE_MS) return hit.value;
  if (hit && waitUntil && age < 2 * SETTINGS_CACHE_MS) {
    if (!refreshing.has(key)) waitUntil(load(env, orgId, provider).catch(() => undefined));
    return hit.value;
  }
  return load(env, orgId, provider);
}

/** Reads D1 once for concurrent callers, and caches what it read. */
function load(env: Env, orgId: string, provider: ProviderName): Promise<GatewaySettings> {
  const key = `${orgId}:${provider}`;
  const pending = refreshing.get(key);
  if (pending) return pending.promise;
  const entry = { promise: read(env, orgId, provider) };
  refreshing.set(key, entry);
  entry.promise = entry.promise
    .then((value) => {
      // A change meanwhile (forgetGatewaySettings) dropped this load: what it read may be old.
      if (refreshing.get(key) === entry) cache.set(key, { value, at: Date.now() });
      return value;
    })
    .finally(() => {
      if (refreshing.get(key) === entry) refreshing.delete(key);
    });
  return entry.promise;
}

async function read(env: Env, orgId: string, provider: ProviderName): Promise<GatewaySettings> {
  const db = database(env);
  const [priceRows, keyRows] = await db.batch([
    db.select().from(orgPrices).where(eq(orgPrices.orgId, orgId)),
    db.select().from(providerKeys).where(and(eq(providerKeys.orgId, orgId), eq(providerKeys.provider, provider))),
  ]);
  const sealed = keyRows[0]?.sealed;
  return {
    overrides: priceRows[0]?.overrides ?? {},
    defaultPrice: priceRows[0]?.defaultPrice ?? null,
    apiKey: sealed && env.SECRETS_KEY ? await open(env.SECRETS_KEY, orgId, sealed) : null,
  };
}

/** After PUT/DELETE of a key or prices: this isolate forgets the org's settings. */
export function forgetGatewaySettings(orgId: string): void {
  for (const k of cache.keys()) if (k.startsWith(`${orgId}:`)) cache.delete(k);
  for (const k of refreshing.keys()) if (k.startsWith(`${orgId}:`)) refreshing.delete(k);
}
