// Linear webhook receiver, pure side. Scheme (https://linear.app/developers/webhooks#securing-webhooks):
// `Linear-Signature: <hex HMAC-SHA256(secret, raw body)>`, and the body's `webhookTimestamp`
// (Unix ms) must be within a minute of now, as Linear's own SDK enforces. The delivery id is
// the `Linear-Delivery` header. `Issue` events become bug / feature_request / tech_debt
// signals by label; other entity types record nothing.
import { z } from "zod";
import { classifyIssue } from "./classify";
import { assertUsableSecrets, expectedSignatures, isWithinTolerance, matchesAny, toHex } from "./hmac";
import { deliveryIdFrom, failed, IsoDateTime, NamedList, NullableIsoDateTime, OptionalString, parseJson, validate } from "./payload";
import type { HeaderReader, Severity, Signal, WebhookParseResult, WebhookVerifyInput, WebhookVerifyResult } from "./types";

export const LINEAR_SIGNATURE_HEADER = "linear-signature";
export const LINEAR_DELIVERY_HEADER = "linear-delivery";
/** Linear's guidance (and its SDK's check): reject deliveries more than a minute from now. */
export const LINEAR_MAX_SKEW_MS = 60_000;

const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;
const SignedTimestamp = z.object({ webhookTimestamp: z.number().int().nonnegative() });

export async function verifyLinearWebhook({ rawBody, headers, secrets, now }: WebhookVerifyInput): Promise<WebhookVerifyResult> {
  assertUsableSecrets("Linear", secrets);
  const signature = headers.get(LINEAR_SIGNATURE_HEADER);
  if (!signature) return { ok: false, reason: "missing_headers" };
  if (!SIGNATURE_PATTERN.test(signature)) return { ok: false, reason: "bad_signature" };

  const expected = await expectedSignatures(secrets, rawBody, toHex);
  if (!matchesAny(expected, [signature])) return { ok: false, reason: "bad_signature" };

  // The timestamp is inside the signed body, so it is read only once the body is known genuine.
  const json = parseJson(rawBody, "linear");
  const stamped = json.ok ? SignedTimestamp.safeParse(json.value) : null;
  if (!stamped?.success) return { ok: false, reason: "malformed" };
  return isWithinTolerance(stamped.data.webhookTimestamp, now, LINEAR_MAX_SKEW_MS)
    ? { ok: true }
    : { ok: false, reason: "stale_timestamp" };
}

const Envelope = z.object({ type: z.string(), action: z.string() });

const IssueEvent = z.object({
  url: OptionalString,
  data: z.object({
    id: z.string(),
    title: z.string(),
    url: OptionalString,
    // 0 none, 1 urgent, 2 high, 3 medium, 4 low (Linear's Issue.priority).
    priority: z.number().int().min(0).max(4).nullish(),
    labels: NamedList,
    state: z.object({ type: z.string() }).nullish(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
    completedAt: NullableIsoDateTime,
    canceledAt: NullableIsoDateTime,
  }),
});
type LinearIssue = z.infer<typeof IssueEvent>["data"];

export function parseLinearWebhook(rawBody: string, headers: HeaderReader): WebhookParseResult {
  const delivery = deliveryIdFrom(headers, LINEAR_DELIVERY_HEADER, null, "linear");
  if (!delivery.ok) return failed(delivery.reason);
  const json = parseJson(rawBody, "linear");
  if (!json.ok) return failed(json.reason);
  const envelope = validate(Envelope, json.value, "linear");
  if (!envelope.ok) return failed(envelope.reason);
  const { type, action } = envelope.value;
  if (type !== "Issue") return { ok: true, deliveryId: delivery.value, records: [] };

  const parsed = validate(IssueEvent, json.value, `linear Issue ${action}`);
  if (!parsed.ok) return failed(parsed.reason);
  const signal = linearSignal(parsed.value.data, parsed.value.url, action === "remove");
  return { ok: true, deliveryId: delivery.value, records: signal ? [signal] : [] };
}

function linearSignal(issue: LinearIssue, eventUrl: string | null, removed: boolean): Signal | null {
  const signalKind = classifyIssue(issue.labels, null);
  if (signalKind === null) return null;
  const { state, resolvedAt } = linearState(issue, removed);
  return {
    kind: "signal",
    source: "linear",
    externalId: issue.id,
    url: issue.url ?? eventUrl,
    signalKind,
    title: issue.title,
    severity: LINEAR_PRIORITIES[issue.priority ?? 0] ?? null,
    customer: null,
    arrMicros: null,
    component: null,
    service: null,
    labels: issue.labels,
    repo: null,
    state,
    openedAt: issue.createdAt,
    resolvedAt,
    updatedAt: issue.updatedAt,
  };
}

const LINEAR_PRIORITIES: ReadonlyArray<Severity | null> = [null, "critical", "high", "medium", "low"];

/** Workflow state types are fixed by Linear (triage, backlog, unstarted, started, completed, canceled). */
function linearState(issue: LinearIssue, removed: boolean): Pick<Signal, "state" | "resolvedAt"> {
  if (removed) return { state: "closed", resolvedAt: issue.updatedAt };
  // The state, when sent, is the truth; the timestamps stand in for it when it is not.
  const type = issue.state?.type ?? (issue.completedAt ? "completed" : issue.canceledAt ? "canceled" : null);
  if (type === "completed") return { state: "resolved", resolvedAt: issue.completedAt ?? issue.updatedAt };
  if (type === "canceled") return { state: "closed", resolvedAt: issue.canceledAt ?? issue.updatedAt };
  return { state: "open", resolvedAt: null };
}
