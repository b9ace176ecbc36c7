// The sysop API: middleware order, route mounting, the error mapping and the OpenAPI 3.1
// document. index.ts exports it as the Worker; tests and the benchmark use the same app.
import { HTTPException } from "hono/http-exception";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import { z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./http/app-env";
import { newRouter } from "./http/router";
import { INTERNAL_PROBLEM, problemFor, problemResponse, type ProblemBody } from "./http/problem";
import { SysopError, type DomainFailure } from "./domain/errors";
import { newId } from "./domain/identity/ids";
import { requireAuth } from "./middleware/auth";
import { defineRoute, json } from "./routes/common";
import { signup } from "./routes/signup";
import { auth, jwks } from "./routes/auth";
import { org, orgSlack } from "./routes/org";
import { teamRoutes } from "./routes/teams";
import { teamMemberRoutes } from "./routes/team-members";
import { principalRoutes } from "./routes/principals";
import { repoRoutes } from "./routes/repos";
import { keyRoutes } from "./routes/keys";
import { oidcIssuerRoutes } from "./routes/oidc-issuers";
import { auditRoutes } from "./routes/audit";
import { policyRoutes } from "./routes/policies";
import { decisionRoutes } from "./routes/decisions";
import { approvalRoutes } from "./routes/approvals";
import { slackRoutes } from "./routes/slack";
import { policySimulationRoutes } from "./routes/policy-simulation";
import { budgetRoutes } from "./routes/budgets";
import { usageRoutes } from "./routes/usage";
import { providerRoutes } from "./routes/providers";
import { llmGatewayRoutes } from "./routes/llm-gateway";
import { MAX_ARTIFACT_BYTES, requireRunner, runnerAdminRoutes, runnerEnrollRoutes, runnerProtocolRoutes } from "./routes/runners";
import { taskRoutes } from "./routes/tasks";
import { callbackSecretRoutes } from "./routes/callback-secrets";
import { MAX_WEBHOOK_BYTES, signalAdminRoutes, webhookReceiverRoutes } from "./routes/signals";
import { outcomeRoutes } from "./routes/outcomes";

/** JSON bodies above this are refused before anything reads them. */
export const MAX_BODY_BYTES = 64 * 1024;
/** The gateway's limit: a long conversation with tool results and images. */
export const MAX_LLM_BODY_BYTES = 32 * 1024 * 1024;

function failureFromHttpException(err: HTTPException): DomainFailure {
  switch (err.status) {
    case 400:
      return { kind: "malformed_body", detail: err.message || "The request body could not be parsed." };
    case 413:
      return { kind: "payload_too_large", limitBytes: MAX_BODY_BYTES };
    case 415:
      return { kind: "unsupported_media_type", detail: "Send the body as application/json." };
    case 401:
      return { kind: "unauthenticated", detail: err.message || "Authentication required." };
    case 404:
      return { kind: "not_found", resource: "resource" };
    default:
      return { kind: "malformed_body", detail: err.message || "The request could not be processed." };
  }
}

function toProblem(err: unknown, c: Context<AppEnv>): Response {
  let body: ProblemBody;
  if (err instanceof SysopError) body = problemFor(err.failure);
  else if (err instanceof HTTPException && err.status < 500) body = problemFor(failureFromHttpException(err));
  else {
    // Unexpected: log the detail with the request id, tell the caller only the id.
    console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), path: c.req.path, error: String(err), stack: (err as Error)?.stack }));
    body = INTERNAL_PROBLEM;
  }
  return problemResponse({ ...body, instance: c.req.path, request_id: c.get("requestId") }, { "x-request-id": c.get("requestId") ?? "" });
}

const healthRoute = defineRoute({
  method: "get",
  path: "/healthz",
  tags: ["meta"],
  summary: "Liveness; touches no storage",
  access: "public",
  responses: { 200: json(z.object({ ok: z.literal(true) }).openapi("Health"), "Alive") },
});

