// POST /v1/decisions: an agent asks "may I?" before it acts, and gets allow, ask or deny
// with the rules that decided and the policy versions in force. The org's DecisionDesk
// evaluates and records the decision as evidence; this route validates and says who asks.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { authorize } from "../http/authorize";
import { notFound, unauthenticated } from "../domain/errors";
import { ACTION_KINDS, EFFECTS, POLICY_LAYERS, RISK_LEVELS } from "../domain/policy/types";
import { decide } from "../governance/decision-input";
import { CANONICAL_PATH_MESSAGE, isCanonicalRepoPath } from "../domain/policy/patterns";
import { ApprovalView, approvalView } from "./approval-views";
import { defineRoute, json, jsonBody, PrincipalId, TeamId } from "./common";

const RepoPath = z.string().min(1).max(1000).refine(isCanonicalRepoPath, CANONICAL_PATH_MESSAGE);

export const DecisionRequest = z
  .strictObject({
    repo: z.string().trim().min(1).max(200).regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "a repo name like owner/name"),
    team: TeamId.optional().openapi({ description: "The team the work is for; defaults to the repo's team." }),
    actor: PrincipalId.optional().openapi({ description: "Who the action is for; defaults to the caller. Only agents and services may ask for someone else." }),
    action: z.enum(ACTION_KINDS),
    paths: z.array(RepoPath).max(100).default([]),
    command: z.string().max(4000).optional(),
    tool: z.strictObject({ server: z.string().min(1).max(200), name: z.string().min(1).max(200) }).optional(),
    model: z.string().min(1).max(200).optional().openapi({ description: "For model_call: the model id." }),
    estimated_tokens: z.number().int().min(0).max(100_000_000).optional(),
    risk: z.enum(RISK_LEVELS).optional().openapi({ description: "The agent's own view; sysop uses the higher of this and what the action implies." }),
    context_trust: z.enum(["trusted", "untrusted"]).optional().openapi({ description: "Whether untrusted content is in the agent's context; unknown counts as untrusted." }),
    client: z
      .strictObject({ kind: z.string().max(50), session_id: z.string().max(200).optional(), tool_name: z.string().max(200).optional() })
      .optional()
      .openapi({ description: "What is asking (e.g. the Claude Code hook), kept as evidence." }),
  })
  .openapi("DecisionRequest");

const MatchedRuleView = z.object({ id: z.string(), effect: z.enum(EFFECTS), reason: z.string(), layer: z.enum([...POLICY_LAYERS, "path_scope", "default", "approval"]) });

export const DecisionResponse = z
  .object({
    decision_id: z.string(),
    decision: z.enum(EFFECTS),
    reason: z.string(),
    matched_rules: z.array(MatchedRuleView),
    policy_versions: z.record(z.string(), z.number().int()),
    request_hash: z.string(),
    risk: z.enum(RISK_LEVELS),
    team_id: z.string().nullable(),
    repo_registered: z.boolean(),
    approval: ApprovalView.nullable().openapi({ description: "For ask: the approval request (opened, or the one already waiting); for an allow by approval: that approval." }),
  })
  .openapi("Decision");

const decideRoute = defineRoute({
  method: "post",
  path: "/decisions",
  tags: ["governance"],
  summary: "Ask whether an action may happen: allow, ask (needs approval) or deny, with the rules that decided",
  access: "decisions:write",
  request: { body: jsonBody(DecisionRequest) },
  responses: { 200: json(DecisionResponse, "The decision, recorded as evidence") },
});

export const decisionRoutes = newRouter().openapi(decideRoute, async (c) => {
  authorize(c, "decisions:write");
  const answer = await decide(c, c.req.valid("json"));
  if ("refused" in answer) return answer.refused === "stale_credential" ? unauthenticated("The credential changed while asking; try again.") : notFound("team");
  return c.json(
    {
      decision_id: answer.decisionId,
      decision: answer.decision,
      reason: answer.reason,
      matched_rules: answer.matchedRules,
      policy_versions: answer.policyVersions,
      request_hash: answer.requestHash,
      risk: answer.risk,
      team_id: answer.teamId,
      repo_registered: answer.repoRegistered,
      approval: answer.approval ? approvalView(answer.approval) : null,
    },
    200,
  );
});
