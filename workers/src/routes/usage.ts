// Showback: who spent what. GET /v1/usage sums the org's usage rows (settled reservations)
// by team, user, repo, model or agent, optionally per UTC day, as JSON or CSV; GET
// /v1/usage/forecast projects each team's budget period at its run rate so far. Owners,
// admins and billing see every team; a team lead sees the teams they lead (as the role
// table's spend:read allows); every query is bounded by the caller's org.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, asc, eq, gte, inArray, isNull, lte, sql } from "drizzle-orm";
import { newRouter } from "../http/router";
import type { AppEnv } from "../http/app-env";
import { authorize } from "../http/authorize";
import { database, type Db } from "../db/client";
import { findTeam } from "../db/lookups";
import { teams, usageRecords } from "../db/schema";
import { roleAllows } from "../domain/authz/roles";
import { fail } from "../domain/errors";
import { DAY_MS, microsToUsd, runRateForecast, utcDays } from "../domain/usage/forecast";
import { budgetLedger } from "../governance/desk";
import { defineRoute, json, TeamId, Timestamp } from "./common";

export const USAGE_GROUPS = ["team", "user", "repo", "model", "agent"] as const;
type UsageGroup = (typeof USAGE_GROUPS)[number];

/** A daily series lists every day of the range; longer ranges ask for granularity=none. */
export const MAX_SERIES_DAYS = 366;

const KEY_COLUMN = {
  team: usageRecords.teamId,
  user: usageRecords.userId,
  repo: usageRecords.repo,
  model: usageRecords.model,
  agent: usageRecords.agentId,
} as const satisfies Record<UsageGroup, unknown>;

const queryParam = (name: string) => ({ param: { name, in: "query" as const } });
const Instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: "an ISO date (2025-03-01) or date-time with offset (2025-03-01T00:00:00Z)" })
  .optional();

const UsageQuery = z.object({
  group_by: z.enum(USAGE_GROUPS).default("team").openapi(queryParam("group_by")),
  from: Instant.openapi({ ...queryParam("from"), description: "Inclusive; a bare date means its first instant (UTC). Default: the 1st of this month, 00:00 UTC." }),
  to: Instant.openapi({ ...queryParam("to"), description: "Inclusive; a bare date means through its last instant (UTC). Default: now." }),
  granularity: z.enum(["day", "none"]).default("none").openapi({ ...queryParam("granularity"), description: `day adds a zero-filled UTC-day series per group (at most ${MAX_SERIES_DAYS} days)` }),
  team_id: TeamId.optional().openapi(queryParam("team_id")),
  format: z.enum(["json", "csv"]).default("json").openapi(queryParam("format")),
});
const ForecastQuery = z.object({ team_id: TeamId.optional().openapi(queryParam("team_id")) });

const Int = z.number().int();
const COUNTERS = { cost_micros: Int, tokens: Int, input_tokens: Int, output_tokens: Int, cache_read_tokens: Int, cache_write_tokens: Int, requests: Int };
const UsageCounters = z.object(COUNTERS).openapi("UsageCounters");
const UsageGroupView = z.object({
  key: z.string().nullable().openapi({ description: "The team, user, repo, model or agent; null for usage without one (e.g. no repo given)" }),
  ...COUNTERS,
  series: z.array(z.object({ date: z.string().openapi({ example: "2025-03-01" }), ...COUNTERS })).optional(),
});
const UsageReport = z
  .object({ from: Timestamp, to: Timestamp, group_by: z.enum(USAGE_GROUPS), granularity: z.enum(["day", "none"]), totals: UsageCounters, groups: z.array(UsageGroupView) })
  .openapi("UsageReport");
const TeamForecast = z
  .object({
    team_id: z.string(),
    period: z.object({ start: Timestamp, end: Timestamp }),
    spent_micros: Int,
    held_micros: Int,
    limit_micros: Int.nullable(),
    projected_micros: Int,
    daily_rate_micros: Int,
    runs_out_at: Timestamp.nullable(),
    over_limit: z.boolean(),
  })
  .openapi("TeamForecast");

const usageRoute = defineRoute({
  method: "get",
  path: "/usage",
  tags: ["usage"],
  summary: "Usage and cost by team, user, repo, model or agent (JSON or CSV), largest cost first",
  access: "spend:read",
  teamScoped: true,
  request: { query: UsageQuery },
  responses: {
    200: {
      description: "The report; with format=csv one row per group (and day), cost_usd exact to the micro-dollar",
      content: { "application/json": { schema: UsageReport }, "text/csv": { schema: z.string() } },
    },
  },
});

