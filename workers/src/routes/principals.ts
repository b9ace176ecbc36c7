// Principals of the org: members (users, invited by email) and the agents and services
// that act for teams. Owners and admins manage them; only an owner can make or unmake an
// owner, and the org always keeps at least one.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { and, eq, isNull, ne } from "drizzle-orm";
import { authorize } from "../http/authorize";
import { database, isUniqueViolation, type Db } from "../db/client";
import { findPrincipal, findTeam } from "../db/lookups";
import { afterCursor, newestFirst, page } from "../db/pagination";
import { apiKeys, principals, teamMembers, type PrincipalRow } from "../db/schema";
import { conflict, forbidden } from "../domain/errors";
import { ORG_ROLES, PRINCIPAL_KINDS, TEAM_ROLES, type OrgRole } from "../domain/authz/roles";
import { newId } from "../domain/identity/ids";
import { recordAudit } from "../audit/record";
import { credentialsChanged } from "../governance/credentials";
import { defineRoute, Email, json, jsonBody, listOf, Name, PageQuery, PrincipalIdParams, TeamId } from "./common";
import { PrincipalView, principalView } from "./views";

const TeamGrant = z.strictObject({ team_id: TeamId, role: z.enum(TEAM_ROLES) });

const PrincipalCreate = z
  .discriminatedUnion("kind", [
    z.strictObject({
      kind: z.literal("user"),
      email: Email,
      name: Name,
      org_role: z.enum(ORG_ROLES).default("member"),
      teams: z.array(TeamGrant).max(50).default([]),
    }),
    z.strictObject({
      kind: z.enum(["agent", "service"]),
      name: Name,
      org_role: z.enum(ORG_ROLES).default("member"),
      teams: z.array(TeamGrant).max(50).default([]),
    }),
  ])
  .openapi("PrincipalCreate");

const PrincipalPatch = z
  .strictObject({ name: Name.optional(), org_role: z.enum(ORG_ROLES).optional() })
  .refine((b) => b.name !== undefined || b.org_role !== undefined, "send name or org_role")
  .openapi("PrincipalPatch");

const ListQuery = PageQuery.extend({
  kind: z.enum(PRINCIPAL_KINDS).optional().openapi({ param: { name: "kind", in: "query" } }),
  status: z.enum(["active", "removed"]).default("active").openapi({ param: { name: "status", in: "query" } }),
});

const listRoute = defineRoute({
  method: "get",
  path: "/principals",
  tags: ["principals"],
  summary: "List members, agents and services of the org",
  access: "principals:read",
  request: { query: ListQuery },
  responses: { 200: json(listOf(PrincipalView, "PrincipalList"), "A page of principals") },
});

const createRoute = defineRoute({
  method: "post",
  path: "/principals",
  tags: ["principals"],
  summary: "Add a member by email, or create an agent or service principal",
  access: "principals:write",
  request: { body: jsonBody(PrincipalCreate) },
  responses: { 201: json(PrincipalView, "The new principal") },
});

const getRoute = defineRoute({
  method: "get",
  path: "/principals/{principal_id}",
  tags: ["principals"],
  summary: "Read a principal",
  access: "principals:read",
  request: { params: PrincipalIdParams },
  responses: { 200: json(PrincipalView, "The principal") },
});

const patchRoute = defineRoute({
  method: "patch",
  path: "/principals/{principal_id}",
  tags: ["principals"],
  summary: "Rename a principal or change its org role",
  access: "principals:write",
  request: { params: PrincipalIdParams, body: jsonBody(PrincipalPatch) },
  responses: { 200: json(PrincipalView, "The updated principal") },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/principals/{principal_id}",
  tags: ["principals"],
  summary: "Remove a principal: it loses its teams and every API key it holds is revoked",
  access: "principals:write",
  request: { params: PrincipalIdParams },
  responses: { 200: json(PrincipalView, "The removed principal") },
});

const PREFIX = { user: "usr", agent: "agt", service: "svc" } as const;

function guardOwnerChange(actorRole: OrgRole, target: { orgRole: OrgRole }, newRole?: OrgRole): void {
  if ((target.orgRole === "owner" || newRole === "owner") && actorRole !== "owner") {
    forbidden("Only an owner can make, change or remove an owner.");
  }
}

async function assertAnotherOwner(db: Db, orgId: string, principalId: string): Promise<void> {
  const others = await db
    .select({ id: principals.id })
    .from(principals)
    .where(and(eq(principals.orgId, orgId), eq(principals.orgRole, "owner"), eq(principals.status, "active"), ne(principals.id, principalId)))
    .limit(1);
  if (others.length === 0) conflict("The org must keep at least one owner.");
}

