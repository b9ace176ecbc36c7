// Slack: the /sysop slash command and the Approve / Deny buttons. Both authenticate by
// Slack's signature (not a bearer credential), find the org by its Slack workspace and the
// sysop user by email, and then act exactly as the API would, with the same evidence.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import { newRouter } from "../http/router";
import type { AppEnv } from "../http/app-env";
import { database, type Db } from "../db/client";
import { findApprovalRow } from "../db/approvals";
import { loadActivePrincipal, type LoadedPrincipal } from "../db/principals";
import { loadPolicySet, versionKey } from "../db/policy-set";
import { and } from "drizzle-orm";
import { orgs, repos, teams, type OrgRow } from "../db/schema";
import { fail, SysopError } from "../domain/errors";
import { problemFor } from "../http/problem";
import { clientIp } from "../http/client-ip";
import { principalFrom } from "../middleware/auth";
import { parseTaskRequest, submitTask } from "./tasks";
import { roleAllows } from "../domain/authz/roles";
import { approvalDesk } from "../governance/desk";
import { voterFor, waitingApprovals } from "../governance/waiting-approvals";
import type { Evidence } from "../../../durable-objects/approval-desk";
import { verifiedSlackBody } from "../integrations/slack/verify-request";
import { parseSysopCommand } from "../integrations/slack/commands";
import { parseInteractionForm, parseSlashCommandForm } from "../integrations/slack/payloads";
import { APPROVE_ACTION_ID, DENY_ACTION_ID, approvalUpdatedMessage, approvalsListMessage, channelMessage, helpMessage, policySummaryMessage, resultMessage } from "../integrations/slack/messages";
import { metricsReport, rankedPriorities } from "../governance/outcomes";
import { slackUserPrincipal } from "../integrations/slack/users";
import { describeApproval } from "../integrations/slack/describe";
import { postToSlack, webhookHostAllowed } from "../integrations/slack/notify";
import { defineRoute, ERROR_RESPONSES } from "./common";

// The bodies are Slack's signed application/x-www-form-urlencoded forms; they are read raw
// (the signature covers the exact bytes) and parsed after verification, not by the router.
const commandRoute = defineRoute({
  method: "post",
  path: "/slack/commands",
  tags: ["slack"],
  summary: "The /sysop slash command (help, approvals, approve, deny, policy, task, priorities, metrics)",
  access: "slack_signature",
  responses: { 200: { description: "A Slack message (ephemeral)", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } }, 503: ERROR_RESPONSES[401] },
});
const interactionRoute = defineRoute({
  method: "post",
  path: "/slack/interactions",
  tags: ["slack"],
  summary: "Approve / Deny buttons on approval messages",
  access: "slack_signature",
  responses: { 200: { description: "Received; the message is updated through its response_url" }, 503: ERROR_RESPONSES[401] },
});

const slackEvidence = (c: Context<AppEnv>): Evidence => ({ requestId: c.var.requestId, ip: clientIp(c), userAgent: "Slack" });

async function orgForWorkspace(db: Db, slackTeamId: string | undefined): Promise<OrgRow | null> {
  if (!slackTeamId) return null;
  return (await db.select().from(orgs).where(eq(orgs.slackTeamId, slackTeamId)))[0] ?? null;
}

async function slackPrincipal(c: Context<AppEnv>, db: Db, org: OrgRow, slackUserId: string): Promise<LoadedPrincipal | null> {
  const id = await slackUserPrincipal(c.env, db, org, slackUserId);
  return id ? loadActivePrincipal(db, org.id, id) : null;
}

