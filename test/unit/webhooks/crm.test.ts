// Unit tests for the generic CRM webhook receiver (workers/src/domain/webhooks/crm.ts):
// sysop's own Stripe-like `Sysop-Signature: t=..,v1=..` scheme (shared with task callbacks),
// the five-minute window, rotation, refusals, and deal events with exact ARR in micro-dollars.
import { describe, expect, it } from "vitest";
import { dollarsToMicros, parseCrmWebhook, verifyCrmWebhook } from "../../../workers/src/domain/webhooks/crm";
import { signCallback } from "../../../workers/src/domain/tasks/callback-signature";
import { atSeconds, edited, fixture, headers, hmacHex } from "./helpers";

const SECRET = "crm-hook-secret-2024";
const T = 1713374400; // 2024-04-17T17:20:00Z
const NOW = atSeconds(T + 20);
const DELIVERY = "dlv_01HVQA7B2C3D4E5F6G7H8J9K0M";

/** The header computed without the code under test. */
const sysopSignature = (t: number, body: string, ...secrets: string[]) =>
  [`t=${t}`, ...secrets.map((s) => `v1=${hmacHex(s, `${t}.${body}`)}`)].join(",");
const verify = (body: string, signature: string | null, over: { secrets?: readonly string[]; now?: Date } = {}) =>
  verifyCrmWebhook({
    rawBody: body,
    headers: headers(signature === null ? {} : { "Sysop-Signature": signature }),
    secrets: over.secrets ?? [SECRET],
    now: over.now ?? NOW,
  });
const parse = (body: string, extra: Record<string, string> = { "Sysop-Delivery-Id": DELIVERY }) => parseCrmWebhook(body, headers(extra));
const firstRecord = (body: string) => {
  const result = parse(body);
  return result.ok ? result.records[0] : result.reason;
};

