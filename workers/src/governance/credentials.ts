// Tells the org's DecisionDesk (and this isolate's credential cache) that a key or a
// principal's grants changed, so no decision is made with what they were before.
import type { Env } from "../env";
import { forgetCredential } from "../auth/credential-cache";
import { decisionDesk } from "./desk";

export async function credentialsChanged(env: Env, orgId: string, ids: string[]): Promise<void> {
  for (const id of ids) if (id.startsWith("key_")) forgetCredential(id);
  await decisionDesk(env, orgId).credentialsChanged(ids);
}
