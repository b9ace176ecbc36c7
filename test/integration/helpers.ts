// Helpers for integration tests: call the Worker through SELF, sign up fresh orgs (each
// test makes its own, so tests never share writes), and make principals with a given role.
import { SELF, createExecutionContext, env } from "cloudflare:test";
import worker from "../../workers/src/index";
import { expect } from "vitest";

export const BASE = "https://sysop.test";

export interface Call {
  method?: string;
  path: string;
  key?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export async function call({ method = "GET", path, key, body, rawBody, headers = {} }: Call): Promise<Response> {
  const h = new Headers(headers);
  if (key) h.set("authorization", `Bearer ${key}`);
  let payload: string | undefined = rawBody;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    if (!h.has("content-type")) h.set("content-type", "application/json");
  }
  return SELF.fetch(`${BASE}${path}`, { method, headers: h, body: payload });
}

/**
 * The same request straight into the Worker's fetch handler in this isolate (real bindings,
 * same app). SELF goes through a service binding that stalls past a few hundred concurrent
 * calls; tests of 1,000 concurrent requests use this instead.
 */
export async function callInProcess({ method = "GET", path, key, body, headers = {} }: Call): Promise<Response> {
  const h = new Headers(headers);
  if (key) h.set("authorization", `Bearer ${key}`);
  if (body !== undefined && !h.has("content-type")) h.set("content-type", "application/json");
  const req = new Request(`${BASE}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  return worker.fetch(req, env, createExecutionContext());
}

export async function callJson<T = any>(c: Call, expectStatus?: number): Promise<{ status: number; body: T; res: Response }> {
  const res = await call(c);
  const text = await res.text();
  const body = text ? JSON.parse(text) : undefined;
  if (expectStatus !== undefined && res.status !== expectStatus) {
    throw new Error(`${c.method ?? "GET"} ${c.path} -> ${res.status}, expected ${expectStatus}: ${text}`);
  }
  return { status: res.status, body, res };
}

let counter = 0;
export const unique = (label: string) => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export interface Org {
  orgId: string;
  ownerId: string;
  teamId: string;
  key: string;
  keyId: string;
  slug: string;
}

export async function signupOrg(label = "org"): Promise<Org> {
  const name = unique(label);
  const { body } = await callJson(
    { method: "POST", path: "/v1/signup", body: { org_name: name, owner_email: `${name}@example.com`, owner_name: `Owner of ${name}` } },
    201,
  );
  return { orgId: body.org.id, ownerId: body.owner.id, teamId: body.team.id, key: body.api_key.key, keyId: body.api_key.id, slug: body.org.slug };
}

/** Adds a user with an org role (and optionally a team role) and returns an API key for them. */
export async function memberWithKey(
  org: Org,
  orgRole: string,
  team?: { teamId: string; role: "lead" | "member" },
): Promise<{ principalId: string; key: string; keyId: string }> {
  const email = `${unique(orgRole)}@example.com`;
  const { body: p } = await callJson(
    {
      method: "POST",
      path: "/v1/principals",
      key: org.key,
      body: { kind: "user", email, name: email, org_role: orgRole, teams: team ? [{ team_id: team.teamId, role: team.role }] : [] },
    },
    201,
  );
  const { body: k } = await callJson({ method: "POST", path: "/v1/keys", key: org.key, body: { name: "test", principal_id: p.id } }, 201);
  return { principalId: p.id, key: k.key, keyId: k.id };
}

export async function expectProblem(res: Response, status: number): Promise<any> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const body = JSON.parse(text);
  expect(body.status).toBe(status);
  expect(typeof body.type).toBe("string");
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
  return body;
}

/** Every state-changing D1 table's row count, to prove a rejected request wrote nothing. */
export async function rowCounts(): Promise<Record<string, number>> {
  const tables = ["orgs", "principals", "teams", "team_members", "repos", "api_keys", "oidc_issuers", "audit_events", "policies", "policy_versions", "approvals", "slack_users", "slack_replay_guard"];
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = (await env.DB.prepare(`SELECT count(*) AS n FROM ${t}`).first<{ n: number }>())!.n;
  return out;
}

/** Waits until every org's audit outbox has reached D1, so row counts are settled. */
export async function flushAudit(orgIds: string[]): Promise<void> {
  for (const id of orgIds) {
    // Gateway decisions reach the chain in batches from the org's DecisionDesk.
    expect(await env.DECISION_DESK.getByName(id).drainAudit(id)).toBe(0);
    await env.AUDIT_CHAIN.getByName(id).flush();
  }
}
