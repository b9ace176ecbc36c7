// Signals and outcomes through the Worker: webhook deliveries verified with the org's
// secrets (rotation, bad signatures, replays, unknown endpoints, dead letters), mapping rules,
// ranked priorities turned into tasks, and outcome metrics from a hand-built GitHub history
// whose expected values are worked out here by hand. Every provider's scheme is covered in
// test/unit/webhooks; provider-wide deliveries in test/unit/provider-events.test.ts.
import { describe, expect, it } from "vitest";
import { env, SELF } from "cloudflare:test";
import { call, callJson, expectProblem, memberWithKey, signupOrg, unique, type Org } from "./helpers";
import { fakeSha, githubPullRequestOpened, githubPush, githubReview, type ProviderDelivery } from "../fakes/provider-events";
import { githubDeploymentBody, githubIssueBody, githubPullRequestBody, githubReviewBody, mergeShaOf, postGitHub } from "./webhook-kit";

async function signalOrg() {
  const org = await signupOrg("signals");
  const secret = unique("gh-secret-0000000000");
  await callJson({ method: "PUT", path: "/v1/org/webhooks/github", key: org.key, body: { secrets: [secret] } }, 200);
  return { org, secret };
}

const signalsOf = async (org: Org, query = "") => (await callJson({ path: `/v1/signals${query}`, key: org.key }, 200)).body.data as any[];

describe("webhook receivers", () => {
  it("stores a verified delivery once, refuses bad signatures and unknown endpoints, and accepts either secret during a rotation", async () => {
    const { org, secret } = await signalOrg();
    const sources = (await callJson({ path: "/v1/org/webhooks", key: org.key }, 200)).body.data;
    expect(sources.find((s: any) => s.source === "github")).toEqual({ source: "github", configured: true, secrets: 1, url_path: `/v1/webhooks/github/${org.orgId}` });
    expect(JSON.stringify(sources)).not.toContain(secret);

    const body = githubIssueBody({ repo: "acme/shop", number: 1, title: "Checkout 500s on EU cards", labels: ["bug"] });
    const first = await postGitHub(org.orgId, secret, "issues", body, "delivery-1");
    expect(await first.json()).toEqual({ delivery_id: "delivery-1", records: 1, duplicate: false });
    // The provider retries the same delivery: answered, not applied again.
    expect(await (await postGitHub(org.orgId, secret, "issues", body, "delivery-1")).json()).toMatchObject({ duplicate: true });
    expect(await signalsOf(org)).toHaveLength(1);

    // A wrong signature: 401, nothing stored (not even a dead letter).
    const forged = await postGitHub(org.orgId, "not-the-secret-00000", "issues", githubIssueBody({ repo: "acme/shop", number: 2, title: "forged", labels: ["bug"] }));
    await expectProblem(forged, 401);
    expect(await signalsOf(org)).toHaveLength(1);
    expect((await callJson({ path: "/v1/org/webhooks/dead-letters", key: org.key }, 200)).body.data).toEqual([]);

    // No secret for the source, or another org's endpoint: there is no such endpoint.
    await expectProblem(await call({ method: "POST", path: `/v1/webhooks/jira/${org.orgId}`, body: {} }), 404);
    const other = await signupOrg("signals-other");
    await expectProblem(await postGitHub(other.orgId, secret, "issues", body, "delivery-x"), 404);

    // Rotation: both secrets verify until the old one is dropped.
    const next = unique("gh-secret-next-000000");
    await callJson({ method: "PUT", path: "/v1/org/webhooks/github", key: org.key, body: { secrets: [next, secret] } }, 200);
    expect((await postGitHub(org.orgId, secret, "issues", githubIssueBody({ repo: "acme/shop", number: 3, title: "old secret", labels: ["bug"] }))).status).toBe(200);
    expect((await postGitHub(org.orgId, next, "issues", githubIssueBody({ repo: "acme/shop", number: 4, title: "new secret", labels: ["bug"] }))).status).toBe(200);
    await callJson({ method: "PUT", path: "/v1/org/webhooks/github", key: org.key, body: { secrets: [next] } }, 200);
    await expectProblem(await postGitHub(org.orgId, secret, "issues", githubIssueBody({ repo: "acme/shop", number: 5, title: "retired", labels: ["bug"] })), 401);
    expect((await signalsOf(org)).map((s) => s.title).sort()).toEqual(["Checkout 500s on EU cards", "new secret", "old secret"]);
  });

  it("keeps a delivery that verifies but cannot be read as a dead letter (422)", async () => {
    const { org, secret } = await signalOrg();
    const garbage = JSON.stringify({ action: "opened", issue: { number: "one" }, repository: { full_name: "acme/shop" } });
    const res = await postGitHub(org.orgId, secret, "issues", garbage, "broken-1");
    const problem = await expectProblem(res, 422);
    expect(problem.detail).toContain("issue");
    const dead = (await callJson({ path: "/v1/org/webhooks/dead-letters?source=github", key: org.key }, 200)).body.data;
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ source: "github", delivery_id: "broken-1", body: garbage, headers: { "x-github-event": "issues" } });
    expect(await signalsOf(org)).toEqual([]);
    // Members cannot read them; another org sees none.
    const dev = await memberWithKey(org, "member");
    await expectProblem(await call({ path: "/v1/org/webhooks/dead-letters", key: dev.key }), 403);
  });

  it("maps signals to repos and teams by rules, lists the unmapped, and maps again when rules change", async () => {
    const { org, secret } = await signalOrg();
    const team = (await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: "Checkout" } }, 201)).body.id;
    await postGitHub(org.orgId, secret, "issues", githubIssueBody({ repo: "acme/shop", number: 1, title: "Cart total wrong", labels: ["bug", "checkout"] }));
    await postGitHub(org.orgId, secret, "issues", githubIssueBody({ repo: "acme/blog", number: 2, title: "Typo", labels: ["bug"] }));
    expect((await signalsOf(org, "?unmapped=true")).map((s) => s.title).sort()).toEqual(["Cart total wrong", "Typo"]);
    const rule = (await callJson({ method: "POST", path: "/v1/signal-mappings", key: org.key, body: { match: { labels: ["Checkout"] }, team_id: team } }, 201)).body;
    expect((await signalsOf(org, "?unmapped=true")).map((s) => s.title)).toEqual(["Typo"]);
    expect((await signalsOf(org, `?team_id=${team}`)).map((s) => [s.title, s.repo])).toEqual([["Cart total wrong", "acme/shop"]]);
    // A repo registered to a team places its signals without a rule.
    await callJson({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: org.teamId, name: "acme/blog" } }, 201);
    await postGitHub(org.orgId, secret, "issues", githubIssueBody({ repo: "acme/blog", number: 3, title: "Broken link", labels: ["bug"] }));
    expect((await signalsOf(org, `?team_id=${org.teamId}`)).map((s) => s.title)).toEqual(["Broken link"]);
    expect((await callJson({ method: "DELETE", path: `/v1/signal-mappings/${rule.id}`, key: org.key }, 200)).body).toEqual({ deleted: true, remapped: 2 });
    expect((await signalsOf(org, "?unmapped=true")).map((s) => s.title)).toEqual(["Cart total wrong"]);
  });
});

