// Queries that turn a credential into the grants a request runs with. Each is one D1 round
// trip (a batch), because D1 calls are what an authenticated request pays for.
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "./client";
import { apiKeys, principals, teamMembers, type ApiKeyRow, type PrincipalRow } from "./schema";
import type { TeamRole } from "../domain/authz/roles";

export interface LoadedPrincipal {
  row: PrincipalRow;
  teamRoles: Record<string, TeamRole>;
}

const rolesByTeam = (rows: { teamId: string; role: TeamRole }[]) => Object.fromEntries(rows.map((m) => [m.teamId, m.role]));

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
  return row ? { row, teamRoles: rolesByTeam(memberships) } : null;
}

/** An API key row with its principal (whatever its status) and team roles, in one round trip. */
export async function loadKeyWithPrincipal(db: Db, keyId: string): Promise<{ key: ApiKeyRow; principal: LoadedPrincipal | null } | null> {
  // Three statements rather than a join: drizzle maps batched join rows by column name, and
  // both tables have id, org_id, name and created_at.
  const ownerOfKey = db.select({ id: apiKeys.principalId }).from(apiKeys).where(eq(apiKeys.id, keyId));
  const [keys, owners, memberships] = await db.batch([
    db.select().from(apiKeys).where(eq(apiKeys.id, keyId)),
    db.select().from(principals).where(inArray(principals.id, ownerOfKey)),
    db.select({ teamId: teamMembers.teamId, role: teamMembers.role }).from(teamMembers).where(inArray(teamMembers.principalId, ownerOfKey)),
  ]);
  const key = keys[0];
  if (!key) return null;
  const owner = owners[0];
  return { key, principal: owner ? { row: owner, teamRoles: rolesByTeam(memberships) } : null };
}
