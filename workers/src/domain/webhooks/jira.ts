// Jira Cloud webhook receiver, pure side. Admin webhooks registered with a secret are signed
// WebSub-style (https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks):
// `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, no timestamp. Each delivery
// carries `X-Atlassian-Webhook-Identifier`, unchanged across retries (the delivery id).
// Issue events (jira:issue_created/updated/deleted) become bug / feature_request / tech_debt
// signals; other events record nothing.
import { z } from "zod";
import { classifyIssue, normaliseWord } from "./classify";
import { verifyHubSignature } from "./hub-signature";
import { deliveryIdFrom, failed, IsoDateTime, NamedList, NullableIsoDateTime, parseJson, validate } from "./payload";
import type { HeaderReader, Severity, Signal, WebhookParseResult, WebhookVerifyInput, WebhookVerifyResult } from "./types";

export const JIRA_SIGNATURE_HEADER = "x-hub-signature";
export const JIRA_DELIVERY_HEADER = "x-atlassian-webhook-identifier";

export function verifyJiraWebhook(input: WebhookVerifyInput): Promise<WebhookVerifyResult> {
  return verifyHubSignature("Jira", JIRA_SIGNATURE_HEADER, input);
}

const ISSUE_EVENTS = new Set(["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"]);

const Envelope = z.object({ webhookEvent: z.string() });

const Named = z.object({ name: z.string() }).nullish();

const IssueEvent = z.object({
  issue: z.object({
    id: z.string(),
    key: z.string(),
    self: z.url(),
    fields: z.object({
      summary: z.string(),
      issuetype: Named,
      priority: Named,
      labels: z
        .array(z.string())
        .nullish()
        .transform((v) => v ?? []),
      components: NamedList,
      status: z.object({ statusCategory: z.object({ key: z.string() }).nullish() }).nullish(),
      resolution: Named,
      created: IsoDateTime,
      updated: IsoDateTime,
      resolutiondate: NullableIsoDateTime,
    }),
  }),
});
type JiraIssue = z.infer<typeof IssueEvent>["issue"];

export function parseJiraWebhook(rawBody: string, headers: HeaderReader): WebhookParseResult {
  const delivery = deliveryIdFrom(headers, JIRA_DELIVERY_HEADER, null, "jira");
  if (!delivery.ok) return failed(delivery.reason);
  const json = parseJson(rawBody, "jira");
  if (!json.ok) return failed(json.reason);
  const envelope = validate(Envelope, json.value, "jira");
  if (!envelope.ok) return failed(envelope.reason);
  const event = envelope.value.webhookEvent;
  if (!ISSUE_EVENTS.has(event)) return { ok: true, deliveryId: delivery.value, records: [] };

  const parsed = validate(IssueEvent, json.value, `jira ${event}`);
  if (!parsed.ok) return failed(parsed.reason);
  const signal = jiraSignal(parsed.value.issue, event === "jira:issue_deleted");
  return { ok: true, deliveryId: delivery.value, records: signal ? [signal] : [] };
}

function jiraSignal(issue: JiraIssue, deleted: boolean): Signal | null {
  const { fields } = issue;
  const signalKind = classifyIssue(fields.labels, fields.issuetype?.name ?? null);
  if (signalKind === null) return null;
  const state = jiraState(fields, deleted);
  return {
    kind: "signal",
    source: "jira",
    externalId: issue.id,
    // `self` is the REST URL (https://site.atlassian.net/rest/api/2/issue/10001); people browse /browse/KEY.
    url: `${new URL(issue.self).origin}/browse/${issue.key}`,
    signalKind,
    title: fields.summary,
    severity: jiraSeverity(fields.priority?.name ?? null),
    customer: null,
    arrMicros: null,
    component: fields.components[0] ?? null,
    service: null,
    labels: fields.labels,
    repo: null,
    state,
    openedAt: fields.created,
    resolvedAt: state === "open" ? null : (fields.resolutiondate ?? fields.updated),
    updatedAt: fields.updated,
  };
}

// Resolutions that end the work without doing it: closed, not resolved.
const NOT_DONE_RESOLUTIONS = new Set(["won't-do", "won't-fix", "wont-do", "wont-fix", "duplicate", "cannot-reproduce", "declined"]);

function jiraState(fields: JiraIssue["fields"], deleted: boolean): Signal["state"] {
  if (deleted) return "closed";
  // Status categories are fixed by Jira (new, indeterminate, done); status names are per site.
  if (fields.status?.statusCategory?.key !== "done") return "open";
  const resolution = fields.resolution ? normaliseWord(fields.resolution.name) : "";
  return NOT_DONE_RESOLUTIONS.has(resolution) ? "closed" : "resolved";
}

// Jira's default scheme (Highest..Lowest) and the older one (Blocker..Trivial).
const JIRA_PRIORITIES: ReadonlyMap<string, Severity> = new Map([
  ["highest", "critical"],
  ["blocker", "critical"],
  ["critical", "critical"],
  ["high", "high"],
  ["major", "high"],
  ["medium", "medium"],
  ["low", "low"],
  ["lowest", "low"],
  ["minor", "low"],
  ["trivial", "low"],
]);

const jiraSeverity = (priority: string | null): Severity | null =>
  priority === null ? null : (JIRA_PRIORITIES.get(normaliseWord(priority)) ?? null);
