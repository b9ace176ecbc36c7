// The gate in front of both Slack endpoints: Slack's v0 signature over the raw body with
// the app's signing secret(s), a 5-minute window, and a replay guard (each signature is
// accepted once). Anything else is a 401 and nothing is written.
import type { Context } from "hono";
import { lt } from "drizzle-orm";
import type { AppEnv } from "../../http/app-env";
import { database, isUniqueViolation } from "../../db/client";
import { slackReplayGuard } from "../../db/schema";
import { fail, unauthenticated } from "../../domain/errors";
import { verifySlackSignature } from "./signature";

/** A signature older than the window can't verify anyway; keep the guard a little longer. */
const REPLAY_MEMORY_MS = 10 * 60_000;

export async function verifiedSlackBody(c: Context<AppEnv>): Promise<string> {
  const secrets = (c.env.SLACK_SIGNING_SECRETS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (secrets.length === 0) return fail({ kind: "unavailable", detail: "Slack is not configured on this sysop (SLACK_SIGNING_SECRETS)." });
  const rawBody = await c.req.text();
  const signature = c.req.header("x-slack-signature");
  const check = await verifySlackSignature({ rawBody, timestamp: c.req.header("x-slack-request-timestamp"), signature, secrets, now: new Date() });
  if (!check.ok) return unauthenticated(`The Slack signature is not accepted (${check.reason}).`);
  const db = database(c.env);
  const now = Date.now();
  try {
    await db.batch([
      db.delete(slackReplayGuard).where(lt(slackReplayGuard.seenAt, now - REPLAY_MEMORY_MS)),
      db.insert(slackReplayGuard).values({ signature: signature!, seenAt: now }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) return unauthenticated("This Slack request was already received (replay).");
    throw err;
  }
  return rawBody;
}
