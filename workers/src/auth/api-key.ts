// Authenticates a presented API key: the row is found by the key id in the key, the whole
// key is compared by SHA-256 in constant time, and revocation and expiry are read on every
// request (no cache), so a revoked key fails on its next use.
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { apiKeys, type ApiKeyRow } from "../db/schema";
import { sha256Hex } from "../domain/audit/chain";
import { constantTimeEqual } from "../domain/identity/constant-time";
import { parseApiKey } from "../domain/identity/ids";

export type KeyCheck = { ok: true; row: ApiKeyRow } | { ok: false; reason: "malformed" | "unknown" | "revoked" | "expired" };

/** How stale last_used_at may get before a request refreshes it (keeps reads read-only). */
const LAST_USED_RESOLUTION_MS = 60_000;

export async function checkApiKey(db: Db, presented: string, now: Date): Promise<KeyCheck> {
  const parsed = parseApiKey(presented);
  if (!parsed) return { ok: false, reason: "malformed" };
  const row = (await db.select().from(apiKeys).where(eq(apiKeys.id, parsed.id)))[0];
  if (!row || !constantTimeEqual(sha256Hex(presented), row.secretHash)) return { ok: false, reason: "unknown" };
  return keyRowUsable(row, now);
}

export function keyRowUsable(row: ApiKeyRow, now: Date): KeyCheck {
  if (row.revokedAt) return { ok: false, reason: "revoked" };
  if (row.expiresAt && Date.parse(row.expiresAt) <= now.getTime()) return { ok: false, reason: "expired" };
  return { ok: true, row };
}

export function touchLastUsed(db: Db, keyId: string, now: Date): Promise<unknown> {
  const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString();
  return db
    .update(apiKeys)
    .set({ lastUsedAt: now.toISOString() })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, staleBefore))))
    .run();
}
