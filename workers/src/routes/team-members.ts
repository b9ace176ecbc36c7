// Membership of a team: list, add or change a member's team role, remove. The org's
// owners and admins and the team's leads may change it.
import { z } from "@hono/zod-openapi";
import { newRouter } from "../http/router";
import { and, asc, eq } from "drizzle-orm";
import { authorize } from "../http/authorize";
import { database } from "../db/client";
import { findPrincipal, findTeam } from "../db/lookups";
import { principals, teamMembers } from "../db/schema";
import { conflict, notFound } from "../domain/errors";
import { TEAM_ROLES } from "../domain/authz/roles";
import { recordAudit } from "../audit/record";
import { credentialsChanged } from "../governance/credentials";
import { defineRoute, json, jsonBody, TeamIdParams, TeamMemberParams } from "./common";
import { TeamMemberView, principalView } from "./views";

const MembershipPut = z.strictObject({ role: z.enum(TEAM_ROLES) }).openapi("TeamMembershipPut");

const listRoute = defineRoute({
  method: "get",
  path: "/teams/{team_id}/members",
  tags: ["teams"],
  summary: "List a team's members with their team roles",
  access: "teams:read",
  request: { params: TeamIdParams },
  responses: { 200: json(z.object({ data: z.array(TeamMemberView) }).openapi("TeamMemberList"), "Members") },
});

const putRoute = defineRoute({
  method: "put",
  path: "/teams/{team_id}/members/{principal_id}",
  tags: ["teams"],
  summary: "Add a principal of the org to the team, or change its team role",
  access: "team_members:write",
  teamScoped: true,
  request: { params: TeamMemberParams, body: jsonBody(MembershipPut) },
  responses: { 200: json(TeamMemberView, "The membership") },
});

const deleteRoute = defineRoute({
  method: "delete",
  path: "/teams/{team_id}/members/{principal_id}",
  tags: ["teams"],
  summary: "Remove a principal from the team",
  access: "team_members:write",
  teamScoped: true,
  request: { params: TeamMemberParams },
  responses: { 204: { description: "Removed" } },
});

export const teamMemberRoutes = newRouter()
  .openapi(listRoute, async (c) => {
    authorize(c, "teams:read");
    const db = database(c.env);
    const team = await findTeam(db, c.var.principal.orgId, c.req.valid("param").team_id);
    const rows = await db
      .select({ m: teamMembers, p: principals })
      .from(teamMembers)
      .innerJoin(principals, eq(principals.id, teamMembers.principalId))
      .where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.orgId, team.orgId)))
      .orderBy(asc(teamMembers.createdAt));
    return c.json({ data: rows.map(({ m, p }) => ({ team_id: team.id, principal: principalView(p), role: m.role, added_at: m.createdAt })) }, 200);
  })
  .openapi(putRoute, async (c) => {
    const db = database(c.env);
    const { team_id, principal_id } = c.req.valid("param");
    const team = await findTeam(db, c.var.principal.orgId, team_id);
    authorize(c, "team_members:write", team.id);
    if (team.archivedAt) conflict("The team is archived.");
    const principal = await findPrincipal(db, team.orgId, principal_id);
    if (principal.status !== "active") conflict("That principal has been removed from the org.");
    const { role } = c.req.valid("json");
    const existing = (await db.select().from(teamMembers).where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.principalId, principal.id))))[0];
    const addedAt = existing?.createdAt ?? new Date().toISOString();
    await db
      .insert(teamMembers)
      .values({ teamId: team.id, principalId: principal.id, orgId: team.orgId, role, createdAt: addedAt })
      .onConflictDoUpdate({ target: [teamMembers.teamId, teamMembers.principalId], set: { role } });
    await credentialsChanged(c.env, team.orgId, [principal.id]);
    await recordAudit(c, team.orgId, [
      {
        action: existing ? "team.member_role_changed" : "team.member_added",
        target: { type: "team", id: team.id },
        details: { principal_id: principal.id, role, previous_role: existing?.role ?? null },
      },
    ]);
    return c.json({ team_id: team.id, principal: principalView(principal), role, added_at: addedAt }, 200);
  })
  .openapi(deleteRoute, async (c) => {
    const db = database(c.env);
    const { team_id, principal_id } = c.req.valid("param");
    const team = await findTeam(db, c.var.principal.orgId, team_id);
    authorize(c, "team_members:write", team.id);
    const removed = await db
      .delete(teamMembers)
      .where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.principalId, principal_id)))
      .returning();
    if (removed.length === 0) notFound("team member");
    await credentialsChanged(c.env, team.orgId, [principal_id]);
    await recordAudit(c, team.orgId, [
      { action: "team.member_removed", target: { type: "team", id: team.id }, details: { principal_id, role: removed[0]!.role } },
    ]);
    return c.body(null, 204);
  });
