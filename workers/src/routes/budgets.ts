// Team budgets and the reserve → settle / release protocol for agents that meter
// themselves. The team's BudgetLedger decides; a refusal is a 402 problem that says what is
// left and when the period resets. Crossing the soft limit is audited and told to Slack.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { newRouter } from "../http/router";
import type { AppEnv } from "../http/app-env";
import { authorize } from "../http/authorize";
import { database } from "../db/client";
import { findTeam } from "../db/lookups";
import { conflict, fail, forbidden, notFound } from "../domain/errors";
import { can } from "../domain/authz/roles";
import { PERIODS } from "../domain/budget/period";
import { recordAudit, requestEvidence } from "../audit/record";
import { approvalDesk, budgetLedger } from "../governance/desk";
import { sha256Hex } from "../domain/audit/chain";
import type { ApprovalSettings } from "../domain/approvals/settings";
import { credentialKeyId } from "../auth/principal";
import { ApprovalView, approvalView } from "./approval-views";
import { ledgersOf, orgCeilingStatus, orgLedger, refusalToProblem, releaseWithCeiling, reserveWithCeiling, settleWithCeiling } from "../governance/budget";
import { notifyTeam } from "../integrations/slack/notify";
import type { LedgerConfig, LedgerStatus, Reservation } from "../../../durable-objects/budget-ledger-types";
import { defineRoute, json, jsonBody, TeamId, TeamIdParams, Timestamp } from "./common";

const Micros = z.number().int().min(0).max(1e15).openapi({ description: "integer micro-dollars (1 USD = 1,000,000)" });
const Tokens = z.number().int().min(0).max(1e12);

const BudgetPut = z
  .strictObject({
    period: z.enum(PERIODS),
    custom_days: z.number().int().min(1).max(366).optional(),
    anchor: z.iso.datetime({ offset: true }).optional(),
    limit_micros: Micros.nullable().default(null),
    soft_limit_micros: Micros.nullable().default(null),
    limit_tokens: Tokens.nullable().default(null),
    per_user_micros: Micros.nullable().default(null),
    per_repo_micros: Micros.nullable().default(null),
    per_agent_micros: Micros.nullable().default(null),
  })
  .refine((b) => b.period !== "custom" || b.custom_days !== undefined, { message: "custom periods need custom_days", path: ["custom_days"] })
  .refine((b) => b.soft_limit_micros === null || b.limit_micros === null || b.soft_limit_micros <= b.limit_micros, {
    message: "must not exceed limit_micros",
    path: ["soft_limit_micros"],
  })
  .openapi("BudgetPut");

const BudgetView = z
  .object({
    team_id: z.string(),
    budget: BudgetPut.nullable(),
    period: z.object({ start: Timestamp, end: Timestamp }),
    spent_micros: z.number().int(),
    held_micros: z.number().int(),
    spent_tokens: z.number().int(),
    held_tokens: z.number().int(),
    remaining_micros: z.number().int().nullable(),
    remaining_tokens: z.number().int().nullable(),
    effective_limit_micros: z.number().int().nullable().openapi({ description: "limit_micros plus this period's approved temporary increases" }),
    effective_limit_tokens: z.number().int().nullable(),
    increases: z
      .array(z.object({ approval_id: z.string(), add_micros: z.number().int(), add_tokens: z.number().int(), granted_at: Timestamp }))
      .openapi({ description: "Temporary increases approved for this period; they end with it." }),
    history: z.array(z.object({ start: Timestamp, end: Timestamp, spent_micros: z.number().int(), spent_tokens: z.number().int() })),
  })
  .openapi("Budget");

const ReservationView = z
  .object({
    id: z.string(),
    team_id: z.string(),
    status: z.enum(["held", "settled", "released", "expired"]),
    micros: z.number().int(),
    tokens: z.number().int(),
    expires_at: Timestamp,
    settled_micros: z.number().int().nullable(),
    settled_tokens: z.number().int().nullable(),
    replayed: z.boolean().optional(),
  })
  .openapi("BudgetReservation");

