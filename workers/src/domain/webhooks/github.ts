// GitHub webhook receiver, pure side: signature check and parsing into normalised records.
// Scheme (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries):
// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`, no timestamp. The
// delivery id is `X-GitHub-Delivery` (a GUID, the same on redelivery), the event name
// `X-GitHub-Event` (https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers).
import { GITHUB_EVENT_PARSERS } from "./github-events";
import { verifyHubSignature } from "./hub-signature";
import { deliveryIdFrom, failed, parseJson, type Parsed } from "./payload";
import type { HeaderReader, WebhookParseResult, WebhookVerifyInput, WebhookVerifyResult } from "./types";

export const GITHUB_SIGNATURE_HEADER = "x-hub-signature-256";
export const GITHUB_DELIVERY_HEADER = "x-github-delivery";
export const GITHUB_EVENT_HEADER = "x-github-event";

export function verifyGitHubWebhook(input: WebhookVerifyInput): Promise<WebhookVerifyResult> {
  return verifyHubSignature("GitHub", GITHUB_SIGNATURE_HEADER, input);
}

export function parseGitHubWebhook(rawBody: string, headers: HeaderReader): WebhookParseResult {
  const delivery = deliveryIdFrom(headers, GITHUB_DELIVERY_HEADER, null, "github");
  if (!delivery.ok) return failed(delivery.reason);
  const event = headers.get(GITHUB_EVENT_HEADER)?.trim();
  if (!event) return failed(`github: header ${GITHUB_EVENT_HEADER} is missing (the event name)`);

  const context = `github ${event}`;
  const payload = readGitHubPayload(rawBody, context);
  if (!payload.ok) return failed(payload.reason);
  const parse = GITHUB_EVENT_PARSERS.get(event);
  if (!parse) return { ok: true, deliveryId: delivery.value, records: [] };
  const records = parse(payload.value, context);
  return records.ok ? { ok: true, deliveryId: delivery.value, records: records.value } : failed(records.reason);
}

/**
 * A hook may be configured as application/json or as application/x-www-form-urlencoded, in
 * which case the JSON is the `payload` form field. The signature covers the body either way.
 */
function readGitHubPayload(rawBody: string, context: string): Parsed<unknown> {
  if (!rawBody.startsWith("payload=")) return parseJson(rawBody, context);
  const form = new URLSearchParams(rawBody).get("payload");
  return form === null ? { ok: false, reason: `${context}: form body has no payload field` } : parseJson(form, context);
}
