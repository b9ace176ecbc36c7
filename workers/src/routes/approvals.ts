// Approvals: open one for an action (POST /v1/approvals), see what waits for you, and
// approve, deny or cancel. The team's ApprovalDesk decides every transition; the route
// checks the credential and turns the desk's refusals into problems.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { newRouter } from "../http/router";
import type { AppEnv } from "../http/app-env";
import { authorize } from "../http/authorize";
import { database } from "../db/client";
import { findApprovalRow, listApprovals } from "../db/approvals";
import { conflict, forbidden, notFound, unauthenticated } from "../domain/errors";
import { APPROVAL_STATUSES, mayApprove, type Approval } from "../domain/approvals/approval";
import { credentialKeyId } from "../auth/principal";
import { requestEvidence } from "../audit/record";
import { approvalDesk } from "../governance/desk";
import { voterFor, waitingApprovals } from "../governance/waiting-approvals";
import { decide } from "../governance/decision-input";
import { DecisionRequest } from "./decisions";
import { ApprovalView, approvalView } from "./approval-views";
import { defineRoute, json, jsonBody } from "./common";

const ApprovalCreate = DecisionRequest.extend({
  reason: z.string().trim().min(1).max(2000).openapi({ description: "Why the action is needed, for the approvers." }),
  ticket_url: z.url({ protocol: /^https$/ }).max(500).optional(),
}).openapi("ApprovalCreate");

const ApprovalIdParams = z.object({
  approval_id: z.string().regex(/^apr_[a-z2-7]{1,40}$/, "must be an apr_… id").openapi({ param: { name: "approval_id", in: "path" } }),
});
const VoteBody = z.strictObject({ reason: z.string().trim().min(1).max(2000).optional() }).openapi("ApprovalVote");
const DenyBody = z.strictObject({ reason: z.string().trim().min(1).max(2000) }).openapi("ApprovalDeny");

const ListQuery = z.object({
  status: z.enum(APPROVAL_STATUSES).optional().openapi({ param: { name: "status", in: "query" } }),
  view: z
    .enum(["waiting", "mine", "all"])
    .default("waiting")
    .openapi({ param: { name: "view", in: "query" }, description: "waiting: what you may approve now; mine: what you asked for; all: everything you may read" }),
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ param: { name: "limit", in: "query" } }),
});

const createRoute = defineRoute({
  method: "post",
  path: "/approvals",
  tags: ["governance"],
  summary: "Ask for approval of an action that policy answers with ask",
  access: "approvals:write",
  request: { body: jsonBody(ApprovalCreate) },
  responses: { 201: json(ApprovalView, "The approval request (or the one already waiting for the same action)") },
});