describe("verifyCrmWebhook", () => {
  const body = fixture("crm-deal-updated.json");

  it("accepts a delivery signed per the documented scheme (node:crypto), and one from sysop's own signer", async () => {
    expect(await verify(body, sysopSignature(T, body, SECRET))).toEqual({ ok: true });
    expect(await verify(body, signCallback([SECRET], body, T))).toEqual({ ok: true });
  });

  it("accepts several v1 signatures (the sender mid-rotation) and several secrets (us mid-rotation)", async () => {
    expect(await verify(body, sysopSignature(T, body, "crm-hook-secret-2023", SECRET))).toEqual({ ok: true });
    const secrets = ["crm-hook-secret-2023", SECRET];
    expect(await verify(body, sysopSignature(T, body, "crm-hook-secret-2023"), { secrets })).toEqual({ ok: true });
    expect(await verify(body, sysopSignature(T, body, SECRET), { secrets: [...secrets].reverse() })).toEqual({ ok: true });
  });

  it("refuses a wrong secret, a tampered body, a re-dated t and a header without v1", async () => {
    expect(await verify(body, sysopSignature(T, body, "wrong"))).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify(body.replace("120000.50", "1200000.50"), sysopSignature(T, body, SECRET))).toEqual({ ok: false, reason: "bad_signature" });
    const redated = sysopSignature(T, body, SECRET).replace(`t=${T}`, `t=${T + 10}`);
    expect(await verify(body, redated)).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify(body, `t=${T}`)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("accepts five minutes either side of now, refuses beyond, and calls a forged old one bad_signature", async () => {
    const signature = sysopSignature(T, body, SECRET);
    for (const offset of [-300, 0, 300]) expect(await verify(body, signature, { now: atSeconds(T + offset) })).toEqual({ ok: true });
    for (const offset of [-301, 301, 86_400]) {
      expect(await verify(body, signature, { now: atSeconds(T + offset) })).toEqual({ ok: false, reason: "stale_timestamp" });
    }
    expect(await verify(body, sysopSignature(T, body, "wrong"), { now: atSeconds(T + 86_400) })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses a header without a plain integer t as malformed", async () => {
    const v1 = `v1=${hmacHex(SECRET, `${T}.${body}`)}`;
    for (const header of [v1, `t=,${v1}`, `t=1.7e9,${v1}`, `t=-5,${v1}`, "garbage"]) {
      expect(await verify(body, header)).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("refuses a delivery without Sysop-Signature", async () => {
    expect(await verify(body, null)).toEqual({ ok: false, reason: "missing_headers" });
  });

  it("throws when no usable secret is configured", async () => {
    await expect(verify(body, sysopSignature(T, body, SECRET), { secrets: [] })).rejects.toThrow(/CRM webhook: no usable signing secret/);
    await expect(verify(body, sysopSignature(T, body, SECRET), { secrets: [""] })).rejects.toThrow(/no usable signing secret/);
  });
});

describe("parseCrmWebhook", () => {
  it("reads a deal event into a deal signal with exact ARR, the blocking feature as component", () => {
    expect(parse(fixture("crm-deal-updated.json"))).toEqual({
      ok: true,
      deliveryId: DELIVERY,
      records: [
        {
          kind: "signal",
          source: "crm",
          externalId: "D-1042",
          url: "https://crm.example.com/deals/1042",
          signalKind: "deal",
          title: "Acme Corp — enterprise renewal",
          severity: null,
          customer: "Acme Corp",
          arrMicros: 120_000_500_000,
          component: "SAML single sign-on",
          service: null,
          labels: ["enterprise", "renewal", "stage:negotiation"],
          repo: "acme/identity",
          state: "open",
          openedAt: "2024-03-01T09:00:00.000Z",
          resolvedAt: null,
          updatedAt: "2024-04-17T17:20:00.000Z",
        },
      ],
    });
  });

  it.each([
    ["Closed Won", "closed"],
    ["closed_lost", "closed"],
    ["won", "closed"],
    ["Proposal", "open"],
  ])("maps stage %s to state %s", (stage, state) => {
    const body = edited("crm-deal-updated.json", (b) => Object.assign(b.deal, { stage, closed_at: "2024-04-18T10:00:00Z" }));
    const expectedResolvedAt = state === "closed" ? "2024-04-18T10:00:00.000Z" : null;
    expect(firstRecord(body)).toMatchObject({ state, resolvedAt: expectedResolvedAt });
  });

  it("closes a deleted deal, and accepts ARR as a JSON number or absent", () => {
    expect(firstRecord(edited("crm-deal-updated.json", (b) => (b.type = "deal.deleted")))).toMatchObject({ state: "closed" });
    expect(firstRecord(edited("crm-deal-updated.json", (b) => (b.deal.arr = 48000)))).toMatchObject({ arrMicros: 48_000_000_000 });
    expect(firstRecord(edited("crm-deal-updated.json", (b) => delete b.deal.arr))).toMatchObject({ arrMicros: null });
  });

  it("falls back to the body's id when Sysop-Delivery-Id is absent, and refuses when both are", () => {
    const result = parse(fixture("crm-deal-updated.json"), {});
    expect(result.ok && result.deliveryId).toBe("evt_01HVQA7B2C3D4E5F6G7H8J9K0M");
    const neither = parse(edited("crm-deal-updated.json", (b) => delete b.id), {});
    expect(!neither.ok && neither.reason).toContain("sysop-delivery-id");
  });

  it.each([
    [(b: Record<string, any>) => (b.deal.arr = "-5"), "deal.arr"],
    [(b: Record<string, any>) => (b.deal.arr = "1,200.00"), "deal.arr"],
    [(b: Record<string, any>) => (b.deal.arr = 0.1 + 0.2), "deal.arr"],
    [(b: Record<string, any>) => (b.deal.currency = "EUR"), "deal.currency"],
    [(b: Record<string, any>) => (b.deal.repo = "identity"), "deal.repo"],
    [(b: Record<string, any>) => delete b.deal.stage, "deal.stage"],
    [(b: Record<string, any>) => (b.type = "contact.updated"), "type"],
  ])("refuses a broken deal event, naming %#: the field", (edit, field) => {
    const result = parse(edited("crm-deal-updated.json", edit));
    expect(!result.ok && result.reason).toContain(`"${field}"`);
  });

  it("refuses garbage", () => {
    expect(parse("deal=1")).toEqual({ ok: false, reason: "crm: body is not JSON" });
  });
});

describe("dollarsToMicros", () => {
  it.each([
    ["0", 0],
    ["1", 1_000_000],
    ["0.000001", 1],
    ["120000.5", 120_000_500_000],
    ["999999999.999999", 999_999_999_999_999],
  ])("%s dollars is %i micro-dollars", (dollars, micros) => {
    expect(dollarsToMicros(dollars)).toBe(micros);
    expect(Number.isSafeInteger(micros)).toBe(true);
  });

  it.each(["", "-1", "1.", ".5", "1.0000001", "1000000000", "1e6", " 1", "NaN"])("refuses %j", (dollars) => {
    expect(dollarsToMicros(dollars)).toBeNull();
  });
});
