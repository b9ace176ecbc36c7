// The caller's org: read it, rename it.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { eq } from "drizzle-orm";
import { authorize } from "../http/authorize";
import { database, isUniqueViolation } from "../db/client";
import { conflict, fail } from "../domain/errors";
import { seal } from "../domain/crypto/secret-box";
import { findOrg } from "../db/lookups";
import { orgs, slackUsers } from "../db/schema";
import { recordAudit } from "../audit/record";
import { defineRoute, json, jsonBody, Name } from "./common";
import { OrgView, orgView } from "./views";

const getOrgRoute = defineRoute({
  method: "get",
  path: "/org",
  tags: ["identity"],
  summary: "The caller's org",
  access: "org:read",
  responses: { 200: json(OrgView, "The org") },
});

const OrgPatch = z.strictObject({ name: Name }).openapi("OrgPatch");

const patchOrgRoute = defineRoute({
  method: "patch",
  path: "/org",
  tags: ["identity"],
  summary: "Rename the org (the slug stays)",
  access: "org:write",
  request: { body: jsonBody(OrgPatch) },
  responses: { 200: json(OrgView, "The updated org") },
});

export const org = newRouter()
  .openapi(getOrgRoute, async (c) => {
    authorize(c, "org:read");
    return c.json(orgView(await findOrg(database(c.env), c.var.principal.orgId)), 200);
  })
  .openapi(patchOrgRoute, async (c) => {
    authorize(c, "org:write");
    const { name } = c.req.valid("json");
    const db = database(c.env);
    const before = await findOrg(db, c.var.principal.orgId);
    await db.update(orgs).set({ name }).where(eq(orgs.id, before.id));
    await recordAudit(c, before.id, [{ action: "org.renamed", target: { type: "org", id: before.id }, details: { from: before.name, to: name } }]);
    return c.json(orgView({ ...before, name }), 200);
  });

// ---- Slack connection: the org's workspace and the bot token for email lookups ----

const SlackConnection = z
  .object({ team_id: z.string().nullable(), bot_token_set: z.boolean() })
  .openapi("SlackConnection");
const SlackConnect = z
  .strictObject({
    team_id: z.string().regex(/^T[A-Z0-9]{2,20}$/, "a Slack workspace id like T0123ABCD"),
    bot_token: z.string().regex(/^xoxb-[A-Za-z0-9-]{10,200}$/, "a Slack bot token (xoxb-…)").openapi({ description: "Stored sealed (AES-GCM); never returned." }),
  })
  .openapi("SlackConnect");

const getSlackRoute = defineRoute({
  method: "get",
  path: "/org/slack",
  tags: ["slack"],
  summary: "The org's Slack workspace connection",
  access: "org:read",
  responses: { 200: json(SlackConnection, "The connection") },
});
const putSlackRoute = defineRoute({
  method: "put",
  path: "/org/slack",
  tags: ["slack"],
  summary: "Connect a Slack workspace (its id and a bot token with users:read.email)",
  access: "org:write",
  request: { body: jsonBody(SlackConnect) },
  responses: { 200: json(SlackConnection, "Connected") },
});
const deleteSlackRoute = defineRoute({
  method: "delete",
  path: "/org/slack",
  tags: ["slack"],
  summary: "Disconnect Slack",
  access: "org:write",
  responses: { 200: json(SlackConnection, "Disconnected") },
});

export const orgSlack = newRouter()
  .openapi(getSlackRoute, async (c) => {
    authorize(c, "org:read");
    const o = await findOrg(database(c.env), c.var.principal.orgId);
    return c.json({ team_id: o.slackTeamId, bot_token_set: o.slackBotTokenSealed !== null }, 200);
  })
  .openapi(putSlackRoute, async (c) => {
    authorize(c, "org:write");
    const body = c.req.valid("json");
    if (!c.env.SECRETS_KEY) fail({ kind: "unavailable", detail: "This sysop has no SECRETS_KEY to seal the bot token with." });
    const orgId = c.var.principal.orgId;
    const sealed = await seal(c.env.SECRETS_KEY!, orgId, body.bot_token);
    try {
      await database(c.env).update(orgs).set({ slackTeamId: body.team_id, slackBotTokenSealed: sealed }).where(eq(orgs.id, orgId));
    } catch (err) {
      if (isUniqueViolation(err)) conflict("That Slack workspace is connected to another org.");
      throw err;
    }
    await recordAudit(c, orgId, [{ action: "org.slack_connected", target: { type: "org", id: orgId }, details: { slack_team_id: body.team_id } }]);
    return c.json({ team_id: body.team_id, bot_token_set: true }, 200);
  })
  .openapi(deleteSlackRoute, async (c) => {
    authorize(c, "org:write");
    const orgId = c.var.principal.orgId;
    const db = database(c.env);
    await db.batch([db.update(orgs).set({ slackTeamId: null, slackBotTokenSealed: null }).where(eq(orgs.id, orgId)), db.delete(slackUsers).where(eq(slackUsers.orgId, orgId))]);
    await recordAudit(c, orgId, [{ action: "org.slack_disconnected", target: { type: "org", id: orgId } }]);
    return c.json({ team_id: null, bot_token_set: false }, 200);
  });
