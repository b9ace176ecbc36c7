// Shared pieces of route definitions: the problem schema, standard error responses, id and
// pagination parameters, and `defineRoute`, which adds security and the permission a route
// needs (`x-sysop-permission`, read by the role-walk test) to every OpenAPI operation.
import { createRoute, z, type RouteConfig } from "@hono/zod-openapi";
import type { Permission } from "../domain/authz/roles";

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    request_id: z.string().optional(),
    issues: z.array(z.object({ path: z.string(), message: z.string(), code: z.string() })).optional(),
  })
  .openapi("Problem");

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

export const ERROR_RESPONSES = {
  400: problem("Malformed request"),
  401: problem("Missing or invalid credential"),
  403: problem("Authenticated but not allowed"),
  404: problem("Unknown, or belongs to another org"),
  409: problem("Conflicts with existing state"),
  413: problem("Body too large"),
  415: problem("Body is not JSON"),
  422: problem("Invalid input; `issues` names each bad field"),
} as const;

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** Who may call a route: a permission from the role table, or a fixed audience. */
export type RouteAccess = Permission | "public" | "authenticated" | "own_keys" | "slack_signature" | "enrolment_token" | "runner_token" | "webhook_signature";

type SysopRouteConfig = RouteConfig & { access: RouteAccess; teamScoped?: boolean };

export function defineRoute<R extends SysopRouteConfig>(config: R) {
  const { access, teamScoped, ...rest } = config;
  return createRoute({
    ...rest,
    security: access === "public" || access === "slack_signature" || access === "enrolment_token" || access === "webhook_signature" ? [] : [{ bearer: [] }],
    "x-sysop-permission": access,
    "x-sysop-team-scoped": teamScoped ?? false,
    responses: { ...ERROR_RESPONSES, ...rest.responses },
  } as Omit<R, "access" | "teamScoped">);
}

// ---- ids (in bodies, queries and paths) ----

export const TeamId = z.string().regex(/^team_[a-z2-7]{1,40}$/, "must be a team_… id");
export const PrincipalId = z.string().regex(/^(usr|agt|svc)_[a-z2-7]{1,40}$/, "must be a usr_/agt_/svc_ id");

const idParam = (name: string, prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[a-z2-7]{1,40}$`), `must be a ${prefix}_… id`)
    .openapi({ param: { name, in: "path" }, example: `${prefix}_…` });

export const TeamIdParams = z.object({ team_id: idParam("team_id", "team") });
export const PrincipalIdParams = z.object({ principal_id: PrincipalId.openapi({ param: { name: "principal_id", in: "path" } }) });
export const TeamMemberParams = TeamIdParams.extend(PrincipalIdParams.shape);
export const RepoIdParams = z.object({ repo_id: idParam("repo_id", "repo") });
export const KeyIdParams = z.object({ key_id: idParam("key_id", "key") });
export const OidcIdParams = z.object({ issuer_id: idParam("issuer_id", "oidc") });

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ param: { name: "limit", in: "query" } }),
  cursor: z.string().max(200).optional().openapi({ param: { name: "cursor", in: "query" } }),
});

export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() }).openapi(name);

// ---- common field shapes ----

export const Name = z.string().trim().min(1).max(120);
/** The shape slugify() produces; also accepted from callers who pick their own. */
export const Slug = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/, "lowercase letters, digits and inner hyphens, at most 48");
export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((e) => e.toLowerCase());
export const Timestamp = z.string().openapi({ format: "date-time" });