async function castFromSlack(c: Context<AppEnv>, db: Db, org: OrgRow, who: LoadedPrincipal, approvalId: string, vote: "approve" | "deny", reason: string | null) {
  if (!roleAllows({ orgRole: who.row.orgRole, teamRoles: who.teamRoles }, "approvals:write")) return { text: "Your role does not let you vote on approvals." };
  const row = await findApprovalRow(db, org.id, approvalId);
  if (!row) return { text: `No approval ${approvalId} in ${org.name}.` };
  const voter = { ...voterFor({ id: who.row.id, orgRole: who.row.orgRole, teamRoles: who.teamRoles }, row.teamId), kind: who.row.kind, keyId: null };
  const result = await approvalDesk(c.env, org.id, row.teamId).vote(approvalId, voter, vote, reason, slackEvidence(c));
  if (!result.ok) {
    const why: Record<string, string> = {
      self_approval: "nobody may approve or deny their own request",
      role_not_allowed: `this approval needs one of: ${row.approverRoles.join(", ")}`,
      already_voted: "you have already voted",
      expired: "it has expired",
      not_pending: `it is already ${result.approval?.status ?? "closed"}`,
      not_found: "it does not exist",
    };
    return { text: `Could not ${vote} ${approvalId}: ${why[result.reason]}.`, approval: result.approval };
  }
  const said = result.outcome === "approved" ? "approved" : result.outcome === "denied" ? "denied" : `recorded (${result.approval.votes.filter((v) => v.vote === "approve").length} of ${result.approval.quorum})`;
  return { text: `${approvalId} ${said}.`, approval: result.approval, outcome: result.outcome };
}

async function policySummary(db: Db, org: OrgRow, repoName: string) {
  const set = await loadPolicySet(db, org.id);
  const repo = set.repos.find((r) => r.name === repoName);
  const team = repo ? (await db.select({ name: teams.name }).from(teams).where(eq(teams.id, repo.teamId)))[0] : undefined;
  const layerOf = (layer: "org" | "team" | "repo", targetId: string | undefined, name: string) => {
    const p = targetId ? set.policies.find((x) => versionKey(x) === versionKey({ layer, targetId })) : undefined;
    return { layer, name, version: p?.version ?? null, default_effect: layer === "org" ? (p?.document.default_effect ?? "ask") : null, rules: p?.document.rules.map((r) => ({ id: r.id, effect: r.effect, reason: r.reason })) ?? [] };
  };
  return policySummaryMessage({
    repo: repoName,
    layers: [layerOf("org", org.id, org.name), ...(repo ? [layerOf("team", repo.teamId, team?.name ?? repo.teamId), layerOf("repo", repo.id, repo.name)] : [])],
  });
}

/** Slack's default for a task's hold when the person does not say: a mid-sized agent run. */
const SLACK_TASK_ESTIMATED_TOKENS = 200_000;

/**
 * `/sysop task <repo> <goal>`: an agent_run on the repo's default branch, paid by the repo's
 * team (or the person's only team), created exactly as POST /v1/tasks would for this member.
 */
async function taskFromSlack(c: Context<AppEnv>, db: Db, org: OrgRow, who: LoadedPrincipal, slackUserId: string, repo: string, goal: string): Promise<string> {
  if (!roleAllows({ orgRole: who.row.orgRole, teamRoles: who.teamRoles }, "tasks:write")) return "Your role does not let you create tasks.";
  const registered = (await db.select({ teamId: repos.teamId }).from(repos).where(and(eq(repos.orgId, org.id), eq(repos.name, repo))))[0];
  const mine = Object.keys(who.teamRoles);
  const teamId = registered?.teamId ?? (mine.length === 1 ? mine[0] : undefined);
  if (!teamId) return `Which team pays for work on ${repo}? Register the repo to a team (POST /v1/repos) or create the task through the API with team_id.`;
  c.set("principal", principalFrom(who, org.id, ["*"], { type: "slack", userId: slackUserId }, Date.now(), false));
  const parsed = parseTaskRequest({ team_id: teamId, repo, ref: "main", kind: "agent_run", goal, estimated_tokens: SLACK_TASK_ESTIMATED_TOKENS });
  if (!parsed.success) return `That task is not valid: ${parsed.error.issues.map((i) => i.message).join("; ")}`;
  // One key per signed request (the signature covers timestamp and text): a replayed request
  // cannot make a second task, two different commands never share a key.
  const key = `slack:${c.req.header("x-slack-signature") ?? `${Date.now()}:${slackUserId}`}`;
  try {
    const { task } = await submitTask(c, parsed.data, key);
    const state = task.status === "awaiting_approval" ? `waiting for approval ${task.approvalId}` : task.status === "failed" ? `failed: ${task.statusReason}` : task.status;
    return `Task ${task.id} on ${repo}: ${state}.`;
  } catch (err) {
    if (err instanceof SysopError) return `Could not create the task: ${problemFor(err.failure).detail}`;
    throw err;
  }
}

