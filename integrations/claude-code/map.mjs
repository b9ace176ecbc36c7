// Pure mapping for the sysop Claude Code hook: a PreToolUse payload becomes either a sysop
// decision request body or a local answer, and a sysop answer (or failure) becomes the hook's
// stdout JSON. No I/O, no clock, no environment: sysop-hook.mjs does those and calls in here.
// Used by sysop-hook.mjs and by test/unit/claude-code-hook-map.test.ts.
import path from "node:path";

/** @typedef {"allow" | "ask" | "deny"} Decision */
/** @typedef {"read" | "edit" | "run_command" | "network" | "install_dependency" | "git_push" | "open_pr" | "merge" | "mcp_tool"} HookAction */
/**
 * @typedef {object} HookInput  Claude Code's PreToolUse stdin (fields we use).
 * @property {string} [session_id]
 * @property {string} cwd
 * @property {string} hook_event_name
 * @property {string} tool_name
 * @property {Record<string, unknown>} tool_input
 */
/**
 * @typedef {object} DecisionRequest  Body of POST /v1/decisions (only fields the API accepts).
 * @property {string} repo
 * @property {string} [team]
 * @property {HookAction} action
 * @property {string[]} [paths]
 * @property {string} [command]
 * @property {{ server: string, name: string }} [tool]
 * @property {"trusted" | "untrusted"} [context_trust]
 * @property {{ kind: "claude_code", session_id: string, tool_name: string }} [client]
 */
/**
 * @typedef {{ kind: "ask_sysop", body: DecisionRequest } | { kind: "local", decision: Decision, reason: string }} MappedCall
 * @typedef {{ repo: string, root: string, team?: string | null, contextTrust?: "trusted" | "untrusted" | null, unknownTools?: Decision }} MapOptions
 */

export const MAX_COMMAND_CHARS = 4000;
export const EDIT_TOOLS = ["Edit", "MultiEdit", "Write", "NotebookEdit"];
export const READ_TOOLS = ["Read", "NotebookRead", "Grep", "Glob", "LS"];
export const NETWORK_TOOLS = ["WebFetch", "WebSearch"];

/** @param {string} text @returns {{ ok: true, input: HookInput } | { ok: false, reason: string }} */
export function parseHookInput(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, reason: "hook input on stdin is not JSON" };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, reason: "hook input is not a JSON object" };
  if (v.hook_event_name !== "PreToolUse") return { ok: false, reason: `expected hook_event_name "PreToolUse", got ${JSON.stringify(v.hook_event_name)}` };
  if (typeof v.tool_name !== "string" || v.tool_name === "") return { ok: false, reason: "hook input has no tool_name" };
  if (typeof v.cwd !== "string" || !path.isAbsolute(v.cwd)) return { ok: false, reason: "hook input has no absolute cwd" };
  if (typeof v.tool_input !== "object" || v.tool_input === null) return { ok: false, reason: "hook input has no tool_input object" };
  return { ok: true, input: v };
}

// Most sensitive first: a compound command is classified by its most sensitive part.
const COMMAND_ACTIONS = /** @type {const} */ (["merge", "git_push", "open_pr", "install_dependency", "network"]);
const INSTALLS = /** @type {Record<string, string[]>} */ ({
  npm: ["install", "i", "ci", "add"], yarn: ["add", "install"], pnpm: ["add", "install", "i"], bun: ["add", "install", "i"],
  pip: ["install"], pip3: ["install"], uv: ["add"], cargo: ["add", "install"], go: ["get"], gem: ["install"],
});

/** The action for a shell command. Splits on ; && || | & newlines, $( ) and backticks, ignoring
 *  quotes, and looks for a known program at every word (so `sudo -u x git push` and
 *  `xargs git push` count). Deliberately errs towards the more sensitive action.
 *  @param {string} command @returns {HookAction} */
