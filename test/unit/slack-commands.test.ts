// Unit tests for /sysop command parsing (workers/src/integrations/slack/commands.ts): a table
// of what users type, as Slack sends it (entity-escaped), and the command it must become.
import { describe, expect, it } from "vitest";
import { newId } from "../../workers/src/domain/identity/ids";
import {
  MAX_DENY_REASON_LENGTH,
  MAX_TASK_GOAL_LENGTH,
  decodeSlackEntities,
  parseSysopCommand,
  type SysopCommand,
} from "../../workers/src/integrations/slack/commands";

const ID = "apr_abcdefghijklmnopqrst"; // 20 base32 characters
const ID2 = "apr_234567abcdefghij2345";

const cases: Array<{ text: string; want: SysopCommand }> = [
  // help
  { text: "", want: { kind: "help" } },
  { text: "   ", want: { kind: "help" } },
  { text: "help", want: { kind: "help" } },
  { text: "  HeLp  ", want: { kind: "help" } },
  // lists
  { text: "approvals", want: { kind: "approvals" } },
  { text: "APPROVALS", want: { kind: "approvals" } },
  { text: "\tapprovals\n", want: { kind: "approvals" } },
  { text: "priorities", want: { kind: "priorities" } },
  // approve
  { text: `approve ${ID}`, want: { kind: "approve", approvalId: ID } },
  { text: `  Approve    ${ID}  `, want: { kind: "approve", approvalId: ID } },
  { text: `approve\u00a0${ID}`, want: { kind: "approve", approvalId: ID } }, // no-break space from a paste
  { text: `approve ${ID.toUpperCase()}`, want: { kind: "approve", approvalId: ID } },
  { text: `approve ${ID2}`, want: { kind: "approve", approvalId: ID2 } },
  // deny: the reason keeps its words, its inner spacing and what Slack escaped
  { text: `deny ${ID} too risky on a Friday`, want: { kind: "deny", approvalId: ID, reason: "too risky on a Friday" } },
  { text: `DENY   ${ID}    not   now  `, want: { kind: "deny", approvalId: ID, reason: "not   now" } },
  { text: `deny ${ID} line one\nline two`, want: { kind: "deny", approvalId: ID, reason: "line one\nline two" } },
  { text: `deny ${ID} &lt;script&gt; &amp; co`, want: { kind: "deny", approvalId: ID, reason: "<script> & co" } },
  { text: `deny ${ID} literally &amp;lt;`, want: { kind: "deny", approvalId: ID, reason: "literally &lt;" } },
  // policy
  { text: "policy acme/payments-api", want: { kind: "policy", repo: "acme/payments-api" } },
  { text: "Policy   acme/Payments.API_v2 ", want: { kind: "policy", repo: "acme/Payments.API_v2" } },
  { text: "policy group/sub/project", want: { kind: "policy", repo: "group/sub/project" } },
  // task
  { text: "task acme/api fix the flaky login test", want: { kind: "task", repo: "acme/api", goal: "fix the flaky login test" } },
  { text: "TASK  acme/api   bump lodash &amp; rerun CI ", want: { kind: "task", repo: "acme/api", goal: "bump lodash & rerun CI" } },
  // metrics
  { text: "metrics", want: { kind: "metrics" } },
  { text: "metrics platform", want: { kind: "metrics", team: "platform" } },
  { text: "Metrics  Platform-Core", want: { kind: "metrics", team: "platform-core" } },
  { text: "metrics #payments", want: { kind: "metrics", team: "payments" } },
  { text: "metrics team_abcdefghijklmnopqrst", want: { kind: "metrics", team: "team_abcdefghijklmnopqrst" } },
];