/** The person's own team when they are in exactly one; else the org as a whole. */
const onlyTeam = (who: LoadedPrincipal) => {
  const teams = Object.keys(who.teamRoles);
  return teams.length === 1 ? teams[0]! : null;
};

/** `/sysop priorities`: the top five for the person's team (or the org), in the channel. */
async function prioritiesFromSlack(db: Db, org: OrgRow, who: LoadedPrincipal) {
  if (!roleAllows({ orgRole: who.row.orgRole, teamRoles: who.teamRoles }, "signals:read")) return resultMessage("Your role does not let you read priorities.");
  const teamId = onlyTeam(who);
  const { items } = await rankedPriorities(db, org.id, teamId);
  if (items.length === 0) return channelMessage("No open signals to rank yet.");
  const lines = items.slice(0, 5).map((p, i) => {
    const top = [...p.explanation].sort((a, b) => b.contribution - a.contribution)[0];
    return `${i + 1}. ${p.key.scope ?? "(unplaced)"} — ${p.key.theme}: score ${p.score}${top && top.contribution > 0 ? ` (${top.detail})` : ""}`;
  });
  return channelMessage(`Priorities${teamId ? "" : ` for ${org.name}`}:\n${lines.join("\n")}`);
}

const pct = (v: number | null) => (v === null ? "–" : `${Math.round(v * 100)}%`);
const hours = (v: number | null) => (v === null ? "–" : `${v.toFixed(1)} h`);
const usd = (v: number | null) => (v === null ? "–" : `$${(v / 1_000_000).toFixed(2)}`);

/** `/sysop metrics [team]`: the last 30 days, agent vs human, in the channel. */
async function metricsFromSlack(db: Db, org: OrgRow, who: LoadedPrincipal, team: string | undefined) {
  let teamId: string | null = null;
  if (team) {
    const found = (await db.select({ id: teams.id }).from(teams).where(and(eq(teams.orgId, org.id), team.startsWith("team_") ? eq(teams.id, team) : eq(teams.slug, team))))[0];
    if (!found) return resultMessage(`No team ${team} in ${org.name}.`);
    teamId = found.id;
  } else {
    teamId = onlyTeam(who);
  }
  if (!roleAllows({ orgRole: who.row.orgRole, teamRoles: who.teamRoles }, "metrics:read", teamId ?? undefined)) return resultMessage("Your role does not let you read these metrics.");
  const to = new Date();
  const from = new Date(to.getTime() - 30 * 86_400_000);
  const r = await metricsReport(db, org.id, teamId, from.toISOString(), to.toISOString());
  const row = (label: string, name: keyof typeof r.all, fmt: (v: number | null) => string) => `${label}: agent ${fmt(r.agent[name].value)} (n=${r.agent[name].sampleSize}) · human ${fmt(r.human[name].value)} (n=${r.human[name].sampleSize})`;
  return channelMessage(
    [
      `Outcomes, last 30 days${team ? ` (${team})` : ""}:`,
      row("Acceptance", "acceptance_rate", pct),
      row("Cycle time (median)", "cycle_time_median_hours", hours),
      row("Rework", "rework_rate", pct),
      row("Cost per accepted change", "cost_per_accepted_change_micros", usd),
      `DORA: ${r.all.deployment_frequency_per_day.value?.toFixed(2) ?? "–"} deploys/day · lead time ${hours(r.all.lead_time_for_changes_median_hours.value)} · change failure ${pct(r.all.change_failure_rate.value)} · restore ${hours(r.all.time_to_restore_median_hours.value)}`,
    ].join("\n"),
  );
}

