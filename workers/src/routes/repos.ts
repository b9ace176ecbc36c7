// Repos registered to teams, with path scopes: which roles may read and which may write
// which path globs. The policy engine enforces the scopes; here they are stored and
// managed by owners, admins and the owning team's leads.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { and, eq } from "drizzle-orm";
import { authorize } from "../http/authorize";
import { database, isUniqueViolation } from "../db/client";
import { findRepo, findTeam } from "../db/lookups";
import { afterCursor, newestFirst, page } from "../db/pagination";
import { repos, type RepoRow } from "../db/schema";
import { conflict } from "../domain/errors";
import { newId } from "../domain/identity/ids";
import { recordAudit } from "../audit/record";
import { decisionDesk } from "../governance/desk";
import { defineRoute, json, jsonBody, listOf, PageQuery, RepoIdParams, TeamId } from "./common";
import { PathScopeSchema, RepoView, repoView } from "./views";

const RepoName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "like owner/name: letters, digits, . _ - and /")
  .openapi({ example: "acme/payments-api" });
const RepoUrl = z.url({ protocol: /^(https|ssh|git)$/ }).max(500);
const Branch = z.string().trim().min(1).max(200).regex(/^[^\s~^:?*[\\]+$/, "a git branch name");

const RepoCreate = z
  .strictObject({
    team_id: TeamId,
    name: RepoName,
    url: RepoUrl.optional(),
    default_branch: Branch.default("main"),
    path_scopes: z.array(PathScopeSchema).max(100).default([]),
  })
  .openapi("RepoCreate");

const RepoPatch = z
  .strictObject({
    team_id: TeamId.optional(),
    name: RepoName.optional(),
    url: RepoUrl.nullable().optional(),
    default_branch: Branch.optional(),
    path_scopes: z.array(PathScopeSchema).max(100).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "send at least one field")
  .openapi("RepoPatch");

const ListQuery = PageQuery.extend({ team_id: TeamId.optional().openapi({ param: { name: "team_id", in: "query" } }) });

const listRoute = defineRoute({
  method: "get",
  path: "/repos",
  tags: ["repos"],
  summary: "List repos of the org (optionally of one team)",
  access: "repos:read",
  request: { query: ListQuery },
  responses: { 200: json(listOf(RepoView, "RepoList"), "A page of repos") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/repos",
  tags: ["repos"],
  summary: "Register a repo to a team, with path scopes",
  access: "repos:write",
  teamScoped: true,
  request: { body: jsonBody(RepoCreate) },
  responses: { 201: json(RepoView, "The registered repo") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/repos/{repo_id}",
  tags: ["repos"],
  summary: "Read a repo and its path scopes",
  access: "repos:read",
  request: { params: RepoIdParams },
  responses: { 200: json(RepoView, "The repo") },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/repos/{repo_id}",
  tags: ["repos"],
  summary: "Change a repo, its path scopes, or move it to another team",
  access: "repos:write",
  teamScoped: true,
  request: { params: RepoIdParams, body: jsonBody(RepoPatch) },
  responses: { 200: json(RepoView, "The updated repo") },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/repos/{repo_id}",
  tags: ["repos"],
  summary: "Unregister a repo",
  access: "repos:write",
  teamScoped: true,
  request: { params: RepoIdParams },
  responses: { 204: { description: "Unregistered" } },
});

const duplicateName = (err: unknown) => {
  if (isUniqueViolation(err)) conflict("A repo with that name is already registered in this org.");
  throw err;
};

export const repoRoutes = newRouter()
  .openapi(listRoute, async (c) => {
    authorize(c, "repos:read");
    const q = c.req.valid("query");
    const rows = await database(c.env)
      .select()
      .from(repos)
      .where(and(eq(repos.orgId, c.var.principal.orgId), q.team_id ? eq(repos.teamId, q.team_id) : undefined, afterCursor(repos, q.cursor)))
      .orderBy(...newestFirst(repos))
      .limit(q.limit + 1);
    const p = page(rows, q.limit);
    return c.json({ data: p.rows.map(repoView), next_cursor: p.nextCursor }, 200);
  })
  .openapi(createRoute, async (c) => {
    const body = c.req.valid("json");
    const db = database(c.env);
    const team = await findTeam(db, c.var.principal.orgId, body.team_id);
    authorize(c, "repos:write", team.id);
    if (team.archivedAt) conflict("The team is archived.");
    const now = new Date().toISOString();
    const repo: RepoRow = {
      id: newId("repo"),
      orgId: team.orgId,
      teamId: team.id,
      name: body.name,
      url: body.url ?? null,
      defaultBranch: body.default_branch,
      pathScopes: body.path_scopes,
      createdAt: now,
      updatedAt: now,
    };
    await db.insert(repos).values(repo).catch(duplicateName);
    await recordAudit(c, repo.orgId, [
      { action: "repo.registered", target: { type: "repo", id: repo.id }, details: { team_id: team.id, name: repo.name, url: repo.url, path_scopes: repo.pathScopes } },
    ]);
    await decisionDesk(c.env, repo.orgId).invalidate();
    return c.json(repoView(repo), 201);
  })
  .openapi(getRoute, async (c) => {
    authorize(c, "repos:read");
    return c.json(repoView(await findRepo(database(c.env), c.var.principal.orgId, c.req.valid("param").repo_id)), 200);
  })
  .openapi(patchRoute, async (c) => {
    const db = database(c.env);
    const repo = await findRepo(db, c.var.principal.orgId, c.req.valid("param").repo_id);
    authorize(c, "repos:write", repo.teamId);
    const body = c.req.valid("json");
    if (body.team_id && body.team_id !== repo.teamId) {
      const target = await findTeam(db, repo.orgId, body.team_id);
      authorize(c, "repos:write", target.id);
      if (target.archivedAt) conflict("The target team is archived.");
    }
    const updated: RepoRow = {
      ...repo,
      teamId: body.team_id ?? repo.teamId,
      name: body.name ?? repo.name,
      url: body.url === undefined ? repo.url : body.url,
      defaultBranch: body.default_branch ?? repo.defaultBranch,
      pathScopes: body.path_scopes ?? repo.pathScopes,
      updatedAt: new Date().toISOString(),
    };
    await db.update(repos).set(updated).where(eq(repos.id, repo.id)).catch(duplicateName);
    await recordAudit(c, repo.orgId, [
      { action: "repo.updated", target: { type: "repo", id: repo.id }, details: { changed: Object.keys(body), before: repoView(repo), after: repoView(updated) } },
    ]);
    await decisionDesk(c.env, repo.orgId).invalidate();
    return c.json(repoView(updated), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const db = database(c.env);
    const repo = await findRepo(db, c.var.principal.orgId, c.req.valid("param").repo_id);
    authorize(c, "repos:write", repo.teamId);
    await db.delete(repos).where(eq(repos.id, repo.id));
    await recordAudit(c, repo.orgId, [{ action: "repo.unregistered", target: { type: "repo", id: repo.id }, details: { name: repo.name, team_id: repo.teamId } }]);
    await decisionDesk(c.env, repo.orgId).invalidate();
    return c.body(null, 204);
  });
