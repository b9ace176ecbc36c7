// Unit tests for the GitHub webhook receiver (workers/src/domain/webhooks/github.ts): GitHub's
// published test vector, deliveries signed as GitHub signs them (node:crypto), rotation, every
// refusal, and each event read from a payload shaped like GitHub's documented examples.
import { describe, expect, it } from "vitest";
import { parseGitHubWebhook, verifyGitHubWebhook } from "../../../workers/src/domain/webhooks/github";
import { edited, fixture, headers, hmacHex } from "./helpers";

const SECRET = "gh-webhook-secret-current";
const NOW = new Date("2019-05-15T15:30:00Z");
const DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958";

const sign = (secret: string, body: string) => `sha256=${hmacHex(secret, body)}`;
const verify = (body: string, signature: string | null, secrets: readonly string[] = [SECRET]) =>
  verifyGitHubWebhook({
    rawBody: body,
    headers: headers(signature === null ? {} : { "X-Hub-Signature-256": signature }),
    secrets,
    now: NOW,
  });
const parse = (body: string, event: string, extra: Record<string, string> = {}) =>
  parseGitHubWebhook(body, headers({ "X-GitHub-Delivery": DELIVERY, "X-GitHub-Event": event, ...extra }));

describe("verifyGitHubWebhook", () => {
  it("reproduces GitHub's documented test values", async () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    expect(await verify("Hello, World!", signature, ["It's a Secret to Everybody"])).toEqual({ ok: true });
  });

  it("accepts a delivery signed with node:crypto, UTF-8 body included", async () => {
    const body = fixture("github-pull-request-closed.json");
    expect(await verify(body, sign(SECRET, body))).toEqual({ ok: true });
    const unicode = JSON.stringify({ zen: "naïve ✓ 🚀" });
    expect(await verify(unicode, sign(SECRET, unicode))).toEqual({ ok: true });
  });

  it("accepts a signature from either secret during a rotation, in any order", async () => {
    const body = fixture("github-push.json");
    const secrets = ["gh-old-secret", SECRET];
    for (const secret of secrets) {
      expect(await verify(body, sign(secret, body), secrets)).toEqual({ ok: true });
      expect(await verify(body, sign(secret, body), [...secrets].reverse())).toEqual({ ok: true });
    }
  });

  it.each([
    ["a wrong secret", (b: string) => sign("not-the-secret", b)],
    ["a tampered body", (b: string) => sign(SECRET, b + " ")],
    ["the legacy sha1 format", (b: string) => `sha1=${hmacHex(SECRET, b).slice(0, 40)}`],
    ["no sha256= prefix", (b: string) => hmacHex(SECRET, b)],
    ["upper-case hex", (b: string) => sign(SECRET, b).toUpperCase().replace("SHA256", "sha256")],
    ["a truncated signature", (b: string) => sign(SECRET, b).slice(0, -2)],
  ])("refuses %s as bad_signature", async (_name, signatureFor) => {
    const body = fixture("github-issues-opened.json");
    expect(await verify(body, signatureFor(body))).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses a delivery without X-Hub-Signature-256 (even with the legacy X-Hub-Signature)", async () => {
    const body = fixture("github-ping.json");
    expect(await verify(body, null)).toEqual({ ok: false, reason: "missing_headers" });
    const legacyOnly = headers({ "X-Hub-Signature": sign(SECRET, body) });
    expect(await verifyGitHubWebhook({ rawBody: body, headers: legacyOnly, secrets: [SECRET], now: NOW })).toEqual({
      ok: false,
      reason: "missing_headers",
    });
  });

  it("throws when no usable secret is configured: a deployment error, not a bad request", async () => {
    const body = fixture("github-ping.json");
    await expect(verify(body, sign(SECRET, body), [])).rejects.toThrow(/no usable signing secret/);
    await expect(verify(body, sign("", body), [SECRET, ""])).rejects.toThrow(/no usable signing secret/);
  });
});

