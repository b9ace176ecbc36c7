// Business signals in: one webhook receiver per source (GitHub, Jira, Linear, Zendesk,
// PagerDuty, and a signed generic webhook for CRM deals), each verifying the provider's own
// signature on the raw body with the org's secrets (several during a rotation). A delivery
// that fails verification is a 401 and is not stored; one that verifies but does not parse is
// a 422 kept as a dead letter; a delivery id seen before is answered 200 and not applied
// again. Admins set the secrets and the mapping rules, read dead letters and unmapped signals.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, asc, desc, eq, isNull, max } from "drizzle-orm";
import { newRouter } from "../http/router";
import type { AppEnv } from "../http/app-env";
import { authorize } from "../http/authorize";
import { database, type Db } from "../db/client";
import { findTeam } from "../db/lookups";
import { signalMappings, signals, webhookDeadLetters, webhookDeliveries, webhookSecrets, type SignalRow } from "../db/schema";
import { fail, notFound } from "../domain/errors";
import { newId } from "../domain/identity/ids";
import { open, seal } from "../domain/crypto/secret-box";
import { mapSignal } from "../domain/signals/settings";
import { WEBHOOK_RECEIVERS, WEBHOOK_SOURCES, type WebhookSource } from "../domain/webhooks";
import { SIGNAL_KINDS, SIGNAL_STATES } from "../domain/webhooks/types";
import { recordAudit } from "../audit/record";
import { orgContext, storeRecords } from "../governance/signals";
import { defineRoute, json, jsonBody, TeamId, Timestamp } from "./common";

/** Webhook bodies above this are refused (GitHub's own cap is 25 MB; ours is for what we read). */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** A dead letter keeps this much of the body: enough to see what went wrong. */
const DEAD_LETTER_BODY_CHARS = 64 * 1024;
const KEPT_HEADERS = /^(content-type|user-agent|x-github-event|x-github-delivery|x-atlassian-webhook-identifier|linear-delivery|linear-event|x-zendesk-webhook-id|x-zendesk-webhook-invocation-id|x-webhook-id|sysop-delivery-id)$/i;

const SourceParam = z.enum(WEBHOOK_SOURCES).openapi({ param: { name: "source", in: "path" } });
const OrgIdParam = z.string().regex(/^org_[a-z2-7]{20}$/, "must be an org_… id").openapi({ param: { name: "org_id", in: "path" } });

const receiveRoute = defineRoute({
  method: "post",
  path: "/webhooks/{source}/{org_id}",
  tags: ["signals"],
  summary: "A provider's webhook delivery (its own signature on the raw body; no bearer credential)",
  access: "webhook_signature",
  request: { params: z.object({ source: SourceParam, org_id: OrgIdParam }) },
  responses: { 200: json(z.object({ delivery_id: z.string(), records: z.number().int(), duplicate: z.boolean() }).openapi("WebhookReceived"), "Stored, or seen before") },
});

async function acceptedSecrets(c: Context<AppEnv>, db: Db, orgId: string, source: WebhookSource): Promise<string[]> {
  const rows = await db.select().from(webhookSecrets).where(and(eq(webhookSecrets.orgId, orgId), eq(webhookSecrets.source, source))).orderBy(asc(webhookSecrets.position));
  if (rows.length === 0 || !c.env.SECRETS_KEY) return [];
  return Promise.all(rows.map((r) => open(c.env.SECRETS_KEY!, orgId, r.sealed)));
}

