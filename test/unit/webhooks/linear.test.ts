// Unit tests for the Linear webhook receiver (workers/src/domain/webhooks/linear.ts): the
// hex Linear-Signature over the raw body, the one-minute webhookTimestamp window in both
// directions, rotation, refusals, and Issue events read from a payload shaped like Linear's.
import { describe, expect, it } from "vitest";
import { parseLinearWebhook, verifyLinearWebhook } from "../../../workers/src/domain/webhooks/linear";
import { edited, fixture, headers, hmacHex } from "./helpers";

const SECRET = "lin_wh_5e1d0c2b9a8f7e6d";
const SIGNED_AT_MS = 1706788800084; // the fixture's webhookTimestamp
const NOW = new Date(SIGNED_AT_MS + 30_000);
const DELIVERY = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

const verify = (body: string, signature: string | null, over: { secrets?: readonly string[]; now?: Date } = {}) =>
  verifyLinearWebhook({
    rawBody: body,
    headers: headers(signature === null ? {} : { "Linear-Signature": signature }),
    secrets: over.secrets ?? [SECRET],
    now: over.now ?? NOW,
  });
const parse = (body: string) => parseLinearWebhook(body, headers({ "Linear-Delivery": DELIVERY, "Linear-Event": "Issue" }));
const firstRecord = (body: string) => {
  const result = parse(body);
  return result.ok ? result.records[0] : result.reason;
};

