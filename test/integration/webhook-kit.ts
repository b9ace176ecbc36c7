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

import prClosed from "../unit/webhooks/fixtures/github-pull-request-closed.json?raw";
import reviewSubmitted from "../unit/webhooks/fixtures/github-pull-request-review-submitted.json?raw";
import deploymentStatus from "../unit/webhooks/fixtures/github-deployment-status.json?raw";

const sha = (seed: string) => seed.replace(/[^0-9a-f]/g, "").padEnd(40, "a").slice(0, 40);

export interface PrFields {
  repo: string;
  number: number;
  title: string;
  branch: string;
  author: string;
  labels?: string[];
  body?: string;
  createdAt: string;
  mergedAt?: string | null;
  closedAt?: string | null;
  action?: string;
}

/** A pull_request delivery (GitHub's documented example, fields replaced). */
export function githubPullRequestBody(f: PrFields): string {
  const p = JSON.parse(prClosed);
  const merged = Boolean(f.mergedAt);
  p.action = f.action ?? (merged || f.closedAt ? "closed" : "opened");
  p.number = f.number;
  p.repository.full_name = f.repo;
  Object.assign(p.pull_request, {
    number: f.number,
    title: f.title,
    body: f.body ?? "",
    user: { ...p.pull_request.user, login: f.author },
    labels: (f.labels ?? []).map((name, i) => ({ id: i + 1, name })),
    created_at: f.createdAt,
    merged_at: f.mergedAt ?? null,
    closed_at: f.closedAt ?? f.mergedAt ?? null,
    merged,
    merge_commit_sha: merged ? sha(`m${f.number}`) : null,
    state: merged || f.closedAt ? "closed" : "open",
  });
  p.pull_request.head = { ...p.pull_request.head, ref: f.branch, sha: sha(`h${f.number}`) };
  return JSON.stringify(p);
}

export const mergeShaOf = (n: number) => sha(`m${n}`);

export function githubReviewBody(f: { repo: string; number: number; reviewer: string; state: "approved" | "changes_requested" | "commented"; at: string }): string {
  const p = JSON.parse(reviewSubmitted);
  p.repository.full_name = f.repo;
  p.pull_request.number = f.number;
  p.pull_request.updated_at = f.at;
  Object.assign(p.review, { state: f.state, submitted_at: f.at, user: { ...p.review.user, login: f.reviewer } });
  return JSON.stringify(p);
}

export function githubDeploymentBody(f: { repo: string; id: number; sha: string; state: "success" | "failure"; at: string }): string {
  const p = JSON.parse(deploymentStatus);
  p.repository.full_name = f.repo;
  Object.assign(p.deployment, { id: f.id, sha: f.sha, environment: "production" });
  Object.assign(p.deployment_status, { state: f.state, created_at: f.at, environment: "production" });
  return JSON.stringify(p);
}
