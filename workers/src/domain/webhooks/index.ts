// The webhook receivers by source, for the route that serves /webhooks/:source: verify the raw
// body first (a failure is a 401, a thrown error a 500: no usable secret is configured), then
// parse it (a failure is a 422 and a dead letter), then store the records once per delivery id.
import { parseCrmWebhook, verifyCrmWebhook } from "./crm";
import { parseGitHubWebhook, verifyGitHubWebhook } from "./github";
import { parseJiraWebhook, verifyJiraWebhook } from "./jira";
import { parseLinearWebhook, verifyLinearWebhook } from "./linear";
import { parsePagerDutyWebhook, verifyPagerDutyWebhook } from "./pagerduty";
import type { WebhookParser, WebhookSource, WebhookVerifier } from "./types";
import { parseZendeskWebhook, verifyZendeskWebhook } from "./zendesk";

export interface WebhookReceiver {
  verify: WebhookVerifier;
  parse: WebhookParser;
}

export const WEBHOOK_RECEIVERS: Readonly<Record<WebhookSource, WebhookReceiver>> = {
  github: { verify: verifyGitHubWebhook, parse: parseGitHubWebhook },
  jira: { verify: verifyJiraWebhook, parse: parseJiraWebhook },
  linear: { verify: verifyLinearWebhook, parse: parseLinearWebhook },
  zendesk: { verify: verifyZendeskWebhook, parse: parseZendeskWebhook },
  pagerduty: { verify: verifyPagerDutyWebhook, parse: parsePagerDutyWebhook },
  crm: { verify: verifyCrmWebhook, parse: parseCrmWebhook },
};

export type * from "./types";
export { WEBHOOK_SOURCES } from "./types";
