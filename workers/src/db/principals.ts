// Queries that turn a principal id into the grants a request runs with.
import { and, eq } from "drizzle-orm";
import type { Db } from "./client";
import { principals, teamMembers, type PrincipalRow } from "./schema";
import type { TeamRole } from "../domain/authz/roles";

export interface LoadedPrincipal {
  row: PrincipalRow;
  teamRoles: Record<string, TeamRole>;
}

/** An active principal of the org with its team roles, or null (removed, unknown, other org). */
export async function loadActivePrincipal(db: Db, orgId: string, principalId: string): Promise<LoadedPrincipal | null> {
  const [rows, memberships] = await db.batch([
    db
      .select()
      .from(principals)
      .where(and(eq(principals.id, principalId), eq(principals.orgId, orgId), eq(principals.status, "active"))),
    db.select({ teamId: teamMembers.teamId, role: teamMembers.role }).from(teamMembers).where(eq(teamMembers.principalId, principalId)),
  ]);
  const row = rows[0];
  if (!row) return null;
  return { row, teamRoles: Object.fromEntries(memberships.map((m) => [m.teamId, m.role])) };
}
