// End-to-end tests for the Claude Code PreToolUse hook (integrations/claude-code/sysop-hook.mjs):
// each test starts a fake sysop on 127.0.0.1, runs the hook as a child process with a fixture on
// stdin, and checks the request sysop received and the JSON the hook printed.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, mkdirSync, rmSync, realpathSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const DIR = path.resolve(import.meta.dirname, "../../integrations/claude-code");
const HOOK = path.join(DIR, "sysop-hook.mjs");
const KEY = "sysop_abcdefgh2345_qrstuvwxyz234567qrstuvwxyz234567qrstuvwxyz234567abcd";
const SESSION = "8f6c2a4e-3b1d-4e5f-9a7c-1d2e3f4a5b6c";

type Received = { method: string; url: string; headers: IncomingMessage["headers"]; body: unknown };
type Reply = { status: number; body: unknown; contentType?: string } | "hang";
type HookOut = {
  hookSpecificOutput: { hookEventName: string; permissionDecision: string; permissionDecisionReason: string };
  systemMessage?: string;
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(path.join(DIR, "fixtures", `${name}.json`), "utf8"));
}

/** A fake sysop answering every request with `reply`; records what it received. */
async function fakeSysop(reply: Reply): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body: raw === "" ? null : JSON.parse(raw) });
      if (reply === "hang") return;
      res.writeHead(reply.status, { "content-type": reply.contentType ?? "application/json" });
      res.end(typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/** A URL on which nothing listens: a port that was just bound and released. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Runs the hook with `stdin` and only the given SYSOP_* variables (plus PATH for git). */
function runHook(stdin: string, env: Record<string, string>): Promise<{ out: HookOut; raw: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOOK], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let raw = "";
    child.stdout.on("data", (c) => (raw += c));
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve({ out: JSON.parse(raw), raw, code });
      } catch {
        reject(new Error(`hook printed no JSON: ${JSON.stringify(raw)}`));
      }
    });
    child.stdin.end(stdin);
  });
}

const env = (url: string, extra: Record<string, string> = {}) => ({ SYSOP_URL: url, SYSOP_API_KEY: KEY, SYSOP_REPO: "acme/payments-api", ...extra });
const ALLOW = { decision_id: "dec_01", decision: "allow", reason: "tests may run", matched_rules: [{ id: "r-tests", effect: "allow", reason: "tests may run", layer: "org" }], policy_versions: { org: 3 }, request_hash: "h" };
const client = (tool_name: string) => ({ kind: "claude_code", session_id: SESSION, tool_name });

describe("request sent to sysop, per recorded fixture", () => {
  it.each([
    ["bash-npm-test", { repo: "acme/payments-api", action: "run_command", command: "npm test", client: client("Bash") }],
    ["bash-git-push-force", { repo: "acme/payments-api", action: "git_push", command: "git push --force origin main", client: client("Bash") }],
    ["edit", { repo: "acme/payments-api", action: "edit", paths: ["src/billing/invoice.ts"], client: client("Edit") }],
    ["write", { repo: "acme/payments-api", action: "edit", paths: ["migrations/0042_add_refunds.sql"], client: client("Write") }],
    ["read", { repo: "acme/payments-api", action: "read", paths: ["config/production.env"], client: client("Read") }],
    ["mcp-github-create-issue", { repo: "acme/payments-api", action: "mcp_tool", tool: { server: "github", name: "create_issue" }, client: client("mcp__github__create_issue") }],
  ])("%s", async (name, expected) => {
    const sysop = await fakeSysop({ status: 200, body: ALLOW });
    const { out, code } = await runHook(JSON.stringify(fixture(name)), env(sysop.url));
    expect(code).toBe(0);
    expect(sysop.received).toHaveLength(1);
    const [req] = sysop.received;
    expect(req!.method).toBe("POST");
    expect(req!.url).toBe("/v1/decisions");
    expect(req!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.body).toEqual(expected);
    expect(out).toEqual({
      hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "allow", permissionDecisionReason: "sysop: tests may run (decision dec_01; rules: r-tests)" },
    });
  });

  it("adds team and context_trust from SYSOP_TEAM and SYSOP_CONTEXT_TRUST", async () => {
    const sysop = await fakeSysop({ status: 200, body: ALLOW });
    await runHook(JSON.stringify(fixture("bash-npm-test")), env(sysop.url, { SYSOP_TEAM: "team_payments", SYSOP_CONTEXT_TRUST: "untrusted" }));
    expect(sysop.received[0]!.body).toEqual({ repo: "acme/payments-api", team: "team_payments", action: "run_command", command: "npm test", context_trust: "untrusted", client: client("Bash") });
  });
});

