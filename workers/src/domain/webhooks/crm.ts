// Generic CRM webhook receiver (deal events), pure side. The scheme is sysop's own, the one its
// task callbacks use (domain/tasks/callback-signature.ts, Stripe-like): `Sysop-Signature:
// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, several v1 accepted, five
// minutes either way. Delivery id: `Sysop-Delivery-Id`, else the body's `id`. The body is
// documented by DealEvent below; a CRM (or the glue in front of it) posts one per deal change.
import { z } from "zod";
import { DEFAULT_TOLERANCE_SECONDS, SIGNATURE_HEADER, verifyCallback } from "../tasks/callback-signature";
import { normaliseWord } from "./classify";
import { assertUsableSecrets, isWithinTolerance } from "./hmac";
import { deliveryIdFrom, failed, IsoDateTime, NullableIsoDateTime, OptionalString, parseJson, validate } from "./payload";
import type { HeaderReader, Signal, WebhookParseResult, WebhookVerifyInput, WebhookVerifyResult } from "./types";

export const CRM_SIGNATURE_HEADER = SIGNATURE_HEADER;
export const CRM_DELIVERY_HEADER = "sysop-delivery-id";

const UNIX_SECONDS = /^[0-9]{1,15}$/;

/** The `t=` of a Sysop-Signature header, or null when it has none that is a plain integer. */
function signedAtSeconds(header: string): number | null {
  const t = header
    .split(",")
    .map((part) => part.trim())
    .find((part) => part.startsWith("t="))
    ?.slice(2);
  return t !== undefined && UNIX_SECONDS.test(t) ? Number(t) : null;
}

export async function verifyCrmWebhook({ rawBody, headers, secrets, now }: WebhookVerifyInput): Promise<WebhookVerifyResult> {
  assertUsableSecrets("CRM", secrets);
  const header = headers.get(CRM_SIGNATURE_HEADER);
  if (!header) return { ok: false, reason: "missing_headers" };
  const t = signedAtSeconds(header);
  if (t === null) return { ok: false, reason: "malformed" };

  // verifyCallback folds freshness and signature into one boolean. Asked first with an unbounded
  // tolerance it checks the signature alone, so a genuine-but-old delivery is told apart from a
  // forgery. Every secret is tried, even after a match, so the time taken names none.
  const nowSeconds = Math.floor(now.getTime() / 1000);
  let authentic = false;
  for (const secret of secrets) {
    authentic = verifyCallback(secret, header, rawBody, nowSeconds, Number.POSITIVE_INFINITY) || authentic;
  }
  if (!authentic) return { ok: false, reason: "bad_signature" };
  return isWithinTolerance(t * 1000, now, DEFAULT_TOLERANCE_SECONDS * 1000)
    ? { ok: true }
    : { ok: false, reason: "stale_timestamp" };
}

// ---- The deal event body ---------------------------------------------------------------

const MICROS_PER_DOLLAR = 1_000_000;
// Up to $999,999,999.999999: nine integer digits keep the micro-dollar value a safe integer.
const DOLLARS = /^(\d{1,9})(?:\.(\d{1,6}))?$/;

/** "120000.50" (or 120000.5) dollars to 120000500000 micro-dollars, without float arithmetic. */
export function dollarsToMicros(amount: string): number | null {
  const match = DOLLARS.exec(amount);
  if (!match) return null;
  const [, whole = "0", fraction = ""] = match;
  return Number(whole) * MICROS_PER_DOLLAR + Number(fraction.padEnd(6, "0"));
}

/** ARR in US dollars, as a decimal string or a JSON number, converted to integer micro-dollars. */
const ArrDollars = z.union([z.string(), z.number()]).transform((value, ctx) => {
  // A number is read through its shortest decimal form: 120000.5 is "120000.5", 0.1 + 0.2 is refused.
  const micros = dollarsToMicros(typeof value === "number" ? String(value) : value.trim());
  if (micros !== null) return micros;
  ctx.issues.push({ code: "custom", input: value, message: "expected US dollars: up to 9 digits and 6 decimals, not negative" });
  return z.NEVER;
});

const DealEvent = z.object({
  type: z.string().regex(/^deal\.[a-z_]+$/, "expected a deal.* event type such as deal.updated"),
  deal: z.object({
    id: z.string().min(1),
    name: z.string().min(1),
    url: OptionalString,
    customer: OptionalString,
    arr: ArrDollars.nullish(),
    // arrMicros is micro-dollars; sysop converts no currencies.
    currency: z.literal("USD").optional(),
    stage: z.string().min(1),
    blocking_feature: OptionalString,
    repo: z
      .string()
      .regex(/^[^/\s]+\/[^/\s]+$/, "expected owner/name")
      .nullish()
      .transform((v) => v ?? null),
    labels: z
      .array(z.string())
      .nullish()
      .transform((v) => v ?? []),
    created_at: IsoDateTime,
    updated_at: IsoDateTime,
    closed_at: NullableIsoDateTime,
  }),
});
type Deal = z.infer<typeof DealEvent>["deal"];

const Envelope = z.object({ id: z.string().min(1).nullish() });

export function parseCrmWebhook(rawBody: string, headers: HeaderReader): WebhookParseResult {
  const json = parseJson(rawBody, "crm");
  if (!json.ok) return failed(json.reason);
  const envelope = validate(Envelope, json.value, "crm");
  if (!envelope.ok) return failed(envelope.reason);
  const delivery = deliveryIdFrom(headers, CRM_DELIVERY_HEADER, envelope.value.id ?? null, "crm");
  if (!delivery.ok) return failed(delivery.reason);

  const parsed = validate(DealEvent, json.value, "crm deal event");
  if (!parsed.ok) return failed(parsed.reason);
  const { type, deal } = parsed.value;
  return { ok: true, deliveryId: delivery.value, records: [dealSignal(deal, type === "deal.deleted")] };
}

// Won and lost both end the deal (state "closed"); which one it was is kept as a "stage:" label.
const CLOSED_STAGES = new Set(["won", "lost", "closed-won", "closed-lost", "closedwon", "closedlost"]);

function dealSignal(deal: Deal, deleted: boolean): Signal {
  const stage = normaliseWord(deal.stage);
  const closed = deleted || CLOSED_STAGES.has(stage);
  return {
    kind: "signal",
    source: "crm",
    externalId: deal.id,
    url: deal.url,
    signalKind: "deal",
    title: deal.name,
    severity: null,
    customer: deal.customer,
    arrMicros: deal.arr ?? null,
    // The feature the deal waits on is the part of the product this signal is about.
    component: deal.blocking_feature,
    service: null,
    labels: [...deal.labels, `stage:${stage}`],
    repo: deal.repo,
    state: closed ? "closed" : "open",
    openedAt: deal.created_at,
    resolvedAt: closed ? (deal.closed_at ?? deal.updated_at) : null,
    updatedAt: deal.updated_at,
  };
}
