// PagerDuty v3 webhook receiver, pure side. Scheme: PagerDuty's "Verifying Signatures" page
// (https://developer.pagerduty.com/docs/webhooks , whose source is
// https://github.com/PagerDuty/developer-docs/blob/main/docs/webhooks/04-Signatures.md):
// `X-PagerDuty-Signature: v1=<hex>,v1=<hex>`, one HMAC-SHA256 of the raw body per active
// secret (several during a rotation), any one matching is enough. No timestamp. The delivery
// id is `X-Webhook-Id` (the same on every retry, per PagerDuty's "Behavior" page), else the
// event's `event.id`. Incident events become incident signals; other events record nothing.
import { z } from "zod";
import { assertUsableSecrets, expectedSignatures, matchesAny, toHex } from "./hmac";
import { deliveryIdFrom, failed, IsoDateTime, OptionalString, parseJson, validate } from "./payload";
import type { HeaderReader, Severity, Signal, WebhookParseResult, WebhookVerifyInput, WebhookVerifyResult } from "./types";

export const PAGERDUTY_SIGNATURE_HEADER = "x-pagerduty-signature";
export const PAGERDUTY_DELIVERY_HEADER = "x-webhook-id";

const V1 = "v1=";

export async function verifyPagerDutyWebhook({ rawBody, headers, secrets }: WebhookVerifyInput): Promise<WebhookVerifyResult> {
  assertUsableSecrets("PagerDuty", secrets);
  const header = headers.get(PAGERDUTY_SIGNATURE_HEADER);
  if (!header) return { ok: false, reason: "missing_headers" };
  // Other versions (none exist yet) are ignored, as PagerDuty's algorithm says; none left is a failure.
  const received = header
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.startsWith(V1));
  if (received.length === 0) return { ok: false, reason: "bad_signature" };

  const expected = await expectedSignatures(secrets, rawBody, (mac) => V1 + toHex(mac));
  return matchesAny(expected, received) ? { ok: true } : { ok: false, reason: "bad_signature" };
}

const Envelope = z.object({
  event: z.object({
    id: z.string(),
    event_type: z.string(),
    occurred_at: IsoDateTime,
    data: z.object({ type: z.string() }),
  }),
});

const IncidentEvent = z.object({
  event: z.object({
    data: z.object({
      id: z.string(),
      html_url: OptionalString,
      title: z.string(),
      status: z.enum(["triggered", "acknowledged", "resolved"]),
      created_at: IsoDateTime,
      service: z.object({ summary: z.string() }).nullish(),
      urgency: z.enum(["high", "low"]).nullish(),
      priority: z.object({ summary: z.string() }).nullish(),
    }),
  }),
});
type Incident = z.infer<typeof IncidentEvent>["event"]["data"];

export function parsePagerDutyWebhook(rawBody: string, headers: HeaderReader): WebhookParseResult {
  const json = parseJson(rawBody, "pagerduty");
  if (!json.ok) return failed(json.reason);
  const envelope = validate(Envelope, json.value, "pagerduty");
  if (!envelope.ok) return failed(envelope.reason);
  const { id, event_type, occurred_at, data } = envelope.value.event;
  const delivery = deliveryIdFrom(headers, PAGERDUTY_DELIVERY_HEADER, id, "pagerduty");
  if (!delivery.ok) return failed(delivery.reason);
  // incident.triggered/acknowledged/resolved/reopened/priority_updated/... carry the incident;
  // incident.annotated and the responder events carry notes and people instead.
  if (data.type !== "incident") return { ok: true, deliveryId: delivery.value, records: [] };

  const parsed = validate(IncidentEvent, json.value, `pagerduty ${event_type}`);
  if (!parsed.ok) return failed(parsed.reason);
  return { ok: true, deliveryId: delivery.value, records: [incidentSignal(parsed.value.event.data, occurred_at)] };
}

function incidentSignal(incident: Incident, occurredAt: string): Signal {
  const resolved = incident.status === "resolved";
  return {
    kind: "signal",
    source: "pagerduty",
    externalId: incident.id,
    url: incident.html_url,
    signalKind: "incident",
    title: incident.title,
    severity: incidentSeverity(incident),
    customer: null,
    arrMicros: null,
    component: null,
    service: incident.service?.summary ?? null,
    labels: [],
    repo: null,
    state: resolved ? "resolved" : "open",
    openedAt: incident.created_at,
    // The payload has no resolved_at: the resolving event's time is when it was resolved.
    resolvedAt: resolved ? occurredAt : null,
    updatedAt: occurredAt,
  };
}

// PagerDuty's default priorities run P1 (highest) to P5; accounts may rename them.
const PAGERDUTY_PRIORITIES: ReadonlyMap<string, Severity> = new Map([
  ["P1", "critical"],
  ["P2", "high"],
  ["P3", "medium"],
  ["P4", "low"],
  ["P5", "low"],
]);

/** The priority when it is one of the defaults, else the urgency (high or low). */
function incidentSeverity(incident: Incident): Severity | null {
  const fromPriority = incident.priority ? PAGERDUTY_PRIORITIES.get(incident.priority.summary.toUpperCase()) : undefined;
  return fromPriority ?? incident.urgency ?? null;
}
