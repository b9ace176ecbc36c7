// Checks an API key row against a presented key: the whole key is compared by SHA-256 in
// constant time, and revocation and expiry are read on every request (no cache), so a
// revoked key fails on its next use.
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiKeys, type ApiKeyRow } from "../db/schema";
import { sha256Hex } from "../domain/audit/chain";
import { constantTimeEqual } from "../domain/identity/constant-time";

export type KeyRefusal = "malformed" | "unknown" | "revoked" | "expired";

/** How stale last_used_at may get before a request refreshes it (keeps reads read-only). */
const LAST_USED_RESOLUTION_MS = 60_000;

export function presentedKeyMatches(row: ApiKeyRow, presented: string): boolean {
  return constantTimeEqual(sha256Hex(presented), row.secretHash);
}

export function keyRefusal(row: ApiKeyRow, now: Date): KeyRefusal | null {
  if (row.revokedAt) return "revoked";
  if (row.expiresAt && Date.parse(row.expiresAt) <= now.getTime()) return "expired";
  return null;
}

export function lastUsedIsStale(row: ApiKeyRow, now: Date): boolean {
  return !row.lastUsedAt || Date.parse(row.lastUsedAt) < now.getTime() - LAST_USED_RESOLUTION_MS;
}

/** Records use at most once a minute; the WHERE keeps concurrent requests from rewriting it. */
export function touchLastUsed(db: Db, keyId: string, now: Date): Promise<unknown> {
  const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString();
  return db
    .update(apiKeys)
    .set({ lastUsedAt: now.toISOString() })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, staleBefore))))
    .run();
}