export const webhookReceiverRoutes = newRouter().openapi(receiveRoute, async (c) => {
  const { source, org_id: orgId } = c.req.valid("param");
  const db = database(c.env);
  // Unknown org or no secret for this source: the endpoint does not exist for anyone.
  const secrets = await acceptedSecrets(c, db, orgId, source);
  if (secrets.length === 0) return notFound(`webhook endpoint for ${source}`);
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_WEBHOOK_BYTES) fail({ kind: "payload_too_large", limitBytes: MAX_WEBHOOK_BYTES });
  const rawBody = await c.req.text();
  if (rawBody.length > MAX_WEBHOOK_BYTES) fail({ kind: "payload_too_large", limitBytes: MAX_WEBHOOK_BYTES });
  const receiver = WEBHOOK_RECEIVERS[source];
  const headers = c.req.raw.headers;
  const verified = await receiver.verify({ rawBody, headers, secrets, now: new Date() });
  // INVARIANT: nothing from a delivery that did not verify is stored, not even as a dead letter.
  if (!verified.ok) return fail({ kind: "unauthenticated", detail: `The ${source} signature did not verify (${verified.reason.replace("_", " ")}).` });

  const parsed = receiver.parse(rawBody, headers);
  const now = new Date().toISOString();
  if (!parsed.ok) {
    const kept: Record<string, string> = {};
    headers.forEach((v, k) => {
      if (KEPT_HEADERS.test(k)) kept[k] = v;
    });
    const deliveryId = headers.get(receiver.deliveryHeader);
    await db.insert(webhookDeadLetters).values({ id: newId("dlq"), orgId, source, deliveryId, reason: parsed.reason.slice(0, 1000), headers: kept, body: rawBody.slice(0, DEAD_LETTER_BODY_CHARS), receivedAt: now });
    return fail({ kind: "validation", detail: `The ${source} delivery verified but could not be read: ${parsed.reason}`, issues: [{ path: "body", message: parsed.reason.slice(0, 500), code: "unparseable" }] });
  }
  // Once per delivery id. The records are stored before the delivery is marked seen, and
  // every store is idempotent: a Worker stopped in between leaves the retry to apply them
  // again (no harm), never a delivery marked seen whose records are missing.
  const seen = and(eq(webhookDeliveries.orgId, orgId), eq(webhookDeliveries.source, source), eq(webhookDeliveries.deliveryId, parsed.deliveryId));
  if ((await db.select({ id: webhookDeliveries.deliveryId }).from(webhookDeliveries).where(seen)).length > 0) {
    return c.json({ delivery_id: parsed.deliveryId, records: 0, duplicate: true }, 200);
  }
  await storeRecords(c.env, orgId, parsed.deliveryId, parsed.records);
  await db.insert(webhookDeliveries).values({ orgId, source, deliveryId: parsed.deliveryId, outcome: "stored", records: parsed.records.length, receivedAt: now }).onConflictDoNothing();
  return c.json({ delivery_id: parsed.deliveryId, records: parsed.records.length, duplicate: false }, 200);
});

// ---- admin: secrets, dead letters, mapping rules, signals ----

const SourceParams = z.object({ source: SourceParam });
const SecretsBody = z.strictObject({ secrets: z.array(z.string().min(16).max(500)).min(1).max(3).openapi({ description: "accepted secrets, newest first; two during a rotation" }) }).openapi("WebhookSecrets");
const SourceView = z.object({ source: z.enum(WEBHOOK_SOURCES), configured: z.boolean(), secrets: z.number().int(), url_path: z.string() }).openapi("WebhookSource");

const listSourcesRoute = defineRoute({ method: "get", path: "/org/webhooks", tags: ["signals"], summary: "Each source: configured or not, and the URL path to give the provider", access: "signals:manage", responses: { 200: json(z.object({ data: z.array(SourceView) }), "Sources") } });
const putSecretsRoute = defineRoute({ method: "put", path: "/org/webhooks/{source}", tags: ["signals"], summary: "Set the secrets a source's deliveries are verified with (stored sealed, never returned)", access: "signals:manage", request: { params: SourceParams, body: jsonBody(SecretsBody) }, responses: { 200: json(SourceView, "Configured") } });
const deleteSecretsRoute = defineRoute({ method: "delete", path: "/org/webhooks/{source}", tags: ["signals"], summary: "Stop accepting a source's deliveries", access: "signals:manage", request: { params: SourceParams }, responses: { 200: json(SourceView, "Not configured") } });
const deadLettersRoute = defineRoute({
  method: "get",
  path: "/org/webhooks/dead-letters",
  tags: ["signals"],
  summary: "Deliveries that verified but could not be read, newest first",
  access: "signals:manage",
  request: { query: z.object({ source: z.enum(WEBHOOK_SOURCES).optional().openapi({ param: { name: "source", in: "query" } }), limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ param: { name: "limit", in: "query" } }) }) },
  responses: { 200: json(z.object({ data: z.array(z.object({ id: z.string(), source: z.string(), delivery_id: z.string().nullable(), reason: z.string(), headers: z.record(z.string(), z.string()), body: z.string(), received_at: Timestamp })) }).openapi("DeadLetters"), "Dead letters") },
});

