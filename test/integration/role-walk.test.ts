// Walks every route of the OpenAPI document (so a new route cannot be missed):
//  1. with a principal of another org, aiming at this org's ids → 404 (or, for routes
//     without an id, an answer that holds none of this org's data), and nothing changes;
//  2. with each org role, and a team lead, → exactly the access ROLE_PERMISSIONS grants
//     (README's role table is checked against ROLE_PERMISSIONS in test/unit).
import { describe, expect, it } from "vitest";
import { call, callJson, flushAudit, memberWithKey, signupOrg, unique, type Org } from "./helpers";
import { enrollRunner, runnerCall, sha256Hex, signOutcome } from "./runner-kit";
import { githubIssueBody, postGitHub } from "./webhook-kit";
import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY } from "../fakes/keys";
import { ORG_ROLES, ROLE_PERMISSIONS, TEAM_LEAD_PERMISSIONS, type OrgRole, type Permission } from "../../workers/src/domain/authz/roles";

interface Operation {
  method: string;
  path: string;
  access: string;
  teamScoped: boolean;
}

async function operations(): Promise<Operation[]> {
  const doc = await callJson({ path: "/openapi.json" }, 200);
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries<Record<string, any>>(doc.body.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      ops.push({ method: method.toUpperCase(), path, access: op["x-sysop-permission"], teamScoped: op["x-sysop-team-scoped"] });
    }
  }
  return ops;
}

const PUBLIC_JWK = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "idp-1" };

/** Everything a walk needs to exist in one org: targets for every route. */
interface Fixture {
  org: Org;
  team: string; // team the walker leads (when a lead)
  spareTeam: string; // archived by the walk
  repo: string;
  victimPrincipal: string; // removed by the walk
  victimMember: string; // in `team`, removed from it by the walk
  addable: string; // added to `team` by the walk
  issuer: string;
  policy: string; // the team's policy, at version 2 with version 1 reactivatable
  approvals: { approve: string; deny: string; cancel: string }; // pending, asked by the owner
  reservations: { settle: string; release: string }; // held; the walker's own when it may reserve
  walkerKey: string;
  walkerId: string;
  spareKey: string; // one of the walker's own keys, revoked by the walk
  pool: string;
  runners: { drain: string; revoke: string };
  tasks: { finished: string; cancel: string }; // finished has a diff artifact; cancel is queued (the walker's own when it may create tasks)
  artifact: string; // the finished task's diff, by SHA-256
  priority: string; // a ranked priority of the team (from a GitHub issue about acme/walk-task)
  mapping: string; // a signal mapping rule, deleted by the walk
}