describe("sysop's answer becomes the hook decision", () => {
  it("deny lists every matched rule", async () => {
    const body = { ...ALLOW, decision_id: "dec_02", decision: "deny", reason: "no force-push to main", matched_rules: [{ id: "no-force-push", effect: "deny", reason: "x", layer: "org" }, { id: "main-protected", effect: "deny", reason: "y", layer: "repo" }] };
    const sysop = await fakeSysop({ status: 200, body });
    const { out } = await runHook(JSON.stringify(fixture("bash-git-push-force")), env(sysop.url));
    expect(out.hookSpecificOutput).toEqual({ hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: "sysop: no force-push to main (decision dec_02; rules: no-force-push, main-protected)" });
  });

  it("ask names the approval and where to approve it", async () => {
    const body = { ...ALLOW, decision_id: "dec_03", decision: "ask", reason: "migrations need a lead", matched_rules: [{ id: "migrations-ask", effect: "ask", reason: "x", layer: "team" }], approval: { id: "apr_77", status: "pending", url: "https://sysop.example.com/approvals/apr_77" } };
    const sysop = await fakeSysop({ status: 200, body });
    const { out } = await runHook(JSON.stringify(fixture("write")), env(sysop.url));
    expect(out.hookSpecificOutput.permissionDecision).toBe("ask");
    expect(out.hookSpecificOutput.permissionDecisionReason).toBe(
      "sysop: migrations need a lead (decision dec_03; rules: migrations-ask). Approval apr_77 is pending: an approver can approve it in Slack or through the sysop API (https://sysop.example.com/approvals/apr_77)",
    );
  });

  it("never prints the API key, even when sysop echoes it", async () => {
    const sysop = await fakeSysop({ status: 200, body: { ...ALLOW, reason: `key ${KEY} is fine` } });
    const { raw, out } = await runHook(JSON.stringify(fixture("bash-npm-test")), env(sysop.url));
    expect(raw).not.toContain(KEY);
    expect(out.hookSpecificOutput.permissionDecisionReason).toContain("key [redacted] is fine");
  });
});

