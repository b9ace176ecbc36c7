// Posts a new approval request to its team's Slack channel (the team's incoming-webhook
// URL), with Approve / Deny buttons that come back to /v1/slack/interactions. Best effort:
// an approval never depends on Slack being reachable.
import { eq } from "drizzle-orm";
import type { Env } from "../../env";
import { teams } from "../../db/schema";
import { database } from "../../db/client";
import type { Approval } from "../../domain/approvals/approval";
import { approvalRequestMessage } from "./messages";
import { describeApproval } from "./describe";
import { escapeMrkdwn } from "./mrkdwn";

/** Hosts an incoming-webhook or response URL may point at (SLACK_WEBHOOK_HOSTS): no SSRF. */
export function webhookHostAllowed(env: Pick<Env, "SLACK_WEBHOOK_HOSTS">, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const hosts = (env.SLACK_WEBHOOK_HOSTS || "hooks.slack.com").split(",").map((h) => h.trim()).filter(Boolean);
  return parsed.protocol === "https:" && parsed.port === "" && hosts.includes(parsed.hostname);
}

/** The URL actually posted to: the same path on SLACK_HOOKS_BASE (Slack itself, or a test fake). */
export function hookTarget(env: Pick<Env, "SLACK_HOOKS_BASE">, url: string): string {
  const u = new URL(url);
  return `${(env.SLACK_HOOKS_BASE || "https://hooks.slack.com").replace(/\/$/, "")}${u.pathname}${u.search}`;
}

export async function postToSlack(env: Pick<Env, "SLACK_HOOKS_BASE">, url: string, message: unknown): Promise<void> {
  const res = await fetch(hookTarget(env, url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(message) });
  if (!res.ok) throw new Error(`Slack answered ${res.status}`);
}

export async function notifyNewApproval(env: Env, approval: Approval): Promise<boolean> {
  if (!approval.teamId) return false;
  const { view, webhook } = await describeApproval(database(env), approval);
  if (!webhook || !webhookHostAllowed(env, webhook)) return false;
  await postToSlack(env, webhook, approvalRequestMessage(view));
  return true;
}

/** A plain notice to a team's channel (budget alerts); false when the team has no channel. */
export async function notifyTeam(env: Env, teamId: string, text: string): Promise<boolean> {
  const team = (await database(env).select({ webhook: teams.slackWebhookUrl }).from(teams).where(eq(teams.id, teamId)))[0];
  if (!team?.webhook || !webhookHostAllowed(env, team.webhook)) return false;
  await postToSlack(env, team.webhook, { text: escapeMrkdwn(text) });
  return true;
}
