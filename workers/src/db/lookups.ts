// Finding one row of the caller's org by id. Every lookup is scoped by org_id, so another
// org's id is indistinguishable from an unknown one: both are a 404.
import { and, eq } from "drizzle-orm";
import type { Db } from "./client";
import { apiKeys, oidcIssuers, orgs, principals, repos, teams } from "./schema";
import { notFound } from "../domain/errors";

export async function findOrg(db: Db, orgId: string) {
  return (await db.select().from(orgs).where(eq(orgs.id, orgId)))[0] ?? notFound("org");
}

export async function findTeam(db: Db, orgId: string, teamId: string) {
  return (await db.select().from(teams).where(and(eq(teams.id, teamId), eq(teams.orgId, orgId))))[0] ?? notFound("team");
}

export async function findPrincipal(db: Db, orgId: string, principalId: string) {
  return (
    (await db.select().from(principals).where(and(eq(principals.id, principalId), eq(principals.orgId, orgId))))[0] ??
    notFound("principal")
  );
}

export async function findRepo(db: Db, orgId: string, repoId: string) {
  return (await db.select().from(repos).where(and(eq(repos.id, repoId), eq(repos.orgId, orgId))))[0] ?? notFound("repo");
}

export async function findApiKey(db: Db, orgId: string, keyId: string) {
  return (await db.select().from(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.orgId, orgId))))[0] ?? notFound("API key");
}

export async function findOidcIssuer(db: Db, orgId: string, issuerId: string) {
  return (
    (await db.select().from(oidcIssuers).where(and(eq(oidcIssuers.id, issuerId), eq(oidcIssuers.orgId, orgId))))[0] ??
    notFound("OIDC issuer")
  );
}
