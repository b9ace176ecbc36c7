// The identity of an action, for binding approvals to exactly what was approved: the same
// actor, team, repo, action, paths (as a set), command (normalised), tool and context trust
// hash the same; any difference — another command, one more path — hashes differently.
// Estimated tokens are not part of it: an estimate is not the action.
import { canonicalJson, sha256Hex } from "../audit/chain";
import { normaliseCommand } from "./patterns";
import type { DecisionInput } from "./types";

export function requestHash(input: DecisionInput, teamId: string | null): string {
  return sha256Hex(
    canonicalJson({
      actor: input.actor.id,
      team: teamId,
      repo: input.repoName,
      action: input.action,
      paths: [...new Set(input.paths)].sort(),
      command: input.command === null ? null : normaliseCommand(input.command),
      tool: input.tool,
      model: input.model,
      context_trust: input.contextTrust === "trusted" ? "trusted" : "untrusted",
    }),
  );
}
