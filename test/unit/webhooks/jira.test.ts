// Unit tests for the Jira Cloud webhook receiver (workers/src/domain/webhooks/jira.ts): admin
// webhooks signed with a secret (X-Hub-Signature: sha256=...), rotation, refusals, and issue
// events read from a payload shaped like Atlassian's documented example.
import { describe, expect, it } from "vitest";
import { parseJiraWebhook, verifyJiraWebhook } from "../../../workers/src/domain/webhooks/jira";
import { edited, fixture, headers, hmacHex } from "./helpers";

const SECRET = "jira-admin-webhook-secret";
const NOW = new Date("2024-02-01T12:11:00Z");
const DELIVERY = "9e5a3b6c-1d2f-4a8b-9c0d-e1f2a3b4c5d6";

const sign = (secret: string, body: string) => `sha256=${hmacHex(secret, body)}`;
const verify = (body: string, signature: string | null, secrets: readonly string[] = [SECRET]) =>
  verifyJiraWebhook({ rawBody: body, headers: headers(signature === null ? {} : { "X-Hub-Signature": signature }), secrets, now: NOW });
const parse = (body: string) => parseJiraWebhook(body, headers({ "X-Atlassian-Webhook-Identifier": DELIVERY }));
const firstRecord = (body: string) => {
  const result = parse(body);
  return result.ok ? result.records[0] : result.reason;
};

describe("verifyJiraWebhook", () => {
  const body = fixture("jira-issue-updated.json");

  it("accepts a delivery signed as Jira signs it", async () => {
    expect(await verify(body, sign(SECRET, body))).toEqual({ ok: true });
  });

  it("accepts either secret during a rotation", async () => {
    const secrets = [SECRET, "jira-next-secret"];
    expect(await verify(body, sign("jira-next-secret", body), secrets)).toEqual({ ok: true });
    expect(await verify(body, sign(SECRET, body), secrets)).toEqual({ ok: true });
  });

  it("refuses a wrong secret, a tampered body and a malformed header as bad_signature", async () => {
    expect(await verify(body, sign("wrong", body))).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify(body.replace("10x", "100x"), sign(SECRET, body))).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify(body, `sha512=${hmacHex(SECRET, body)}`)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses a delivery without X-Hub-Signature (e.g. GitHub's -256 header instead)", async () => {
    expect(await verify(body, null)).toEqual({ ok: false, reason: "missing_headers" });
    const wrongHeader = headers({ "X-Hub-Signature-256": sign(SECRET, body) });
    expect(await verifyJiraWebhook({ rawBody: body, headers: wrongHeader, secrets: [SECRET], now: NOW })).toEqual({
      ok: false,
      reason: "missing_headers",
    });
  });

  it("throws when no usable secret is configured", async () => {
    await expect(verify(body, sign(SECRET, body), [])).rejects.toThrow(/Jira webhook: no usable signing secret/);
    await expect(verify(body, sign(SECRET, body), [""])).rejects.toThrow(/no usable signing secret/);
  });
});

describe("parseJiraWebhook", () => {
  it("reads an issue event: the tech-debt label outranks the Bug type, components and priority carried", () => {
    expect(parse(fixture("jira-issue-updated.json"))).toEqual({
      ok: true,
      deliveryId: DELIVERY,
      records: [
        {
          kind: "signal",
          source: "jira",
          externalId: "99291",
          url: "https://acme.atlassian.net/browse/JRA-20002",
          signalKind: "tech_debt",
          title: "I feel the need for speed",
          severity: "high",
          customer: null,
          arrMicros: null,
          component: "Issue Navigator",
          service: null,
          labels: ["UI", "dialogue", "move", "tech-debt"],
          repo: null,
          state: "open",
          // Jira's "-0600" and "+0000" offsets, normalised to UTC.
          openedAt: "2009-12-17T05:46:10.612Z",
          resolvedAt: null,
          updatedAt: "2024-02-01T12:10:52.120Z",
        },
      ],
    });
  });

  it.each([
    ["Bug", [], "bug"],
    ["Story", [], "feature_request"],
    ["New Feature", [], "feature_request"],
    ["Improvement", ["customer-request"], "feature_request"],
    ["Task", ["bug"], "bug"],
  ])("classifies issue type %s with labels %j as %s", (type, labels, kind) => {
    const body = edited("jira-issue-updated.json", (b) => {
      b.issue.fields.issuetype.name = type;
      b.issue.fields.labels = labels;
    });
    expect(firstRecord(body)).toMatchObject({ signalKind: kind });
  });

  it("records nothing for an issue neither its type nor its labels classify", () => {
    const body = edited("jira-issue-updated.json", (b) => {
      b.issue.fields.issuetype.name = "Task";
      b.issue.fields.labels = [];
    });
    expect(parse(body)).toEqual({ ok: true, deliveryId: DELIVERY, records: [] });
  });

  it.each([
    ["Highest", "critical"],
    ["Blocker", "critical"],
    ["Medium", "medium"],
    ["Lowest", "low"],
    ["Whenever", null],
  ])("maps priority %s to severity %s", (priority, severity) => {
    const body = edited("jira-issue-updated.json", (b) => (b.issue.fields.priority.name = priority));
    expect(firstRecord(body)).toMatchObject({ severity });
  });

  it("resolves done issues, closes won't-do and deleted ones", () => {
    const done = (resolution: string) =>
      edited("jira-issue-updated.json", (b) => {
        b.issue.fields.status.statusCategory.key = "done";
        b.issue.fields.resolution = { name: resolution };
        b.issue.fields.resolutiondate = "2024-02-01T12:10:52.120+0000";
      });
    expect(firstRecord(done("Done"))).toMatchObject({ state: "resolved", resolvedAt: "2024-02-01T12:10:52.120Z" });
    expect(firstRecord(done("Won't Do"))).toMatchObject({ state: "closed" });
    const deleted = edited("jira-issue-updated.json", (b) => (b.webhookEvent = "jira:issue_deleted"));
    expect(firstRecord(deleted)).toMatchObject({ state: "closed", resolvedAt: "2024-02-01T12:10:52.120Z" });
  });

  it("records nothing for events other than issue events", () => {
    const comment = JSON.stringify({ timestamp: 1706789452123, webhookEvent: "comment_created", comment: { id: "1" } });
    expect(parse(comment)).toEqual({ ok: true, deliveryId: DELIVERY, records: [] });
  });

  it.each([
    [(b: Record<string, any>) => delete b.issue.fields.summary, "issue.fields.summary"],
    [(b: Record<string, any>) => (b.issue.fields.created = "16/Dec/09 11:46 PM"), "issue.fields.created"],
    [(b: Record<string, any>) => (b.issue.self = "not a url"), "issue.self"],
    [(b: Record<string, any>) => delete b.webhookEvent, "webhookEvent"],
  ])("refuses a broken issue payload, naming %#: the field", (edit, field) => {
    const result = parse(edited("jira-issue-updated.json", edit));
    expect(!result.ok && result.reason).toContain(`"${field}"`);
  });

  it("refuses garbage and a delivery without X-Atlassian-Webhook-Identifier", () => {
    expect(parse("not json")).toEqual({ ok: false, reason: "jira: body is not JSON" });
    const result = parseJiraWebhook(fixture("jira-issue-updated.json"), headers({}));
    expect(!result.ok && result.reason).toContain("x-atlassian-webhook-identifier");
  });
});