/**
 * Sets a header on the finished response in place. Hono's c.header() after the handler copies
 * the whole Response to do it (one more Response and Headers per request for the isolate's GC
 * to destroy); only a Response with immutable headers (one straight from fetch) needs that.
 */
function setOnResponse(c: Context<AppEnv>, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

/** Runs `middleware` except on the paths `skip` names (a plain test: this is every request's path). */
const unless =
  (skip: (path: string) => boolean, middleware: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> =>
  (c, next) =>
    skip(c.req.path) ? next() : middleware(c, next);

/** Bodies with limits of their own: LLM conversations, runner artifacts. */
const BIG_BODIES = (path: string) => path.startsWith("/v1/llm/") || path.startsWith("/v1/runner/jobs/") || path.startsWith("/v1/webhooks/");
/**
 * No bearer credential: sign-up; Slack's endpoints (Slack's signature); a runner's enrolment
 * (a one-time token) and its protocol (JWTs it signs with its own key); providers' webhooks
 * (their own signatures).
 */
const NO_BEARER = (path: string) =>
  path === "/v1/signup" || path === "/v1/runners/enroll" || path.startsWith("/v1/slack/") || path.startsWith("/v1/runner/") || path.startsWith("/v1/webhooks/");

export function createApp() {
  const app = newRouter();

  // Every request id is sysop's own, never one the client sent: the gateway's holds are keyed
  // by it (gw:<id>), and a chosen id repeated would replay an earlier, settled hold and go
  // uncharged. Set on the finished response, so raw Responses (the gateway's) carry it too.
  app.use("*", async (c, next) => {
    const id = newId("req");
    c.set("requestId", id);
    await next();
    setOnResponse(c, "x-request-id", id);
  });
  // An API, never a page: no sniffing, no framing, no referrer, nothing cached by proxies.
  app.use("*", secureHeaders({ crossOriginResourcePolicy: "same-origin", xFrameOptions: "DENY", strictTransportSecurity: "max-age=31536000" }));
  app.use("/v1/*", async (c, next) => {
    await next();
    setOnResponse(c, "cache-control", "no-store");
  });
  const limitBody = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new SysopError({ kind: "payload_too_large", limitBytes: maxSize });
      },
    });
  // LLM requests carry whole conversations; everything else is small JSON.
  app.use("*", unless(BIG_BODIES, limitBody(MAX_BODY_BYTES)));
  app.use("/v1/llm/*", limitBody(MAX_LLM_BODY_BYTES));
  // Runners upload artifacts (checked against their own cap there) and post outcomes.
  app.use("/v1/runner/jobs/*", limitBody(MAX_ARTIFACT_BYTES));
  app.use("/v1/webhooks/*", limitBody(MAX_WEBHOOK_BYTES));
  app.use("/v1/*", unless(NO_BEARER, requireAuth()));
  app.use("/v1/runner/*", requireRunner());

  app.openapi(healthRoute, (c) => c.json({ ok: true as const }, 200));
  app.route("/", jwks);
  for (const router of [signup, auth, org, orgSlack, teamRoutes, teamMemberRoutes, principalRoutes, repoRoutes, keyRoutes, oidcIssuerRoutes, auditRoutes, policySimulationRoutes, policyRoutes, decisionRoutes, approvalRoutes, slackRoutes, budgetRoutes, providerRoutes, llmGatewayRoutes, usageRoutes, runnerAdminRoutes, runnerEnrollRoutes, runnerProtocolRoutes, taskRoutes, callbackSecretRoutes, webhookReceiverRoutes, signalAdminRoutes, outcomeRoutes]) {
    app.route("/v1", router);
  }

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A sysop API key (sysop_<key id>_<secret>), a sysop access token, or a token from the org's OIDC issuer.",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "sysop",
      version: "0.1.0",
      description: "The enterprise control plane for AI coding agents. Errors are application/problem+json (RFC 9457).",
    },
  });

  app.notFound((c) => toProblem(new SysopError({ kind: "not_found", resource: `route ${c.req.method} ${c.req.path}` }), c));
  app.onError((err, c) => toProblem(err, c));
  return app;
}
