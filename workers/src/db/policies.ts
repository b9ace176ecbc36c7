// Policy rows and versions of one org, and the target a policy speaks for.
import { and, desc, eq } from "drizzle-orm";
import type { Db } from "./client";
import { policies, policyVersions } from "./schema";
import { notFound } from "../domain/errors";

export async function findPolicy(db: Db, orgId: string, policyId: string) {
  return (await db.select().from(policies).where(and(eq(policies.id, policyId), eq(policies.orgId, orgId))))[0] ?? notFound("policy");
}

export async function findPolicyVersion(db: Db, policyId: string, version: number) {
  return (
    (await db.select().from(policyVersions).where(and(eq(policyVersions.policyId, policyId), eq(policyVersions.version, version))))[0] ??
    notFound("policy version")
  );
}

export function listPolicyVersions(db: Db, policyId: string) {
  return db
    .select({ version: policyVersions.version, sha256: policyVersions.sha256, note: policyVersions.note, createdBy: policyVersions.createdBy, createdAt: policyVersions.createdAt })
    .from(policyVersions)
    .where(eq(policyVersions.policyId, policyId))
    .orderBy(desc(policyVersions.version));
}