/** Inputs that must not become a command, and a word their hint must contain. */
const rejected: Array<{ text: string; hint: RegExp }> = [
  { text: "frobnicate", hint: /Unknown command `frobnicate`.*help/ },
  { text: "approvals please", hint: /takes no arguments/ },
  { text: "priorities now", hint: /takes no arguments/ },
  { text: "approve", hint: /Usage: \/sysop approve <approval id>/ },
  { text: "approve apr_123", hint: /ids look like apr_/ },
  { text: "approve apr_abcdefghijklmnopqrs", hint: /ids look like apr_/ }, // 19 characters
  { text: "approve apr_abcdefghijklmnopqrstu", hint: /ids look like apr_/ }, // 21 characters
  { text: "approve apr_abcdefghijklmnopqrs0", hint: /ids look like apr_/ }, // 0 is not base32
  { text: "approve abcdefghijklmnopqrst", hint: /ids look like apr_/ }, // no prefix
  { text: `approve ${ID} ${ID2}`, hint: /one id and nothing else/ },
  { text: `approve ${ID} and ship it`, hint: /one id and nothing else/ },
  { text: `deny ${ID}`, hint: /reason is required/ },
  { text: `deny ${ID}    `, hint: /reason is required/ },
  { text: "deny", hint: /Usage: \/sysop deny/ },
  { text: "deny because I said so", hint: /Usage: \/sysop deny/ },
  { text: `deny ${ID} ${"x".repeat(MAX_DENY_REASON_LENGTH + 1)}`, hint: /too long/ },
  { text: "policy", hint: /Usage: \/sysop policy/ },
  { text: "policy payments-api", hint: /Usage: \/sysop policy/ }, // no owner
  { text: "policy acme/api extra", hint: /Usage: \/sysop policy/ },
  { text: "policy acme/", hint: /Usage: \/sysop policy/ },
  { text: "policy /api", hint: /Usage: \/sysop policy/ },
  { text: "policy acme//api", hint: /Usage: \/sysop policy/ },
  { text: "policy &lt;https://evil.example&gt;", hint: /Usage: \/sysop policy/ },
  { text: `policy acme/${"a".repeat(200)}`, hint: /Usage: \/sysop policy/ },
  { text: "task acme/api", hint: /Say what the task should do/ },
  { text: "task fix the tests", hint: /Usage: \/sysop task/ },
  { text: `task acme/api ${"y".repeat(MAX_TASK_GOAL_LENGTH + 1)}`, hint: /too long/ },
  { text: "metrics a b", hint: /Usage: \/sysop metrics/ },
  { text: "metrics -platform", hint: /Usage: \/sysop metrics/ },
  { text: "metrics plat_form", hint: /Usage: \/sysop metrics/ },
];

describe("parseSysopCommand", () => {
  it.each(cases)("$text → $want.kind", ({ text, want }) => {
    expect(parseSysopCommand(text)).toEqual(want);
  });

  it.each(rejected)("$text is unknown, with a hint", ({ text, hint }) => {
    const got = parseSysopCommand(text);
    expect(got.kind).toBe("unknown");
    if (got.kind !== "unknown") return;
    expect(got.hint).toMatch(hint);
    expect(got.text).toBe(decodeSlackEntities(text).trim());
  });

  it("accepts a reason and a goal of exactly the maximum length", () => {
    const reason = "r".repeat(MAX_DENY_REASON_LENGTH);
    expect(parseSysopCommand(`deny ${ID} ${reason}`)).toEqual({ kind: "deny", approvalId: ID, reason });
    const goal = "g".repeat(MAX_TASK_GOAL_LENGTH);
    expect(parseSysopCommand(`task acme/api ${goal}`)).toEqual({ kind: "task", repo: "acme/api", goal });
  });

  it("accepts the ids sysop mints for approvals", () => {
    for (let i = 0; i < 200; i++) {
      const id = newId("apr");
      expect(parseSysopCommand(`approve ${id}`)).toEqual({ kind: "approve", approvalId: id });
    }
  });

  it("never lets an unknown verb through as a known one by prefix or suffix", () => {
    for (const verb of ["approved", "approves", "pre-approve", "denyall", "helpme", "taskforce"]) {
      expect(parseSysopCommand(`${verb} ${ID} x`).kind, verb).toBe("unknown");
    }
  });
});

describe("decodeSlackEntities", () => {
  it("decodes exactly Slack's three entities, once", () => {
    expect(decodeSlackEntities("a &amp; b &lt;c&gt;")).toBe("a & b <c>");
    expect(decodeSlackEntities("&amp;amp; &amp;gt;")).toBe("&amp; &gt;");
    expect(decodeSlackEntities("&quot; &#60; &nbsp;")).toBe("&quot; &#60; &nbsp;");
  });
});