const ReserveBody = z
  .strictObject({
    team_id: TeamId,
    estimate_micros: Micros,
    estimate_tokens: Tokens.default(0),
    repo: z.string().max(200).optional(),
    agent: z.string().max(100).optional(),
    ttl_seconds: z.number().int().min(10).max(3600).default(600),
    idempotency_key: z.string().min(1).max(200).optional().openapi({ description: "Or the Idempotency-Key header." }),
  })
  .openapi("BudgetReserve");

const SettleBody = z
  .strictObject({
    team_id: TeamId,
    reservation_id: z.string().regex(/^rsv_[a-z2-7]{1,40}$/),
    actual_micros: Micros,
    actual_tokens: Tokens.default(0),
    model: z.string().max(200).optional(),
    input_tokens: Tokens.default(0),
    output_tokens: Tokens.default(0),
    cache_read_tokens: Tokens.default(0),
    cache_write_tokens: Tokens.default(0),
    task_id: z.string().max(100).optional(),
  })
  .openapi("BudgetSettle");

const ReleaseBody = z.strictObject({ team_id: TeamId, reservation_id: z.string().regex(/^rsv_[a-z2-7]{1,40}$/) }).openapi("BudgetRelease");

const getRoute = defineRoute({ method: "get", path: "/teams/{team_id}/budget", tags: ["budgets"], summary: "A team's budget and this period's spend", access: "budgets:read", teamScoped: true, request: { params: TeamIdParams }, responses: { 200: json(BudgetView, "The budget") } });
const putRoute = defineRoute({ method: "put", path: "/teams/{team_id}/budget", tags: ["budgets"], summary: "Set a team's budget (limits in integer micro-dollars and/or tokens, per period)", access: "budgets:write", request: { params: TeamIdParams, body: jsonBody(BudgetPut) }, responses: { 200: json(BudgetView, "The budget") } });
const reserveRoute = defineRoute({ method: "post", path: "/budgets/reserve", tags: ["budgets"], summary: "Reserve budget before work (idempotent by key); 402 when it does not fit", access: "budgets:use", request: { body: jsonBody(ReserveBody) }, responses: { 201: json(ReservationView, "Reserved"), 200: json(ReservationView, "The reservation this idempotency key already made"), 402: { description: "Refused: over a limit", content: { "application/problem+json": { schema: z.record(z.string(), z.unknown()) } } } } });
const settleRoute = defineRoute({ method: "post", path: "/budgets/settle", tags: ["budgets"], summary: "Settle a reservation with what was actually used (once)", access: "budgets:use", request: { body: jsonBody(SettleBody) }, responses: { 200: json(ReservationView, "Settled") } });
const IncreaseRequestBody = z
  .strictObject({
    add_micros: Micros.default(0),
    add_tokens: Tokens.default(0),
    reason: z.string().trim().min(1).max(1000),
    ticket_url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  })
  .refine((b) => b.add_micros > 0 || b.add_tokens > 0, { message: "ask for more micro-dollars or tokens (or both)", path: ["add_micros"] })
  .openapi("BudgetIncreaseRequest");
const increaseRoute = defineRoute({
  method: "post",
  path: "/teams/{team_id}/budget/increase-requests",
  tags: ["budgets"],
  summary: "Ask for a temporary increase of a team's budget until the period ends; billing, an admin or an owner approves it through the approval desk",
  access: "budgets:request_increase",
  teamScoped: true,
  request: { params: TeamIdParams, body: jsonBody(IncreaseRequestBody) },
  responses: { 201: json(ApprovalView, "The approval request"), 200: json(ApprovalView, "The same request, already waiting") },
});
/** Who approves a temporary increase: the people who own money, never the asking lead alone. */
const INCREASE_APPROVAL: ApprovalSettings = { quorum: 1, approverRoles: ["billing", "admin", "owner"], expiresInMinutes: 3 * 24 * 60, validForMinutes: 60, denyByAny: true };

const formatUsd = (micros: number) => `$${(micros / 1_000_000).toFixed(2)}`;

