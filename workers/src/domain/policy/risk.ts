// The risk sysop assigns to an action when the agent does not say, or says too little:
// the higher of the declared risk and what the action and command imply.
import type { ActionKind, RiskLevel } from "./types";
import { RISK_LEVELS } from "./types";

export const ACTION_RISK: Record<ActionKind, RiskLevel> = {
  read: "low",
  edit: "low",
  open_pr: "low",
  run_command: "medium",
  network: "medium",
  install_dependency: "medium",
  git_push: "medium",
  mcp_tool: "medium",
  model_call: "low",
  merge: "high",
  deploy: "high",
  db_migration: "high",
  secret_access: "critical",
};

/** Commands that raise the risk whatever the action: history rewrites, root, pipes into a shell. */
const COMMAND_RISK: [RegExp, RiskLevel][] = [
  [/\|\s*(sudo\s+)?(ba|z)?sh\b/, "critical"],
  [/(^|\s)sudo\s/, "high"],
  [/\brm\s+-[a-z]*r[a-z]*f|\brm\s+-[a-z]*f[a-z]*r/, "high"],
  [/\bgit\s+push\b.*(\s--force\b|\s-f\b|\s--force-with-lease\b)/, "high"],
  [/\bgit\s+reset\s+--hard\b/, "high"],
];

export const riskRank = (r: RiskLevel): number => RISK_LEVELS.indexOf(r);

export function effectiveRisk(action: ActionKind, command: string | null, declared: RiskLevel | null): RiskLevel {
  let risk = ACTION_RISK[action];
  if (command) for (const [pattern, level] of COMMAND_RISK) if (pattern.test(command) && riskRank(level) > riskRank(risk)) risk = level;
  if (declared && riskRank(declared) > riskRank(risk)) risk = declared;
  return risk;
}
