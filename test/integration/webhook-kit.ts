// Webhook deliveries inside workerd tests: a GitHub `issues` delivery built from the
// documented example (test/unit/webhooks/fixtures), signed the way GitHub signs
// (X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>) with Web Crypto.
import { SELF } from "cloudflare:test";
import issuesOpened from "../unit/webhooks/fixtures/github-issues-opened.json?raw";

export async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export interface IssueFields {
  repo: string;
  number: number;
  title: string;
  labels: string[];
  createdAt?: string;
  state?: "open" | "closed";
}

export function githubIssueBody(f: IssueFields): string {
  const payload = JSON.parse(issuesOpened);
  const at = f.createdAt ?? new Date().toISOString();
  payload.repository.full_name = f.repo;
  payload.issue.number = f.number;
  payload.issue.title = f.title;
  payload.issue.labels = f.labels.map((name, i) => ({ id: i + 1, name }));
  payload.issue.state = f.state ?? "open";
  payload.issue.created_at = at;
  payload.issue.updated_at = at;
  payload.issue.closed_at = f.state === "closed" ? at : null;
  return JSON.stringify(payload);
}

export async function postGitHub(orgId: string, secret: string, event: string, body: string, deliveryId = crypto.randomUUID()): Promise<Response> {
  return SELF.fetch(`https://sysop.test/v1/webhooks/github/${orgId}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": deliveryId, "x-hub-signature-256": `sha256=${await hmacHex(secret, body)}` },
    body,
  });
}