async function fixture(org: Org, walker: { role: OrgRole; lead: boolean }): Promise<Fixture> {
  const k = org.key;
  const post = async (path: string, body: unknown) => (await callJson({ method: "POST", path, key: k, body }, 201)).body;
  const team = (await post("/v1/teams", { name: unique("team") })).id;
  const spareTeam = (await post("/v1/teams", { name: unique("spare") })).id;
  const repo = (await post("/v1/repos", { team_id: team, name: `acme/${unique("repo")}` })).id;
  const victimPrincipal = (await post("/v1/principals", { kind: "agent", name: unique("victim") })).id;
  const victimMember = (await post("/v1/principals", { kind: "service", name: unique("member"), teams: [{ team_id: team, role: "member" }] })).id;
  const addable = (await post("/v1/principals", { kind: "agent", name: unique("addable") })).id;
  const issuer = (await post("/v1/oidc-issuers", { issuer: "https://idp.example.com", audience: unique("aud"), jwks: { keys: [PUBLIC_JWK] } })).id;
  const doc = { rules: [{ id: "reads", effect: "allow", reason: "reading is fine", when: { actions: ["read"] } }] };
  const policy = (await post("/v1/policies", { layer: "team", target_id: team, document: doc })).policy.id;
  await post("/v1/policies", { layer: "team", target_id: team, document: { rules: [] } });
  const anyoneApproves = ["owner", "admin", "member", "auditor", "billing", "lead"];
  await post("/v1/policies", {
    layer: "org",
    document: {
      rules: [
        { id: "deploys-ask", effect: "ask", reason: "deploys need a yes", when: { actions: ["deploy"] }, approval: { approver_roles: anyoneApproves } },
        { id: "walk-tasks", effect: "allow", reason: "the walk's tasks run", when: { actions: ["run_command", "network"], repos: ["acme/walk-task"] } },
      ],
    },
  });
  const openApproval = async (command: string) =>
    (await post("/v1/approvals", { repo: "acme/walk", team, action: "deploy", command, reason: "walk fixture" })).id as string;
  const approvals = { approve: await openApproval("deploy a"), deny: await openApproval("deploy b"), cancel: await openApproval("deploy c") };
  // Every walker is in the team (a plain member unless it leads it): tasks are created by the team's members.
  const w = await memberWithKey(org, walker.role, { teamId: team, role: walker.lead ? "lead" : "member" });
  const spareKey = (await callJson({ method: "POST", path: "/v1/keys", key: w.key, body: { name: "spare" } }, 201)).body.id;
  const reserver = ROLE_PERMISSIONS[walker.role].includes("budgets:use") ? w.key : k;
  const hold = async () =>
    (await callJson({ method: "POST", path: "/v1/budgets/reserve", key: reserver, body: { team_id: team, estimate_micros: 1000, idempotency_key: unique("fx") } }, 201)).body.id as string;
  const reservations = { settle: await hold(), release: await hold() };
  // A limit a lead can ask to raise.
  await callJson({ method: "PUT", path: `/v1/teams/${team}/budget`, key: k, body: { period: "monthly", limit_micros: 50_000_000 } }, 200);
  // Runners and tasks: a pool, two runners, a task that finished with a diff, one to cancel.
  const pool = (await post("/v1/runner-pools", { name: unique("pool") })).id as string;
  const drainRunner = await enrollRunner(org, pool, "drain");
  const revokeRunner = await enrollRunner(org, pool, "revoke");
  const taskBody = { team_id: team, repo: "acme/walk-task", ref: "main", kind: "tests", goal: "walk", steps: [{ name: "tests", kind: "tests", run: ["npm", "test"] }], estimated_tokens: 100 };
  const newTask = async (key: string) => (await callJson({ method: "POST", path: "/v1/tasks", key, body: taskBody, headers: { "idempotency-key": unique("walk") } }, 201)).body;
  const finished = await newTask(k);
  const leased = await (await runnerCall(drainRunner, "POST", "/v1/runner/lease", { wait_seconds: 0 })).json<any>();
  const diff = new TextEncoder().encode("--- a/x\n+++ b/x\n");
  const artifact = await sha256Hex(diff);
  await runnerCall(drainRunner, "PUT", `/v1/runner/jobs/${finished.job_id}/artifacts/diff/${artifact}`, diff, { "x-sysop-lease": leased.lease.id });
  const outcome = await signOutcome(drainRunner, { job_id: finished.job_id, task_id: finished.id, attempt: 1, status: "succeeded" });
  await runnerCall(drainRunner, "POST", `/v1/runner/jobs/${finished.job_id}/outcome`, { lease_id: leased.lease.id, outcome });
  const cancel = (await newTask(ROLE_PERMISSIONS[walker.role].includes("tasks:write") ? w.key : k)).id as string;
  // Signals: GitHub deliveries verified with the org's secret; one bug about the walk's repo, mapped to the team.
  const secret = unique("github-secret-0000");
  await callJson({ method: "PUT", path: "/v1/org/webhooks/github", key: k, body: { secrets: [secret] } }, 200);
  await post("/v1/signal-mappings", { match: { repos: ["acme/walk-task"] }, team_id: team });
  const mapping = (await post("/v1/signal-mappings", { match: { labels: ["walk-spare"] }, team_id: team })).id as string;
  const delivered = await postGitHub(org.orgId, secret, "issues", githubIssueBody({ repo: "acme/walk-task", number: 7, title: "Checkout fails for EU cards", labels: ["bug", "priority: high"] }));
  if (delivered.status !== 200) throw new Error(`webhook: ${delivered.status} ${await delivered.text()}`);
  const priority = (await callJson({ path: `/v1/priorities?team_id=${team}`, key: k }, 200)).body.data[0].id as string;
  // The gateway needs the org's provider keys.
  await callJson({ method: "PUT", path: "/v1/org/providers/anthropic", key: k, body: { api_key: FAKE_ANTHROPIC_KEY } }, 200);
  await callJson({ method: "PUT", path: "/v1/org/providers/openai", key: k, body: { api_key: FAKE_OPENAI_KEY } }, 200);
  return {
    org, team, spareTeam, repo, victimPrincipal, victimMember, addable, issuer, policy, approvals, reservations, walkerKey: w.key, walkerId: w.principalId, spareKey,
    pool, runners: { drain: drainRunner.id, revoke: revokeRunner.id }, tasks: { finished: finished.id, cancel }, artifact, priority, mapping,
  };
}