describe("verifyLinearWebhook", () => {
  const body = fixture("linear-issue-create.json");

  it("accepts a delivery signed as Linear signs it (non-ASCII body included)", async () => {
    expect(await verify(body, hmacHex(SECRET, body))).toEqual({ ok: true });
  });

  it("accepts either secret during a rotation", async () => {
    const secrets = ["lin_wh_previous", SECRET];
    expect(await verify(body, hmacHex("lin_wh_previous", body), { secrets })).toEqual({ ok: true });
    expect(await verify(body, hmacHex(SECRET, body), { secrets })).toEqual({ ok: true });
  });

  it("refuses a wrong secret, a tampered body or a non-hex signature as bad_signature", async () => {
    expect(await verify(body, hmacHex("wrong", body))).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify(body.replace('"priority": 2', '"priority": 4'), hmacHex(SECRET, body))).toEqual({
      ok: false,
      reason: "bad_signature",
    });
    expect(await verify(body, `sha256=${hmacHex(SECRET, body)}`)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("accepts a timestamp up to a minute either side of now, and refuses one beyond", async () => {
    const signature = hmacHex(SECRET, body);
    for (const offset of [-60_000, 0, 60_000]) {
      expect(await verify(body, signature, { now: new Date(SIGNED_AT_MS + offset) })).toEqual({ ok: true });
    }
    for (const offset of [-60_001, 60_001, 24 * 3_600_000]) {
      expect(await verify(body, signature, { now: new Date(SIGNED_AT_MS + offset) })).toEqual({ ok: false, reason: "stale_timestamp" });
    }
  });

  it("reports a forged old delivery as bad_signature, not stale", async () => {
    const later = new Date(SIGNED_AT_MS + 3_600_000);
    expect(await verify(body, hmacHex("wrong", body), { now: later })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses a genuine body without a usable webhookTimestamp as malformed", async () => {
    for (const unstamped of [JSON.stringify({ type: "Issue" }), JSON.stringify({ webhookTimestamp: "1706788800084" }), "not json"]) {
      expect(await verify(unstamped, hmacHex(SECRET, unstamped))).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("refuses a delivery without Linear-Signature", async () => {
    expect(await verify(body, null)).toEqual({ ok: false, reason: "missing_headers" });
  });

  it("throws when no usable secret is configured", async () => {
    await expect(verify(body, hmacHex(SECRET, body), { secrets: [] })).rejects.toThrow(/Linear webhook: no usable signing secret/);
    await expect(verify(body, hmacHex(SECRET, body), { secrets: [SECRET, ""] })).rejects.toThrow(/no usable signing secret/);
  });
});

describe("parseLinearWebhook", () => {
  it("reads an Issue event into a signal classified by its labels", () => {
    expect(parse(fixture("linear-issue-create.json"))).toEqual({
      ok: true,
      deliveryId: DELIVERY,
      records: [
        {
          kind: "signal",
          source: "linear",
          externalId: "7c2e4f1a-9b3d-4a6e-8c5f-1d7b3e9a2c4f",
          url: "https://linear.app/acme/issue/ENG-483/webhook-signature-verification-fails-for-rotated-secrets",
          signalKind: "bug",
          title: "Webhook signature verification fails for rotated secrets — naïve décodage",
          severity: "high",
          customer: null,
          arrMicros: null,
          component: null,
          service: null,
          labels: ["Bug"],
          repo: null,
          state: "open",
          openedAt: "2024-02-01T12:00:00.000Z",
          resolvedAt: null,
          updatedAt: "2024-02-01T12:00:00.000Z",
        },
      ],
    });
  });

  it.each([
    [0, null],
    [1, "critical"],
    [3, "medium"],
    [4, "low"],
  ])("maps Linear priority %i to severity %s", (priority, severity) => {
    expect(firstRecord(edited("linear-issue-create.json", (b) => (b.data.priority = priority)))).toMatchObject({ severity });
  });

  it.each([
    [["Feature"], "feature_request"],
    [["Improvement", "Frontend"], "feature_request"],
    [["Tech Debt"], "tech_debt"],
    [["Bug", "tech_debt"], "tech_debt"],
  ])("classifies labels %j as %s", (names, kind) => {
    const body = edited("linear-issue-create.json", (b) => (b.data.labels = names.map((name) => ({ name }))));
    expect(firstRecord(body)).toMatchObject({ signalKind: kind });
  });

  it("resolves completed issues, closes canceled and removed ones", () => {
    const completed = edited("linear-issue-create.json", (b) => {
      b.action = "update";
      b.data.state = { name: "Done", type: "completed" };
      b.data.completedAt = "2024-02-02T09:30:00.000Z";
    });
    expect(firstRecord(completed)).toMatchObject({ state: "resolved", resolvedAt: "2024-02-02T09:30:00.000Z" });
    const canceled = edited("linear-issue-create.json", (b) => {
      b.data.state = { name: "Canceled", type: "canceled" };
      b.data.canceledAt = "2024-02-03T10:00:00.000Z";
    });
    expect(firstRecord(canceled)).toMatchObject({ state: "closed", resolvedAt: "2024-02-03T10:00:00.000Z" });
    const removed = edited("linear-issue-create.json", (b) => (b.action = "remove"));
    expect(firstRecord(removed)).toMatchObject({ state: "closed" });
  });

  it("records nothing for other entity types and for unclassified issues", () => {
    const comment = JSON.stringify({ action: "create", type: "Comment", data: { id: "c1", body: "hi" }, webhookTimestamp: SIGNED_AT_MS });
    expect(parse(comment)).toEqual({ ok: true, deliveryId: DELIVERY, records: [] });
    const unlabelled = edited("linear-issue-create.json", (b) => (b.data.labels = []));
    expect(parse(unlabelled)).toEqual({ ok: true, deliveryId: DELIVERY, records: [] });
  });

  it.each([
    [(b: Record<string, any>) => delete b.data.title, "data.title"],
    [(b: Record<string, any>) => (b.data.priority = 7), "data.priority"],
    [(b: Record<string, any>) => (b.data.createdAt = 1706788800084), "data.createdAt"],
    [(b: Record<string, any>) => delete b.type, "type"],
  ])("refuses a broken Issue payload, naming %#: the field", (edit, field) => {
    const result = parse(edited("linear-issue-create.json", edit));
    expect(!result.ok && result.reason).toContain(`"${field}"`);
  });

  it("refuses garbage and a delivery without Linear-Delivery", () => {
    expect(parse("[1,2")).toEqual({ ok: false, reason: "linear: body is not JSON" });
    const result = parseLinearWebhook(fixture("linear-issue-create.json"), headers({}));
    expect(!result.ok && result.reason).toContain("linear-delivery");
  });
});
