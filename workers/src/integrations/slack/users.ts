// Which sysop principal a Slack user is: matched by email, which Slack's users.info gives
// with the org's bot token; the match is cached in slack_users. An unmatched user can use
// /sysop help and nothing else.
import { and, eq } from "drizzle-orm";
import type { Env } from "../../env";
import type { Db } from "../../db/client";
import { principals, slackUsers, type OrgRow } from "../../db/schema";
import { open } from "../../domain/crypto/secret-box";

export async function slackUserPrincipal(env: Env, db: Db, org: OrgRow, slackUserId: string): Promise<string | null> {
  const cached = (await db.select({ principalId: slackUsers.principalId }).from(slackUsers).where(and(eq(slackUsers.orgId, org.id), eq(slackUsers.slackUserId, slackUserId))))[0];
  if (cached) return cached.principalId;
  if (!org.slackBotTokenSealed || !env.SECRETS_KEY) return null;
  const token = await open(env.SECRETS_KEY, org.id, org.slackBotTokenSealed);
  const res = await fetch(`${env.SLACK_API_BASE}/users.info?user=${encodeURIComponent(slackUserId)}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) return null;
  const body = (await res.json()) as { ok?: boolean; user?: { profile?: { email?: string } } };
  const email = body.ok ? body.user?.profile?.email?.toLowerCase() : undefined;
  if (!email) return null;
  const principal = (
    await db
      .select({ id: principals.id })
      .from(principals)
      .where(and(eq(principals.orgId, org.id), eq(principals.kind, "user"), eq(principals.email, email), eq(principals.status, "active")))
  )[0];
  if (!principal) return null;
  await db.insert(slackUsers).values({ orgId: org.id, slackUserId, principalId: principal.id, email, createdAt: new Date().toISOString() }).onConflictDoNothing();
  return principal.id;
}