const releaseRoute = defineRoute({ method: "post", path: "/budgets/release", tags: ["budgets"], summary: "Release a reservation that was not used", access: "budgets:use", request: { body: jsonBody(ReleaseBody) }, responses: { 200: json(ReservationView, "Released") } });

type History = Awaited<ReturnType<ReturnType<typeof budgetLedger>["history"]>>;

const ledgerConfig = (b: z.infer<typeof BudgetPut>): LedgerConfig => ({
  period: b.period,
  customDays: b.custom_days,
  anchor: b.anchor,
  limitMicros: b.limit_micros,
  softLimitMicros: b.soft_limit_micros,
  limitTokens: b.limit_tokens,
  perUserMicros: b.per_user_micros,
  perRepoMicros: b.per_repo_micros,
  perAgentMicros: b.per_agent_micros,
});

function budgetView(teamId: string, s: LedgerStatus, history: History = []): z.infer<typeof BudgetView> {
  const c = s.config;
  return {
    team_id: teamId,
    budget: c && {
      period: c.period,
      custom_days: c.customDays,
      anchor: c.anchor,
      limit_micros: c.limitMicros,
      soft_limit_micros: c.softLimitMicros,
      limit_tokens: c.limitTokens,
      per_user_micros: c.perUserMicros,
      per_repo_micros: c.perRepoMicros,
      per_agent_micros: c.perAgentMicros,
    },
    period: { start: new Date(s.window.start).toISOString(), end: new Date(s.window.end).toISOString() },
    spent_micros: s.team.spentMicros,
    held_micros: s.team.heldMicros,
    spent_tokens: s.team.spentTokens,
    held_tokens: s.team.heldTokens,
    remaining_micros: s.remaining.micros,
    remaining_tokens: s.remaining.tokens,
    effective_limit_micros: c?.limitMicros == null ? null : c.limitMicros + s.increases.reduce((a, i) => a + i.addMicros, 0),
    effective_limit_tokens: c?.limitTokens == null ? null : c.limitTokens + s.increases.reduce((a, i) => a + i.addTokens, 0),
    increases: s.increases.map((i) => ({ approval_id: i.approvalId, add_micros: i.addMicros, add_tokens: i.addTokens, granted_at: new Date(i.grantedAt).toISOString() })),
    history: history.map((h) => ({ start: new Date(h.start).toISOString(), end: new Date(h.end).toISOString(), spent_micros: h.spentMicros, spent_tokens: h.spentTokens })),
  };
}

const reservationView = (teamId: string, r: Reservation, replayed?: boolean): z.infer<typeof ReservationView> => ({
  id: r.id,
  team_id: teamId,
  status: r.status,
  micros: r.micros,
  tokens: r.tokens,
  expires_at: new Date(r.expiresAt).toISOString(),
  settled_micros: r.settledMicros,
  settled_tokens: r.settledTokens,
  ...(replayed === undefined ? {} : { replayed }),
});

async function softLimitCrossed(c: Context<AppEnv>, orgId: string, teamId: string): Promise<void> {
  const status = await budgetLedger(c.env, teamId).status();
  await recordAudit(c, orgId, [
    { action: "budget.soft_limit_crossed", target: { type: "team", id: teamId }, details: { soft_limit_micros: status.config?.softLimitMicros, spent_micros: status.team.spentMicros, held_micros: status.team.heldMicros } },
  ]);
  c.executionCtx.waitUntil(
    notifyTeam(c.env, teamId, `Budget alert: spend and holds passed the soft limit (${status.team.spentMicros + status.team.heldMicros} of ${status.config?.softLimitMicros} micro-dollars this period).`).catch(() => undefined),
  );
}


const OrgBudgetView = z
  .object({
    budget: BudgetPut.nullable(),
    period: z.object({ start: Timestamp, end: Timestamp }),
    spent_micros: z.number().int(),
    held_micros: z.number().int(),
    remaining_micros: z.number().int().nullable(),
  })
  .openapi("OrgBudget");
