// Response shapes (zod, for OpenAPI) and the functions that turn D1 rows into them.
// Secrets never appear here: an API key's secret is only in the create response.
import { z } from "@hono/zod-openapi";
import type { ApiKeyRow, OidcIssuerRow, OrgRow, PrincipalRow, RepoRow, TeamRow } from "../db/schema";
import { ORG_ROLES, PRINCIPAL_KINDS, TEAM_ROLES } from "../domain/authz/roles";
import { Timestamp } from "./common";
import { CANONICAL_PATH_MESSAGE, isCanonicalRepoPath } from "../domain/policy/patterns";

export const OrgView = z
  .object({ id: z.string(), slug: z.string(), name: z.string(), created_at: Timestamp })
  .openapi("Org");
export const orgView = (o: OrgRow): z.infer<typeof OrgView> => ({ id: o.id, slug: o.slug, name: o.name, created_at: o.createdAt });

export const PrincipalView = z
  .object({
    id: z.string(),
    kind: z.enum(PRINCIPAL_KINDS),
    email: z.string().nullable(),
    name: z.string(),
    org_role: z.enum(ORG_ROLES),
    status: z.enum(["active", "removed"]),
    created_at: Timestamp,
  })
  .openapi("Principal");
export const principalView = (p: PrincipalRow): z.infer<typeof PrincipalView> => ({
  id: p.id,
  kind: p.kind,
  email: p.email,
  name: p.name,
  org_role: p.orgRole,
  status: p.status,
  created_at: p.createdAt,
});

export const TeamView = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    archived_at: Timestamp.nullable(),
    slack_channel: z.boolean().openapi({ description: "Whether approval requests post to a Slack channel (the URL itself is a secret)." }),
    created_at: Timestamp,
  })
  .openapi("Team");
export const teamView = (t: TeamRow): z.infer<typeof TeamView> => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  archived_at: t.archivedAt,
  slack_channel: t.slackWebhookUrl !== null,
  created_at: t.createdAt,
});

export const TeamMemberView = z
  .object({ team_id: z.string(), principal: PrincipalView, role: z.enum(TEAM_ROLES), added_at: Timestamp })
  .openapi("TeamMember");

export const PathScopeSchema = z
  .object({
    path: z.string().trim().min(1).max(300).refine(isCanonicalRepoPath, CANONICAL_PATH_MESSAGE),
    read: z.array(z.enum([...ORG_ROLES, ...TEAM_ROLES.filter((r) => r !== "member")])).max(8),
    write: z.array(z.enum([...ORG_ROLES, ...TEAM_ROLES.filter((r) => r !== "member")])).max(8),
  })
  .strict()
  .openapi("PathScope");

export const RepoView = z
  .object({
    id: z.string(),
    team_id: z.string(),
    name: z.string(),
    url: z.string().nullable(),
    default_branch: z.string(),
    path_scopes: z.array(PathScopeSchema),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Repo");
export const repoView = (r: RepoRow): z.infer<typeof RepoView> => ({
  id: r.id,
  team_id: r.teamId,
  name: r.name,
  url: r.url,
  default_branch: r.defaultBranch,
  path_scopes: r.pathScopes as z.infer<typeof PathScopeSchema>[],
  created_at: r.createdAt,
  updated_at: r.updatedAt,
});

export const ApiKeyView = z
  .object({
    id: z.string(),
    principal_id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The visible part of the key, `sysop_<key id>`." }),
    scopes: z.array(z.string()),
    expires_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable(),
    created_by: z.string(),
    created_at: Timestamp,
  })
  .openapi("ApiKey");
export const apiKeyView = (k: ApiKeyRow): z.infer<typeof ApiKeyView> => ({
  id: k.id,
  principal_id: k.principalId,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  expires_at: k.expiresAt,
  revoked_at: k.revokedAt,
  last_used_at: k.lastUsedAt,
  created_by: k.createdBy,
  created_at: k.createdAt,
});

export const NewApiKeyView = ApiKeyView.extend({
  key: z.string().openapi({ description: "The whole key. Shown once; sysop keeps only its SHA-256." }),
}).openapi("NewApiKey");

export const OidcIssuerView = z
  .object({
    id: z.string(),
    issuer: z.string(),
    audience: z.string(),
    email_claim: z.string(),
    key_ids: z.array(z.string()),
    created_at: Timestamp,
  })
  .openapi("OidcIssuer");
export const oidcIssuerView = (o: OidcIssuerRow): z.infer<typeof OidcIssuerView> => ({
  id: o.id,
  issuer: o.issuer,
  audience: o.audience,
  email_claim: o.emailClaim,
  key_ids: o.jwks.keys.map((k) => (k as { kid?: string }).kid ?? "(no kid)"),
  created_at: o.createdAt,
});