export const slackRoutes = newRouter()
  .openapi(commandRoute, async (c) => {
    const raw = await verifiedSlackBody(c);
    const form = parseSlashCommandForm(raw);
    if (!form.ok) return fail({ kind: "validation", detail: "Invalid Slack command form.", issues: form.issues });
    const db = database(c.env);
    const org = await orgForWorkspace(db, form.command.team_id);
    if (!org) return c.json(resultMessage("This Slack workspace is not connected to a sysop org."), 200);
    const cmd = parseSysopCommand(form.command.text);
    if (cmd.kind === "help") return c.json(helpMessage(), 200);
    if (cmd.kind === "unknown") return c.json(resultMessage(cmd.hint), 200);
    const who = await slackPrincipal(c, db, org, form.command.user_id);
    if (!who) return c.json(resultMessage(`Your Slack email does not match an active member of ${org.name}.`), 200);
    switch (cmd.kind) {
      case "approvals": {
        const rows = await waitingApprovals(db, org.id, { id: who.row.id, orgRole: who.row.orgRole, teamRoles: who.teamRoles }, 20);
        const described = await Promise.all(rows.map((r) => describeApproval(db, r)));
        return c.json(approvalsListMessage(described.map((d) => d.view)), 200);
      }
      case "approve":
        return c.json(resultMessage((await castFromSlack(c, db, org, who, cmd.approvalId, "approve", null)).text), 200);
      case "deny":
        return c.json(resultMessage((await castFromSlack(c, db, org, who, cmd.approvalId, "deny", cmd.reason)).text), 200);
      case "policy":
        return c.json(await policySummary(db, org, cmd.repo), 200);
      case "task":
        return c.json(resultMessage(await taskFromSlack(c, db, org, who, form.command.user_id, cmd.repo, cmd.goal)), 200);
      case "priorities":
        return c.json(await prioritiesFromSlack(db, org, who), 200);
      case "metrics":
        return c.json(await metricsFromSlack(db, org, who, cmd.team), 200);
    }
  })
  .openapi(interactionRoute, async (c) => {
    const raw = await verifiedSlackBody(c);
    const parsed = parseInteractionForm(raw);
    if (!parsed.ok) return fail({ kind: "validation", detail: "Invalid Slack interaction payload.", issues: "issues" in parsed ? parsed.issues : [] });
    const { payload } = parsed;
    const db = database(c.env);
    const org = await orgForWorkspace(db, payload.team?.id ?? payload.user.team_id);
    const action = payload.actions.find((a) => a.action_id === APPROVE_ACTION_ID || a.action_id === DENY_ACTION_ID);
    if (!org || !action?.value) return c.body(null, 200);
    const who = await slackPrincipal(c, db, org, payload.user.id);
    const reply = async (message: unknown) => {
      if (payload.response_url && webhookHostAllowed(c.env, payload.response_url)) await postToSlack(c.env, payload.response_url, message);
    };
    if (!who) {
      await reply({ ...resultMessage(`Your Slack email does not match an active member of ${org.name}.`), replace_original: false });
      return c.body(null, 200);
    }
    const vote = action.action_id === APPROVE_ACTION_ID ? "approve" : "deny";
    const result = await castFromSlack(c, db, org, who, action.value, vote, vote === "deny" ? "Denied from Slack" : null);
    if (result.approval && "outcome" in result) {
      const { view } = await describeApproval(db, result.approval);
      const by = who.row.name;
      const outcome = result.outcome === "approved" ? { kind: "approved" as const, by } : result.outcome === "denied" ? { kind: "denied" as const, by, reason: "Denied from Slack" } : { kind: "approval_recorded" as const, by };
      await reply(approvalUpdatedMessage(view, outcome));
    } else {
      await reply({ ...resultMessage(result.text), replace_original: false });
    }
    return c.body(null, 200);
  });
