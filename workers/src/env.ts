// The Worker's bindings and configuration, as declared in wrangler.toml.
import type { AuditChain } from "../../durable-objects/audit-chain";
import type { SigningKeys } from "../../durable-objects/signing-keys";
import type { DecisionDesk } from "../../durable-objects/decision-desk";
import type { ApprovalDesk } from "../../durable-objects/approval-desk";
import type { BudgetLedger } from "../../durable-objects/budget-ledger";
import type { RunnerBridge } from "../../durable-objects/runner-bridge";

export interface Env {
  DB: D1Database;
  ARTIFACTS: R2Bucket;
  AUDIT_CHAIN: DurableObjectNamespace<AuditChain>;
  SIGNING_KEYS: DurableObjectNamespace<SigningKeys>;
  DECISION_DESK: DurableObjectNamespace<DecisionDesk>;
  APPROVAL_DESK: DurableObjectNamespace<ApprovalDesk>;
  BUDGET_LEDGER: DurableObjectNamespace<BudgetLedger>;
  RUNNER_BRIDGE: DurableObjectNamespace<RunnerBridge>;
  /** Hosts a team's Slack incoming-webhook URL may point at, comma-separated. */
  SLACK_WEBHOOK_HOSTS: string;
  /** The Slack app's signing secret(s), comma-separated during rotation (a Worker secret). */
  SLACK_SIGNING_SECRETS?: string;
  /** Where Slack's Web API and incoming webhooks live; tests point these at a local fake. */
  SLACK_API_BASE: string;
  SLACK_HOOKS_BASE: string;
  /** Upstream LLM providers for the gateway (tests point these at a local fake). */
  ANTHROPIC_BASE_URL: string;
  OPENAI_BASE_URL: string;
  /** AES-256 key (base64) that seals stored third-party secrets (a Worker secret). */
  SECRETS_KEY?: string;
  /** How long a runner's lease lasts without a heartbeat (seconds; default 30). */
  RUNNER_LEASE_SECONDS?: string;
  /** The request header that carries the caller's address (default CF-Connecting-IP, which
   *  Cloudflare's edge sets); self-hosted, the header the TLS-terminating proxy sets. */
  CLIENT_IP_HEADER?: string;
  TOKEN_ISSUER: string;
  TOKEN_AUDIENCE: string;
  TOKEN_TTL_SECONDS: string;
  SIGNING_KEY_ROTATION_DAYS: string;
}