const forecastRoute = defineRoute({
  method: "get",
  path: "/usage/forecast",
  tags: ["usage"],
  summary: "Each team's budget period projected at its run rate so far",
  access: "spend:read",
  teamScoped: true,
  request: { query: ForecastQuery },
  responses: { 200: json(z.object({ teams: z.array(TeamForecast) }).openapi("UsageForecast"), "One forecast per team") },
});

/**
 * The teams whose usage the caller may read: all of the org's (null) or these. A team asked
 * for by id must be in the org (else 404) and readable (else 403); without one, a caller who
 * may not read all spend gets the teams where the role table gives them spend:read (a lead's
 * own), or the role's 403 when there are none.
 */
async function readableTeams(c: Context<AppEnv>, db: Db, teamId: string | undefined): Promise<string[] | null> {
  const me = c.var.principal;
  if (teamId !== undefined) {
    const team = await findTeam(db, me.orgId, teamId);
    authorize(c, "spend:read", team.id);
    return [team.id];
  }
  if (roleAllows(me, "spend:read")) {
    authorize(c, "spend:read");
    return null;
  }
  const own = Object.keys(me.teamRoles).filter((t) => roleAllows(me, "spend:read", t));
  if (own.length === 0) authorize(c, "spend:read");
  for (const t of own) authorize(c, "spend:read", t); // the credential's scopes still apply
  return own;
}

const invalid = (path: string, message: string, code: string): never =>
  fail({ kind: "validation", detail: `Invalid ${path}.`, issues: [{ path, message, code }] });

/** The inclusive range in ms: bare dates cover whole UTC days. */
function resolveRange(q: { from?: string; to?: string; granularity: "day" | "none" }, now: number): { fromMs: number; toMs: number } {
  const bareDate = (s: string) => s.length === 10;
  const d = new Date(now);
  const fromMs = q.from === undefined ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) : Date.parse(bareDate(q.from) ? `${q.from}T00:00:00Z` : q.from);
  const toMs = q.to === undefined ? now : bareDate(q.to) ? Date.parse(`${q.to}T00:00:00Z`) + DAY_MS - 1 : Date.parse(q.to);
  if (fromMs > toMs) invalid("query.from", q.to === undefined ? "must not be in the future" : "must not be after `to`", "invalid_range");
  if (q.granularity === "day" && Math.floor(toMs / DAY_MS) - Math.floor(fromMs / DAY_MS) + 1 > MAX_SERIES_DAYS) {
    invalid("query.granularity", `a daily series covers at most ${MAX_SERIES_DAYS} days; narrow from/to or use granularity=none`, "range_too_long");
  }
  return { fromMs, toMs };
}

type Counters = { [K in keyof typeof COUNTERS]: number };
type GroupView = z.infer<typeof UsageGroupView>;
const ZERO: Counters = { cost_micros: 0, tokens: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, requests: 0 };
const add = (a: Counters, b: Counters): Counters => {
  const out = { ...a };
  for (const k of Object.keys(ZERO) as (keyof Counters)[]) out[k] += b[k];
  return out;
};

async function usageGroups(db: Db, orgId: string, scope: string[] | null, groupBy: UsageGroup, fromMs: number, toMs: number, daily: boolean) {
  const key = KEY_COLUMN[groupBy];
  // Rows store created_at as toISOString(): string order is time order, chars 1-10 the UTC day.
  const day = sql<string>`substr(${usageRecords.createdAt}, 1, 10)`;
  return db
    .select({
      key,
      day: daily ? day : sql<string>`''`,
      cost_micros: sql<number>`sum(${usageRecords.costMicros})`,
      tokens: sql<number>`sum(${usageRecords.tokens})`,
      input_tokens: sql<number>`sum(${usageRecords.inputTokens})`,
      output_tokens: sql<number>`sum(${usageRecords.outputTokens})`,
      cache_read_tokens: sql<number>`sum(${usageRecords.cacheReadTokens})`,
      cache_write_tokens: sql<number>`sum(${usageRecords.cacheWriteTokens})`,
      requests: sql<number>`count(*)`,
    })
    .from(usageRecords)
    .where(
      and(
        eq(usageRecords.orgId, orgId),
        gte(usageRecords.createdAt, new Date(fromMs).toISOString()),
        lte(usageRecords.createdAt, new Date(toMs).toISOString()),
        scope === null ? undefined : inArray(usageRecords.teamId, scope),
      ),
    )
    .groupBy(...(daily ? [key, day] : [key]));
}

type UsageRows = Awaited<ReturnType<typeof usageGroups>>;

