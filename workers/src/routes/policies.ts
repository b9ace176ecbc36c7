// Governance policies: each org, team and repo has one policy with numbered versions. A
// new document makes a new version (and activates it unless told not to); any version can
// be read and reactivated. Owners and admins write every layer; a team's lead writes the
// team's policy and its repos' policies. Every change reaches the org's DecisionDesk.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import { newRouter } from "../http/router";
import type { AppEnv } from "../http/app-env";
import { authorize } from "../http/authorize";
import { database, isUniqueViolation, type Db } from "../db/client";
import { findRepo, findTeam } from "../db/lookups";
import { findPolicy, findPolicyVersion, listPolicyVersions } from "../db/policies";
import { policies, policyVersions, type PolicyRow } from "../db/schema";
import { conflict, fail } from "../domain/errors";
import { newId } from "../domain/identity/ids";
import { canonicalJson, sha256Hex } from "../domain/audit/chain";
import { PolicyDocumentSchema } from "../domain/policy/schema";
import { POLICY_LAYERS, type PolicyDocument, type PolicyLayer } from "../domain/policy/types";
import { recordAudit } from "../audit/record";
import { decisionDesk } from "../governance/desk";
import { defineRoute, json, jsonBody, Timestamp } from "./common";

const PolicyView = z
  .object({
    id: z.string(),
    layer: z.enum(POLICY_LAYERS),
    target_id: z.string(),
    active_version: z.number().int().nullable(),
    latest_version: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Policy");
const policyView = (p: PolicyRow): z.infer<typeof PolicyView> => ({
  id: p.id,
  layer: p.layer,
  target_id: p.targetId,
  active_version: p.activeVersion,
  latest_version: p.latestVersion,
  created_at: p.createdAt,
  updated_at: p.updatedAt,
});

const VersionMeta = z.object({ version: z.number().int(), sha256: z.string(), note: z.string().nullable(), created_by: z.string(), created_at: Timestamp });
const VersionView = VersionMeta.extend({ policy_id: z.string(), document: PolicyDocumentSchema }).openapi("PolicyVersion");

const PolicyCreate = z
  .strictObject({
    layer: z.enum(POLICY_LAYERS),
    target_id: z.string().max(60).optional().openapi({ description: "The team id (layer team) or repo id (layer repo); omit for the org." }),
    document: PolicyDocumentSchema,
    activate: z.boolean().default(true),
    note: z.string().trim().max(500).optional(),
  })
  .openapi("PolicyCreate");

const PolicyIdParams = z.object({ policy_id: z.string().regex(/^pol_[a-z2-7]{1,40}$/, "must be a pol_… id").openapi({ param: { name: "policy_id", in: "path" } }) });
const VersionParams = PolicyIdParams.extend({
  version: z.coerce.number().int().min(1).max(1_000_000).openapi({ param: { name: "version", in: "path" } }),
});

const listRoute = defineRoute({
  method: "get",
  path: "/policies",
  tags: ["policies"],
  summary: "The org's policies (org, team and repo layers) with their active versions",
  access: "policies:read",
  responses: { 200: json(z.object({ data: z.array(PolicyView) }).openapi("PolicyList"), "Policies") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/policies",
  tags: ["policies"],
  summary: "Write a new version of the org's, a team's or a repo's policy (activated unless activate=false)",
  access: "policies:write",
  teamScoped: true,
  request: { body: jsonBody(PolicyCreate) },
  responses: { 201: json(z.object({ policy: PolicyView, version: VersionView }).openapi("PolicyCreated"), "The new version") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/policies/{policy_id}",
  tags: ["policies"],
  summary: "A policy with its version history",
  access: "policies:read",
  request: { params: PolicyIdParams },
  responses: { 200: json(PolicyView.extend({ versions: z.array(VersionMeta) }).openapi("PolicyWithVersions"), "The policy") },
});

const versionRoute = defineRoute({
  method: "get",
  path: "/policies/{policy_id}/versions/{version}",
  tags: ["policies"],
  summary: "One version of a policy, with its document",
  access: "policies:read",
  request: { params: VersionParams },
  responses: { 200: json(VersionView, "The version") },
});

const activateRoute = defineRoute({
  method: "post",
  path: "/policies/{policy_id}/versions/{version}/activate",
  tags: ["policies"],
  summary: "Make a version (older or newer) the one in force",
  access: "policies:write",
  teamScoped: true,
  request: { params: VersionParams },
  responses: { 200: json(PolicyView, "The policy, now at that version") },
});

/** The team whose lead may write this target's policy; null for the org layer. */
async function targetTeam(db: Db, orgId: string, layer: PolicyLayer, targetId: string): Promise<string | null> {
  if (layer === "org") return null;
  if (layer === "team") return (await findTeam(db, orgId, targetId)).id;
  return (await findRepo(db, orgId, targetId)).teamId;
}

function invalid(path: string, message: string): never {
  return fail({ kind: "validation", detail: `Invalid ${path}.`, issues: [{ path, message, code: "invalid_policy" }] });
}

async function authorizeTarget(c: Context<AppEnv>, db: Db, layer: PolicyLayer, targetId: string): Promise<void> {
  const team = await targetTeam(db, c.var.principal.orgId, layer, targetId);
  authorize(c, "policies:write", team ?? undefined);
}

const versionView = (v: typeof policyVersions.$inferSelect) => ({
  policy_id: v.policyId,
  version: v.version,
  sha256: v.sha256,
  note: v.note,
  created_by: v.createdBy,
  created_at: v.createdAt,
  document: v.document,
});

export const policyRoutes = newRouter()
  .openapi(listRoute, async (c) => {
    authorize(c, "policies:read");
    const rows = await database(c.env).select().from(policies).where(eq(policies.orgId, c.var.principal.orgId));
    return c.json({ data: rows.map(policyView) }, 200);
  })
  .openapi(createRoute, async (c) => {
    const body = c.req.valid("json");
    const orgId = c.var.principal.orgId;
    const db = database(c.env);
    if (body.layer === "org" && body.target_id && body.target_id !== orgId) invalid("body.target_id", "omit it for the org layer");
    if (body.layer !== "org" && !body.target_id) invalid("body.target_id", `a ${body.layer} id is required for the ${body.layer} layer`);
    if (body.layer !== "org" && body.document.default_effect) invalid("body.document.default_effect", "only the org policy sets the default");
    const targetId = body.layer === "org" ? orgId : body.target_id!;
    await authorizeTarget(c, db, body.layer, targetId);

    const existing = (await db.select().from(policies).where(and(eq(policies.orgId, orgId), eq(policies.layer, body.layer), eq(policies.targetId, targetId))))[0];
    const now = new Date().toISOString();
    const version = (existing?.latestVersion ?? 0) + 1;
    const document = body.document as PolicyDocument;
    const policy: PolicyRow = {
      id: existing?.id ?? newId("pol"),
      orgId,
      layer: body.layer,
      targetId,
      activeVersion: body.activate ? version : (existing?.activeVersion ?? null),
      latestVersion: version,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    const row = { policyId: policy.id, orgId, version, document, sha256: sha256Hex(canonicalJson(document)), note: body.note ?? null, createdBy: c.var.principal.id, createdAt: now };
    try {
      await db.batch([
        // INVARIANT: the version row and the pointer move together; a concurrent writer of the
        // same version loses on the (policy_id, version) key and the whole batch rolls back.
        existing
          ? db.update(policies).set({ latestVersion: version, activeVersion: policy.activeVersion, updatedAt: now }).where(and(eq(policies.id, policy.id), eq(policies.latestVersion, version - 1)))
          : db.insert(policies).values(policy),
        db.insert(policyVersions).values(row),
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) conflict("Another version of this policy was written at the same time; fetch it and retry.");
      throw err;
    }
    const events = [
      { action: "policy.version_created", target: { type: "policy", id: policy.id }, details: { layer: policy.layer, target_id: targetId, version, sha256: row.sha256, rules: document.rules.length, note: row.note } },
    ];
    if (body.activate) events.push({ action: "policy.activated", target: { type: "policy", id: policy.id }, details: { layer: policy.layer, target_id: targetId, version, sha256: row.sha256, rules: document.rules.length, note: null } });
    await recordAudit(c, orgId, events);
    if (body.activate) await decisionDesk(c.env, orgId).invalidate();
    return c.json({ policy: policyView(policy), version: versionView(row) }, 201);
  })
  .openapi(getRoute, async (c) => {
    authorize(c, "policies:read");
    const db = database(c.env);
    const policy = await findPolicy(db, c.var.principal.orgId, c.req.valid("param").policy_id);
    const versions = await listPolicyVersions(db, policy.id);
    return c.json({ ...policyView(policy), versions: versions.map((v) => ({ version: v.version, sha256: v.sha256, note: v.note, created_by: v.createdBy, created_at: v.createdAt })) }, 200);
  })
  .openapi(versionRoute, async (c) => {
    authorize(c, "policies:read");
    const db = database(c.env);
    const { policy_id, version } = c.req.valid("param");
    const policy = await findPolicy(db, c.var.principal.orgId, policy_id);
    return c.json(versionView(await findPolicyVersion(db, policy.id, version)), 200);
  })
  .openapi(activateRoute, async (c) => {
    const db = database(c.env);
    const { policy_id, version } = c.req.valid("param");
    const policy = await findPolicy(db, c.var.principal.orgId, policy_id);
    await authorizeTarget(c, db, policy.layer, policy.targetId);
    const target = await findPolicyVersion(db, policy.id, version);
    if (policy.activeVersion === version) conflict(`Version ${version} is already active.`);
    const now = new Date().toISOString();
    await db.update(policies).set({ activeVersion: version, updatedAt: now }).where(eq(policies.id, policy.id));
    await recordAudit(c, policy.orgId, [
      { action: "policy.activated", target: { type: "policy", id: policy.id }, details: { layer: policy.layer, target_id: policy.targetId, version, previous_version: policy.activeVersion, sha256: target.sha256 } },
    ]);
    await decisionDesk(c.env, policy.orgId).invalidate();
    return c.json(policyView({ ...policy, activeVersion: version, updatedAt: now }), 200);
  });
