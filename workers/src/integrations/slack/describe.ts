// An approval as Slack shows it: with the team's and the requester's names resolved.
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { principals, teams } from "../../db/schema";
import type { Approval } from "../../domain/approvals/approval";
import type { ApprovalForSlack } from "./views";

export async function describeApproval(
  db: Db,
  approval: Pick<Approval, "id" | "teamId" | "requesterId" | "summary" | "reason" | "ticketUrl" | "expiresAt" | "quorum" | "votes">,
): Promise<{ view: ApprovalForSlack; webhook: string | null }> {
  const [teamRows, requesterRows] = await db.batch([
    db.select({ name: teams.name, webhook: teams.slackWebhookUrl }).from(teams).where(eq(teams.id, approval.teamId ?? "")),
    db.select({ name: principals.name }).from(principals).where(eq(principals.id, approval.requesterId)),
  ]);
  return {
    webhook: teamRows[0]?.webhook ?? null,
    view: {
      id: approval.id,
      team_name: teamRows[0]?.name ?? "(no team)",
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
    },
  };
}
