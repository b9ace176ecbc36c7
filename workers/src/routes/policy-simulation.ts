// POST /v1/policies/simulate: replays the org's recorded decisions (default: the last 30
// days) against a draft policy for one layer, with every other layer as it is now, and
// reports what would change. Nothing is written: the draft is never stored or activated.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { authorize } from "../http/authorize";
import { database } from "../db/client";
import { findRepo, findTeam } from "../db/lookups";
import { eventsAfter } from "../db/audit-events";
import { loadPolicySet, versionKey } from "../db/policy-set";
import { fail } from "../domain/errors";
import { CompiledPolicySet } from "../domain/policy/compile";
import { PolicyDocumentSchema } from "../domain/policy/schema";
import { simulate, type RecordedDecision } from "../domain/policy/simulate";
import { EFFECTS, POLICY_LAYERS, type ActivePolicy, type DecisionInput, type Effect, type PolicyDocument } from "../domain/policy/types";
import { auditPayloadKey, flushAuditLog } from "../audit/record";
import { defineRoute, json, jsonBody, Timestamp } from "./common";

const MAX_REPLAYED = 100_000;
const PAGE = 500;

const SimulateBody = z
  .strictObject({
    draft: z.strictObject({
      layer: z.enum(POLICY_LAYERS),
      target_id: z.string().max(60).optional(),
      document: PolicyDocumentSchema,
    }),
    from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Default: 30 days before `to`." }),
    to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Default: now." }),
    examples_per_change: z.number().int().min(0).max(50).default(5),
  })
  .openapi("PolicySimulation");

const Example = z.object({
  decision_id: z.string(),
  at: Timestamp,
  actor_id: z.string(),
  repo: z.string(),
  action: z.string(),
  command: z.string().nullable(),
  paths: z.array(z.string()),
  before: z.object({ decision: z.enum(EFFECTS), rules: z.array(z.string()) }),
  after: z.object({ decision: z.enum(EFFECTS), rules: z.array(z.string()) }),
});

const SimulationResultView = z
  .object({
    from: Timestamp,
    to: Timestamp,
    replayed: z.number().int(),
    changed: z.number().int(),
    unchanged: z.number().int(),
    transitions: z.record(z.string(), z.number().int()).openapi({ example: { "allow→deny": 3, "ask→allow": 1 } }),
    examples: z.record(z.string(), z.array(Example)),
    truncated: z.boolean(),
  })
  .openapi("PolicySimulationResult");

const simulateRoute = defineRoute({
  method: "post",
  path: "/policies/simulate",
  tags: ["policies"],
  summary: "Replay recorded decisions against a draft policy and count what would change",
  access: "policies:write",
  teamScoped: true,
  request: { body: jsonBody(SimulateBody) },
  responses: { 200: json(SimulationResultView, "What the draft would change") },
});

interface RecordedDetails {
  decision_id: string;
  decision: Effect;
  policy_decision?: Effect;
  matched_rules: { id: string; layer: string }[];
  input: DecisionInput;
}

export const policySimulationRoutes = newRouter().openapi(simulateRoute, async (c) => {
  const body = c.req.valid("json");
  const orgId = c.var.principal.orgId;
  const db = database(c.env);
  const { layer } = body.draft;
  if (layer !== "org" && !body.draft.target_id) {
    fail({ kind: "validation", detail: "Invalid body.draft.target_id.", issues: [{ path: "body.draft.target_id", message: `a ${layer} id is required`, code: "required" }] });
  }
  const targetId = layer === "org" ? orgId : body.draft.target_id!;
  const team = layer === "team" ? (await findTeam(db, orgId, targetId)).id : layer === "repo" ? (await findRepo(db, orgId, targetId)).teamId : undefined;
  authorize(c, "policies:write", team);

  const to = body.to ? new Date(body.to) : new Date();
  const from = body.from ? new Date(body.from) : new Date(to.getTime() - 30 * 86_400_000);
  if (from > to) fail({ kind: "validation", detail: "Invalid body.from.", issues: [{ path: "body.from", message: "must not be after `to`", code: "invalid_range" }] });

  // The draft replaces its layer's policy; every other layer stays as it is now.
  const current = await loadPolicySet(db, orgId);
  const draftPolicy: ActivePolicy = { layer, targetId, version: 0, document: body.draft.document as PolicyDocument };
  const policies = [...current.policies.filter((p) => versionKey(p) !== versionKey(draftPolicy)), draftPolicy];
  const draftSet = new CompiledPolicySet({ policies, repos: current.repos });

  await flushAuditLog(c.env, orgId);
  const filter = { action: "decision.made", from: from.toISOString(), to: to.toISOString() };
  const records: RecordedDecision[] = [];
  let after = 0;
  let truncated = false;
  for (;;) {
    const rows = await eventsAfter(db, orgId, filter, after, PAGE);
    for (const row of rows) {
      const text = row.details ?? (await (await c.env.ARTIFACTS.get(auditPayloadKey(row.detailsSha256)))?.text());
      if (!text) continue;
      const d = JSON.parse(text) as RecordedDetails;
      const rules = d.matched_rules.filter((m) => m.layer !== "approval").map((m) => m.id);
      records.push({ decisionId: d.decision_id, at: row.ts, input: d.input, decision: d.policy_decision ?? d.decision, rules });
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.seq;
    if (records.length >= MAX_REPLAYED) {
      truncated = true;
      break;
    }
  }
  const result = simulate(records, draftSet, body.examples_per_change);
  return c.json({ from: from.toISOString(), to: to.toISOString(), ...result, truncated }, 200);
});