export function classifyCommand(command) {
  const found = new Set(command.split(/\|\||&&|\$\(|[;&|\n`(){}]/).flatMap(segmentActions));
  return COMMAND_ACTIONS.find((a) => found.has(a)) ?? "run_command";
}

/** @param {string} segment @returns {HookAction[]} */
function segmentActions(segment) {
  const t = segment.trim().split(/\s+/).map((s) => s.replace(/^['"]+|['"]+$/g, "")).filter(Boolean);
  const first = t.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)); // skip FOO=bar prefixes
  /** @type {HookAction[]} */
  const out = [];
  t.forEach((word, i) => {
    const prog = path.posix.basename(word.replaceAll("\\", "/"));
    const [a = "", b = "", c = ""] = t.slice(i + 1);
    if (prog === "git" && gitSubcommand(t.slice(i + 1)) === "push") out.push("git_push");
    else if (prog === "gh" && a === "pr" && b === "create") out.push("open_pr");
    else if (prog === "gh" && a === "pr" && b === "merge") out.push("merge");
    else if (prog === "curl" || prog === "wget") out.push("network");
    else if (INSTALLS[prog]?.includes(a)) out.push("install_dependency");
    else if (prog === "yarn" && i === first && t.length === i + 1) out.push("install_dependency"); // bare `yarn`
    else if (/^python3?$/.test(prog) && a === "-m" && b === "pip" && c === "install") out.push("install_dependency");
    else if (prog === "uv" && a === "pip" && b === "install") out.push("install_dependency");
  });
  return out;
}

/** First non-option word after `git`, skipping the values of -C, -c, --git-dir, --work-tree. @param {string[]} args */
function gitSubcommand(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (["-C", "-c", "--git-dir", "--work-tree", "--namespace"].includes(arg)) i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return "";
}

/** A tool path as a repo-relative path ("src/a.ts"), "" for the root itself, or null when it is
 *  outside the repo. INVARIANT: a non-null result has no leading "/" and no ".." segment.
 *  @param {string} p @param {string} cwd @param {string} root @param {(p: string) => string} [real] */
export function repoRelative(p, cwd, root, real = (x) => x) {
  const rel = path.relative(real(root), real(path.resolve(cwd, p)));
  if (path.isAbsolute(rel)) return null; // another drive on Windows
  const posix = rel.split(path.sep).join("/");
  return posix.split("/").includes("..") ? null : posix;
}

/** @param {HookInput} input @param {MapOptions} opts @param {(p: string) => string} [real] @returns {MappedCall} */
export function mapToolCall(input, opts, real) {
  const { tool_name: name, tool_input: ti } = input;
  /** @param {HookAction} action @param {Partial<DecisionRequest>} extra @returns {MappedCall} */
  const ask = (action, extra = {}) => ({ kind: "ask_sysop", body: requestBody(input, opts, action, extra) });
  /** @param {unknown} p */
  const rel = (p) => (typeof p === "string" && p !== "" ? repoRelative(p, input.cwd, opts.root, real) : "");

  if (name === "Bash") {
    const command = typeof ti.command === "string" ? ti.command : "";
    if (command.length > MAX_COMMAND_CHARS) {
      return { kind: "local", decision: "ask", reason: `sysop hook: command is ${command.length} characters, over sysop's ${MAX_COMMAND_CHARS}; it was not checked by sysop, so you decide` };
    }
    return ask(classifyCommand(command), command === "" ? {} : { command });
  }
  if (EDIT_TOOLS.includes(name)) {
    const target = name === "NotebookEdit" ? ti.notebook_path : ti.file_path;
    const p = rel(target);
    if (p === null) return { kind: "local", decision: "deny", reason: `sysop hook: ${name} of ${String(target)} is outside the repository (${opts.root}); sysop cannot govern it, so it is denied` };
    if (p === "") return { kind: "local", decision: "deny", reason: `sysop hook: ${name} has no file path to check; denied` };
    return ask("edit", { paths: [p] });
  }
  if (READ_TOOLS.includes(name)) {
    const target = name === "Read" || name === "NotebookRead" ? ti.file_path ?? ti.notebook_path : ti.path;
    const p = rel(target);
    if (p === null) return { kind: "local", decision: "ask", reason: `sysop hook: ${name} of ${String(target)} is outside the repository (${opts.root}); sysop cannot govern it, so you decide` };
    return ask("read", p === "" ? {} : { paths: [p] });
  }
  if (NETWORK_TOOLS.includes(name)) return ask("network");
  const mcp = /^mcp__(.+?)__(.+)$/.exec(name);
  if (mcp) return ask("mcp_tool", { tool: { server: mcp[1], name: mcp[2] } });
  const decision = opts.unknownTools ?? "ask";
  return { kind: "local", decision, reason: `sysop hook: ${name} is not a tool sysop knows how to check (SYSOP_UNKNOWN_TOOLS=${decision})` };
}

/** @param {HookInput} input @param {MapOptions} opts @param {HookAction} action @param {Partial<DecisionRequest>} extra @returns {DecisionRequest} */
function requestBody(input, opts, action, extra) {
  /** @type {DecisionRequest} */
  const body = { repo: opts.repo, action, ...extra };
  if (opts.team) body.team = opts.team;
  if (opts.contextTrust) body.context_trust = opts.contextTrust;
  if (typeof input.session_id === "string" && input.session_id !== "") {
    body.client = { kind: "claude_code", session_id: input.session_id, tool_name: input.tool_name };
  }
  return body;
}

/** "owner/name" from a git remote URL (scp-like, ssh, https, file), credentials dropped; null
 *  when nothing usable. Nested groups are kept ("group/sub/project"). @param {string} url */
export function repoFromRemote(url) {
  const u = url.trim();
  const scp = /^[^/@:]+@[^/:]+:(.+)$/.exec(u);
  const pathPart = scp ? scp[1] : /^[a-z+]+:\/\/[^/]+\/(.+)$/i.exec(u)?.[1] ?? null;
  if (!pathPart) return null;
  const name = pathPart.replace(/\/+$/, "").replace(/\.git$/, "").replace(/^\/+/, "");
  return /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(name) ? name : null;
}

/** A directory name as a valid sysop repo name. @param {string} dir */
export function repoFromDir(dir) {
  return path.basename(dir).replace(/[^A-Za-z0-9_.-]+/g, "-") || "unknown";
}

/** The hook's stdout object. @param {Decision} decision @param {string} reason @param {string} [systemMessage] */
export function hookOutput(decision, reason, systemMessage) {
  const out = { hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: decision, permissionDecisionReason: reason } };
  return systemMessage ? { ...out, systemMessage } : out;
}

/** @param {unknown} res sysop's 200 body @returns {{ ok: true, decision: Decision, reason: string } | { ok: false, reason: string }} */
export function fromSysopDecision(res) {
  const r = /** @type {Record<string, any>} */ (res ?? {});
  if (!["allow", "ask", "deny"].includes(r.decision) || typeof r.decision_id !== "string") {
    return { ok: false, reason: "sysop answered 200 without a decision" };
  }
  const rules = Array.isArray(r.matched_rules) ? r.matched_rules.map((m) => m?.id).filter((id) => typeof id === "string") : [];
  let reason = `sysop: ${typeof r.reason === "string" ? r.reason : "(no reason)"} (decision ${r.decision_id}${rules.length ? `; rules: ${rules.join(", ")}` : ""})`;
  const apr = r.approval;
  if (r.decision === "ask" && apr && typeof apr.id === "string") {
    reason += `. Approval ${apr.id} is ${apr.status ?? "pending"}: an approver can approve it in Slack or through the sysop API${typeof apr.url === "string" ? ` (${apr.url})` : ""}`;
  }
  return { ok: true, decision: r.decision, reason };
}

/**
 * The answer when sysop gave none. "unreachable" follows the fail mode; "refused" (401/403,
 * other 4xx, bad configuration) always denies, because a caller could provoke it on purpose.
 * @param {{ kind: "unreachable" | "refused", detail: string }} failure @param {"open" | "closed"} failMode
 */
export function failureOutput(failure, failMode) {
  if (failure.kind === "refused") return hookOutput("deny", `sysop hook: ${failure.detail}; denying`);
  if (failMode === "open") {
    const reason = `sysop unreachable: ${failure.detail}; failing open (SYSOP_FAIL_MODE=open), this call was not checked`;
    return hookOutput("allow", reason, `Warning: ${reason}`);
  }
  return hookOutput("deny", `sysop unreachable: ${failure.detail}, failing closed`);
}
