// Unit tests for the Zendesk webhook receiver (workers/src/domain/webhooks/zendesk.ts):
// base64(HMAC-SHA256(timestamp + body)), our five-minute window either way, rotation,
// refusals, and ticket events read from a payload shaped like Zendesk's documented schema.
import { describe, expect, it } from "vitest";
import { parseZendeskWebhook, verifyZendeskWebhook } from "../../../workers/src/domain/webhooks/zendesk";
import { edited, fixture, headers, hmacBase64 } from "./helpers";

const SECRET = "dGhpcyBpcyBhIHplbmRlc2sgc2VjcmV0";
const TIMESTAMP = "2024-04-17T17:18:10Z";
const SIGNED_AT = Date.parse(TIMESTAMP);
const NOW = new Date(SIGNED_AT + 45_000);
const INVOCATION = "8350205582";

type Over = { timestamp?: string | null; signature?: string | null; secrets?: readonly string[]; now?: Date };

function verify(body: string, over: Over = {}) {
  const timestamp = over.timestamp === undefined ? TIMESTAMP : over.timestamp;
  const signature = over.signature === undefined ? hmacBase64(SECRET, (timestamp ?? "") + body) : over.signature;
  const values: Record<string, string> = {};
  if (timestamp !== null) values["X-Zendesk-Webhook-Signature-Timestamp"] = timestamp;
  if (signature !== null) values["X-Zendesk-Webhook-Signature"] = signature;
  return verifyZendeskWebhook({ rawBody: body, headers: headers(values), secrets: over.secrets ?? [SECRET], now: over.now ?? NOW });
}
const parse = (body: string, extra: Record<string, string> = { "X-Zendesk-Webhook-Invocation-Id": INVOCATION }) =>
  parseZendeskWebhook(body, headers(extra));
const firstRecord = (body: string) => {
  const result = parse(body);
  return result.ok ? result.records[0] : result.reason;
};

