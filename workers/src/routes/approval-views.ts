// The approval as the API shows it.
import { z } from "@hono/zod-openapi";
import { APPROVAL_STATUSES, type Approval } from "../domain/approvals/approval";
import { Timestamp } from "./common";

export const ApprovalView = z
  .object({
    id: z.string(),
    status: z.enum(APPROVAL_STATUSES),
    team_id: z.string().nullable(),
    requester_id: z.string(),
    decision_id: z.string().nullable(),
    action: z.object({
      actor_id: z.string(),
      repo: z.string(),
      action: z.string(),
      paths: z.array(z.string()),
      command: z.string().nullable(),
      tool: z.object({ server: z.string(), name: z.string() }).nullable(),
      budget_increase: z
        .object({ team_id: z.string(), add_micros: z.number().int(), add_tokens: z.number().int() })
        .optional()
        .openapi({ description: "For a temporary budget increase: what approving it adds until the period ends." }),
    }),
    request_hash: z.string(),
    reason: z.string(),
    ticket_url: z.string().nullable(),
    quorum: z.number().int(),
    approver_roles: z.array(z.string()),
    votes: z.array(z.object({ approver_id: z.string(), vote: z.enum(["approve", "deny"]), reason: z.string().nullable(), at: Timestamp })),
    created_at: Timestamp,
    expires_at: Timestamp,
    decided_at: Timestamp.nullable(),
    valid_until: Timestamp.nullable(),
  })
  .openapi("Approval");

export type ApprovalViewT = z.infer<typeof ApprovalView>;

type ApprovalLike = Pick<Approval, "id" | "status" | "teamId" | "requesterId" | "decisionId" | "summary" | "requestHash" | "reason" | "ticketUrl" | "quorum" | "approverRoles" | "votes" | "createdAt" | "expiresAt" | "decidedAt" | "validUntil">;

export const approvalView = (a: ApprovalLike): ApprovalViewT => ({
  id: a.id,
  status: a.status,
  team_id: a.teamId,
  requester_id: a.requesterId,
  decision_id: a.decisionId,
  action: {
    actor_id: a.summary.actorId,
    repo: a.summary.repo,
    action: a.summary.action,
    paths: a.summary.paths,
    command: a.summary.command,
    tool: a.summary.tool,
    ...(a.summary.budgetIncrease
      ? { budget_increase: { team_id: a.summary.budgetIncrease.teamId, add_micros: a.summary.budgetIncrease.addMicros, add_tokens: a.summary.budgetIncrease.addTokens } }
      : {}),
  },
  request_hash: a.requestHash,
  reason: a.reason,
  ticket_url: a.ticketUrl,
  quorum: a.quorum,
  approver_roles: a.approverRoles,
  votes: a.votes.map((v) => ({ approver_id: v.approverId, vote: v.vote, reason: v.reason, at: v.at })),
  created_at: a.createdAt,
  expires_at: a.expiresAt,
  decided_at: a.decidedAt,
  valid_until: a.validUntil,
});
