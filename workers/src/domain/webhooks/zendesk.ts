// Zendesk webhook receiver, pure side. Scheme (https://developer.zendesk.com/documentation/webhooks/verifying/):
// `X-Zendesk-Webhook-Signature: base64(HMAC-SHA256(secret, timestamp + raw body))` with the
// timestamp (ISO 8601, e.g. 2021-03-25T05:09:27Z) in `X-Zendesk-Webhook-Signature-Timestamp`.
// Zendesk names no replay window; five minutes either way is ours. The delivery id is
// `X-Zendesk-Webhook-Invocation-Id` (https://developer.zendesk.com/documentation/webhooks/anatomy-of-a-webhook-request/),
// else the event's `id`. Ticket events become support_ticket signals; others record nothing.
import { z } from "zod";
import { assertUsableSecrets, expectedSignatures, isWithinTolerance, matchesAny, toBase64 } from "./hmac";
import { deliveryIdFrom, failed, IsoDateTime, parseJson, validate } from "./payload";
import type { HeaderReader, Severity, Signal, WebhookParseResult, WebhookVerifyInput, WebhookVerifyResult } from "./types";

export const ZENDESK_SIGNATURE_HEADER = "x-zendesk-webhook-signature";
export const ZENDESK_TIMESTAMP_HEADER = "x-zendesk-webhook-signature-timestamp";
export const ZENDESK_DELIVERY_HEADER = "x-zendesk-webhook-invocation-id";
/** Our tolerance, not Zendesk's: Zendesk signs a timestamp but documents no window. */
export const ZENDESK_MAX_SKEW_MS = 5 * 60_000;

// Base64 of a 32-byte MAC: 43 characters and one "=".
const SIGNATURE_PATTERN = /^[A-Za-z0-9+/]{43}=$/;

export async function verifyZendeskWebhook({ rawBody, headers, secrets, now }: WebhookVerifyInput): Promise<WebhookVerifyResult> {
  assertUsableSecrets("Zendesk", secrets);
  const signature = headers.get(ZENDESK_SIGNATURE_HEADER);
  const timestamp = headers.get(ZENDESK_TIMESTAMP_HEADER);
  if (!signature || !timestamp) return { ok: false, reason: "missing_headers" };
  if (!SIGNATURE_PATTERN.test(signature)) return { ok: false, reason: "bad_signature" };

  // The timestamp is signed exactly as sent (string concatenation, no separator).
  const expected = await expectedSignatures(secrets, timestamp + rawBody, toBase64);
  if (!matchesAny(expected, [signature])) return { ok: false, reason: "bad_signature" };

  const signedAt = IsoDateTime.safeParse(timestamp);
  if (!signedAt.success) return { ok: false, reason: "malformed" };
  return isWithinTolerance(Date.parse(signedAt.data), now, ZENDESK_MAX_SKEW_MS)
    ? { ok: true }
    : { ok: false, reason: "stale_timestamp" };
}

const TICKET_EVENT_PREFIX = "zen:event-type:ticket.";

const Envelope = z.object({ type: z.string(), id: z.string().nullish() });

// Zendesk sends ids as strings in event payloads ("35436"); numbers are accepted too.
const Id = z.union([z.string(), z.number().int()]).transform(String);

const TICKET_STATUSES = ["new", "open", "pending", "hold", "solved", "closed"] as const;

const TicketEvent = z.object({
  detail: z.object({
    id: Id,
    subject: z.string(),
    // Event payloads spell statuses and priorities in upper case ("OPEN"); the API in lower.
    status: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(TICKET_STATUSES)),
    priority: z
      .string()
      .nullish()
      .transform((p) => p?.toLowerCase() ?? null),
    tags: z
      .array(z.string())
      .nullish()
      .transform((t) => t ?? []),
    organization_id: Id.nullish(),
    created_at: IsoDateTime,
    updated_at: IsoDateTime,
  }),
});
type ZendeskTicket = z.infer<typeof TicketEvent>["detail"];

export function parseZendeskWebhook(rawBody: string, headers: HeaderReader): WebhookParseResult {
  const json = parseJson(rawBody, "zendesk");
  if (!json.ok) return failed(json.reason);
  const envelope = validate(Envelope, json.value, "zendesk");
  if (!envelope.ok) return failed(envelope.reason);
  const { type, id } = envelope.value;
  const delivery = deliveryIdFrom(headers, ZENDESK_DELIVERY_HEADER, id ?? null, "zendesk");
  if (!delivery.ok) return failed(delivery.reason);
  if (!type.startsWith(TICKET_EVENT_PREFIX)) return { ok: true, deliveryId: delivery.value, records: [] };

  const parsed = validate(TicketEvent, json.value, `zendesk ${type}`);
  if (!parsed.ok) return failed(parsed.reason);
  return { ok: true, deliveryId: delivery.value, records: [zendeskSignal(parsed.value.detail, type)] };
}

function zendeskSignal(ticket: ZendeskTicket, type: string): Signal {
  const state = zendeskState(ticket.status, type);
  return {
    kind: "signal",
    source: "zendesk",
    externalId: ticket.id,
    // The payload does not name the account's subdomain, so no agent URL can be built here.
    url: null,
    signalKind: "support_ticket",
    title: ticket.subject,
    severity: ZENDESK_PRIORITIES.get(ticket.priority ?? "") ?? null,
    // The organization id ("0" or absent when the requester has none); names need an API call.
    customer: ticket.organization_id && ticket.organization_id !== "0" ? ticket.organization_id : null,
    arrMicros: null,
    component: null,
    service: null,
    labels: ticket.tags,
    repo: null,
    state,
    openedAt: ticket.created_at,
    // Zendesk sends no solved-at; the last update of a solved ticket is when it was solved or later.
    resolvedAt: state === "open" ? null : ticket.updated_at,
    updatedAt: ticket.updated_at,
  };
}

function zendeskState(status: ZendeskTicket["status"], type: string): Signal["state"] {
  if (type.endsWith("deleted")) return "closed";
  if (status === "solved") return "resolved";
  return status === "closed" ? "closed" : "open";
}

const ZENDESK_PRIORITIES: ReadonlyMap<string, Severity> = new Map([
  ["urgent", "critical"],
  ["high", "high"],
  ["normal", "medium"],
  ["low", "low"],
]);