describe("verifyZendeskWebhook", () => {
  const body = fixture("zendesk-ticket-created.json");

  it("accepts a delivery signed as Zendesk signs it: timestamp then body, no separator", async () => {
    expect(await verify(body)).toEqual({ ok: true });
  });

  it("refuses a signature over the body alone, or with a separator", async () => {
    expect(await verify(body, { signature: hmacBase64(SECRET, body) })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify(body, { signature: hmacBase64(SECRET, `${TIMESTAMP}.${body}`) })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("accepts either secret during a rotation", async () => {
    const secrets = [SECRET, "bmV4dCB6ZW5kZXNrIHNlY3JldA=="];
    for (const secret of secrets) {
      expect(await verify(body, { secrets, signature: hmacBase64(secret, TIMESTAMP + body) })).toEqual({ ok: true });
    }
  });

  it("refuses a wrong secret, a tampered body, a re-dated timestamp and a hex signature", async () => {
    expect(await verify(body, { signature: hmacBase64("wrong", TIMESTAMP + body) })).toEqual({ ok: false, reason: "bad_signature" });
    const signature = hmacBase64(SECRET, TIMESTAMP + body);
    expect(await verifyZendeskWebhook({
      rawBody: body.replace("URGENT", "LOW"),
      headers: headers({ "X-Zendesk-Webhook-Signature": signature, "X-Zendesk-Webhook-Signature-Timestamp": TIMESTAMP }),
      secrets: [SECRET],
      now: NOW,
    })).toEqual({ ok: false, reason: "bad_signature" });
    // The timestamp is signed: moving it forward to look fresh breaks the signature.
    expect(await verify(body, { timestamp: "2024-04-17T17:18:40Z", signature })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify(body, { signature: Buffer.from(signature, "base64").toString("hex") })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("accepts up to five minutes either side of now, refuses beyond (our tolerance)", async () => {
    for (const offset of [-300_000, 0, 300_000]) {
      expect(await verify(body, { now: new Date(SIGNED_AT + offset) })).toEqual({ ok: true });
    }
    for (const offset of [-301_000, 301_000]) {
      expect(await verify(body, { now: new Date(SIGNED_AT + offset) })).toEqual({ ok: false, reason: "stale_timestamp" });
    }
  });

  it("refuses a genuinely signed but unreadable timestamp as malformed", async () => {
    for (const timestamp of ["1713374290", "yesterday", "2024-04-17 17:18:10"]) {
      expect(await verify(body, { timestamp })).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("refuses a delivery missing either header", async () => {
    expect(await verify(body, { signature: null })).toEqual({ ok: false, reason: "missing_headers" });
    expect(await verify(body, { timestamp: null, signature: hmacBase64(SECRET, body) })).toEqual({ ok: false, reason: "missing_headers" });
  });

  it("throws when no usable secret is configured", async () => {
    await expect(verify(body, { secrets: [] })).rejects.toThrow(/Zendesk webhook: no usable signing secret/);
    await expect(verify(body, { secrets: [""] })).rejects.toThrow(/no usable signing secret/);
  });
});

describe("parseZendeskWebhook", () => {
  it("reads a ticket event into a support_ticket signal", () => {
    expect(parse(fixture("zendesk-ticket-created.json"))).toEqual({
      ok: true,
      deliveryId: INVOCATION,
      records: [
        {
          kind: "signal",
          source: "zendesk",
          externalId: "35436",
          url: null,
          signalKind: "support_ticket",
          title: "My printer is on fire!",
          severity: "critical",
          customer: "8447346622238",
          arrMicros: null,
          component: null,
          service: null,
          labels: ["enterprise", "printer"],
          repo: null,
          state: "open",
          openedAt: "2024-04-17T17:18:10.000Z",
          resolvedAt: null,
          updatedAt: "2024-04-17T17:18:10.000Z",
        },
      ],
    });
  });

  it("falls back to the event id when there is no invocation id header", () => {
    const result = parse(fixture("zendesk-ticket-created.json"), {});
    expect(result.ok && result.deliveryId).toBe("01HVQ9Z4K6M7N8P9Q0R1S2T3U4");
  });

  it.each([
    ["URGENT", "critical"],
    ["high", "high"],
    ["NORMAL", "medium"],
    ["LOW", "low"],
    [null, null],
  ])("maps priority %s to severity %s", (priority, severity) => {
    expect(firstRecord(edited("zendesk-ticket-created.json", (b) => (b.detail.priority = priority)))).toMatchObject({ severity });
  });

  it.each([
    ["NEW", "open", null],
    ["PENDING", "open", null],
    ["HOLD", "open", null],
    ["SOLVED", "resolved", "2024-04-18T08:00:00.000Z"],
    ["CLOSED", "closed", "2024-04-18T08:00:00.000Z"],
  ])("maps status %s to state %s", (status, state, resolvedAt) => {
    const body = edited("zendesk-ticket-created.json", (b) => {
      b.type = "zen:event-type:ticket.status_changed";
      b.detail.status = status;
      b.detail.updated_at = "2024-04-18T08:00:00Z";
    });
    expect(firstRecord(body)).toMatchObject({ state, resolvedAt });
  });

  it("reads a ticket without organization as having no customer", () => {
    expect(firstRecord(edited("zendesk-ticket-created.json", (b) => (b.detail.organization_id = "0")))).toMatchObject({ customer: null });
    expect(firstRecord(edited("zendesk-ticket-created.json", (b) => delete b.detail.organization_id))).toMatchObject({ customer: null });
  });

  it("records nothing for non-ticket events", () => {
    const userEvent = JSON.stringify({
      type: "zen:event-type:user.active_changed",
      account_id: 12514403,
      id: "2b24ef10-19d4-4740-93cf-8f98ec4776c0",
      time: "2099-07-04T05:33:18Z",
      zendesk_event_version: "2022-06-20",
      subject: "zen:user:6596848315901",
      detail: { id: "6596848315901", role: "end-user" },
      event: { current: false, previous: true },
    });
    expect(parse(userEvent)).toEqual({ ok: true, deliveryId: INVOCATION, records: [] });
  });

  it.each([
    [(b: Record<string, any>) => delete b.detail.subject, "detail.subject"],
    [(b: Record<string, any>) => (b.detail.status = "ON_FIRE"), "detail.status"],
    [(b: Record<string, any>) => (b.detail.created_at = null), "detail.created_at"],
    [(b: Record<string, any>) => delete b.type, "type"],
  ])("refuses a broken ticket payload, naming %#: the field", (edit, field) => {
    const result = parse(edited("zendesk-ticket-created.json", edit));
    expect(!result.ok && result.reason).toContain(`"${field}"`);
  });

  it("refuses garbage, and a delivery with neither invocation id nor event id", () => {
    expect(parse("")).toEqual({ ok: false, reason: "zendesk: body is not JSON" });
    const result = parse(edited("zendesk-ticket-created.json", (b) => delete b.id), {});
    expect(!result.ok && result.reason).toContain("x-zendesk-webhook-invocation-id");
  });
});