export const principalRoutes = newRouter()
  .openapi(listRoute, async (c) => {
    authorize(c, "principals:read");
    const q = c.req.valid("query");
    const rows = await database(c.env)
      .select()
      .from(principals)
      .where(
        and(
          eq(principals.orgId, c.var.principal.orgId),
          eq(principals.status, q.status),
          q.kind ? eq(principals.kind, q.kind) : undefined,
          afterCursor(principals, q.cursor),
        ),
      )
      .orderBy(...newestFirst(principals))
      .limit(q.limit + 1);
    const p = page(rows, q.limit);
    return c.json({ data: p.rows.map(principalView), next_cursor: p.nextCursor }, 200);
  })
  .openapi(createRoute, async (c) => {
    authorize(c, "principals:write");
    const body = c.req.valid("json");
    guardOwnerChange(c.var.principal.orgRole, { orgRole: "member" }, body.org_role);
    const db = database(c.env);
    const orgId = c.var.principal.orgId;
    for (const grant of body.teams) {
      const team = await findTeam(db, orgId, grant.team_id);
      if (team.archivedAt) conflict(`Team ${team.id} is archived.`);
    }
    const now = new Date().toISOString();
    const row: PrincipalRow = {
      id: newId(PREFIX[body.kind]),
      orgId,
      kind: body.kind,
      email: body.kind === "user" ? body.email : null,
      name: body.name,
      orgRole: body.org_role,
      status: "active",
      createdAt: now,
    };
    try {
      await db.batch([
        db.insert(principals).values(row),
        ...body.teams.map((g) => db.insert(teamMembers).values({ teamId: g.team_id, principalId: row.id, orgId, role: g.role, createdAt: now })),
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) conflict("A member with that email is already in the org, or a team is listed twice.");
      throw err;
    }
    await recordAudit(c, orgId, [
      {
        action: "principal.created",
        target: { type: "principal", id: row.id },
        details: { kind: row.kind, email: row.email, name: row.name, org_role: row.orgRole, teams: body.teams },
      },
    ]);
    return c.json(principalView(row), 201);
  })
  .openapi(getRoute, async (c) => {
    authorize(c, "principals:read");
    return c.json(principalView(await findPrincipal(database(c.env), c.var.principal.orgId, c.req.valid("param").principal_id)), 200);
  })
  .openapi(patchRoute, async (c) => {
    authorize(c, "principals:write");
    const db = database(c.env);
    const target = await findPrincipal(db, c.var.principal.orgId, c.req.valid("param").principal_id);
    const body = c.req.valid("json");
    guardOwnerChange(c.var.principal.orgRole, target, body.org_role);
    if (target.status !== "active") conflict("That principal has been removed.");
    if (target.orgRole === "owner" && body.org_role && body.org_role !== "owner") await assertAnotherOwner(db, target.orgId, target.id);
    const updated = { ...target, name: body.name ?? target.name, orgRole: body.org_role ?? target.orgRole };
    await db.update(principals).set({ name: updated.name, orgRole: updated.orgRole }).where(eq(principals.id, target.id));
    await credentialsChanged(c.env, target.orgId, [target.id]);
    await recordAudit(c, target.orgId, [
      {
        action: body.org_role && body.org_role !== target.orgRole ? "principal.role_changed" : "principal.updated",
        target: { type: "principal", id: target.id },
        details: { from: { name: target.name, org_role: target.orgRole }, to: { name: updated.name, org_role: updated.orgRole } },
      },
    ]);
    return c.json(principalView(updated), 200);
  })
  .openapi(deleteRoute, async (c) => {
    authorize(c, "principals:write");
    const db = database(c.env);
    const target = await findPrincipal(db, c.var.principal.orgId, c.req.valid("param").principal_id);
    guardOwnerChange(c.var.principal.orgRole, target);
    if (target.status !== "active") conflict("That principal has already been removed.");
    if (target.orgRole === "owner") await assertAnotherOwner(db, target.orgId, target.id);
    const now = new Date().toISOString();
    const [, , revoked] = await db.batch([
      db.update(principals).set({ status: "removed" }).where(eq(principals.id, target.id)),
      db.delete(teamMembers).where(eq(teamMembers.principalId, target.id)),
      db
        .update(apiKeys)
        .set({ revokedAt: now })
        .where(and(eq(apiKeys.principalId, target.id), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id }),
    ]);
    await credentialsChanged(c.env, target.orgId, [target.id, ...revoked.map((k) => k.id)]);
    await recordAudit(c, target.orgId, [
      { action: "principal.removed", target: { type: "principal", id: target.id }, details: { revoked_keys: revoked.map((k) => k.id) } },
    ]);
    return c.json(principalView({ ...target, status: "removed" }), 200);
  });
