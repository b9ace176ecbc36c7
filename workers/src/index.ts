// The sysop control-plane Worker: the Hono app as the fetch handler, and the Durable
// Object classes the runtime instantiates (wrangler.toml binds them).
import { createApp } from "./app";

export { AuditChain } from "../../durable-objects/audit-chain";
export { SigningKeys } from "../../durable-objects/signing-keys";
export { DecisionDesk } from "../../durable-objects/decision-desk";
export { ApprovalDesk } from "../../durable-objects/approval-desk";
export { BudgetLedger } from "../../durable-objects/budget-ledger";
export { RunnerBridge } from "../../durable-objects/runner-bridge";

const app = createApp();

export default app;