describe("pull request activity out of order", () => {
  it("keeps reviews and pushes that arrive before their pull request, and folds them in when it does", async () => {
    const { org, secret } = await signalOrg();
    const repo = "acme/shop";
    const headSha = await fakeSha("head-7");
    const pr = { title: "Speed up search", author: "ana", branch: "search-speed", headSha, createdAt: "2026-10-02T09:00:00Z" };
    const deliver = async (d: Promise<ProviderDelivery>) => {
      const { body, headers } = await d;
      const res = await SELF.fetch(`https://sysop.test/v1/webhooks/github/${org.orgId}`, { method: "POST", headers, body });
      expect(res.status, await res.clone().text()).toBe(200);
    };
    // The branch is pushed first, reviews come before GitHub's pull_request delivery does.
    await deliver(githubPush({ secret, repo, branch: "search-speed", pusher: "ana", commits: [{ sha: await fakeSha("c1"), message: "index", timestamp: "2026-10-01T15:00:00Z", author: "ana" }] }));
    await deliver(githubReview({ secret, repo, number: 7, state: "changes_requested", reviewer: "bo", submittedAt: "2026-10-02T11:00:00Z", pullRequest: pr }));
    await deliver(githubReview({ secret, repo, number: 7, state: "approved", reviewer: "bo", submittedAt: "2026-10-02T15:00:00Z", pullRequest: pr }));
    await deliver(githubReview({ secret, repo, number: 7, state: "commented", reviewer: "ana", submittedAt: "2026-10-02T10:00:00Z", pullRequest: pr })); // the author's own
    await deliver(githubPullRequestOpened({ secret, repo, number: 7, ...pr }));
    const row = await env.DB.prepare("SELECT first_commit_at, first_review_at, approved_at, review_rounds FROM changes WHERE org_id = ? AND number = 7").bind(org.orgId).first<any>();
    expect(row).toEqual({ first_commit_at: "2026-10-01T15:00:00.000Z", first_review_at: "2026-10-02T11:00:00.000Z", approved_at: "2026-10-02T15:00:00.000Z", review_rounds: 1 });
  });
});