describe("failures", () => {
  it("fails closed when nothing listens", async () => {
    const url = await deadUrl();
    const { out, code } = await runHook(JSON.stringify(fixture("bash-npm-test")), env(url));
    expect(code).toBe(0);
    expect(out.hookSpecificOutput.permissionDecision).toBe("deny");
    expect(out.hookSpecificOutput.permissionDecisionReason).toBe(`sysop unreachable: could not reach ${url} (ECONNREFUSED), failing closed`);
  });

  it("fails closed when sysop does not answer within SYSOP_TIMEOUT_MS", async () => {
    const sysop = await fakeSysop("hang");
    const started = Date.now();
    const { out } = await runHook(JSON.stringify(fixture("bash-npm-test")), env(sysop.url, { SYSOP_TIMEOUT_MS: "200" }));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(sysop.received).toHaveLength(1);
    expect(out.hookSpecificOutput).toMatchObject({ permissionDecision: "deny", permissionDecisionReason: `sysop unreachable: no answer from ${sysop.url} within 200 ms, failing closed` });
  });

  it("fails closed on a 200 that is not a decision", async () => {
    const sysop = await fakeSysop({ status: 200, body: "<html>proxy login</html>", contentType: "text/html" });
    const { out } = await runHook(JSON.stringify(fixture("bash-npm-test")), env(sysop.url));
    expect(out.hookSpecificOutput).toMatchObject({ permissionDecision: "deny", permissionDecisionReason: "sysop unreachable: sysop answered 200 with a body that is not JSON, failing closed" });
  });

  it("fails open, with a warning, when SYSOP_FAIL_MODE=open and sysop is down or erroring", async () => {
    const url = await deadUrl();
    const down = await runHook(JSON.stringify(fixture("bash-npm-test")), env(url, { SYSOP_FAIL_MODE: "open" }));
    expect(down.out.hookSpecificOutput.permissionDecision).toBe("allow");
    expect(down.out.hookSpecificOutput.permissionDecisionReason).toMatch(/^sysop unreachable: could not reach .* failing open/);
    expect(down.out.systemMessage).toMatch(/^Warning: sysop unreachable/);

    const sysop = await fakeSysop({ status: 503, body: { type: "about:blank", title: "Service Unavailable", status: 503, detail: "D1 is down" }, contentType: "application/problem+json" });
    const erroring = await runHook(JSON.stringify(fixture("bash-npm-test")), env(sysop.url, { SYSOP_FAIL_MODE: "open" }));
    expect(erroring.out.hookSpecificOutput).toMatchObject({ permissionDecision: "allow", permissionDecisionReason: expect.stringContaining("sysop answered 503 Service Unavailable: Service Unavailable: D1 is down") });
  });

  it("denies on 401 even when failing open", async () => {
    const sysop = await fakeSysop({ status: 401, body: { type: "https://sysop.dev/problems/unauthorized", title: "Unauthorized", status: 401, detail: "Unknown API key." }, contentType: "application/problem+json" });
    const { out } = await runHook(JSON.stringify(fixture("bash-npm-test")), env(sysop.url, { SYSOP_FAIL_MODE: "open" }));
    expect(out.hookSpecificOutput).toMatchObject({
      permissionDecision: "deny",
      permissionDecisionReason: "sysop hook: sysop rejected the API key (401 Unauthorized: Unauthorized: Unknown API key.); check SYSOP_API_KEY; denying",
    });
    expect(out.systemMessage).toBeUndefined();
  });

  it("denies on a 422 even when failing open (a caller could provoke one)", async () => {
    const sysop = await fakeSysop({ status: 422, body: { type: "about:blank", title: "Validation failed", status: 422, detail: `command: too long ${KEY}` }, contentType: "application/problem+json" });
    const { out, raw } = await runHook(JSON.stringify(fixture("bash-npm-test")), env(sysop.url, { SYSOP_FAIL_MODE: "open" }));
    expect(out.hookSpecificOutput.permissionDecision).toBe("deny");
    expect(out.hookSpecificOutput.permissionDecisionReason).toMatch(/^sysop hook: sysop refused the request \(422 Unprocessable Entity: Validation failed: command: too long \[redacted\]\); denying$/);
    expect(raw).not.toContain(KEY);
  });

  it.each([
    ["not JSON", "{\"session_id\": ", "hook input on stdin is not JSON"],
    ["empty", "", "hook input on stdin is not JSON"],
    ["another event", JSON.stringify({ ...fixture("edit"), hook_event_name: "PostToolUse" }), 'expected hook_event_name "PreToolUse", got "PostToolUse"'],
  ])("denies malformed stdin (%s) without calling sysop, even when failing open", async (_label, stdin, why) => {
    const sysop = await fakeSysop({ status: 200, body: ALLOW });
    const { out, code } = await runHook(stdin, env(sysop.url, { SYSOP_FAIL_MODE: "open" }));
    expect(code).toBe(0);
    expect(sysop.received).toHaveLength(0);
    expect(out.hookSpecificOutput).toEqual({ hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: `sysop hook: ${why}; denying` });
  });

  it("denies when SYSOP_API_KEY is missing, without calling sysop", async () => {
    const sysop = await fakeSysop({ status: 200, body: ALLOW });
    const { out } = await runHook(JSON.stringify(fixture("bash-npm-test")), { SYSOP_URL: sysop.url, SYSOP_FAIL_MODE: "open" });
    expect(sysop.received).toHaveLength(0);
    expect(out.hookSpecificOutput).toMatchObject({ permissionDecision: "deny", permissionDecisionReason: "sysop hook misconfigured: SYSOP_API_KEY is not set; denying" });
  });
});

