// Builds the evaluator's DecisionInput from a validated request body and the caller: the
// actor is the caller unless an agent or service asks on someone's behalf.
import type { Context } from "hono";
import type { AppEnv } from "../http/app-env";
import { database } from "../db/client";
import { loadActivePrincipal } from "../db/principals";
import { forbidden, notFound } from "../domain/errors";
import type { ActionKind, DecisionInput, RiskLevel } from "../domain/policy/types";
import { requestActor, requestEvidence } from "../audit/record";
import type { DeskAnswer, DeskRefusal, DeskRequest } from "../../../durable-objects/decision-desk";
import { credentialKeyId } from "../auth/principal";
import { authenticate, presentedCredential } from "../middleware/auth";
import { decisionDesk } from "./desk";

export interface ActionBody {
  repo: string;
  team?: string;
  actor?: string;
  action: ActionKind;
  paths: string[];
  command?: string;
  tool?: { server: string; name: string };
  model?: string;
  estimated_tokens?: number;
  risk?: RiskLevel;
  context_trust?: "trusted" | "untrusted";
  client?: Record<string, unknown>;
}

export async function deskRequest(c: Context<AppEnv>, body: ActionBody): Promise<DeskRequest> {
  const caller = c.var.principal;
  let actor: DecisionInput["actor"] = { id: caller.id, kind: caller.kind, orgRole: caller.orgRole, teamRoles: caller.teamRoles };
  if (body.actor && body.actor !== caller.id) {
    // A bot may ask on a person's behalf; a person may not ask as someone else.
    if (caller.kind === "user") forbidden("Only agents and services may ask on behalf of another principal.");
    const loaded = (await loadActivePrincipal(database(c.env), caller.orgId, body.actor)) ?? notFound("principal");
    actor = { id: loaded.row.id, kind: loaded.row.kind, orgRole: loaded.row.orgRole, teamRoles: loaded.teamRoles };
  }
  const keyId = credentialKeyId(caller.credential);
  return {
    orgId: caller.orgId,
    credentials: { ids: [...(keyId ? [keyId] : []), caller.id, actor.id], loadedAt: caller.loadedAt, fromCache: caller.fromCache },
    input: {
      actor,
      teamId: body.team ?? null,
      repoName: body.repo,
      action: body.action,
      paths: body.paths,
      command: body.command ?? null,
      tool: body.tool ?? null,
      model: body.model ?? null,
      estimatedTokens: body.estimated_tokens ?? 0,
      risk: body.risk ?? null,
      contextTrust: body.context_trust ?? null,
    },
    asker: requestActor(c),
    client: body.client ?? null,
    evidence: requestEvidence(c),
  };
}

/**
 * Asks the org's DecisionDesk. If the desk says the caller's grants (from the credential
 * cache) predate a change to them, reload them from D1 and ask once more.
 */
export async function decide(c: Context<AppEnv>, body: ActionBody, extra: Partial<DeskRequest> = {}): Promise<DeskAnswer | DeskRefusal> {
  const desk = decisionDesk(c.env, c.var.principal.orgId);
  const answer = await desk.decide({ ...(await deskRequest(c, body)), ...extra });
  if (!("refused" in answer) || answer.refused !== "stale_credential") return answer;
  const fresh = await authenticate(c.env, database(c.env), presentedCredential(c), new Date(), (p) => c.executionCtx.waitUntil(p), { useCache: false });
  c.set("principal", fresh);
  return desk.decide({ ...(await deskRequest(c, body)), ...extra });
}
