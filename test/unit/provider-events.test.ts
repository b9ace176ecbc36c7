// The provider event builders (test/fakes/provider-events.ts) make what the providers send:
// every builder's delivery verifies and parses with the module's own WEBHOOK_RECEIVERS[source]
// into the expected record, carries every field of the documented example it is based on
// (test/unit/webhooks/fixtures/), fails with another secret, and signs the time it is sent.
import { describe, expect, it } from "vitest";
import { WEBHOOK_RECEIVERS } from "../../workers/src/domain/webhooks";
import * as fake from "../fakes/provider-events";
import type { ProviderDelivery } from "../fakes/provider-events";
import { fixture } from "./webhooks/helpers";

const SECRET = "provider-events-test-secret-0001";
const DAY = 86_400_000;
// Events from weeks ago, delivered now: what a backfill or a bench replays.
const T0 = Math.floor((Date.now() - 40 * DAY) / 60_000) * 60_000;
const at = (hours: number) => new Date(T0 + hours * 3_600_000);
const iso = (hours: number) => at(hours).toISOString();

async function receive(d: ProviderDelivery, secrets: readonly string[] = [SECRET], now = new Date()) {
  const headers = new Headers(d.headers);
  const receiver = WEBHOOK_RECEIVERS[d.source];
  return { verified: await receiver.verify({ rawBody: d.body, headers, secrets, now }), parsed: receiver.parse(d.body, headers) };
}

const REPO = "acme/payments-api";
const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const MERGE = "c4295bd74fb0f4fda03689c3df3f2803b658fd85";
const pr = { repo: REPO, number: 42, title: "Retry card captures", author: "mona", branch: "sysop/retry-captures", labels: ["sysop-agent"], headSha: HEAD, createdAt: at(0), body: "Retries.\n\nSysop-Task: task_abcdefghijklmnopqrst" };
const onPr = { title: pr.title, author: pr.author, branch: pr.branch, headSha: HEAD, createdAt: at(0) };
const jira = { site: "acme", id: "99291", key: "PAY-17", summary: "Refunds time out", components: ["Refunds"], created: at(0), updated: at(2) };
const linear = { id: "7c2e4f1a-9b3d-4a6e-8c5f-1d7b3e9a2c4f", identifier: "ENG-483", title: "Flaky ledger export", createdAt: at(0), updatedAt: at(1) };
const ticket = { id: "35436", subject: "Card declined twice", tags: ["payments", "enterprise"], organizationId: "8447346622238", createdAt: at(0) };
const incident = { id: "PGR0VU2", number: 2, title: "Checkout 5xx", service: { id: "PF9KMXH", name: "Payments API" }, createdAt: at(5) };
const deal = { id: "D-1042", name: "Acme renewal", customer: "Acme Corp", stage: "Negotiation", blockingFeature: "SAML SSO", repo: "acme/identity", createdAt: at(0), updatedAt: at(3) };

interface Case {
  name: string;
  build: () => Promise<ProviderDelivery>;
  /** The one record expected (a subset of its fields). */
  record: Record<string, unknown>;
  /** The documented example it follows. */
  fixture?: string;
}

