// Unit tests for the PagerDuty v3 webhook receiver (workers/src/domain/webhooks/pagerduty.ts):
// `v1=<hex>` signatures, several per header (any may match), rotation on our side too,
// refusals, and incident events read from payloads shaped like PagerDuty's documented examples.
import { describe, expect, it } from "vitest";
import { parsePagerDutyWebhook, verifyPagerDutyWebhook } from "../../../workers/src/domain/webhooks/pagerduty";
import { edited, fixture, headers, hmacHex } from "./helpers";

const SECRET = "pd-subscription-secret-1";
const NOW = new Date("2020-10-02T18:45:30Z");
const WEBHOOK_ID = "0b7c4e0a-0b8a-4f6e-9d0c-1e2f3a4b5c6d";

const v1 = (secret: string, body: string) => `v1=${hmacHex(secret, body)}`;
const verify = (body: string, signature: string | null, secrets: readonly string[] = [SECRET]) =>
  verifyPagerDutyWebhook({ rawBody: body, headers: headers(signature === null ? {} : { "X-PagerDuty-Signature": signature }), secrets, now: NOW });
const parse = (body: string, extra: Record<string, string> = { "X-Webhook-Id": WEBHOOK_ID }) => parsePagerDutyWebhook(body, headers(extra));
const firstRecord = (body: string) => {
  const result = parse(body);
  return result.ok ? result.records[0] : result.reason;
};

describe("verifyPagerDutyWebhook", () => {
  const body = fixture("pagerduty-incident-triggered.json");

  it("accepts a delivery signed as PagerDuty signs it", async () => {
    expect(await verify(body, v1(SECRET, body))).toEqual({ ok: true });
  });

  it("accepts a header carrying several signatures when any one matches, in any position", async () => {
    const other = v1("pd-some-other-secret", body);
    expect(await verify(body, `${other},${v1(SECRET, body)}`)).toEqual({ ok: true });
    expect(await verify(body, `${v1(SECRET, body)},${other}`)).toEqual({ ok: true });
    expect(await verify(body, `${other}, ${v1(SECRET, body)}`)).toEqual({ ok: true });
  });

  it("accepts either of our secrets during a rotation", async () => {
    const secrets = ["pd-subscription-secret-0", SECRET];
    expect(await verify(body, v1("pd-subscription-secret-0", body), secrets)).toEqual({ ok: true });
    expect(await verify(body, v1(SECRET, body), secrets)).toEqual({ ok: true });
  });

  it("refuses a wrong secret, a tampered body, and signatures of an unknown version", async () => {
    expect(await verify(body, v1("wrong", body))).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify(body.replace("P1", "P5"), v1(SECRET, body))).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify(body, `v2=${hmacHex(SECRET, body)}`)).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify(body, hmacHex(SECRET, body))).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses a delivery without X-PagerDuty-Signature", async () => {
    expect(await verify(body, null)).toEqual({ ok: false, reason: "missing_headers" });
  });

  it("throws when no usable secret is configured", async () => {
    await expect(verify(body, v1(SECRET, body), [])).rejects.toThrow(/PagerDuty webhook: no usable signing secret/);
    await expect(verify(body, v1(SECRET, body), ["", SECRET])).rejects.toThrow(/no usable signing secret/);
  });
});

describe("parsePagerDutyWebhook", () => {
  it("reads incident.triggered into an incident signal: P1 is critical, the service named", () => {
    expect(parse(fixture("pagerduty-incident-triggered.json"))).toEqual({
      ok: true,
      deliveryId: WEBHOOK_ID,
      records: [
        {
          kind: "signal",
          source: "pagerduty",
          externalId: "PGR0VU2",
          url: "https://acme.pagerduty.com/incidents/PGR0VU2",
          signalKind: "incident",
          title: "A little bump in the road",
          severity: "critical",
          customer: null,
          arrMicros: null,
          component: null,
          service: "API Service",
          labels: [],
          repo: null,
          state: "open",
          openedAt: "2020-04-09T15:16:27.000Z",
          resolvedAt: null,
          updatedAt: "2020-10-02T18:45:22.169Z",
        },
      ],
    });
  });

  it("reads incident.acknowledged as open and incident.resolved as resolved at the event's time", () => {
    const at = (type: string, status: string) =>
      edited("pagerduty-incident-triggered.json", (b) => {
        b.event.event_type = type;
        b.event.occurred_at = "2020-10-02T19:30:00.000Z";
        b.event.data.status = status;
      });
    expect(firstRecord(at("incident.acknowledged", "acknowledged"))).toMatchObject({ state: "open", resolvedAt: null });
    expect(firstRecord(at("incident.resolved", "resolved"))).toMatchObject({
      state: "resolved",
      resolvedAt: "2020-10-02T19:30:00.000Z",
      updatedAt: "2020-10-02T19:30:00.000Z",
    });
  });

  it.each([
    [{ summary: "P2" }, "high", "high"],
    [{ summary: "p4" }, "high", "low"],
    [{ summary: "SEV-1 (custom)" }, "low", "low"],
    [null, "high", "high"],
    [null, "low", "low"],
    [null, null, null],
  ])("takes severity from priority %j, else urgency %s: %s", (priority, urgency, severity) => {
    const body = edited("pagerduty-incident-triggered.json", (b) => Object.assign(b.event.data, { priority, urgency }));
    expect(firstRecord(body)).toMatchObject({ severity });
  });

  it("records nothing for events about notes, responders or services", () => {
    expect(parse(fixture("pagerduty-incident-annotated.json"))).toEqual({ ok: true, deliveryId: WEBHOOK_ID, records: [] });
  });

  it("falls back to event.id when X-Webhook-Id is absent", () => {
    const result = parse(fixture("pagerduty-incident-triggered.json"), {});
    expect(result.ok && result.deliveryId).toBe("5ac64822-4adc-4fda-ade0-410becf0de4f");
  });

  it.each([
    [(b: Record<string, any>) => delete b.event.data.title, "event.data.title"],
    [(b: Record<string, any>) => (b.event.data.status = "snoozed"), "event.data.status"],
    [(b: Record<string, any>) => (b.event.data.urgency = "medium"), "event.data.urgency"],
    [(b: Record<string, any>) => delete b.event.occurred_at, "event.occurred_at"],
    [(b: Record<string, any>) => delete b.event.id, "event.id"],
  ])("refuses a broken incident payload, naming %#: the field", (edit, field) => {
    const result = parse(edited("pagerduty-incident-triggered.json", edit));
    expect(!result.ok && result.reason).toContain(`"${field}"`);
  });

  it("refuses garbage", () => {
    expect(parse("{")).toEqual({ ok: false, reason: "pagerduty: body is not JSON" });
    const result = parse(JSON.stringify({ messages: [] })); // a v2-style body
    expect(!result.ok && result.reason).toContain('"event"');
  });
});
