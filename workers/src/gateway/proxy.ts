// The LLM gateway's one request path, for either wire format: who and which team pays,
// whether policy lets this team use this model, the price, a budget reservation sized by
// the request's own caps, the call upstream with the org's key, and settlement from the
// real usage (for streams, metered as the bytes pass; a client that leaves mid-stream is
// charged for what was produced). Upstream errors pass through and release the hold.
import type { Context } from "hono";
import type { AppEnv } from "../http/app-env";
import { authorize } from "../http/authorize";
import { conflict, fail, forbidden, notFound, SysopError } from "../domain/errors";
import { gatewaySettings } from "./settings";
import { resolvePrice } from "../domain/prices/resolve";
import { costMicros, estimateMicros, promptTokens } from "../domain/prices/cost";
import type { TokenUsage } from "../domain/prices/types";
import { ledgersOf, refusalToProblem, releaseWithCeiling, reserveWithCeiling, settleWithCeiling } from "../governance/budget";
import { decide } from "../governance/decision-input";
import { RESPONSE_HEADERS, type ProviderSpec } from "./providers";

/** When a request sets no output cap, reserve for this many output tokens. */
const DEFAULT_OUTPUT_CAP = 4_096;
const RESERVATION_TTL_SECONDS = 900;
/**
 * How long a settle waits after the answer is complete. A settle is an RPC to the team's ledger
 * and a commit that syncs its file on the same thread that is still writing the answer's last
 * bytes to the client; run at once, it delays them (bench/RESULTS.md: 0.3–1.2 ms at the streaming p50).
 * The hold covers the call until the settle lands, so waiting costs the budget nothing.
 */
const SETTLE_AFTER_MS = 5;
const afterDelivery = () => new Promise<void>((resolve) => setTimeout(resolve, SETTLE_AFTER_MS));

const tokensOf = (u: TokenUsage) => promptTokens(u) + u.output;

function invalid(path: string, message: string): never {
  return fail({ kind: "validation", detail: `Invalid ${path}.`, issues: [{ path, message, code: "invalid" }] });
}