const S = { secret: SECRET };
const CASES: Case[] = [
  // GitHub
  { name: "github pull_request opened", build: () => fake.githubPullRequestOpened({ ...S, ...pr }), record: { kind: "pull_request", repo: REPO, number: 42, action: "opened", merged: false, branch: pr.branch, labels: ["sysop-agent"], author: "mona", createdAt: iso(0), mergedAt: null, closedAt: null, headSha: HEAD }, fixture: "github-pull-request-closed.json" },
  { name: "github pull_request closed, merged", build: () => fake.githubPullRequestMerged({ ...S, ...pr, mergedAt: at(30), mergeCommitSha: MERGE, mergedBy: "hubot" }), record: { kind: "pull_request", action: "closed", merged: true, mergedAt: iso(30), closedAt: iso(30), mergeCommitSha: MERGE, body: pr.body }, fixture: "github-pull-request-closed.json" },
  { name: "github pull_request closed, unmerged", build: () => fake.githubPullRequestClosed({ ...S, ...pr, closedAt: at(12) }), record: { kind: "pull_request", action: "closed", merged: false, mergedAt: null, closedAt: iso(12), mergeCommitSha: null }, fixture: "github-pull-request-closed.json" },
  { name: "github pull_request_review approved", build: () => fake.githubReview({ ...S, repo: REPO, number: 42, state: "approved", reviewer: "octocat", submittedAt: at(3), pullRequest: onPr }), record: { kind: "pull_request_review", repo: REPO, number: 42, state: "approved", reviewer: "octocat", submittedAt: iso(3) }, fixture: "github-pull-request-review-submitted.json" },
  { name: "github pull_request_review changes_requested", build: () => fake.githubReview({ ...S, repo: REPO, number: 42, state: "changes_requested", reviewer: "octocat", submittedAt: at(2), pullRequest: onPr }), record: { kind: "pull_request_review", state: "changes_requested", submittedAt: iso(2) } },
  { name: "github pull_request_review commented", build: () => fake.githubReview({ ...S, repo: REPO, number: 42, state: "commented", reviewer: "octocat", submittedAt: at(1), pullRequest: onPr }), record: { kind: "pull_request_review", state: "commented", submittedAt: iso(1) } },
  {
    name: "github push",
    build: () => fake.githubPush({ ...S, repo: REPO, branch: pr.branch, pusher: "mona", commits: [{ sha: HEAD, message: "Retry captures\n\nSysop-Task: task_abcdefghijklmnopqrst", timestamp: at(-2), author: "mona", utcOffsetMinutes: -420 }] }),
    record: { kind: "push", repo: REPO, branch: pr.branch, forced: false, commits: [{ sha: HEAD, message: "Retry captures\n\nSysop-Task: task_abcdefghijklmnopqrst", timestamp: iso(-2), author: "mona" }] },
    fixture: "github-push.json",
  },
  { name: "github deployment_status success", build: () => fake.githubDeploymentStatus({ ...S, repo: REPO, deploymentId: 326191728, sha: MERGE, state: "success", createdAt: at(31) }), record: { kind: "deployment_status", repo: REPO, environment: "production", state: "success", sha: MERGE, deploymentId: 326191728, createdAt: iso(31) }, fixture: "github-deployment-status.json" },
  { name: "github deployment_status failure", build: () => fake.githubDeploymentStatus({ ...S, repo: REPO, deploymentId: 326191729, sha: MERGE, state: "failure", environment: "staging", createdAt: at(32) }), record: { kind: "deployment_status", environment: "staging", state: "failure", deploymentId: 326191729 } },
  { name: "github issues opened, bug", build: () => fake.githubIssue({ ...S, repo: REPO, number: 7, title: "Double charge", author: "mona", labels: ["bug", "priority: high"], createdAt: at(0) }), record: { kind: "signal", source: "github", externalId: `${REPO}#7`, signalKind: "bug", severity: "high", repo: REPO, state: "open", openedAt: iso(0) }, fixture: "github-issues-opened.json" },
  { name: "github issues opened, enhancement", build: () => fake.githubIssue({ ...S, repo: REPO, number: 8, title: "Apple Pay", author: "mona", labels: ["enhancement"], createdAt: at(0) }), record: { signalKind: "feature_request", severity: null, state: "open" } },
  { name: "github issues closed, tech-debt", build: () => fake.githubIssue({ ...S, repo: REPO, number: 9, title: "Drop v1 client", author: "mona", labels: ["tech-debt"], createdAt: at(0), closedAt: at(50) }), record: { signalKind: "tech_debt", state: "resolved", resolvedAt: iso(50), updatedAt: iso(50) } },
  // Jira
  { name: "jira issue created, Bug", build: () => fake.jiraIssueCreated({ ...S, ...jira, issueType: "Bug", priority: "Highest" }), record: { kind: "signal", source: "jira", externalId: "99291", url: "https://acme.atlassian.net/browse/PAY-17", signalKind: "bug", severity: "critical", component: "Refunds", state: "open", openedAt: iso(0), updatedAt: iso(2) } },
  { name: "jira issue updated, Story done", build: () => fake.jiraIssueUpdated({ ...S, ...jira, issueType: "Story", priority: "Medium", status: "done", resolution: "Done", resolutionDate: at(2) }), record: { signalKind: "feature_request", severity: "medium", state: "resolved", resolvedAt: iso(2) }, fixture: "jira-issue-updated.json" },
  { name: "jira issue updated, tech-debt label on a Bug", build: () => fake.jiraIssueUpdated({ ...S, ...jira, issueType: "Bug", labels: ["tech-debt"], status: "indeterminate" }), record: { signalKind: "tech_debt", labels: ["tech-debt"], state: "open", resolvedAt: null } },
  // Linear
  { name: "linear Issue create", build: () => fake.linearIssueCreated({ ...S, ...linear, labels: ["Bug"], priority: 2 }), record: { kind: "signal", source: "linear", externalId: linear.id, url: "https://linear.app/acme/issue/ENG-483", signalKind: "bug", severity: "high", state: "open", openedAt: iso(0) }, fixture: "linear-issue-create.json" },
  { name: "linear Issue update, completed", build: () => fake.linearIssueUpdated({ ...S, ...linear, labels: ["Tech debt"], priority: 4, stateType: "completed", completedAt: at(1) }), record: { signalKind: "tech_debt", severity: "low", state: "resolved", resolvedAt: iso(1), updatedAt: iso(1) } },
  // Zendesk
  { name: "zendesk ticket created", build: () => fake.zendeskTicketCreated({ ...S, ...ticket, status: "new", priority: "urgent", updatedAt: at(0) }), record: { kind: "signal", source: "zendesk", externalId: "35436", signalKind: "support_ticket", severity: "critical", customer: "8447346622238", labels: ticket.tags, state: "open" }, fixture: "zendesk-ticket-created.json" },
  { name: "zendesk ticket status changed to solved", build: () => fake.zendeskTicketUpdated({ ...S, ...ticket, status: "solved", priority: "normal", updatedAt: at(20), previous: "open" }), record: { severity: "medium", state: "resolved", resolvedAt: iso(20) } },
  { name: "zendesk ticket priority changed", build: () => fake.zendeskTicketUpdated({ ...S, ...ticket, organizationId: null, status: "open", priority: "high", updatedAt: at(4), change: "priority", previous: "normal" }), record: { severity: "high", customer: null, state: "open" } },
  // PagerDuty
  { name: "pagerduty incident.triggered", build: () => fake.pagerDutyIncidentTriggered({ ...S, ...incident, priority: "P1" }), record: { kind: "signal", source: "pagerduty", externalId: "PGR0VU2", signalKind: "incident", severity: "critical", service: "Payments API", state: "open", openedAt: iso(5) }, fixture: "pagerduty-incident-triggered.json" },
  { name: "pagerduty incident.resolved, urgency only", build: () => fake.pagerDutyIncidentResolved({ ...S, ...incident, urgency: "low", priority: null, occurredAt: at(7) }), record: { severity: "low", state: "resolved", resolvedAt: iso(7), updatedAt: iso(7) } },
  // CRM
  { name: "crm deal.created", build: () => fake.crmDealCreated({ ...S, ...deal, arr: "120000.50" }), record: { kind: "signal", source: "crm", externalId: "D-1042", signalKind: "deal", customer: "Acme Corp", arrMicros: 120_000_500_000, component: "SAML SSO", repo: "acme/identity", labels: ["stage:negotiation"], state: "open" }, fixture: "crm-deal-updated.json" },
  { name: "crm deal.updated, won", build: () => fake.crmDealUpdated({ ...S, ...deal, arr: 250000, stage: "Closed Won", closedAt: at(3) }), record: { arrMicros: 250_000_000_000, labels: ["stage:closed-won"], state: "closed", resolvedAt: iso(3) } },
];