/** A valid request for every operation; a route without one fails the walk. */
function requestFor(op: Operation, f: Fixture): { path: string; body?: unknown; headers?: Record<string, string> } | undefined {
  const params: Record<string, string> = {
    team_id: op.path.endsWith("/archive") ? f.spareTeam : f.team,
    principal_id: op.method === "PUT" ? f.addable : op.path.startsWith("/v1/teams") ? f.victimMember : f.victimPrincipal,
    repo_id: f.repo,
    key_id: f.spareKey,
    issuer_id: f.issuer,
    policy_id: f.policy,
    version: "1",
    approval_id: op.path.endsWith("/deny") ? f.approvals.deny : op.path.endsWith("/cancel") ? f.approvals.cancel : f.approvals.approve,
    provider: "anthropic",
    pool_id: f.pool,
    runner_id: op.path.endsWith("/revoke") ? f.runners.revoke : f.runners.drain,
    task_id: op.path.endsWith("/cancel") ? f.tasks.cancel : f.tasks.finished,
    sha256: f.artifact,
    source: "github",
    mapping_id: f.mapping,
    priority_id: f.priority,
  };
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? `missing-${name}`);
  const bodies: Record<string, unknown> = {
    "POST /v1/signup": { org_name: unique("walk"), owner_email: `${unique("walk")}@example.com`, owner_name: "Walker" },
    "POST /v1/auth/token": undefined,
    "PATCH /v1/org": { name: unique("renamed") },
    "POST /v1/teams": { name: unique("new-team") },
    "PATCH /v1/teams/{team_id}": { name: unique("renamed-team") },
    "PUT /v1/teams/{team_id}/members/{principal_id}": { role: "member" },
    "POST /v1/principals": { kind: "user", email: `${unique("new")}@example.com`, name: "New Member", org_role: "member", teams: [{ team_id: f.team, role: "member" }] },
    "PATCH /v1/principals/{principal_id}": { name: unique("renamed-agent") },
    "POST /v1/repos": { team_id: f.team, name: `acme/${unique("new-repo")}`, path_scopes: [{ path: "src/**", read: ["member"], write: ["lead"] }] },
    "PATCH /v1/repos/{repo_id}": { path_scopes: [{ path: "infra/**", read: ["admin"], write: ["owner"] }] },
    "POST /v1/keys": { name: "walk key", scopes: ["teams:read"] },
    "POST /v1/oidc-issuers": { issuer: "https://idp.example.com", audience: unique("aud"), jwks: { keys: [PUBLIC_JWK] } },
    "POST /v1/policies": { layer: "team", target_id: f.team, document: { rules: [{ id: "no-deploy", effect: "deny", reason: "not from here", when: { actions: ["deploy"] } }] } },
    "POST /v1/policies/{policy_id}/versions/{version}/activate": undefined,
    "POST /v1/decisions": { repo: "acme/anything", team: f.team, action: "read", paths: ["src/a.ts"] },
    "POST /v1/approvals": { repo: "acme/walk", team: f.team, action: "deploy", command: unique("deploy"), reason: "walking" },
    "POST /v1/approvals/{approval_id}/approve": { reason: "ok" },
    "POST /v1/approvals/{approval_id}/deny": { reason: "no" },
    "POST /v1/approvals/{approval_id}/cancel": undefined,
    "POST /v1/policies/simulate": { draft: { layer: "team", target_id: f.team, document: { rules: [] } } },
    "PUT /v1/teams/{team_id}/budget": { period: "monthly", limit_micros: 10_000_000 },
    "POST /v1/teams/{team_id}/budget/increase-requests": { add_micros: 5_000_000, reason: unique("launch week") },
    "PUT /v1/org/budget": { period: "monthly", limit_micros: 100_000_000 },
    "POST /v1/budgets/reserve": { team_id: f.team, estimate_micros: 1000, idempotency_key: unique("walk") },
    "POST /v1/budgets/settle": { team_id: f.team, reservation_id: f.reservations.settle, actual_micros: 900 },
    "POST /v1/budgets/release": { team_id: f.team, reservation_id: f.reservations.release },
    "PUT /v1/org/providers/{provider}": { api_key: FAKE_ANTHROPIC_KEY },
    "PUT /v1/org/prices": { overrides: {}, default_price: { input: 1_000_000, output: 2_000_000, cache_read: 100_000, cache_write: 1_250_000 } },
    "POST /v1/llm/anthropic/v1/messages": { model: "claude-sonnet-4-5", max_tokens: 20, messages: [{ role: "user", content: "hi" }] },
    "POST /v1/llm/openai/v1/chat/completions": { model: "gpt-4o-mini", max_tokens: 20, messages: [{ role: "user", content: "hi" }] },
    "POST /v1/runner-pools": { name: unique("walk-pool") },
    "POST /v1/runner-pools/{pool_id}/enrolment-tokens": {},
    "POST /v1/tasks": { team_id: f.team, repo: "acme/walk-task", ref: "main", kind: "tests", goal: unique("walk"), steps: [{ name: "tests", kind: "tests", run: ["npm", "test"] }], estimated_tokens: 100 },
    "PUT /v1/org/webhooks/{source}": { secrets: [unique("github-secret-walk-0000")] },
    "POST /v1/signal-mappings": { match: { labels: [unique("walk")] }, team_id: f.team },
    "POST /v1/priorities/{priority_id}/task": { team_id: f.team },
    "PUT /v1/org/outcome-settings": { reworkWindowDays: 10 },
    "PUT /v1/org/slack": { team_id: `T${unique("w").replace(/[^a-z0-9]/g, "").toUpperCase().slice(0, 14)}`, bot_token: "xoxb-walk-0000000000" },
  };
  const key = `${op.method} ${op.path}`;
  if (op.method === "GET" || op.method === "DELETE" || key.endsWith("/archive") || key.endsWith("/revoke") || key.endsWith("/activate") || key.endsWith("/cancel") || key.endsWith("/drain") || key.endsWith("/rotate")) return { path };
  if (!(key in bodies)) return undefined;
  // The gateway's callers name the team that pays.
  if (op.path.startsWith("/v1/llm/")) return { path, body: bodies[key], headers: { "anthropic-version": "2023-06-01", "x-sysop-team": f.team } };
  if (key === "POST /v1/tasks" || key === "POST /v1/priorities/{priority_id}/task") return { path, body: bodies[key], headers: { "idempotency-key": unique("walk") } };
  return { path, body: bodies[key] };
}