const getOrgRoute = defineRoute({ method: "get", path: "/org/budget", tags: ["budgets"], summary: "The org-wide ceiling across teams and this period's spend", access: "budgets:read", responses: { 200: json(OrgBudgetView, "The ceiling") } });
const putOrgRoute = defineRoute({ method: "put", path: "/org/budget", tags: ["budgets"], summary: "Set the org-wide ceiling (every team's reservation must also fit in it)", access: "budgets:write", request: { body: jsonBody(BudgetPut) }, responses: { 200: json(OrgBudgetView, "The ceiling") } });

const orgBudgetView = (s: LedgerStatus) => {
  const v = budgetView("", s);
  return { budget: v.budget, period: v.period, spent_micros: v.spent_micros, held_micros: v.held_micros, remaining_micros: v.remaining_micros };
};

/** A reservation is settled or released by whoever made it, or by someone who sets budgets. */
async function ownReservation(c: Context<AppEnv>, teamId: string, reservationId: string): Promise<void> {
  const r = (await budgetLedger(c.env, teamId).getReservation(reservationId)) ?? notFound("reservation");
  const me = c.var.principal;
  if (r.user !== me.id && r.agent !== me.id && !can(me, "budgets:write")) forbidden("Only the principal that made a reservation (or a budget owner) may settle or release it.");
}

