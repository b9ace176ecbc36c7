// Teams of the caller's org: list, create, read, rename, archive. Team leads may rename
// their own team; creating and archiving are for owners and admins.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { and, eq, isNull } from "drizzle-orm";
import { authorize } from "../http/authorize";
import { database, isUniqueViolation } from "../db/client";
import { findTeam } from "../db/lookups";
import { afterCursor, newestFirst, page } from "../db/pagination";
import { teams } from "../db/schema";
import { conflict, fail } from "../domain/errors";
import { newId, slugify } from "../domain/identity/ids";
import { recordAudit } from "../audit/record";
import { decisionDesk } from "../governance/desk";
import { webhookHostAllowed } from "../integrations/slack/notify";
import { defineRoute, json, jsonBody, listOf, Name, PageQuery, Slug, TeamIdParams } from "./common";
import { TeamView, teamView } from "./views";

const TeamCreate = z.strictObject({ name: Name, slug: Slug.optional() }).openapi("TeamCreate");
const TeamPatch = z
  .strictObject({
    name: Name.optional(),
    slack_webhook_url: z.url({ protocol: /^https$/ }).max(500).nullable().optional()
      .openapi({ description: "The team channel's Slack incoming-webhook URL (new approval requests go there); null removes it." }),
  })
  .refine((b) => b.name !== undefined || b.slack_webhook_url !== undefined, "send name or slack_webhook_url")
  .openapi("TeamPatch");
const TeamListQuery = PageQuery.extend({
  include_archived: z.enum(["true", "false"]).default("false").openapi({ param: { name: "include_archived", in: "query" } }),
});

const listRoute = defineRoute({
  method: "get",
  path: "/teams",
  tags: ["teams"],
  summary: "List the org's teams, newest first",
  access: "teams:read",
  request: { query: TeamListQuery },
  responses: { 200: json(listOf(TeamView, "TeamList"), "A page of teams") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/teams",
  tags: ["teams"],
  summary: "Create a team",
  access: "teams:create",
  request: { body: jsonBody(TeamCreate) },
  responses: { 201: json(TeamView, "The new team") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/teams/{team_id}",
  tags: ["teams"],
  summary: "Read a team",
  access: "teams:read",
  request: { params: TeamIdParams },
  responses: { 200: json(TeamView, "The team") },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/teams/{team_id}",
  tags: ["teams"],
  summary: "Rename a team",
  access: "teams:write",
  teamScoped: true,
  request: { params: TeamIdParams, body: jsonBody(TeamPatch) },
  responses: { 200: json(TeamView, "The renamed team") },
});

const archiveRoute = defineRoute({
  method: "post",
  path: "/teams/{team_id}/archive",
  tags: ["teams"],
  summary: "Archive a team (it stays readable; it takes no new members or repos)",
  access: "teams:archive",
  request: { params: TeamIdParams },
  responses: { 200: json(TeamView, "The archived team") },
});

export const teamRoutes = newRouter()
  .openapi(listRoute, async (c) => {
    authorize(c, "teams:read");
    const q = c.req.valid("query");
    const rows = await database(c.env)
      .select()
      .from(teams)
      .where(
        and(
          eq(teams.orgId, c.var.principal.orgId),
          q.include_archived === "true" ? undefined : isNull(teams.archivedAt),
          afterCursor(teams, q.cursor),
        ),
      )
      .orderBy(...newestFirst(teams))
      .limit(q.limit + 1);
    const p = page(rows, q.limit);
    return c.json({ data: p.rows.map(teamView), next_cursor: p.nextCursor }, 200);
  })
  .openapi(createRoute, async (c) => {
    authorize(c, "teams:create");
    const body = c.req.valid("json");
    const orgId = c.var.principal.orgId;
    const slug = body.slug ?? slugify(body.name);
    if (!slug) {
      fail({
        kind: "validation",
        detail: "Invalid body.slug.",
        issues: [{ path: "body.slug", message: "the name has no latin letters or digits to make a slug from; send slug", code: "slug_required" }],
      });
    }
    const team = { id: newId("team"), orgId, slug, name: body.name, archivedAt: null, createdAt: new Date().toISOString(), slackWebhookUrl: null };
    try {
      await database(c.env).insert(teams).values(team);
    } catch (err) {
      if (isUniqueViolation(err)) conflict(`A team with slug "${slug}" already exists in this org.`);
      throw err;
    }
    await recordAudit(c, orgId, [{ action: "team.created", target: { type: "team", id: team.id }, details: { name: team.name, slug } }]);
    await decisionDesk(c.env, orgId).invalidate();
    return c.json(teamView(team), 201);
  })
  .openapi(getRoute, async (c) => {
    authorize(c, "teams:read");
    return c.json(teamView(await findTeam(database(c.env), c.var.principal.orgId, c.req.valid("param").team_id)), 200);
  })
  .openapi(patchRoute, async (c) => {
    const db = database(c.env);
    const team = await findTeam(db, c.var.principal.orgId, c.req.valid("param").team_id);
    authorize(c, "teams:write", team.id);
    const body = c.req.valid("json");
    if (body.slack_webhook_url && !webhookHostAllowed(c.env, body.slack_webhook_url)) {
      fail({ kind: "validation", detail: "Invalid body.slack_webhook_url.", issues: [{ path: "body.slack_webhook_url", message: `must be an https URL on ${c.env.SLACK_WEBHOOK_HOSTS}`, code: "host_not_allowed" }] });
    }
    const updated = { ...team, name: body.name ?? team.name, slackWebhookUrl: body.slack_webhook_url === undefined ? team.slackWebhookUrl : body.slack_webhook_url };
    await db.update(teams).set({ name: updated.name, slackWebhookUrl: updated.slackWebhookUrl }).where(eq(teams.id, team.id));
    const events = [];
    if (body.name !== undefined) events.push({ action: "team.renamed", target: { type: "team", id: team.id }, details: { from: team.name, to: updated.name } });
    if (body.slack_webhook_url !== undefined) events.push({ action: "team.slack_channel_set", target: { type: "team", id: team.id }, details: { configured: updated.slackWebhookUrl !== null } });
    await recordAudit(c, team.orgId, events);
    return c.json(teamView(updated), 200);
  })
  .openapi(archiveRoute, async (c) => {
    const db = database(c.env);
    const team = await findTeam(db, c.var.principal.orgId, c.req.valid("param").team_id);
    authorize(c, "teams:archive", team.id);
    if (team.archivedAt) conflict("The team is already archived.");
    const archivedAt = new Date().toISOString();
    await db.update(teams).set({ archivedAt }).where(eq(teams.id, team.id));
    await recordAudit(c, team.orgId, [{ action: "team.archived", target: { type: "team", id: team.id } }]);
    return c.json(teamView({ ...team, archivedAt }), 200);
  });
