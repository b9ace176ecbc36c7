// The caller's org: read it, rename it.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { eq } from "drizzle-orm";
import { authorize } from "../http/authorize";
import { database } from "../db/client";
import { findOrg } from "../db/lookups";
import { orgs } from "../db/schema";
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