/** Routes a principal's credential never reaches: Slack's signature, a runner's own token. */
const walked = (op: Operation) => !["public", "slack_signature", "enrolment_token", "runner_token", "webhook_signature"].includes(op.access);

/** Destructive calls go last, so earlier calls still find their targets. */
const destructive = (op: Operation) => op.method === "DELETE" || /\/(archive|revoke|approve|deny|cancel|drain)$/.test(op.path);
const walkOrder = (ops: Operation[]) => [...ops.filter((o) => !destructive(o)), ...ops.filter(destructive)];

function expectedAllowed(op: Operation, role: OrgRole, lead: boolean): boolean {
  if (op.access === "public" || op.access === "authenticated" || op.access === "own_keys") return true;
  const permission = op.access as Permission;
  if (ROLE_PERMISSIONS[role].includes(permission)) return true;
  return lead && op.teamScoped && TEAM_LEAD_PERMISSIONS.includes(permission);
}

const WALKERS: { name: string; role: OrgRole; lead: boolean }[] = [
  ...ORG_ROLES.map((role) => ({ name: role, role, lead: false })),
  { name: "member who leads the team", role: "member", lead: true },
];

describe("every route, every role", () => {
  it("has a sample request for every operation in the OpenAPI document", async () => {
    const org = await signupOrg("samples");
    const f = await fixture(org, { role: "member", lead: false });
    const missing = (await operations()).filter((op) => walked(op) && !requestFor(op, f));
    expect(missing.map((o) => `${o.method} ${o.path}`)).toEqual([]);
  });

  it.each(WALKERS)("a $name gets exactly the access of the role table", async ({ role, lead }) => {
    const org = await signupOrg(`walk-${role}`);
    const f = await fixture(org, { role, lead });
    const results: string[] = [];
    const mismatches: string[] = [];
    for (const op of walkOrder(await operations())) {
      if (!walked(op)) continue;
      const req = requestFor(op, f)!;
      const res = await call({ method: op.method, path: req.path, key: f.walkerKey, body: req.body, headers: req.headers });
      const allowed = expectedAllowed(op, role, lead);
      const ok = allowed ? res.status >= 200 && res.status < 300 : res.status === 403;
      results.push(`${op.method} ${op.path} -> ${res.status}`);
      if (!ok) mismatches.push(`${op.method} ${op.path}: expected ${allowed ? "2xx" : "403"}, got ${res.status} ${await res.text()}`);
    }
    expect(mismatches).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(30);
  });
});