const MatchSchema = z
  .strictObject({
    sources: z.array(z.enum(WEBHOOK_SOURCES)).max(6).optional(),
    kinds: z.array(z.enum(SIGNAL_KINDS)).max(6).optional(),
    labels: z.array(z.string().min(1).max(100)).max(50).optional(),
    components: z.array(z.string().min(1).max(200)).max(50).optional(),
    services: z.array(z.string().min(1).max(200)).max(50).optional(),
    repos: z.array(z.string().min(1).max(200)).max(50).optional(),
  })
  .openapi("SignalMatch");
const MappingBody = z
  .strictObject({ match: MatchSchema, repo: z.string().min(1).max(200).optional(), team_id: TeamId.optional(), position: z.number().int().min(0).max(10_000).optional() })
  .refine((b) => b.repo !== undefined || b.team_id !== undefined, { message: "a rule maps to a repo, a team or both", path: ["team_id"] })
  .openapi("SignalMappingCreate");
const MappingView = z.object({ id: z.string(), position: z.number().int(), match: z.record(z.string(), z.array(z.string())), repo: z.string().nullable(), team_id: z.string().nullable(), created_at: Timestamp }).openapi("SignalMapping");
const listMappingsRoute = defineRoute({ method: "get", path: "/signal-mappings", tags: ["signals"], summary: "Mapping rules, in the order they are tried", access: "signals:read", responses: { 200: json(z.object({ data: z.array(MappingView) }), "Rules") } });
const createMappingRoute = defineRoute({ method: "post", path: "/signal-mappings", tags: ["signals"], summary: "Add a mapping rule (labels, components, services, repos → repo/team); existing signals are mapped again", access: "signals:manage", request: { body: jsonBody(MappingBody) }, responses: { 201: json(MappingView, "The rule") } });
const deleteMappingRoute = defineRoute({ method: "delete", path: "/signal-mappings/{mapping_id}", tags: ["signals"], summary: "Remove a mapping rule; existing signals are mapped again", access: "signals:manage", request: { params: z.object({ mapping_id: z.string().regex(/^map_[a-z2-7]{20}$/).openapi({ param: { name: "mapping_id", in: "path" } }) }) }, responses: { 200: json(z.object({ deleted: z.literal(true), remapped: z.number().int() }), "Removed") } });

const SignalView = z
  .object({
    id: z.string(),
    source: z.string(),
    external_id: z.string(),
    url: z.string().nullable(),
    kind: z.enum(SIGNAL_KINDS),
    title: z.string(),
    severity: z.string().nullable(),
    customer: z.string().nullable(),
    arr_micros: z.number().int().nullable(),
    component: z.string().nullable(),
    service: z.string().nullable(),
    labels: z.array(z.string()),
    repo: z.string().nullable(),
    team_id: z.string().nullable(),
    state: z.enum(SIGNAL_STATES),
    opened_at: Timestamp,
    resolved_at: Timestamp.nullable(),
    updated_at: Timestamp,
  })
  .openapi("Signal");