describe("parseGitHubWebhook", () => {
  it("reads an issues event into a signal classified by its labels", () => {
    expect(parse(fixture("github-issues-opened.json"), "issues")).toEqual({
      ok: true,
      deliveryId: DELIVERY,
      records: [
        {
          kind: "signal",
          source: "github",
          externalId: "Codertocat/Hello-World#1",
          url: "https://github.com/Codertocat/Hello-World/issues/1",
          signalKind: "bug",
          title: "Spelling error in the README file",
          severity: "high",
          customer: null,
          arrMicros: null,
          component: null,
          service: null,
          labels: ["bug", "priority: high"],
          repo: "Codertocat/Hello-World",
          state: "open",
          openedAt: "2019-05-15T15:20:18.000Z",
          resolvedAt: null,
          updatedAt: "2019-05-15T15:20:18.000Z",
        },
      ],
    });
  });

  it("tells an issue closed as completed (resolved) from one closed as not planned (closed)", () => {
    const closed = (reason: string) =>
      edited("github-issues-opened.json", (b) => {
        b.action = "closed";
        Object.assign(b.issue, { state: "closed", state_reason: reason, closed_at: "2019-05-16T09:00:00Z" });
      });
    const signal = (body: string) => {
      const result = parse(body, "issues");
      return result.ok ? result.records[0] : undefined;
    };
    expect(signal(closed("completed"))).toMatchObject({ state: "resolved", resolvedAt: "2019-05-16T09:00:00.000Z" });
    expect(signal(closed("not_planned"))).toMatchObject({ state: "closed", resolvedAt: "2019-05-16T09:00:00.000Z" });
  });

  it("records nothing for an issue no label classifies", () => {
    const body = edited("github-issues-opened.json", (b) => (b.issue.labels = [{ name: "question" }]));
    expect(parse(body, "issues")).toEqual({ ok: true, deliveryId: DELIVERY, records: [] });
  });

  it("reads a merged pull request, body kept whole for its trailers", () => {
    expect(parse(fixture("github-pull-request-closed.json"), "pull_request")).toEqual({
      ok: true,
      deliveryId: DELIVERY,
      records: [
        {
          kind: "pull_request",
          repo: "Codertocat/Hello-World",
          number: 2,
          action: "closed",
          merged: true,
          title: "Update the README with new information.",
          branch: "changes",
          baseBranch: "master",
          author: "Codertocat",
          labels: ["bug"],
          body: "This is a pretty simple change that we need to pull into master.\n\nSysop-Task: tsk_01HZX4Q7\nCo-authored-by: Octocat <octocat@github.com>",
          createdAt: "2019-05-15T15:20:33.000Z",
          mergedAt: "2019-05-15T15:21:18.000Z",
          closedAt: "2019-05-15T15:21:18.000Z",
          headSha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
          mergeCommitSha: "c4295bd74fb0f4fda03689c3df3f2803b658fd85",
          additions: 1,
          deletions: 1,
          commits: 1,
        },
      ],
    });
  });

  it("reads a pull request with a null body and no size fields", () => {
    const body = edited("github-pull-request-closed.json", (b) => {
      b.action = "opened";
      Object.assign(b.pull_request, { body: null, merged: false, merged_at: null, closed_at: null, merge_commit_sha: null });
      delete b.pull_request.additions;
      delete b.pull_request.deletions;
      delete b.pull_request.commits;
    });
    const result = parse(body, "pull_request");
    expect(result.ok && result.records[0]).toMatchObject({ action: "opened", merged: false, body: "", mergeCommitSha: null });
    expect(result.ok && result.records[0]).not.toHaveProperty("additions");
  });

  it("reads a review", () => {
    expect(parse(fixture("github-pull-request-review-submitted.json"), "pull_request_review")).toEqual({
      ok: true,
      deliveryId: DELIVERY,
      records: [
        {
          kind: "pull_request_review",
          repo: "Codertocat/Hello-World",
          number: 2,
          state: "approved",
          reviewer: "Codertocat",
          submittedAt: "2019-05-15T15:20:38.000Z",
        },
      ],
    });
  });

  it("reads a branch push, commit times normalised to UTC, the login preferred to the git name", () => {
    expect(parse(fixture("github-push.json"), "push")).toEqual({
      ok: true,
      deliveryId: DELIVERY,
      records: [
        {
          kind: "push",
          repo: "Codertocat/Hello-World",
          branch: "main",
          forced: false,
          commits: [
            {
              sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
              message: "Update README.md\n\nSysop-Task: tsk_01HZX4Q7",
              timestamp: "2019-05-15T22:20:30.000Z",
              author: "Codertocat",
            },
            { sha: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", message: "Fix typo", timestamp: "2019-05-15T22:21:02.000Z", author: "Mona Lisa" },
          ],
        },
      ],
    });
  });

  it("records nothing for a tag push or a branch deletion", () => {
    const tag = edited("github-push.json", (b) => (b.ref = "refs/tags/v1.0.0"));
    const deletion = edited("github-push.json", (b) => Object.assign(b, { deleted: true, commits: [] }));
    expect(parse(tag, "push")).toEqual({ ok: true, deliveryId: DELIVERY, records: [] });
    expect(parse(deletion, "push")).toEqual({ ok: true, deliveryId: DELIVERY, records: [] });
  });

  it("reads a deployment status", () => {
    expect(parse(fixture("github-deployment-status.json"), "deployment_status")).toEqual({
      ok: true,
      deliveryId: DELIVERY,
      records: [
        {
          kind: "deployment_status",
          repo: "Codertocat/Hello-World",
          environment: "production",
          state: "success",
          sha: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
          deploymentId: 326191728,
          createdAt: "2019-05-15T15:20:55.000Z",
        },
      ],
    });
  });

  it("reads a check run", () => {
    expect(parse(fixture("github-check-run-completed.json"), "check_run")).toEqual({
      ok: true,
      deliveryId: DELIVERY,
      records: [
        {
          kind: "check_run",
          repo: "Codertocat/Hello-World",
          name: "Octocoders-linter",
          status: "completed",
          conclusion: "success",
          headSha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
          completedAt: "2019-05-15T15:21:45.000Z",
        },
      ],
    });
  });

  it("answers ping, and events it does not read, with no records", () => {
    expect(parse(fixture("github-ping.json"), "ping")).toEqual({ ok: true, deliveryId: DELIVERY, records: [] });
    expect(parse(JSON.stringify({ action: "created", starred_at: null }), "star")).toEqual({ ok: true, deliveryId: DELIVERY, records: [] });
    // An event named like an Object.prototype member finds no parser.
    expect(parse("{}", "constructor")).toEqual({ ok: true, deliveryId: DELIVERY, records: [] });
  });

  it("reads a form-encoded delivery (a hook set to application/x-www-form-urlencoded)", () => {
    const form = new URLSearchParams({ payload: fixture("github-pull-request-review-submitted.json") }).toString();
    const result = parse(form, "pull_request_review");
    expect(result.ok && result.records).toHaveLength(1);
  });

  it.each([
    ["pull_request", "github-pull-request-closed.json", (b: Record<string, any>) => delete b.pull_request.head.sha, "pull_request.head.sha"],
    ["pull_request", "github-pull-request-closed.json", (b: Record<string, any>) => (b.pull_request.number = "2"), "pull_request.number"],
    ["issues", "github-issues-opened.json", (b: Record<string, any>) => (b.issue.created_at = "yesterday"), "issue.created_at"],
    ["push", "github-push.json", (b: Record<string, any>) => delete b.repository.full_name, "repository.full_name"],
    ["deployment_status", "github-deployment-status.json", (b: Record<string, any>) => (b.deployment_status.state = "exploded"), "deployment_status.state"],
    ["check_run", "github-check-run-completed.json", (b: Record<string, any>) => (b.check_run.head_sha = "HEAD"), "check_run.head_sha"],
  ])("refuses a %s payload whose %s is broken, naming the field", (event, name, edit, field) => {
    const result = parse(edited(name, edit), event);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(`"${field}"`);
  });

  it("refuses a body that is not JSON, and a delivery missing its delivery id or event name", () => {
    expect(parse("<xml/>", "push")).toEqual({ ok: false, reason: "github push: body is not JSON" });
    const body = fixture("github-ping.json");
    const noDelivery = parseGitHubWebhook(body, headers({ "X-GitHub-Event": "ping" }));
    expect(!noDelivery.ok && noDelivery.reason).toContain("x-github-delivery");
    const noEvent = parseGitHubWebhook(body, headers({ "X-GitHub-Delivery": DELIVERY }));
    expect(!noEvent.ok && noEvent.reason).toContain("x-github-event");
  });
});