describe("answers given locally", () => {
  it("denies an edit outside the repository without calling sysop", async () => {
    const sysop = await fakeSysop({ status: 200, body: ALLOW });
    const input = { ...fixture("edit"), tool_input: { file_path: "/home/dev/src/payments-api/../../.bashrc", old_string: "a", new_string: "b" } };
    const { out } = await runHook(JSON.stringify(input), env(sysop.url));
    expect(sysop.received).toHaveLength(0);
    expect(out.hookSpecificOutput).toEqual({
      hookEventName: "PreToolUse",
      permissionDecision: "deny",
      permissionDecisionReason: "sysop hook: Edit of /home/dev/src/payments-api/../../.bashrc is outside the repository (/home/dev/src/payments-api); sysop cannot govern it, so it is denied",
    });
  });

  it("asks the developer about a read outside the repository", async () => {
    const sysop = await fakeSysop({ status: 200, body: ALLOW });
    const input = { ...fixture("read"), tool_input: { file_path: "/home/dev/.aws/credentials" } };
    const { out } = await runHook(JSON.stringify(input), env(sysop.url));
    expect(sysop.received).toHaveLength(0);
    expect(out.hookSpecificOutput.permissionDecision).toBe("ask");
  });

  it("asks about unknown tools, or allows them when SYSOP_UNKNOWN_TOOLS=allow", async () => {
    const sysop = await fakeSysop({ status: 200, body: ALLOW });
    const input = JSON.stringify({ ...fixture("bash-npm-test"), tool_name: "TodoWrite", tool_input: { todos: [] } });
    const asked = await runHook(input, env(sysop.url));
    expect(asked.out.hookSpecificOutput).toMatchObject({ permissionDecision: "ask", permissionDecisionReason: "sysop hook: TodoWrite is not a tool sysop knows how to check (SYSOP_UNKNOWN_TOOLS=ask)" });
    const allowed = await runHook(input, env(sysop.url, { SYSOP_UNKNOWN_TOOLS: "allow" }));
    expect(allowed.out.hookSpecificOutput.permissionDecision).toBe("allow");
    expect(sysop.received).toHaveLength(0);
  });
});

describe("repo and paths from git", () => {
  function gitRepo(remote: string | null): string {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "sysop-hook-")));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync("git", ["init", "-q", dir]);
    if (remote) execFileSync("git", ["-C", dir, "remote", "add", "origin", remote]);
    mkdirSync(path.join(dir, "services", "api"), { recursive: true });
    return dir;
  }

  it("derives the repo from origin and makes paths relative to the repo root, not cwd", async () => {
    const root = gitRepo("git@github.com:acme/payments-api.git");
    const sysop = await fakeSysop({ status: 200, body: ALLOW });
    const cwd = path.join(root, "services", "api");
    const input = { ...fixture("write"), cwd, tool_input: { file_path: path.join(cwd, "handler.ts"), content: "x" } };
    await runHook(JSON.stringify(input), { SYSOP_URL: sysop.url, SYSOP_API_KEY: KEY });
    expect(sysop.received[0]!.body).toEqual({ repo: "acme/payments-api", action: "edit", paths: ["services/api/handler.ts"], client: client("Write") });
  });

  it("falls back to the directory name when there is no origin", async () => {
    const root = gitRepo(null);
    const sysop = await fakeSysop({ status: 200, body: ALLOW });
    await runHook(JSON.stringify({ ...fixture("bash-npm-test"), cwd: root }), { SYSOP_URL: sysop.url, SYSOP_API_KEY: KEY });
    expect(sysop.received[0]!.body).toMatchObject({ repo: path.basename(root), action: "run_command" });
  });
});