const listSignalsRoute = defineRoute({
  method: "get",
  path: "/signals",
  tags: ["signals"],
  summary: "Signals, newest first; unmapped=true lists those no rule or repo placed in a team",
  access: "signals:read",
  request: {
    query: z.object({
      team_id: TeamId.optional().openapi({ param: { name: "team_id", in: "query" } }),
      kind: z.enum(SIGNAL_KINDS).optional().openapi({ param: { name: "kind", in: "query" } }),
      state: z.enum(SIGNAL_STATES).optional().openapi({ param: { name: "state", in: "query" } }),
      unmapped: z.enum(["true", "false"]).optional().openapi({ param: { name: "unmapped", in: "query" } }),
      limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ param: { name: "limit", in: "query" } }),
    }),
  },
  responses: { 200: json(z.object({ data: z.array(SignalView) }), "Signals") },
});

export const signalView = (s: SignalRow): z.infer<typeof SignalView> => ({
  id: s.id,
  source: s.source,
  external_id: s.externalId,
  url: s.url,
  kind: s.kind,
  title: s.title,
  severity: s.severity,
  customer: s.customer,
  arr_micros: s.arrMicros,
  component: s.component,
  service: s.service,
  labels: s.labels,
  repo: s.repo,
  team_id: s.teamId,
  state: s.state,
  opened_at: s.openedAt,
  resolved_at: s.resolvedAt,
  updated_at: s.updatedAt,
});

const urlPath = (source: string, orgId: string) => `/v1/webhooks/${source}/${orgId}`;

/** Places every signal of the org again after the rules changed; returns how many moved. */
async function remapSignals(db: Db, orgId: string): Promise<number> {
  const ctx = await orgContext(db, orgId);
  const rows = await db.select().from(signals).where(eq(signals.orgId, orgId));
  const moves = rows.flatMap((s) => {
    const to = mapSignal({ source: s.source, signalKind: s.kind, labels: s.labels, component: s.component, service: s.service, repo: s.repo }, ctx.rules, ctx.repoTeams);
    return to.repo === s.repo && to.teamId === s.teamId ? [] : [db.update(signals).set(to).where(eq(signals.id, s.id))];
  });
  for (let i = 0; i < moves.length; i += 50) {
    const chunk = moves.slice(i, i + 50);
    await db.batch(chunk as [(typeof chunk)[number], ...typeof chunk]);
  }
  return moves.length;
}