describe("priorities", () => {
  it("ranks the team's work with an explanation, and turns a priority into a linked task", async () => {
    const { org, secret } = await signalOrg();
    await callJson({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: org.teamId, name: "acme/shop" } }, 201);
    await callJson({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: org.teamId, name: "acme/docs" } }, 201);
    await callJson({ method: "POST", path: "/v1/runner-pools", key: org.key, body: { name: "pool" } }, 201);
    const old = new Date(Date.now() - 10 * 86_400_000).toISOString();
    for (const [n, title] of [[1, "Checkout 500s"], [2, "Coupon ignored"], [3, "Tax rounding"]] as const) {
      await postGitHub(org.orgId, secret, "issues", githubIssueBody({ repo: "acme/shop", number: n, title, labels: ["bug", "priority: high"], createdAt: old }));
    }
    await postGitHub(org.orgId, secret, "issues", githubIssueBody({ repo: "acme/docs", number: 9, title: "Old screenshots", labels: ["enhancement"] }));
    const ranked = (await callJson({ path: `/v1/priorities?team_id=${org.teamId}`, key: org.key }, 200)).body.data;
    expect(ranked.map((p: any) => p.repo)).toEqual(["acme/shop", "acme/docs"]);
    expect(ranked[0]).toMatchObject({ rank: 1, team_id: org.teamId, key: { scope_kind: "repo", scope: "acme/shop" }, task_ids: [] });
    expect(ranked[0].signal_ids).toHaveLength(3);
    const age = ranked[0].explanation.find((e: any) => e.factor === "age");
    expect(age).toMatchObject({ value: 10, contribution: 0.5 });
    expect(ranked[0].score).toBeCloseTo(ranked[0].explanation.reduce((a: number, e: any) => a + e.contribution, 0), 5);

    const made = await call({ method: "POST", path: `/v1/priorities/${ranked[0].id}/task`, key: org.key, body: {}, headers: { "idempotency-key": "pri-1" } });
    expect(made.status).toBe(201);
    const { task_id } = await made.json<any>();
    const task = (await callJson({ path: `/v1/tasks/${task_id}`, key: org.key }, 200)).body;
    expect(task).toMatchObject({ repo: "acme/shop", team_id: org.teamId, kind: "agent_run" });
    expect(task.goal).toContain("Checkout 500s");
    const again = await call({ method: "POST", path: `/v1/priorities/${ranked[0].id}/task`, key: org.key, body: {}, headers: { "idempotency-key": "pri-1" } });
    expect((await again.json<any>()).task_id).toBe(task_id);
    expect((await callJson({ path: `/v1/priorities?team_id=${org.teamId}`, key: org.key }, 200)).body.data[0].task_ids).toEqual([task_id]);
    await expectProblem(await call({ method: "POST", path: "/v1/priorities/pri_000000000000000000000000/task", key: org.key, body: {}, headers: { "idempotency-key": "x" } }), 404);
  });
});

