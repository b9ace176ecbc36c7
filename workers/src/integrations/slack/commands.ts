// Reads the text after `/sysop` into one command. The Slack route verifies the signature,
// parses the form (payloads.ts), calls parseSysopCommand and switches over `kind`. Verbs are
// case-insensitive and spacing is forgiving; ids and repo names are checked here, so a
// handler only sees well-formed ones. Anything else is `unknown` with a hint to show back.

export type SysopCommand =
  | { kind: "help" }
  | { kind: "approvals" }
  | { kind: "approve"; approvalId: string }
  | { kind: "deny"; approvalId: string; reason: string }
  | { kind: "policy"; repo: string }
  | { kind: "task"; repo: string; goal: string }
  | { kind: "priorities" }
  | { kind: "metrics"; team?: string }
  | { kind: "unknown"; text: string; hint: string };

export const SLASH_COMMAND = "/sysop";

/** "apr_" and 20 base32 characters, as minted by domain/identity/ids.ts. */
export const APPROVAL_ID_PATTERN = /^apr_[a-z2-7]{20}$/;
// The same shape the repos API accepts (owner/name, or deeper groups), with at least one "/"
// so a repo is never confused with the first word of a goal.
const REPO_PATTERN = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
const REPO_MAX_LENGTH = 200;
// A team slug (routes/common.ts Slug) or a team id.
const TEAM_PATTERN = /^(?:[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?|team_[a-z2-7]{20})$/;

export const MAX_DENY_REASON_LENGTH = 500;
export const MAX_TASK_GOAL_LENGTH = 2000;

export const USAGE = {
  approve: `${SLASH_COMMAND} approve <approval id>`,
  deny: `${SLASH_COMMAND} deny <approval id> <reason>`,
  policy: `${SLASH_COMMAND} policy <owner/repo>`,
  task: `${SLASH_COMMAND} task <owner/repo> <goal>`,
  metrics: `${SLASH_COMMAND} metrics [team]`,
} as const;

export function parseSysopCommand(rawText: string): SysopCommand {
  // Slack sends what the user typed with &, < and > entity-encoded; decode once so reasons
  // and goals are stored as typed (messages.ts escapes again whenever they are shown).
  const text = decodeSlackEntities(rawText).trim();
  const [verbWord = "", rest = ""] = splitFirst(text);
  const verb = verbWord.toLowerCase();
  const unknown = (hint: string): SysopCommand => ({ kind: "unknown", text, hint });
  const args = rest === "" ? [] : rest.split(/\s+/);

  switch (verb) {
    case "":
    case "help":
      return { kind: "help" };

    case "approvals":
    case "priorities":
      return args.length === 0 ? { kind: verb } : unknown(`\`${verb}\` takes no arguments.`);

    case "approve": {
      // INVARIANT: exactly one well-formed id. Approving is the one command with effect on
      // its own, so stray words (a second id, a pasted sentence) are refused, not ignored.
      const [id, ...extra] = args;
      const approvalId = normaliseApprovalId(id);
      if (!approvalId) return unknown(`Usage: ${USAGE.approve} (ids look like apr_…).`);
      if (extra.length > 0) return unknown(`Usage: ${USAGE.approve}. Give one id and nothing else.`);
      return { kind: "approve", approvalId };
    }

    case "deny": {
      const [id = "", reason = ""] = splitFirst(rest);
      const approvalId = normaliseApprovalId(id);
      if (!approvalId) return unknown(`Usage: ${USAGE.deny} (ids look like apr_…).`);
      if (reason === "") return unknown(`A reason is required. Usage: ${USAGE.deny}`);
      if (reason.length > MAX_DENY_REASON_LENGTH) {
        return unknown(`The reason is too long (at most ${MAX_DENY_REASON_LENGTH} characters).`);
      }
      return { kind: "deny", approvalId, reason };
    }

    case "policy": {
      const [repo, ...extra] = args;
      if (!isRepoName(repo) || extra.length > 0) return unknown(`Usage: ${USAGE.policy}`);
      return { kind: "policy", repo };
    }

    case "task": {
      const [repo = "", goal = ""] = splitFirst(rest);
      if (!isRepoName(repo)) return unknown(`Usage: ${USAGE.task}`);
      if (goal === "") return unknown(`Say what the task should do. Usage: ${USAGE.task}`);
      if (goal.length > MAX_TASK_GOAL_LENGTH) {
        return unknown(`The goal is too long (at most ${MAX_TASK_GOAL_LENGTH} characters).`);
      }
      return { kind: "task", repo, goal };
    }

    case "metrics": {
      if (args.length === 0) return { kind: "metrics" };
      const [team = "", ...extra] = args;
      const normalised = team.replace(/^#/, "").toLowerCase();
      if (!TEAM_PATTERN.test(normalised) || extra.length > 0) return unknown(`Usage: ${USAGE.metrics}`);
      return { kind: "metrics", team: normalised };
    }

    default:
      return unknown(`Unknown command \`${verbWord}\`. Try \`${SLASH_COMMAND} help\`.`);
  }
}

/** Lower-cases (ids are lower-case base32, so case carries nothing) and checks the shape. */
function normaliseApprovalId(candidate: string | undefined): string | null {
  const id = candidate?.toLowerCase();
  return id !== undefined && APPROVAL_ID_PATTERN.test(id) ? id : null;
}

function isRepoName(candidate: string | undefined): candidate is string {
  return candidate !== undefined && candidate.length <= REPO_MAX_LENGTH && REPO_PATTERN.test(candidate);
}

/** The first whitespace-separated word, and the rest with its inner spacing kept. */
function splitFirst(s: string): [string, string] {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(s.trim());
  return m ? [m[1]!, m[2]!.trim()] : ["", ""];
}

/** Undoes Slack's escaping of its three control characters (&amp; last, so "&amp;lt;" stays "&lt;"). */
export function decodeSlackEntities(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