/** Every key path of a JSON value ("a.b", "a.list[].c"), and the paths whose value is null. */
function shape(value: unknown, path = "", out = { paths: new Set<string>(), nulls: new Set<string>() }) {
  if (value === null) out.nulls.add(path);
  else if (Array.isArray(value)) for (const item of value) shape(item, `${path}[]`, out);
  else if (typeof value === "object") {
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const p = path ? `${path}.${key}` : key;
      out.paths.add(p);
      shape(item, p, out);
    }
  }
  return out;
}

describe("provider event builders", () => {
  it.each(CASES)("$name: verifies and parses with WEBHOOK_RECEIVERS", async ({ build, record }) => {
    const delivery = await build();
    const { verified, parsed } = await receive(delivery);
    expect(verified).toEqual({ ok: true });
    expect(parsed).toMatchObject({ ok: true, deliveryId: delivery.deliveryId, records: [record] });
    expect(parsed.ok && parsed.records).toHaveLength(1);
  });

  it.each(CASES.filter((c) => c.fixture))("$name: has every field of $fixture", async ({ build, fixture: name }) => {
    const built = shape(JSON.parse((await build()).body));
    const documented = shape(JSON.parse(fixture(name!)));
    // A field the builder sends as null may have children in the example (resolution, conference_bridge).
    const missing = [...documented.paths].filter((p) => !built.paths.has(p) && ![...built.nulls].some((n) => p.startsWith(`${n}.`)));
    expect(missing).toEqual([]);
  });

  it.each(CASES)("$name: does not verify with another secret", async ({ build }) => {
    const { verified } = await receive(await build(), ["some-other-secret-000000"]);
    expect(verified).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("gives each delivery a fresh id unless one is passed, as a provider's retry does", async () => {
    const ids = await Promise.all(CASES.map(async (c) => (await c.build()).deliveryId));
    const again = await Promise.all(CASES.map(async (c) => (await c.build()).deliveryId));
    expect(new Set([...ids, ...again]).size).toBe(ids.length * 2);

    const first = await fake.zendeskTicketCreated({ ...S, ...ticket, status: "new", updatedAt: at(0), deliveryId: "8350205582" });
    const retry = await fake.zendeskTicketCreated({ ...S, ...ticket, status: "new", updatedAt: at(0), deliveryId: first.deliveryId });
    const { verified, parsed } = await receive(retry);
    expect(verified).toEqual({ ok: true });
    expect(parsed).toMatchObject({ ok: true, deliveryId: "8350205582" });
  });

  it("signs the time of sending: weeks-old events verify now, and a delivery held back goes stale", async () => {
    const late = new Date(Date.now() - 10 * 60_000);
    const held = [
      await fake.linearIssueCreated({ ...S, ...linear, labels: ["Bug"], deliveredAt: late }),
      await fake.zendeskTicketCreated({ ...S, ...ticket, status: "new", updatedAt: at(0), deliveredAt: late }),
      await fake.crmDealCreated({ ...S, ...deal, deliveredAt: late }),
    ];
    for (const d of held) {
      expect((await receive(d)).verified).toEqual({ ok: false, reason: "stale_timestamp" });
      expect((await receive(d, [SECRET], late)).verified).toEqual({ ok: true });
    }
  });

  it("derives commit SHAs from a seed", async () => {
    const sha = await fake.fakeSha("acme/payments-api#42");
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await fake.fakeSha("acme/payments-api#42")).toBe(sha);
    expect(await fake.fakeSha("acme/payments-api#43")).not.toBe(sha);
  });
});
