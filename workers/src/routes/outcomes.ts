// What the signals and the code history say: ranked priorities with the reasons for each
// score (and a task made from one, linked back), outcome metrics for agent-assisted and
// human-only changes side by side with the DORA four keys (JSON or CSV), and the org's
// settings for both.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq, inArray } from "drizzle-orm";
import { newRouter } from "../http/router";
import type { AppEnv } from "../http/app-env";
import { authorize } from "../http/authorize";
import { database } from "../db/client";
import { findTeam } from "../db/lookups";
import { outcomeSettings, priorityTasks, signals } from "../db/schema";
import { fail, notFound } from "../domain/errors";
import { can } from "../domain/authz/roles";
import { METRIC_NAMES, type MetricsReport } from "../domain/metrics/types";
import { withDefaults, type OutcomeSettings } from "../domain/signals/settings";
import { recordAudit } from "../audit/record";
import { metricsReport, rankedPriorities } from "../governance/outcomes";
import { orgContext } from "../governance/signals";
import { parseTaskRequest, submitTask } from "./tasks";
import { defineRoute, json, jsonBody, TeamId, Timestamp } from "./common";

const DAY_MS = 86_400_000;
const MAX_PERIOD_DAYS = 366;

// ---- priorities ----

const PriorityView = z
  .object({
    id: z.string(),
    rank: z.number().int(),
    score: z.number(),
    key: z.object({ scope_kind: z.string().nullable(), scope: z.string().nullable(), theme: z.string() }),
    team_id: z.string().nullable(),
    repo: z.string().nullable(),
    explanation: z.array(z.object({ factor: z.string(), value: z.number(), weight: z.number(), contribution: z.number(), detail: z.string() })),
    signal_ids: z.array(z.string()),
    task_ids: z.array(z.string()),
  })
  .openapi("Priority");

const prioritiesRoute = defineRoute({
  method: "get",
  path: "/priorities",
  tags: ["outcomes"],
  summary: "Work ranked by support load, revenue at risk, incident recurrence, strategic debt and age, with each score explained",
  access: "signals:read",
  request: {
    query: z.object({
      team_id: TeamId.optional().openapi({ param: { name: "team_id", in: "query" } }),
      limit: z.coerce.number().int().min(1).max(200).default(20).openapi({ param: { name: "limit", in: "query" } }),
    }),
  },
  responses: { 200: json(z.object({ as_of: Timestamp, data: z.array(PriorityView) }).openapi("Priorities"), "Ranked") },
});
const priorityTaskRoute = defineRoute({
  method: "post",
  path: "/priorities/{priority_id}/task",
  tags: ["outcomes"],
  summary: "Turn a priority into a task (Idempotency-Key header); the link is kept so metrics can tell whether agent work closed its signals",
  access: "tasks:write",
  request: {
    params: z.object({ priority_id: z.string().regex(/^pri_[0-9a-f]{24}$/, "must be a pri_… id").openapi({ param: { name: "priority_id", in: "path" } }) }),
    headers: z.object({ "idempotency-key": z.string().min(1).max(200) }),
    body: jsonBody(
      z
        .strictObject({
          team_id: TeamId.optional(),
          ref: z.string().max(200).default("main"),
          kind: z.enum(["agent_run", "tests", "command", "migration_dry_run", "preview"]).default("agent_run"),
          goal: z.string().max(4000).optional(),
          steps: z.array(z.unknown()).max(20).optional(),
          estimated_tokens: z.number().int().min(0).max(1e9).default(200_000),
        })
        .openapi("PriorityTaskCreate"),
    ),
  },
  responses: { 201: json(z.object({ priority_id: z.string(), task_id: z.string(), status: z.string() }).openapi("PriorityTask"), "The task"), 200: json(z.object({ priority_id: z.string(), task_id: z.string(), status: z.string() }), "The task this key already made") },
});

const ranked = (c: Context<AppEnv>, teamId: string | null) => rankedPriorities(database(c.env), c.var.principal.orgId, teamId);

// ---- metrics ----

const MetricCell = z.object({ value: z.number().nullable(), sample_size: z.number().int() });
const MetricsView = z
  .object({
    team_id: z.string().nullable(),
    from: Timestamp,
    to: Timestamp,
    compare: z.array(z.enum(["agent", "human", "all"])),
    metrics: z.array(z.object({ name: z.string(), unit: z.string(), definition: z.string(), agent: MetricCell.optional(), human: MetricCell.optional(), all: MetricCell.optional() })),
  })
  .openapi("Metrics");