export async function proxy(c: Context<AppEnv>, spec: ProviderSpec): Promise<Response> {
  authorize(c, "budgets:use");
  const me = c.var.principal;
  // Server-Timing: what each step of sysop's part took (Date.now() moves with I/O in workerd,
  // which is what these steps wait on), so a caller can tell the gateway's time from the model's.
  const timings: string[] = [];
  let mark = Date.now();
  const lap = (name: string) => {
    const now = Date.now();
    timings.push(`${name};dur=${now - mark}`);
    mark = now;
  };
  let body: Record<string, unknown>;
  try {
    const parsed = JSON.parse(await c.req.text()) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) invalid("body", "must be a JSON object");
    body = parsed as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SysopError) throw err;
    return fail({ kind: "malformed_body", detail: "The request body is not JSON." });
  }
  const estimate = spec.estimate(body);
  if (!estimate?.model) return invalid("body.model", "a model id is required");
  const model = estimate.model;

  // Which team pays: the one named, or the caller's only team.
  const named = c.req.header("x-sysop-team");
  const myTeams = Object.keys(me.teamRoles);
  const teamId = named ?? (myTeams.length === 1 ? myTeams[0]! : invalid("header.x-sysop-team", "name the team that pays (you are in several, or none)"));
  const settings = await gatewaySettings(c.env, me.orgId, spec.name, (p) => c.executionCtx.waitUntil(p));
  lap("settings");
  const repo = c.req.header("x-sysop-repo") ?? null;
  const taskId = c.req.header("x-sysop-task") ?? null;

  // Policy: models allowed per team. Only a rule can refuse a model; with no rule about
  // model calls the org's default does not block the gateway. The desk also refuses a team
  // outside the caller's org (404), so no separate lookup is needed.
  const decision = await decide(c, { repo: repo ?? "(llm-gateway)", team: teamId, action: "model_call", model, paths: [] }, { noApproval: true });
  lap("policy");
  if ("refused" in decision) return decision.refused === "stale_credential" ? fail({ kind: "unauthenticated", detail: "The credential changed while asking; try again." }) : notFound("team");
  if (decision.decision === "deny" || (decision.decision === "ask" && decision.matchedRules.length > 0)) {
    forbidden(`Policy does not let this team use ${model}: ${decision.reason}`);
  }

  const price = resolvePrice(model, settings.overrides, settings.defaultPrice);
  if (!price.ok) return invalid("body.model", `no price for ${model}: set one in PUT /v1/org/prices (sysop never charges a silent zero)`);
  const apiKey = settings.apiKey;
  if (!apiKey) return fail({ kind: "unavailable", detail: `The org has no ${spec.name} key; an admin sets it with PUT /v1/org/providers/${spec.name}.` });

  const outputCap = estimate.maxOutputTokens ?? DEFAULT_OUTPUT_CAP;
  // The same two stubs reserve here and settle after the answer has gone out.
  const ledgers = ledgersOf(c.env, me.orgId, teamId);
  const reserved = await reserveWithCeiling(ledgers, {
    idempotencyKey: `gw:${c.var.requestId}`,
    micros: estimateMicros(estimate.inputTokens, outputCap, price.price),
    tokens: estimate.inputTokens + outputCap,
    user: me.kind === "user" ? me.id : null,
    repo,
    agent: me.kind === "user" ? null : me.id,
    ttlSeconds: RESERVATION_TTL_SECONDS,
  });
  lap("reserve");
  // INVARIANT: nothing goes upstream without a hold that covers the request's own caps.
  if (!reserved.ok) return refusalToProblem(reserved);
  // INVARIANT: every model call holds afresh. The key is this request's own id, so a replay
  // would mean an earlier call's hold, which that call settles: this one would go uncharged.
  if (reserved.replayed) return conflict("This request's budget hold already exists; send the call again.");
  const reservationId = reserved.reservation.id;
  const orgHeld = reserved.orgHeld ?? true;
  let finished = false;
  const settle = async (usage: TokenUsage | null) => {
    if (finished) return;
    finished = true;
    if (!usage) {
      await releaseWithCeiling(ledgers, reservationId, orgHeld);
      return;
    }
    await settleWithCeiling(ledgers, reservationId, { micros: costMicros(usage, price.price), tokens: tokensOf(usage) }, {
      orgId: me.orgId,
      teamId,
      taskId,
      model,
      inputTokens: usage.input,
      outputTokens: usage.output,
      cacheReadTokens: usage.cache_read,
      cacheWriteTokens: usage.cache_write,
    }, orgHeld);
  };
  // Once the answer is out (SETTLE_AFTER_MS); the hold covers the call until then.
  const settleAfterDelivery = (usage: () => TokenUsage | null) =>
    afterDelivery()
      .then(() => settle(usage()))
      .catch((err) => console.error(JSON.stringify({ level: "error", msg: "settle failed", reservationId, error: String(err) })));

  // The query string as the caller sent it (?beta=true), without parsing the URL again.
  const queryAt = c.req.url.indexOf("?");
  const search = queryAt === -1 || queryAt === c.req.url.length - 1 ? "" : c.req.url.slice(queryAt);
  // Plain objects for header sets: fetch and Response copy them into their own Headers
  // anyway, and every Headers object is one more for the isolate's GC to destroy.
  const headers: Record<string, string> = { "content-type": "application/json", ...spec.authHeaders(apiKey) };
  for (const h of spec.passHeaders) {
    const v = c.req.header(h);
    if (v) headers[h] = v;
  }
  let upstream: Response;
  try {
    upstream = await fetch(`${spec.baseUrl(c.env).replace(/\/$/, "")}${spec.path}${search}`, {
      method: "POST",
      headers,
      body: JSON.stringify(spec.upstreamBody(body)),
      signal: c.req.raw.signal,
    });
  } catch (err) {
    await settle(null);
    return fail({ kind: "unavailable", detail: `${spec.name} could not be reached.` });
  }
  const out: Record<string, string> = {};
  upstream.headers.forEach((v, k) => {
    if (RESPONSE_HEADERS.test(k)) out[k] = v;
  });
  out["x-sysop-reservation"] = reservationId;
  lap("upstream");
  out["server-timing"] = timings.join(", ");

  if (!upstream.ok || !upstream.body) {
    // The provider's own error, status and body as it sent them; nothing was used.
    await settle(null);
    return new Response(upstream.body, { status: upstream.status, headers: out });
  }

  if (!estimate.stream) {
    const text = await upstream.text();
    let usage: TokenUsage | null = null;
    try {
      usage = spec.usage(JSON.parse(text));
    } catch {
      usage = null;
    }
    // A 200 without readable usage is charged what was reserved: never a silent zero.
    const billed = usage ?? { input: estimate.inputTokens, output: outputCap, cache_read: 0, cache_write: 0 };
    c.executionCtx.waitUntil(settleAfterDelivery(() => billed));
    return new Response(text, { status: upstream.status, headers: out });
  }

  const meter = spec.meter(estimate.inputTokens);
  // Two copies of the stream: the client's, and the meter's. The meter reads its own copy to
  // the end (or until the upstream call is aborted because the client left), so settlement
  // never waits on a client that stopped reading.
  const [toClient, toMeter] = upstream.body.tee();
  const metered = (async () => {
    const reader = toMeter.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      meter.push(value);
    }
  })()
    .catch(() => undefined)
    .then(() => settleAfterDelivery(() => meter.billableUsage()));
  c.executionCtx.waitUntil(metered);
  return new Response(toClient, { status: upstream.status, headers: out });
}