describe("tenancy: another org's principal", () => {
  it("gets 404 for every route aimed at this org's ids, sees none of its data elsewhere, and changes nothing", async () => {
    const victim = await signupOrg("victim");
    const f = await fixture(victim, { role: "member", lead: true });
    const intruder = await signupOrg("intruder");
    await flushAudit([victim.orgId]);
    const headBefore = (await callJson({ path: "/v1/audit/verify", key: victim.key }, 200)).body.head;
    const victimIds = [victim.orgId, f.team, f.spareTeam, f.repo, f.victimPrincipal, f.victimMember, f.addable, f.issuer, f.policy, ...Object.values(f.approvals), ...Object.values(f.reservations), f.spareKey, f.walkerId, victim.ownerId, f.pool, ...Object.values(f.runners), ...Object.values(f.tasks), f.priority, f.mapping];

    const failures: string[] = [];
    let checked = 0;
    for (const op of walkOrder(await operations())) {
      if (!walked(op)) continue;
      const req = requestFor(op, f)!;
      const aimsAtVictim = /\{(?!provider|source)/.test(op.path) || victimIds.some((id) => JSON.stringify([req.body, req.headers]).includes(id));
      const res = await call({ method: op.method, path: req.path, key: intruder.key, body: req.body, headers: req.headers });
      const text = await res.text();
      checked++;
      if (aimsAtVictim) {
        if (res.status !== 404) failures.push(`${op.method} ${op.path}: expected 404, got ${res.status} ${text}`);
      } else {
        if (res.status >= 500) failures.push(`${op.method} ${op.path}: ${res.status}`);
        const leaked = victimIds.filter((id) => text.includes(id));
        if (leaked.length) failures.push(`${op.method} ${op.path} leaked ${leaked.join(", ")}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(30);

    // Nothing of the victim's changed: same chain head, spare key still usable, team intact.
    await flushAudit([victim.orgId]);
    expect((await callJson({ path: "/v1/audit/verify", key: victim.key }, 200)).body.head).toEqual(headBefore);
    expect((await callJson({ path: `/v1/teams/${f.spareTeam}`, key: victim.key }, 200)).body.archived_at).toBeNull();
    expect((await callJson({ path: `/v1/keys/${f.spareKey}`, key: victim.key }, 200)).body.revoked_at).toBeNull();
  });
});