export const budgetRoutes = newRouter()
  .openapi(getOrgRoute, async (c) => {
    authorize(c, "budgets:read");
    return c.json(orgBudgetView(await orgCeilingStatus(c.env, c.var.principal.orgId)), 200);
  })
  .openapi(putOrgRoute, async (c) => {
    authorize(c, "budgets:write");
    const b = c.req.valid("json");
    const status = await orgLedger(c.env, c.var.principal.orgId).configure(ledgerConfig(b));
    await recordAudit(c, c.var.principal.orgId, [{ action: "budget.org_ceiling_set", target: { type: "org", id: c.var.principal.orgId }, details: { ...b } }]);
    return c.json(orgBudgetView(status), 200);
  })
  .openapi(getRoute, async (c) => {
    const team = await findTeam(database(c.env), c.var.principal.orgId, c.req.valid("param").team_id);
    authorize(c, "budgets:read", team.id);
    const ledger = budgetLedger(c.env, team.id);
    const [status, history] = await Promise.all([ledger.status(), ledger.history()]);
    return c.json(budgetView(team.id, status, history), 200);
  })
  .openapi(putRoute, async (c) => {
    const team = await findTeam(database(c.env), c.var.principal.orgId, c.req.valid("param").team_id);
    authorize(c, "budgets:write");
    const b = c.req.valid("json");
    const status = await budgetLedger(c.env, team.id).configure(ledgerConfig(b));
    await recordAudit(c, team.orgId, [{ action: "budget.set", target: { type: "team", id: team.id }, details: { ...b } }]);
    return c.json(budgetView(team.id, status), 200);
  })
  .openapi(reserveRoute, async (c) => {
    authorize(c, "budgets:use");
    const b = c.req.valid("json");
    const me = c.var.principal;
    const key = c.req.header("idempotency-key") ?? b.idempotency_key;
    if (!key) fail({ kind: "validation", detail: "Invalid header.idempotency-key.", issues: [{ path: "header.idempotency-key", message: "send an Idempotency-Key header (or idempotency_key)", code: "required" }] });
    const team = await findTeam(database(c.env), me.orgId, b.team_id);
    const result = await reserveWithCeiling(ledgersOf(c.env, team.orgId, team.id), {
      // Keys are per principal: one caller's retry can never collide with another's.
      idempotencyKey: `${me.id}:${key}`,
      micros: b.estimate_micros,
      tokens: b.estimate_tokens,
      user: me.kind === "user" ? me.id : null,
      repo: b.repo ?? null,
      agent: me.kind === "user" ? (b.agent ?? null) : me.id,
      ttlSeconds: b.ttl_seconds,
    });
    if (!result.ok) return refusalToProblem(result);
    if (result.softLimitCrossed) await softLimitCrossed(c, team.orgId, team.id);
    return c.json(reservationView(team.id, result.reservation, result.replayed), result.replayed ? 200 : 201);
  })
  .openapi(settleRoute, async (c) => {
    authorize(c, "budgets:use");
    const b = c.req.valid("json");
    const team = await findTeam(database(c.env), c.var.principal.orgId, b.team_id);
    await ownReservation(c, team.id, b.reservation_id);
    const result = await settleWithCeiling(ledgersOf(c.env, team.orgId, team.id), b.reservation_id, { micros: b.actual_micros, tokens: b.actual_tokens }, {
      orgId: team.orgId,
      teamId: team.id,
      taskId: b.task_id ?? null,
      model: b.model ?? null,
      inputTokens: b.input_tokens,
      outputTokens: b.output_tokens,
      cacheReadTokens: b.cache_read_tokens,
      cacheWriteTokens: b.cache_write_tokens,
    });
    if (!result.ok) return result.reason === "not_found" ? notFound("reservation") : conflict(`The reservation was ${result.reason}; it can no longer be settled.`);
    if (result.softLimitCrossed) await softLimitCrossed(c, team.orgId, team.id);
    return c.json(reservationView(team.id, result.reservation), 200);
  })
  .openapi(increaseRoute, async (c) => {
    const me = c.var.principal;
    const team = await findTeam(database(c.env), me.orgId, c.req.valid("param").team_id);
    authorize(c, "budgets:request_increase", team.id);
    const b = c.req.valid("json");
    const { config, window } = await budgetLedger(c.env, team.id).status();
    // Only a limit that exists can be raised; an unlimited dimension needs no approval.
    const missing =
      b.add_micros > 0 && config?.limitMicros == null ? "add_micros" : b.add_tokens > 0 && config?.limitTokens == null ? "add_tokens" : null;
    if (missing) {
      fail({
        kind: "validation",
        detail: `Invalid body.${missing}.`,
        issues: [{ path: `body.${missing}`, message: `the team's budget has no ${missing === "add_micros" ? "limit_micros" : "limit_tokens"} to raise`, code: "invalid" }],
      });
    }
    const what = [b.add_micros > 0 ? `+${formatUsd(b.add_micros)}` : null, b.add_tokens > 0 ? `+${b.add_tokens} tokens` : null].filter(Boolean).join(", ");
    const opened = await approvalDesk(c.env, me.orgId, team.id).open(
      {
        orgId: me.orgId,
        teamId: team.id,
        // The same ask by the same person, while it waits, is one request.
        requestHash: sha256Hex(JSON.stringify(["budget_increase", team.id, me.id, b.add_micros, b.add_tokens, window.start])),
        requesterId: me.id,
        requesterKind: me.kind,
        requesterKeyId: credentialKeyId(me.credential),
        decisionId: null,
        summary: {
          actorId: me.id,
          repo: `team:${team.slug}`,
          action: "budget_increase",
          paths: [],
          command: `${what} to ${team.name}'s budget until ${new Date(window.end).toISOString()}`,
          tool: null,
          budgetIncrease: { teamId: team.id, addMicros: b.add_micros, addTokens: b.add_tokens },
        },
        reason: b.reason,
        ticketUrl: b.ticket_url ?? null,
        settings: INCREASE_APPROVAL,
      },
      requestEvidence(c),
    );
    return c.json(approvalView(opened.approval), opened.created ? 201 : 200);
  })
  .openapi(releaseRoute, async (c) => {
    authorize(c, "budgets:use");
    const b = c.req.valid("json");
    const team = await findTeam(database(c.env), c.var.principal.orgId, b.team_id);
    await ownReservation(c, team.id, b.reservation_id);
    const result = await releaseWithCeiling(ledgersOf(c.env, team.orgId, team.id), b.reservation_id);
    if (!result.ok) return result.reason === "not_found" ? notFound("reservation") : conflict("The reservation is settled; it can no longer be released.");
    return c.json(reservationView(team.id, result.reservation), 200);
  });