export const signalAdminRoutes = newRouter()
  .openapi(listSourcesRoute, async (c) => {
    authorize(c, "signals:manage");
    const orgId = c.var.principal.orgId;
    const rows = await database(c.env).select().from(webhookSecrets).where(eq(webhookSecrets.orgId, orgId));
    return c.json({ data: WEBHOOK_SOURCES.map((source) => ({ source, configured: rows.some((r) => r.source === source), secrets: rows.filter((r) => r.source === source).length, url_path: urlPath(source, orgId) })) }, 200);
  })
  .openapi(putSecretsRoute, async (c) => {
    authorize(c, "signals:manage");
    const { source } = c.req.valid("param");
    const { secrets } = c.req.valid("json");
    const orgId = c.var.principal.orgId;
    const key = c.env.SECRETS_KEY ?? fail({ kind: "unavailable", detail: "SECRETS_KEY is not set on this deployment, so webhook secrets cannot be stored." });
    const db = database(c.env);
    const now = new Date().toISOString();
    const sealed = await Promise.all(secrets.map((s) => seal(key, orgId, s)));
    await db.batch([
      db.delete(webhookSecrets).where(and(eq(webhookSecrets.orgId, orgId), eq(webhookSecrets.source, source))),
      ...sealed.map((s, position) => db.insert(webhookSecrets).values({ orgId, source, sealed: s, position, createdAt: now })),
    ]);
    await recordAudit(c, orgId, [{ action: "webhook.secrets_set", target: { type: "webhook_source", id: source }, details: { source, secrets: secrets.length } }]);
    return c.json({ source, configured: true, secrets: secrets.length, url_path: urlPath(source, orgId) }, 200);
  })
  .openapi(deleteSecretsRoute, async (c) => {
    authorize(c, "signals:manage");
    const { source } = c.req.valid("param");
    const orgId = c.var.principal.orgId;
    await database(c.env).delete(webhookSecrets).where(and(eq(webhookSecrets.orgId, orgId), eq(webhookSecrets.source, source)));
    await recordAudit(c, orgId, [{ action: "webhook.secrets_removed", target: { type: "webhook_source", id: source }, details: { source } }]);
    return c.json({ source, configured: false, secrets: 0, url_path: urlPath(source, orgId) }, 200);
  })
  .openapi(deadLettersRoute, async (c) => {
    authorize(c, "signals:manage");
    const q = c.req.valid("query");
    const rows = await database(c.env)
      .select()
      .from(webhookDeadLetters)
      .where(and(eq(webhookDeadLetters.orgId, c.var.principal.orgId), q.source ? eq(webhookDeadLetters.source, q.source) : undefined))
      .orderBy(desc(webhookDeadLetters.receivedAt))
      .limit(q.limit);
    return c.json({ data: rows.map((r) => ({ id: r.id, source: r.source, delivery_id: r.deliveryId, reason: r.reason, headers: r.headers, body: r.body, received_at: r.receivedAt })) }, 200);
  })
  .openapi(listMappingsRoute, async (c) => {
    authorize(c, "signals:read");
    const rows = await database(c.env).select().from(signalMappings).where(eq(signalMappings.orgId, c.var.principal.orgId)).orderBy(asc(signalMappings.position), asc(signalMappings.createdAt));
    return c.json({ data: rows.map((r) => ({ id: r.id, position: r.position, match: r.match, repo: r.repo, team_id: r.teamId, created_at: r.createdAt })) }, 200);
  })
  .openapi(createMappingRoute, async (c) => {
    authorize(c, "signals:manage");
    const b = c.req.valid("json");
    const orgId = c.var.principal.orgId;
    const db = database(c.env);
    if (b.team_id) await findTeam(db, orgId, b.team_id);
    const last = (await db.select({ position: max(signalMappings.position) }).from(signalMappings).where(eq(signalMappings.orgId, orgId)))[0]?.position;
    const row = { id: newId("map"), orgId, position: b.position ?? (last ?? -1) + 1, match: b.match, repo: b.repo ?? null, teamId: b.team_id ?? null, createdAt: new Date().toISOString() };
    await db.insert(signalMappings).values(row);
    const remapped = await remapSignals(db, orgId);
    await recordAudit(c, orgId, [{ action: "signal_mapping.created", target: { type: "signal_mapping", id: row.id }, details: { match: b.match, repo: row.repo, team_id: row.teamId, position: row.position, remapped } }]);
    return c.json({ id: row.id, position: row.position, match: row.match, repo: row.repo, team_id: row.teamId, created_at: row.createdAt }, 201);
  })
  .openapi(deleteMappingRoute, async (c) => {
    authorize(c, "signals:manage");
    const id = c.req.valid("param").mapping_id;
    const orgId = c.var.principal.orgId;
    const db = database(c.env);
    const [gone] = await db.delete(signalMappings).where(and(eq(signalMappings.id, id), eq(signalMappings.orgId, orgId))).returning();
    if (!gone) return notFound("signal mapping");
    const remapped = await remapSignals(db, orgId);
    await recordAudit(c, orgId, [{ action: "signal_mapping.deleted", target: { type: "signal_mapping", id }, details: { remapped } }]);
    return c.json({ deleted: true as const, remapped }, 200);
  })
  .openapi(listSignalsRoute, async (c) => {
    authorize(c, "signals:read");
    const q = c.req.valid("query");
    const rows = await database(c.env)
      .select()
      .from(signals)
      .where(
        and(
          eq(signals.orgId, c.var.principal.orgId),
          q.team_id ? eq(signals.teamId, q.team_id) : undefined,
          q.kind ? eq(signals.kind, q.kind) : undefined,
          q.state ? eq(signals.state, q.state) : undefined,
          q.unmapped === "true" ? isNull(signals.teamId) : undefined,
        ),
      )
      .orderBy(desc(signals.openedAt))
      .limit(q.limit);
    return c.json({ data: rows.map(signalView) }, 200);
  });

