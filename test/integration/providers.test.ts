// Every provider through the real receiver (POST /v1/webhooks/{source}/{org_id}), with
// deliveries built like the providers' documented examples and signed their way
// (test/fakes/provider-events.ts): a valid one becomes the right signal; a bad signature or a
// stale timestamp is refused and stores nothing; the same delivery id again is not applied
// twice; during a rotation either secret verifies.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { callJson, expectProblem, signupOrg, unique, type Org } from "./helpers";
import {
  crmDealCreated,
  githubIssue,
  jiraIssueCreated,
  linearIssueCreated,
  pagerDutyIncidentTriggered,
  zendeskTicketCreated,
  type ProviderDelivery,
} from "../fakes/provider-events";
import type { WebhookSource } from "../../workers/src/domain/webhooks/types";

const NOW = () => new Date();
const TEN_MINUTES_AGO = () => new Date(Date.now() - 10 * 60_000);

interface Case {
  source: WebhookSource;
  build(secret: string, opts?: { deliveredAt?: Date; deliveryId?: string }): Promise<ProviderDelivery>;
  expect: { kind: string; title: string; severity?: string | null };
  /** Whether the scheme carries a timestamp a receiver can find stale. */
  stamped: boolean;
}

const CASES: Case[] = [
  {
    source: "github",
    build: (secret, o) => githubIssue({ secret, ...o, repo: "acme/shop", number: 12, title: "Cart empties on refresh", author: "ana", labels: ["bug", "priority: high"], createdAt: NOW() }),
    expect: { kind: "bug", title: "Cart empties on refresh", severity: "high" },
    stamped: false,
  },
  {
    source: "jira",
    build: (secret, o) => jiraIssueCreated({ secret, ...o, site: "acme", id: "10042", key: "SHOP-42", summary: "Refunds take a week", issueType: "Bug", priority: "Highest", components: ["payments"], created: NOW(), updated: NOW() }),
    expect: { kind: "bug", title: "Refunds take a week", severity: "critical" },
    stamped: false,
  },
  {
    source: "linear",
    build: (secret, o) => linearIssueCreated({ secret, ...o, id: crypto.randomUUID(), identifier: "ENG-7", title: "Migrate off the old queue", labels: ["Tech debt"], priority: 3, createdAt: NOW(), updatedAt: NOW() }),
    expect: { kind: "tech_debt", title: "Migrate off the old queue" },
    stamped: true,
  },
  {
    source: "zendesk",
    build: (secret, o) => zendeskTicketCreated({ secret, ...o, id: "35436", subject: "Cannot download invoices", status: "new", priority: "urgent", organizationId: "org-9", createdAt: NOW(), updatedAt: NOW() }),
    expect: { kind: "support_ticket", title: "Cannot download invoices", severity: "critical" },
    stamped: true,
  },
  {
    source: "pagerduty",
    build: (secret, o) => pagerDutyIncidentTriggered({ secret, ...o, id: "PGR0VU2", number: 2, title: "Checkout latency above SLO", service: { id: "PF9KMXH", name: "checkout" }, urgency: "high", priority: "P1", createdAt: NOW() }),
    expect: { kind: "incident", title: "Checkout latency above SLO" },
    stamped: false,
  },
  {
    source: "crm",
    build: (secret, o) => crmDealCreated({ secret, ...o, id: "D-1042", name: "Globex renewal", customer: "Globex", arr: "120000", stage: "negotiation", blockingFeature: "SAML SSO", repo: "acme/auth", createdAt: NOW(), updatedAt: NOW() }),
    expect: { kind: "deal", title: "Globex renewal" },
    stamped: true,
  },
];

const send = (org: Org, d: ProviderDelivery, body = d.body) =>
  SELF.fetch(`https://sysop.test/v1/webhooks/${d.source}/${org.orgId}`, { method: "POST", headers: d.headers, body });

const signalsOf = async (org: Org) => (await callJson({ path: "/v1/signals", key: org.key }, 200)).body.data as any[];

describe.each(CASES)("$source webhooks", (c) => {
  it("turns a valid delivery into the right signal, once, and refuses forgeries", async () => {
    const org = await signupOrg(`wh-${c.source}`);
    const secret = unique(`${c.source}-secret-0000000000`);
    await callJson({ method: "PUT", path: `/v1/org/webhooks/${c.source}`, key: org.key, body: { secrets: [secret] } }, 200);
    const d = await c.build(secret);
    const first = await send(org, d);
    expect(first.status, await first.clone().text()).toBe(200);
    expect(await first.json()).toMatchObject({ duplicate: false });
    const [signal, ...rest] = await signalsOf(org);
    expect(rest).toEqual([]);
    expect(signal).toMatchObject({ source: c.source, kind: c.expect.kind, title: c.expect.title, state: "open", ...(c.expect.severity !== undefined ? { severity: c.expect.severity } : {}) });
    if (c.source === "crm") expect(signal).toMatchObject({ arr_micros: 120_000_000_000, customer: "Globex", repo: "acme/auth" });

    // The provider retries the same delivery: answered 200, stored once.
    expect(await (await send(org, d)).json()).toMatchObject({ delivery_id: d.deliveryId, duplicate: true });
    // A body changed in transit no longer matches its signature.
    await expectProblem(await send(org, d, d.body.replace(c.expect.title, "Tampered title")), 401);
    // Signed with a secret the org never set.
    await expectProblem(await send(org, await c.build("someone-elses-secret-0000")), 401);
    if (c.stamped) {
      const stale = await expectProblem(await send(org, await c.build(secret, { deliveredAt: TEN_MINUTES_AGO() })), 401);
      expect(stale.detail).toContain("stale");
    }
    expect((await signalsOf(org)).map((s) => s.title)).toEqual([c.expect.title]);
  });

  it("verifies with either secret during a rotation", async () => {
    const org = await signupOrg(`wh-rot-${c.source}`);
    const [oldSecret, newSecret] = [unique("old-secret-0000000000"), unique("new-secret-0000000000")];
    await callJson({ method: "PUT", path: `/v1/org/webhooks/${c.source}`, key: org.key, body: { secrets: [newSecret, oldSecret] } }, 200);
    expect((await send(org, await c.build(oldSecret))).status).toBe(200);
    expect((await send(org, await c.build(newSecret))).status).toBe(200);
  });
});
