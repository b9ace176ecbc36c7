// The Worker's bindings and configuration, as declared in wrangler.toml.
import type { AuditChain } from "../../durable-objects/audit-chain";
import type { SigningKeys } from "../../durable-objects/signing-keys";
import type { DecisionDesk } from "../../durable-objects/decision-desk";

export interface Env {
  DB: D1Database;
  ARTIFACTS: R2Bucket;
  AUDIT_CHAIN: DurableObjectNamespace<AuditChain>;
  SIGNING_KEYS: DurableObjectNamespace<SigningKeys>;
  DECISION_DESK: DurableObjectNamespace<DecisionDesk>;
  TOKEN_ISSUER: string;
  TOKEN_AUDIENCE: string;
  TOKEN_TTL_SECONDS: string;
  SIGNING_KEY_ROTATION_DAYS: string;
}
