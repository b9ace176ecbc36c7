// Loads what the evaluator needs for one org: the active policy of every layer and the
// facts of every registered repo (name, team, path scopes). One D1 round trip.
import { and, eq, isNotNull } from "drizzle-orm";
import type { Db } from "./client";
import { policies, policyVersions, repos, teams } from "./schema";
import type { ActivePolicy, RepoFacts } from "../domain/policy/types";
import type { PolicySetSource } from "../domain/policy/compile";

export interface LoadedPolicySet extends PolicySetSource {
  /** The org's teams: a decision may only name one of these. */
  teamIds: string[];
  /** "org" / "team:<id>" / "repo:<id>" → active version: the evidence of what decided. */
  versions: Record<string, number>;
}

export const versionKey = (p: Pick<ActivePolicy, "layer" | "targetId">) => (p.layer === "org" ? "org" : `${p.layer}:${p.targetId}`);

export async function loadPolicySet(db: Db, orgId: string): Promise<LoadedPolicySet> {
  const [active, repoRows, teamRows] = await db.batch([
    db
      .select({ layer: policies.layer, targetId: policies.targetId, version: policyVersions.version, document: policyVersions.document })
      .from(policies)
      .innerJoin(policyVersions, and(eq(policyVersions.policyId, policies.id), eq(policyVersions.version, policies.activeVersion)))
      .where(and(eq(policies.orgId, orgId), isNotNull(policies.activeVersion))),
    db.select({ id: repos.id, name: repos.name, teamId: repos.teamId, pathScopes: repos.pathScopes }).from(repos).where(eq(repos.orgId, orgId)),
    db.select({ id: teams.id }).from(teams).where(eq(teams.orgId, orgId)),
  ]);
  const activePolicies: ActivePolicy[] = active.map((a) => ({ layer: a.layer, targetId: a.targetId, version: a.version, document: a.document }));
  const repoFacts: RepoFacts[] = repoRows.map((r) => ({ id: r.id, name: r.name, teamId: r.teamId, pathScopes: r.pathScopes }));
  return {
    policies: activePolicies,
    repos: repoFacts,
    teamIds: teamRows.map((t) => t.id),
    versions: Object.fromEntries(activePolicies.map((p) => [versionKey(p), p.version])),
  };
}
