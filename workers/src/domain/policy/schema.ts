// The policy document as a zod schema: what an admin may write, with every field checked
// before a version is stored. The same schema feeds the OpenAPI document.
import { z } from "@hono/zod-openapi";
import { ACTION_KINDS, EFFECTS, RISK_LEVELS, WEEKDAYS } from "./types";
import { isValidTimezone } from "./time-window";
import { CANONICAL_PATH_MESSAGE, isCanonicalRepoPath } from "./patterns";

const Pattern = z.string().min(1).max(300);
const List = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(100);
const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 24-hour");
const PathGlob = Pattern.refine(isCanonicalRepoPath, CANONICAL_PATH_MESSAGE);

export const RuleConditionsSchema = z
  .strictObject({
    actions: List(z.enum(ACTION_KINDS)).optional(),
    principal_kinds: List(z.enum(["user", "agent", "service"])).optional(),
    org_roles: List(z.enum(["owner", "admin", "member", "auditor", "billing"])).optional(),
    team_roles: List(z.enum(["lead", "member"])).optional(),
    teams: List(z.string().regex(/^team_[a-z2-7]{1,40}$/, "a team_… id")).optional(),
    principals: List(z.string().regex(/^(usr|agt|svc)_[a-z2-7]{1,40}$/, "a usr_/agt_/svc_ id")).optional(),
    repos: List(Pattern).optional(),
    paths: List(PathGlob).optional(),
    commands: List(Pattern).optional(),
    mcp_servers: List(Pattern).optional(),
    mcp_tools: List(Pattern).optional(),
    models: List(Pattern).optional(),
    min_estimated_tokens: z.number().int().min(0).optional(),
    max_estimated_tokens: z.number().int().min(0).optional(),
    risk: List(z.enum(RISK_LEVELS)).optional(),
    time_window: z
      .strictObject({
        days: z.array(z.enum(WEEKDAYS)).max(7).optional(),
        start: Clock,
        end: Clock,
        timezone: z.string().max(64).refine(isValidTimezone, "an IANA time zone such as Europe/Berlin").optional(),
      })
      .refine((w) => w.start !== w.end, "start and end must differ")
      .optional(),
    context_trust: z.enum(["trusted", "untrusted"]).optional(),
  })
  .refine(
    (w) => w.min_estimated_tokens === undefined || w.max_estimated_tokens === undefined || w.min_estimated_tokens <= w.max_estimated_tokens,
    "min_estimated_tokens must not exceed max_estimated_tokens",
  )
  .openapi("RuleConditions");

export const ApprovalSettingsSchema = z
  .strictObject({
    quorum: z.number().int().min(1).max(10).optional(),
    approver_roles: z.array(z.enum(["owner", "admin", "member", "auditor", "billing", "lead"])).min(1).max(6).optional(),
    expires_in_minutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
    valid_for_minutes: z.number().int().min(1).max(24 * 60).optional(),
    deny_by_any: z.boolean().optional(),
  })
  .openapi("ApprovalSettings");

export const PolicyRuleSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, "letters, digits and _ . : -, at most 64"),
    effect: z.enum(EFFECTS),
    reason: z.string().trim().min(1).max(500),
    when: RuleConditionsSchema.default({}),
    approval: ApprovalSettingsSchema.optional(),
  })
  .refine((r) => r.approval === undefined || r.effect === "ask", { message: "only ask rules take approval settings", path: ["approval"] })
  .openapi("PolicyRule");

export const MAX_RULES_PER_DOCUMENT = 2000;

export const PolicyDocumentSchema = z
  .strictObject({
    default_effect: z.enum(EFFECTS).optional(),
    approvals: ApprovalSettingsSchema.optional(),
    rules: z.array(PolicyRuleSchema).max(MAX_RULES_PER_DOCUMENT),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    doc.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `duplicate rule id ${r.id}` });
      seen.add(r.id);
    });
  })
  .openapi("PolicyDocument");
