// A per-isolate cache of API key rows with their principals, used only on the decision hot
// path (POST /v1/decisions), so a decision needs no D1 read. It is safe because the org's
// DecisionDesk keeps a feed of credential changes (revoked keys, removed or re-roled
// principals) and refuses a decision made with grants loaded before such a change; the
// route then reloads from D1. Entries also expire after a minute whatever happens.
import type { ApiKeyRow } from "../db/schema";
import type { LoadedPrincipal } from "../db/principals";

export interface CachedCredential {
  key: ApiKeyRow;
  principal: LoadedPrincipal | null;
  /** When these rows were read from D1 (ms): the desk compares it with its change feed. */
  loadedAt: number;
}

export const CREDENTIAL_CACHE_MS = 60_000;
const MAX_ENTRIES = 10_000;
const entries = new Map<string, CachedCredential>();

export function cachedCredential(keyId: string, now: number): CachedCredential | null {
  const hit = entries.get(keyId);
  if (!hit) return null;
  if (now - hit.loadedAt >= CREDENTIAL_CACHE_MS) {
    entries.delete(keyId);
    return null;
  }
  return hit;
}

export function rememberCredential(keyId: string, entry: CachedCredential): void {
  // Map keeps insertion order: dropping the first entry drops the oldest.
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  entries.set(keyId, entry);
}

export function forgetCredential(keyId: string): void {
  entries.delete(keyId);
}