/** Folds (key, day) rows into groups, largest cost first; a daily series lists every day. */
function toGroups(rows: UsageRows, days: string[] | null): GroupView[] {
  const byKey = new Map<string | null, { total: Counters; perDay: Map<string, Counters> }>();
  for (const { key, day, ...counters } of rows) {
    const g = byKey.get(key) ?? { total: ZERO, perDay: new Map<string, Counters>() };
    g.total = add(g.total, counters);
    g.perDay.set(day, add(g.perDay.get(day) ?? ZERO, counters));
    byKey.set(key, g);
  }
  const groups = [...byKey].map(([key, g]): GroupView => ({
    key,
    ...g.total,
    ...(days === null ? {} : { series: days.map((date) => ({ date, ...(g.perDay.get(date) ?? ZERO) })) }),
  }));
  return groups.sort((a, b) => b.cost_micros - a.cost_micros || b.requests - a.requests || compareKeys(a.key, b.key));
}

const compareKeys = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);

const CSV_HEADER = ["group", "date", "cost_micros", "cost_usd", "tokens", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "requests"];

/** RFC 4180 quoting; a text cell that a spreadsheet would run as a formula gets a leading '. */
function csvCell(text: string): string {
  const inert = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(inert) ? `"${inert.replaceAll('"', '""')}"` : inert;
}

function usageCsv(groups: GroupView[]): string {
  const line = (key: string | null, date: string, n: Counters) =>
    [csvCell(key ?? ""), date, n.cost_micros, microsToUsd(n.cost_micros), n.tokens, n.input_tokens, n.output_tokens, n.cache_read_tokens, n.cache_write_tokens, n.requests].join(",");
  const lines = [CSV_HEADER.join(",")];
  for (const g of groups) {
    if (g.series) for (const s of g.series) lines.push(line(g.key, s.date, s));
    else lines.push(line(g.key, "", g));
  }
  return lines.join("\r\n") + "\r\n";
}

export const usageRoutes = newRouter()
  .openapi(usageRoute, async (c) => {
    const q = c.req.valid("query");
    const db = database(c.env);
    const scope = await readableTeams(c, db, q.team_id);
    const { fromMs, toMs } = resolveRange(q, Date.now());
    const daily = q.granularity === "day";
    const rows = await usageGroups(db, c.var.principal.orgId, scope, q.group_by, fromMs, toMs, daily);
    const groups = toGroups(rows, daily ? utcDays(fromMs, toMs) : null);
    const from = new Date(fromMs).toISOString();
    const to = new Date(toMs).toISOString();
    if (q.format === "csv") {
      const name = `usage-by-${q.group_by}-${from.slice(0, 10)}-${to.slice(0, 10)}.csv`;
      return new Response(usageCsv(groups), {
        status: 200,
        headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}"` },
      }) as never;
    }
    const totals = groups.reduce<Counters>((t, g) => add(t, g), ZERO);
    return c.json({ from, to, group_by: q.group_by, granularity: q.granularity, totals, groups }, 200);
  })
  .openapi(forecastRoute, async (c) => {
    const q = c.req.valid("query");
    const db = database(c.env);
    const orgId = c.var.principal.orgId;
    const scope = await readableTeams(c, db, q.team_id);
    // A team asked for by id is answered even when archived; listings leave archived teams out.
    const rows = await db
      .select({ id: teams.id })
      .from(teams)
      .where(and(eq(teams.orgId, orgId), scope === null ? undefined : inArray(teams.id, scope), q.team_id === undefined ? isNull(teams.archivedAt) : undefined))
      .orderBy(asc(teams.id));
    const now = Date.now();
    const forecasts = await Promise.all(
      rows.map(async ({ id }): Promise<z.infer<typeof TeamForecast>> => {
        const s = await budgetLedger(c.env, id).status();
        const limitMicros = s.config?.limitMicros ?? null;
        const f = runRateForecast({ periodStart: s.window.start, periodEnd: s.window.end, now, spentMicros: s.team.spentMicros, limitMicros });
        return {
          team_id: id,
          period: { start: new Date(s.window.start).toISOString(), end: new Date(s.window.end).toISOString() },
          spent_micros: s.team.spentMicros,
          held_micros: s.team.heldMicros,
          limit_micros: limitMicros,
          projected_micros: f.projectedMicros,
          daily_rate_micros: f.dailyRateMicros,
          runs_out_at: f.runsOutAt,
          over_limit: f.overLimit,
        };
      }),
    );
    forecasts.sort((a, b) => b.projected_micros - a.projected_micros || compareKeys(a.team_id, b.team_id));
    return c.json({ teams: forecasts }, 200);
  });
