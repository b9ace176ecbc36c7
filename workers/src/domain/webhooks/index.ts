// The webhook receivers by source, for the route that serves /webhooks/:source: verify the raw
// body first (a failure is a 401, a thrown error a 500: no usable secret is configured), then
// parse it (a failure is a 422 and a dead letter), then store the records once per delivery id.
import { CRM_DELIVERY_HEADER, parseCrmWebhook, verifyCrmWebhook } from "./crm";
import { GITHUB_DELIVERY_HEADER, parseGitHubWebhook, verifyGitHubWebhook } from "./github";
import { JIRA_DELIVERY_HEADER, parseJiraWebhook, verifyJiraWebhook } from "./jira";
import { LINEAR_DELIVERY_HEADER, parseLinearWebhook, verifyLinearWebhook } from "./linear";
import { PAGERDUTY_DELIVERY_HEADER, parsePagerDutyWebhook, verifyPagerDutyWebhook } from "./pagerduty";
import type { WebhookParser, WebhookSource, WebhookVerifier } from "./types";
import { ZENDESK_DELIVERY_HEADER, parseZendeskWebhook, verifyZendeskWebhook } from "./zendesk";

export interface WebhookReceiver {
  verify: WebhookVerifier;
  parse: WebhookParser;
  /** The header the provider names each delivery by (kept with a dead letter). */
  deliveryHeader: string;
}

export const WEBHOOK_RECEIVERS: Readonly<Record<WebhookSource, WebhookReceiver>> = {
  github: { verify: verifyGitHubWebhook, parse: parseGitHubWebhook, deliveryHeader: GITHUB_DELIVERY_HEADER },
  jira: { verify: verifyJiraWebhook, parse: parseJiraWebhook, deliveryHeader: JIRA_DELIVERY_HEADER },
  linear: { verify: verifyLinearWebhook, parse: parseLinearWebhook, deliveryHeader: LINEAR_DELIVERY_HEADER },
  zendesk: { verify: verifyZendeskWebhook, parse: parseZendeskWebhook, deliveryHeader: ZENDESK_DELIVERY_HEADER },
  pagerduty: { verify: verifyPagerDutyWebhook, parse: parsePagerDutyWebhook, deliveryHeader: PAGERDUTY_DELIVERY_HEADER },
  crm: { verify: verifyCrmWebhook, parse: parseCrmWebhook, deliveryHeader: CRM_DELIVERY_HEADER },
};

export type * from "./types";
export { WEBHOOK_SOURCES } from "./types";
