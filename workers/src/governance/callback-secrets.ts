// Each org's callback signing secrets, sealed with AES-GCM under SECRETS_KEY. The newest signs;
// after a rotation the previous one signs too for ROTATION_OVERLAP_MS (two v1= values in the
// header), so receivers can switch without dropping a callback.
import { and, desc, eq } from "drizzle-orm";
import type { Env } from "../env";
import { database } from "../db/client";
import { orgSecrets } from "../db/schema";
import { open, seal } from "../domain/crypto/secret-box";
import { randomBase32 } from "../domain/identity/ids";
import { fail } from "../domain/errors";

export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

function secretsKey(env: Env): string {
  return env.SECRETS_KEY ?? fail({ kind: "unavailable", detail: "SECRETS_KEY is not set on this deployment, so callback secrets cannot be stored." });
}

/** The secrets that sign now, newest first; creates the org's first one when it has none. */
export async function callbackSecrets(env: Env, orgId: string): Promise<string[]> {
  const db = database(env);
  const rows = await db.select().from(orgSecrets).where(and(eq(orgSecrets.orgId, orgId), eq(orgSecrets.kind, "callback_signing"))).orderBy(desc(orgSecrets.createdAt)).limit(2);
  if (rows.length === 0) return [await rotateCallbackSecret(env, orgId)];
  const [newest, previous] = rows;
  const live = previous && Date.now() - Date.parse(newest!.createdAt) < ROTATION_OVERLAP_MS ? [newest!, previous] : [newest!];
  return Promise.all(live.map((r) => open(secretsKey(env), orgId, r.sealed)));
}

/** A new newest secret (the old one keeps signing for the overlap). Returns it. */
export async function rotateCallbackSecret(env: Env, orgId: string): Promise<string> {
  const secret = `whsec_${randomBase32(40)}`;
  await database(env)
    .insert(orgSecrets)
    .values({ orgId, kind: "callback_signing", sealed: await seal(secretsKey(env), orgId, secret), createdAt: new Date().toISOString() });
  return secret;
}