const metricsRoute = defineRoute({
  method: "get",
  path: "/metrics",
  tags: ["outcomes"],
  summary: "Outcome metrics per period, agent-assisted and human-only side by side, with sample sizes and definitions (format=csv for CSV)",
  access: "metrics:read",
  teamScoped: true,
  request: {
    query: z.object({
      team_id: TeamId.optional().openapi({ param: { name: "team_id", in: "query" } }),
      from: z.iso.datetime({ offset: true }).optional().openapi({ param: { name: "from", in: "query" } }),
      to: z.iso.datetime({ offset: true }).optional().openapi({ param: { name: "to", in: "query" } }),
      compare: z
        .string()
        .regex(/^(agent|human|all)(,(agent|human|all))*$/, "a comma-separated list of agent, human, all")
        .default("agent,human,all")
        .openapi({ param: { name: "compare", in: "query" } }),
      format: z.enum(["json", "csv"]).default("json").openapi({ param: { name: "format", in: "query" } }),
    }),
  },
  responses: { 200: json(MetricsView, "Metrics (or text/csv)") },
});

function metricsTable(report: MetricsReport, groups: ("agent" | "human" | "all")[]) {
  return METRIC_NAMES.map((name) => {
    const first = report.all[name];
    const row: Record<string, unknown> = { name, unit: first.unit, definition: first.definition };
    for (const g of groups) row[g] = { value: report[g][name].value, sample_size: report[g][name].sampleSize };
    return row as z.infer<typeof MetricsView>["metrics"][number];
  });
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

// ---- settings ----

const Weights = z.strictObject({ supportLoad: z.number().min(0).max(1000), revenueAtRisk: z.number().min(0).max(1000), incidentRecurrence: z.number().min(0).max(1000), strategicDebt: z.number().min(0).max(1000), age: z.number().min(0).max(1000) }).partial();
const SettingsBody = z
  .strictObject({
    origin: z.strictObject({ branchPrefixes: z.array(z.string().min(1).max(100)).max(20), labels: z.array(z.string().min(1).max(100)).max(20), trailers: z.array(z.string().min(1).max(200)).max(20) }).partial().optional(),
    priorityWeights: Weights.optional(),
    severityWeights: z.strictObject({ critical: z.number().min(0), high: z.number().min(0), medium: z.number().min(0), low: z.number().min(0), unrated: z.number().min(0) }).partial().optional(),
    strategicLabels: z.array(z.string().min(1).max(100)).max(50).optional(),
    ageCapDays: z.number().int().min(1).max(3650).optional(),
    priorityWindowDays: z.number().int().min(1).max(365).optional(),
    reworkWindowDays: z.number().int().min(0).max(365).optional(),
    incidentLinkHours: z.number().int().min(1).max(24 * 14).optional(),
  })
  .openapi("OutcomeSettings");
const getSettingsRoute = defineRoute({ method: "get", path: "/org/outcome-settings", tags: ["outcomes"], summary: "How agent work is recognised, priority weights, and the metrics' windows (defaults filled in)", access: "signals:read", responses: { 200: json(z.record(z.string(), z.unknown()), "Settings") } });
const putSettingsRoute = defineRoute({ method: "put", path: "/org/outcome-settings", tags: ["outcomes"], summary: "Set outcome settings (what is left out keeps its default)", access: "signals:manage", request: { body: jsonBody(SettingsBody) }, responses: { 200: json(z.record(z.string(), z.unknown()), "Settings") } });

export const outcomeRoutes = newRouter()
  .openapi(prioritiesRoute, async (c) => {
    authorize(c, "signals:read");
    const q = c.req.valid("query");
    const db = database(c.env);
    if (q.team_id) await findTeam(db, c.var.principal.orgId, q.team_id);
    const { now, items } = await ranked(c, q.team_id ?? null);
    const top = items.slice(0, q.limit);
    const links = top.length ? await db.select().from(priorityTasks).where(and(eq(priorityTasks.orgId, c.var.principal.orgId), inArray(priorityTasks.priorityId, top.map((i) => i.id)))) : [];
    return c.json(
      {
        as_of: now,
        data: top.map((i, n) => ({
          id: i.id,
          rank: n + 1,
          score: i.score,
          key: { scope_kind: i.key.scopeKind, scope: i.key.scope, theme: i.key.theme },
          team_id: i.teamId,
          repo: i.repo,
          explanation: i.explanation,
          signal_ids: i.signalIds,
          task_ids: links.filter((l) => l.priorityId === i.id).map((l) => l.taskId),
        })),
      },
      200,
    );
  })
  .openapi(priorityTaskRoute, async (c) => {
    authorize(c, "tasks:write");
    const { priority_id } = c.req.valid("param");
    const b = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    const db = database(c.env);
    if (b.team_id) await findTeam(db, c.var.principal.orgId, b.team_id);
    const item = (await ranked(c, b.team_id ?? null)).items.find((i) => i.id === priority_id) ?? notFound("priority");
    const teamId = b.team_id ?? item.teamId;
    if (!item.repo || !teamId) {
      return fail({ kind: "validation", detail: "This priority names no repo or team to work in.", issues: [{ path: item.repo ? "body.team_id" : "path.priority_id", message: item.repo ? "name the team that pays" : "the priority's signals name no repo; map them with POST /v1/signal-mappings", code: "unplaceable" }] });
    }
    const titles = (await db.select({ title: signals.title }).from(signals).where(and(eq(signals.orgId, c.var.principal.orgId), inArray(signals.id, item.signalIds.slice(0, 5))))).map((s) => `- ${s.title}`);
    const goal = b.goal ?? `Address "${item.key.theme}" in ${item.key.scope ?? item.repo} (priority score ${item.score}):\n${titles.join("\n")}`;
    const parsed = parseTaskRequest({ team_id: teamId, repo: item.repo, ref: b.ref, kind: b.kind, goal: goal.slice(0, 4000), steps: b.steps ?? [], estimated_tokens: b.estimated_tokens });
    if (!parsed.success) return fail({ kind: "validation", detail: "Invalid body.", issues: parsed.error.issues.map((i) => ({ path: `body.${i.path.join(".")}`, message: i.message, code: i.code })) });
    const { task, created } = await submitTask(c, parsed.data, `priority:${priority_id}:${key}`);
    await db.insert(priorityTasks).values({ orgId: task.orgId, priorityId: priority_id, taskId: task.id, signalIds: item.signalIds, createdAt: new Date().toISOString() }).onConflictDoNothing();
    if (created) await recordAudit(c, task.orgId, [{ action: "priority.task_created", target: { type: "task", id: task.id }, details: { priority_id, score: item.score, signal_ids: item.signalIds } }]);
    return c.json({ priority_id, task_id: task.id, status: task.status }, created ? 201 : 200);
  })
  .openapi(metricsRoute, async (c) => {
    const q = c.req.valid("query");
    const db = database(c.env);
    const me = c.var.principal;
    const orgId = me.orgId;
    // A lead without org-wide access asks about the one team they lead.
    const led = Object.entries(me.teamRoles).filter(([, role]) => role === "lead").map(([id]) => id);
    const teamId = q.team_id ?? (!can(me, "metrics:read") && led.length === 1 ? led[0] : undefined);
    if (teamId) await findTeam(db, orgId, teamId);
    authorize(c, "metrics:read", teamId);
    const to = q.to ?? new Date().toISOString();
    const from = q.from ?? new Date(Date.parse(to) - 30 * DAY_MS).toISOString();
    const days = (Date.parse(to) - Date.parse(from)) / DAY_MS;
    if (!(days > 0) || days > MAX_PERIOD_DAYS) {
      return fail({ kind: "validation", detail: "Invalid query.from.", issues: [{ path: "query.from", message: `from must be before to, at most ${MAX_PERIOD_DAYS} days apart`, code: "invalid_range" }] });
    }
    const report = await metricsReport(db, orgId, teamId ?? null, new Date(from).toISOString(), new Date(to).toISOString());
    const groups = [...new Set(q.compare.split(","))] as ("agent" | "human" | "all")[];
    const table = metricsTable(report, groups);
    if (q.format === "csv") {
      const lines = [["metric", "unit", "group", "value", "sample_size", "definition"].join(",")];
      for (const row of table) for (const g of groups) lines.push([row.name, row.unit, g, row[g]?.value, row[g]?.sample_size, row.definition].map(csvCell).join(","));
      return c.body(lines.join("\n") + "\n", 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="metrics-${teamId ?? orgId}.csv"` }) as never;
    }
    return c.json({ team_id: teamId ?? null, from: report.from, to: report.to, compare: groups, metrics: table }, 200);
  })
  .openapi(getSettingsRoute, async (c) => {
    authorize(c, "signals:read");
    const { settings } = await orgContext(database(c.env), c.var.principal.orgId);
    return c.json(settings as unknown as Record<string, unknown>, 200);
  })
  .openapi(putSettingsRoute, async (c) => {
    authorize(c, "signals:manage");
    const b = c.req.valid("json");
    const orgId = c.var.principal.orgId;
    const db = database(c.env);
    const settings: OutcomeSettings = withDefaults(b as Partial<OutcomeSettings>);
    await db.insert(outcomeSettings).values({ orgId, settings, updatedAt: new Date().toISOString() }).onConflictDoUpdate({ target: outcomeSettings.orgId, set: { settings, updatedAt: new Date().toISOString() } });
    await recordAudit(c, orgId, [{ action: "outcome_settings.set", target: { type: "org", id: orgId }, details: { ...b } }]);
    return c.json(settings as unknown as Record<string, unknown>, 200);
  });