const listRoute = defineRoute({
  method: "get",
  path: "/approvals",
  tags: ["governance"],
  summary: "Approval requests: by default the pending ones you may approve",
  access: "approvals:read",
  request: { query: ListQuery },
  responses: { 200: json(z.object({ data: z.array(ApprovalView) }).openapi("ApprovalList"), "Approvals, newest first") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/approvals/{approval_id}",
  tags: ["governance"],
  summary: "One approval request with its votes",
  access: "approvals:read",
  request: { params: ApprovalIdParams },
  responses: { 200: json(ApprovalView, "The approval") },
});

const approveRoute = defineRoute({
  method: "post",
  path: "/approvals/{approval_id}/approve",
  tags: ["governance"],
  summary: "Approve (counts toward the quorum; never your own request)",
  access: "approvals:write",
  request: { params: ApprovalIdParams, body: { required: false, content: { "application/json": { schema: VoteBody } } } },
  responses: { 200: json(ApprovalView, "The approval after your vote") },
});

const denyRoute = defineRoute({
  method: "post",
  path: "/approvals/{approval_id}/deny",
  tags: ["governance"],
  summary: "Deny, with a reason",
  access: "approvals:write",
  request: { params: ApprovalIdParams, body: jsonBody(DenyBody) },
  responses: { 200: json(ApprovalView, "The approval after your vote") },
});

const cancelRoute = defineRoute({
  method: "post",
  path: "/approvals/{approval_id}/cancel",
  tags: ["governance"],
  summary: "Withdraw a pending request (its requester, or anyone who may approve it)",
  access: "approvals:write",
  request: { params: ApprovalIdParams },
  responses: { 200: json(ApprovalView, "The cancelled approval") },
});

function approverOf(c: Context<AppEnv>, teamId: string | null) {
  const p = c.var.principal;
  return { ...voterFor(p, teamId), kind: p.kind, keyId: credentialKeyId(p.credential) };
}

async function loadApproval(c: Context<AppEnv>, id: string): Promise<Approval> {
  const row = (await findApprovalRow(database(c.env), c.var.principal.orgId, id)) ?? notFound("approval");
  return (await approvalDesk(c.env, row.orgId, row.teamId).get(row.id)) ?? notFound("approval");
}

async function vote(c: Context<AppEnv>, id: string, choice: "approve" | "deny", reason: string | null) {
  authorize(c, "approvals:write");
  const approval = await loadApproval(c, id);
  const result = await approvalDesk(c.env, approval.orgId, approval.teamId).vote(id, approverOf(c, approval.teamId), choice, reason, requestEvidence(c));
  if (result.ok) return result.approval;
  switch (result.reason) {
    case "not_found":
      return notFound("approval");
    case "self_approval":
      return forbidden("Nobody may approve or deny their own request.");
    case "role_not_allowed":
      return forbidden(`This approval needs one of: ${approval.approverRoles.join(", ")}.`);
    case "already_voted":
      return conflict("You have already voted on this request.");
    case "expired":
      return conflict("The request has expired.");
    case "not_pending":
      return conflict(`The request is already ${result.approval?.status ?? "closed"}.`);
  }
}

export const approvalRoutes = newRouter()
  .openapi(createRoute, async (c) => {
    authorize(c, "approvals:write");
    const body = c.req.valid("json");
    const answer = await decide(c, body, { approvalRequest: { reason: body.reason, ticketUrl: body.ticket_url ?? null } });
    if ("refused" in answer) {
      if (answer.refused === "unknown_team") return notFound("team");
      if (answer.refused === "stale_credential") return unauthenticated("The credential changed while asking; try again.");
      if (answer.refused === "denied_by_policy") return forbidden(`Policy denies this action, so no approval can allow it: ${answer.reason}`);
      return conflict(`Policy already allows this action; no approval is needed (${answer.reason}).`);
    }
    return c.json(approvalView(answer.approval!), 201);
  })
  .openapi(listRoute, async (c) => {
    authorize(c, "approvals:read");
    const q = c.req.valid("query");
    const me = c.var.principal;
    // The projection lags the desk by nothing but its own write; expiry is applied here too.
    const db = database(c.env);
    if (q.view === "waiting") return c.json({ data: (await waitingApprovals(db, me.orgId, me, q.limit)).map(approvalView) }, 200);
    const now = Date.now();
    const visible = (await listApprovals(db, me.orgId, q.status, q.view === "all" ? q.limit : 500))
      // The desk expires by alarm; a row read in between already says expired.
      .map((r) => (r.status === "pending" && Date.parse(r.expiresAt) <= now ? { ...r, status: "expired" as const } : r))
      .filter((r) => q.view === "all" || r.requesterId === me.id || r.summary.actorId === me.id)
      .slice(0, q.limit);
    return c.json({ data: visible.map(approvalView) }, 200);
  })
  .openapi(getRoute, async (c) => {
    authorize(c, "approvals:read");
    return c.json(approvalView(await loadApproval(c, c.req.valid("param").approval_id)), 200);
  })
  .openapi(approveRoute, async (c) => {
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof VoteBody>;
    return c.json(approvalView(await vote(c, c.req.valid("param").approval_id, "approve", body.reason ?? null)), 200);
  })
  .openapi(denyRoute, async (c) => {
    return c.json(approvalView(await vote(c, c.req.valid("param").approval_id, "deny", c.req.valid("json").reason)), 200);
  })
  .openapi(cancelRoute, async (c) => {
    authorize(c, "approvals:write");
    const approval = await loadApproval(c, c.req.valid("param").approval_id);
    const me = approverOf(c, approval.teamId);
    if (approval.requesterId !== me.id && !mayApprove(approval, me)) forbidden("Only the requester, or someone who may approve it, can cancel a request.");
    const result = await approvalDesk(c.env, approval.orgId, approval.teamId).cancel(approval.id, { id: me.id, kind: me.kind, keyId: me.keyId }, requestEvidence(c));
    if (!result.ok) return result.reason === "not_found" ? notFound("approval") : conflict(`The request is already ${approval.status}.`);
    return c.json(approvalView(result.approval), 200);
  });

