// Posts a new approval request to its team's Slack channel (the team's incoming-webhook
// URL), with Approve / Deny buttons that come back to /v1/slack/interactions. Best effort:
// an approval never depends on Slack being reachable.
import { eq } from "drizzle-orm";
import type { Env } from "../../env";
import { database } from "../../db/client";
import { principals, teams } from "../../db/schema";
import type { Approval } from "../../domain/approvals/approval";
import { approvalRequestMessage } from "./messages";

/** Hosts an incoming-webhook URL may point at (SLACK_WEBHOOK_HOSTS, comma-separated). */
export function webhookHostAllowed(env: Pick<Env, "SLACK_WEBHOOK_HOSTS">, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const hosts = (env.SLACK_WEBHOOK_HOSTS || "hooks.slack.com").split(",").map((h) => h.trim()).filter(Boolean);
  const loopback = parsed.hostname === "127.0.0.1" || parsed.hostname === "localhost";
  const schemeOk = parsed.protocol === "https:" || (parsed.protocol === "http:" && loopback);
  return schemeOk && hosts.includes(parsed.hostname);
}

export async function notifyNewApproval(env: Env, approval: Approval): Promise<boolean> {
  if (!approval.teamId) return false;
  const db = database(env);
  const [teamRows, requesterRows] = await db.batch([
    db.select({ name: teams.name, webhook: teams.slackWebhookUrl }).from(teams).where(eq(teams.id, approval.teamId)),
    db.select({ name: principals.name }).from(principals).where(eq(principals.id, approval.requesterId)),
  ]);
  const team = teamRows[0];
  if (!team?.webhook || !webhookHostAllowed(env, team.webhook)) return false;
  const message = approvalRequestMessage({
    id: approval.id,
    team_name: team.name,
    requester_name: requesterRows[0]?.name ?? approval.requesterId,
    action: approval.summary.action,
    repo: approval.summary.repo,
    command: approval.summary.command,
    paths: approval.summary.paths,
    reason: approval.reason,
    ticket_url: approval.ticketUrl,
    expires_at: approval.expiresAt,
    approvals_needed: approval.quorum,
    approvals_so_far: approval.votes.filter((v) => v.vote === "approve").length,
  });
  const res = await fetch(team.webhook, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(message) });
  if (!res.ok) throw new Error(`Slack webhook answered ${res.status}`);
  return true;
}