describe("outcome metrics", () => {
  it("computes agent and human metrics and DORA from a hand-built week of GitHub deliveries", async () => {
    const { org, secret } = await signalOrg();
    await callJson({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: org.teamId, name: "acme/shop" } }, 201);
    const send = (event: string, body: string) => postGitHub(org.orgId, secret, event, body).then((r) => expect(r.status).toBe(200));
    const repo = "acme/shop";
    // #1 human: opened Oct 1 09:00, changes requested 12:00, approved Oct 2 09:00, merged Oct 2 10:00.
    await send("pull_request", githubPullRequestBody({ repo, number: 1, title: "Fix tax", branch: "fix-tax", author: "ana", createdAt: "2026-10-01T09:00:00Z" }));
    await send("pull_request_review", githubReviewBody({ repo, number: 1, reviewer: "bo", state: "changes_requested", at: "2026-10-01T12:00:00Z" }));
    await send("pull_request_review", githubReviewBody({ repo, number: 1, reviewer: "bo", state: "approved", at: "2026-10-02T09:00:00Z" }));
    await send("pull_request", githubPullRequestBody({ repo, number: 1, title: "Fix tax", branch: "fix-tax", author: "ana", createdAt: "2026-10-01T09:00:00Z", mergedAt: "2026-10-02T10:00:00Z" }));
    // #2 agent (branch sysop/…): opened Oct 2 09:00, approved 11:00, merged 12:00.
    await send("pull_request", githubPullRequestBody({ repo, number: 2, title: "Bump deps", branch: "sysop/bump-deps", author: "sysop-bot", createdAt: "2026-10-02T09:00:00Z" }));
    await send("pull_request_review", githubReviewBody({ repo, number: 2, reviewer: "bo", state: "approved", at: "2026-10-02T11:00:00Z" }));
    await send("pull_request", githubPullRequestBody({ repo, number: 2, title: "Bump deps", branch: "sysop/bump-deps", author: "sysop-bot", createdAt: "2026-10-02T09:00:00Z", mergedAt: "2026-10-02T12:00:00Z" }));
    // #3 agent (label sysop-agent): opened Oct 3 09:00, closed unmerged 18:00. #4 human: opened Oct 4, still open.
    await send("pull_request", githubPullRequestBody({ repo, number: 3, title: "Refactor cart", branch: "cart", author: "sysop-bot", labels: ["sysop-agent"], createdAt: "2026-10-03T09:00:00Z", closedAt: "2026-10-03T18:00:00Z" }));
    await send("pull_request", githubPullRequestBody({ repo, number: 4, title: "New banner", branch: "banner", author: "cy", createdAt: "2026-10-04T09:00:00Z" }));
    // Deployments: Oct 2 13:00 succeeds (ships #1 and #2), Oct 5 10:00 fails.
    await send("deployment_status", githubDeploymentBody({ repo, id: 1, sha: mergeShaOf(2), state: "success", at: "2026-10-02T13:00:00Z" }));
    await send("deployment_status", githubDeploymentBody({ repo, id: 2, sha: "b".repeat(40), state: "failure", at: "2026-10-05T10:00:00Z" }));

    const res = await callJson({ path: `/v1/metrics?team_id=${org.teamId}&from=2026-10-01T00:00:00Z&to=2026-10-08T00:00:00Z`, key: org.key }, 200);
    const m = Object.fromEntries(res.body.metrics.map((x: any) => [x.name, x]));
    // Opened in the week: agent #2, #3 (one merged) → 0.5; human #1, #4 (one merged) → 0.5; all 2 of 4.
    expect(m.acceptance_rate.agent).toEqual({ value: 0.5, sample_size: 2 });
    expect(m.acceptance_rate.human).toEqual({ value: 0.5, sample_size: 2 });
    expect(m.acceptance_rate.all).toEqual({ value: 0.5, sample_size: 4 });
    // Iterations (review rounds: change requests): #1 → 1, #2 → 0.
    expect(m.iterations_per_accepted_change.human.value).toBe(1);
    expect(m.iterations_per_accepted_change.agent.value).toBe(0);
    // First review: #1 3 h after opening, #2 2 h; approval: #1 24 h, #2 2 h; cycle: #1 25 h, #2 3 h.
    expect(m.time_to_first_review_median_hours.human.value).toBe(3);
    expect(m.time_to_first_review_median_hours.agent.value).toBe(2);
    expect(m.time_to_approval_median_hours.human.value).toBe(24);
    expect(m.cycle_time_median_hours.all.value).toBe(14); // median of 25 and 3
    // DORA: 1 successful deploy in 7 days; 1 of 2 deployments failed; lead time #1 3 h, #2 1 h → median 2.
    expect(m.deployment_frequency_per_day.all.value).toBeCloseTo(1 / 7, 10);
    expect(m.change_failure_rate.all).toEqual({ value: 0.5, sample_size: 2 });
    expect(m.lead_time_for_changes_median_hours.all.value).toBe(2);
    expect(m.lead_time_for_changes_median_hours.agent.value).toBe(1);
    expect(m.acceptance_rate.definition).toMatch(/merged/);

    // CSV says the same.
    const csv = await (await call({ path: `/v1/metrics?team_id=${org.teamId}&from=2026-10-01T00:00:00Z&to=2026-10-08T00:00:00Z&format=csv&compare=agent`, key: org.key })).text();
    expect(csv.split("\n")[0]).toBe("metric,unit,group,value,sample_size,definition");
    expect(csv).toMatch(/^acceptance_rate,[^,]*,agent,0\.5,2,/m);
    // An empty period: values are null, never NaN.
    const empty = await callJson({ path: `/v1/metrics?team_id=${org.teamId}&from=2025-01-01T00:00:00Z&to=2025-01-08T00:00:00Z`, key: org.key }, 200);
    expect(empty.body.metrics.every((x: any) => x.all.value === null && x.all.sample_size === 0)).toBe(true);
    await expectProblem(await call({ path: `/v1/metrics?from=2026-10-08T00:00:00Z&to=2026-10-01T00:00:00Z`, key: org.key }), 422);
    // Members may not read metrics; another org sees none of this team.
    const dev = await memberWithKey(org, "member");
    await expectProblem(await call({ path: "/v1/metrics", key: dev.key }), 403);
    const other = await signupOrg("metrics-other");
    await expectProblem(await call({ path: `/v1/metrics?team_id=${org.teamId}`, key: other.key }), 404);
  });
});
