// Unit tests for sysop's Slack messages (workers/src/integrations/slack/messages.ts and
// mrkdwn.ts): the approval buttons' ids and values, escaping of everything users wrote, and
// Slack's size limits (3,000 characters a section, 50 blocks a message) under hostile input.
import { describe, expect, it } from "vitest";
import {
  APPROVE_ACTION_ID,
  DENY_ACTION_ID,
  MAX_LISTED_APPROVALS,
  approvalBlockId,
  approvalRequestMessage,
  approvalUpdatedMessage,
  approvalsListMessage,
  helpMessage,
  policySummaryMessage,
  resultMessage,
} from "../../workers/src/integrations/slack/messages";
import { SLACK_LIMITS, type Block, type SlackMessage } from "../../workers/src/integrations/slack/block-kit";
import { codeBlock, escapeMrkdwn, link, slackDate, truncateEscaped } from "../../workers/src/integrations/slack/mrkdwn";
import type { ApprovalForSlack, PolicyLayerForSlack } from "../../workers/src/integrations/slack/views";

const ID = "apr_abcdefghijklmnopqrst";
const approval = (over: Partial<ApprovalForSlack> = {}): ApprovalForSlack => ({
  id: ID,
  team_name: "Payments",
  requester_name: "build-agent-7",
  action: "deploy",
  repo: "acme/payments-api",
  command: "npm run deploy -- --env=prod",
  paths: ["infra/prod.tf"],
  reason: "Hotfix for INC-123",
  ticket_url: "https://acme.atlassian.net/browse/INC-123",
  expires_at: "2026-05-01T12:30:00.000Z",
  approvals_needed: 2,
  approvals_so_far: 0,
  ...over,
});

/** Every piece of text in a message, as Slack would receive it. */
function texts(msg: SlackMessage): string[] {
  const out = [msg.text];
  for (const b of msg.blocks) {
    if (b.type === "section") {
      if (b.text) out.push(b.text.text);
      for (const f of b.fields ?? []) out.push(f.text);
    }
    if (b.type === "context") out.push(...b.elements.map((e) => e.text));
    if (b.type === "header") out.push(b.text.text);
  }
  return out;
}

/** What Block Kit rejects, checked over the whole message. */
function expectWithinSlackLimits(msg: SlackMessage) {
  expect(msg.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
  expect(msg.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  for (const b of msg.blocks) {
    if (b.type === "section") {
      if (b.text) expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionFieldText);
    }
    if (b.type === "actions") {
      expect(b.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.actionsElements);
      for (const e of b.elements) {
        expect(e.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonText);
        expect((e.value ?? "").length).toBeLessThanOrEqual(SLACK_LIMITS.buttonValue);
        expect(e.action_id.length).toBeLessThanOrEqual(SLACK_LIMITS.actionId);
        if (e.confirm) expect(e.confirm.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.confirmText);
      }
    }
    if ("block_id" in b && b.block_id) expect(b.block_id.length).toBeLessThanOrEqual(SLACK_LIMITS.blockId);
  }
  // Never half an entity left at a cut.
  for (const t of texts(msg)) expect(t).not.toMatch(/&(a|am|amp|l|lt|g|gt)?…/);
}

const actionsBlocks = (blocks: Block[]) => blocks.filter((b) => b.type === "actions");

describe("approvalRequestMessage", () => {
  it("has Approve (primary) and Deny (danger) buttons carrying the approval id", () => {
    const msg = approvalRequestMessage(approval());
    const actions = actionsBlocks(msg.blocks);
    expect(actions).toHaveLength(1);
    const [block] = actions;
    if (block?.type !== "actions") throw new Error("no actions block");
    expect(block.block_id).toBe(approvalBlockId(ID));
    expect(block.elements.map((e) => [e.action_id, e.style, e.value, e.text.text])).toEqual([
      [APPROVE_ACTION_ID, "primary", ID, "Approve"],
      [DENY_ACTION_ID, "danger", ID, "Deny"],
    ]);
    expect(APPROVE_ACTION_ID).toBe("sysop_approve");
    expect(DENY_ACTION_ID).toBe("sysop_deny");
    expect(block.elements[0]?.confirm?.confirm.text).toBe("Approve");
  });

  it("describes who asks for what, where, with the command, paths, reason, ticket and expiry", () => {
    const all = texts(approvalRequestMessage(approval())).join("\n");
    expect(all).toContain("*build-agent-7* (Payments) asks to *deploy* on `acme/payments-api`");
    expect(all).toContain("```\nnpm run deploy -- --env=prod\n```");
    expect(all).toContain("• infra/prod.tf");
    expect(all).toContain(">Hotfix for INC-123");
    expect(all).toContain("<https://acme.atlassian.net/browse/INC-123|Ticket>");
    expect(all).toContain("0 of 2");
    expect(all).toContain("<!date^1777638600^{date_short_pretty} {time}|2026-05-01T12:30:00Z>");
    expect(approvalRequestMessage(approval()).text).toBe("Approval needed: build-agent-7 asks to deploy on acme/payments-api");
  });

  it("leaves out the command, paths and ticket when there are none", () => {
    const all = texts(approvalRequestMessage(approval({ command: null, paths: [], ticket_url: undefined }))).join("\n");
    expect(all).not.toContain("*Command*");
    expect(all).not.toContain("*Paths*");
    expect(all).not.toContain("Ticket");
  });

  it("escapes <, > and & in every user-written field, so none becomes a link, mention or tag", () => {
    const evil = "<script>&</script> <!channel> <@U123> <https://evil.example|click>";
    const msg = approvalRequestMessage(
      approval({ team_name: evil, requester_name: evil, action: evil, repo: evil, command: evil, paths: [evil], reason: evil }),
    );
    const all = texts(msg).join("\n");
    expect(all).toContain("&lt;script&gt;&amp;&lt;/script&gt;");
    expect(all).not.toContain("<script>");
    expect(all).not.toContain("<!channel>");
    expect(all).not.toContain("<@U123>");
    expect(all).not.toContain("<https://evil.example");
    // The only "<" left are sysop's own: the date token and the ticket link.
    const ownTokens = all.match(/<[^>]*>/g) ?? [];
    expect(ownTokens.every((t) => t.startsWith("<!date^") || t.startsWith("<https://acme.atlassian.net/"))).toBe(true);
    expectWithinSlackLimits(msg);
  });

  it("keeps a newline in a name from faking a line of its own, and quotes every line of a reason", () => {
    const all = texts(approvalRequestMessage(approval({ requester_name: "bob\n*Approved by admin*", reason: "one\n*Action:* read\nthree" }))).join("\n");
    expect(all).toContain("*bob *Approved by admin** (Payments)");
    expect(all).toContain(">one\n>*Action:* read\n>three");
  });

  it("shows a command verbatim, even with backticks that would close the code block", () => {
    const all = texts(approvalRequestMessage(approval({ command: "echo ```; rm -rf / # `whoami`" }))).join("\n");
    const block = /```\n([\s\S]*?)\n```/.exec(all)?.[1];
    expect(block?.replace(/\u200b/g, "")).toBe("echo ```; rm -rf / # `whoami`");
    expect(block).not.toContain("```");
  });

  it("shows a non-http ticket link as text, not as a link", () => {
    const all = texts(approvalRequestMessage(approval({ ticket_url: "javascript:alert(1)" }))).join("\n");
    expect(all).toContain("*Ticket:* javascript:alert(1)");
    expect(all).not.toContain("<javascript:");
  });

  it("stays inside Slack's limits with huge inputs, and says what it cut", () => {
    const big = "&<>x".repeat(5000);
    const paths = Array.from({ length: 500 }, (_, i) => `src/${i}/${"p".repeat(300)}.ts`);
    const msg = approvalRequestMessage(
      approval({ team_name: big, requester_name: big, action: big, repo: big, command: big, reason: big, paths, ticket_url: `https://x.example/${big}` }),
    );
    expectWithinSlackLimits(msg);
    const all = texts(msg).join("\n");
    expect(all).toContain("…and 490 more");
    expect(all).toContain("…");
  });

  it("refuses an approval id that is not sysop's (a bug upstream, not something to render)", () => {
    expect(() => approvalRequestMessage(approval({ id: "apr_<!channel>" }))).toThrow(/not an approval id/);
    expect(() => approvalRequestMessage(approval({ id: "x".repeat(3000) }))).toThrow(/not an approval id/);
  });
});

describe("approvalUpdatedMessage", () => {
  it("replaces the buttons with who approved", () => {
    const msg = approvalUpdatedMessage(approval({ approvals_so_far: 2 }), { kind: "approved", by: "Dana" });
    expect(msg.replace_original).toBe(true);
    expect(actionsBlocks(msg.blocks)).toHaveLength(0);
    expect(texts(msg).join("\n")).toContain("Approved by *Dana*");
    expect(msg.text).toMatch(/^Approved by \*Dana\*: build-agent-7 asks to deploy/);
  });

  it("replaces the buttons with who denied and why, escaped", () => {
    const msg = approvalUpdatedMessage(approval(), { kind: "denied", by: "Eve <@U1>", reason: "no <b>prod</b> & no ticket" });
    expect(actionsBlocks(msg.blocks)).toHaveLength(0);
    const all = texts(msg).join("\n");
    expect(all).toContain("Denied by *Eve &lt;@U1&gt;*: no &lt;b&gt;prod&lt;/b&gt; &amp; no ticket");
    expectWithinSlackLimits(msg);
  });

  it("keeps the buttons while more approvals are needed", () => {
    const msg = approvalUpdatedMessage(approval({ approvals_so_far: 1 }), { kind: "approval_recorded", by: "Dana" });
    const actions = actionsBlocks(msg.blocks);
    expect(actions).toHaveLength(1);
    expect(texts(msg).join("\n")).toContain("Approved by *Dana* (1 of 2); waiting for more approvals");
  });

  it("says when a request expired, without buttons", () => {
    const msg = approvalUpdatedMessage(approval(), { kind: "expired" });
    expect(actionsBlocks(msg.blocks)).toHaveLength(0);
    expect(texts(msg).join("\n")).toContain("Expired without a decision");
  });
});

describe("approvalsListMessage", () => {
  const summary = (i: number) => ({ ...approval(), id: `apr_${"abcdefghijklmnopqrs"}${"abcdefghijklmnopqrstuvwxyz234567"[i % 32]}` });

  it("is ephemeral and says so when nothing waits", () => {
    const msg = approvalsListMessage([]);
    expect(msg.response_type).toBe("ephemeral");
    expect(msg.text).toBe("No approvals are waiting for you.");
    expect(actionsBlocks(msg.blocks)).toHaveLength(0);
  });

  it("gives each approval its own buttons with its own id", () => {
    const list = [summary(0), summary(1), summary(2)];
    const msg = approvalsListMessage(list);
    const values = actionsBlocks(msg.blocks).map((b) => (b.type === "actions" ? b.elements.map((e) => e.value) : []));
    expect(values).toEqual(list.map((a) => [a.id, a.id]));
    expect(msg.text).toBe("3 approvals waiting");
  });

  it("lists at most MAX_LISTED_APPROVALS, within 50 blocks, and counts the rest", () => {
    const list = Array.from({ length: 75 }, (_, i) => summary(i));
    const msg = approvalsListMessage(list);
    expect(actionsBlocks(msg.blocks)).toHaveLength(MAX_LISTED_APPROVALS);
    expect(texts(msg).join("\n")).toContain(`…and ${75 - MAX_LISTED_APPROVALS} more`);
    expectWithinSlackLimits(msg);
  });
});

describe("helpMessage and resultMessage", () => {
  it("lists every command, with placeholders escaped so Slack shows them", () => {
    const msg = helpMessage();
    expect(msg.response_type).toBe("ephemeral");
    const all = texts(msg).join("\n");
    for (const verb of ["approvals", "approve", "deny", "policy", "task", "priorities", "metrics", "help"]) {
      expect(all).toContain(`/sysop ${verb}`);
    }
    expect(all).toContain("/sysop deny &lt;approval id&gt; &lt;reason&gt;");
    expect(all).not.toMatch(/<(?!!date)/);
  });

  it("escapes and bounds a result", () => {
    const msg = resultMessage("Done: <!here> & <@U1>");
    expect(msg).toEqual({
      response_type: "ephemeral",
      text: "Done: &lt;!here&gt; &amp; &lt;@U1&gt;",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "Done: &lt;!here&gt; &amp; &lt;@U1&gt;" } }],
    });
    expectWithinSlackLimits(resultMessage("<".repeat(10_000)));
  });
});

describe("policySummaryMessage", () => {
  const layer = (over: Partial<PolicyLayerForSlack> = {}): PolicyLayerForSlack => ({
    layer: "org",
    name: "acme",
    version: 3,
    default_effect: "ask",
    rules: [
      { id: "no-force-push", effect: "deny", reason: "Force pushes rewrite history" },
      { id: "reads-ok", effect: "allow", reason: "Reading is safe" },
    ],
    ...over,
  });

  it("lists each layer's rules with id, effect and reason", () => {
    const msg = policySummaryMessage({
      repo: "acme/api",
      layers: [layer(), layer({ layer: "team", name: "Payments", version: 1, default_effect: null, rules: [] }), layer({ layer: "repo", name: "acme/api", version: null, rules: [] })],
    });
    expect(msg.response_type).toBe("ephemeral");
    const all = texts(msg).join("\n");
    expect(all).toContain("*Policy for `acme/api`*");
    expect(all).toContain("*Org* · acme (v3, default *ask*)");
    expect(all).toContain("• :no_entry: *deny* `no-force-push`: Force pushes rewrite history");
    expect(all).toContain("• :white_check_mark: *allow* `reads-ok`: Reading is safe");
    expect(all).toContain("*Team* · Payments (v1)\n_No rules._");
    expect(all).toContain("*Repo* · acme/api (no policy)");
  });

  it("escapes rule text and truncates long layers, saying how many rules are not shown", () => {
    const rules = Array.from({ length: 40 }, (_, i) => ({ id: `rule-${i}<x>`, effect: "ask" as const, reason: `<@U1> & ${"r".repeat(400)}` }));
    const msg = policySummaryMessage({ repo: "acme/api", layers: [layer({ rules })] });
    const all = texts(msg).join("\n");
    expect(all).not.toContain("<@U1>");
    expect(all).toContain("`rule-0&lt;x&gt;`");
    const shown = (all.match(/^• /gm) ?? []).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThanOrEqual(15);
    expect(all).toContain(`…and ${40 - shown} more rules`);
    expectWithinSlackLimits(msg);
  });

  it("caps a message with very many layers at 50 blocks", () => {
    const msg = policySummaryMessage({ repo: "acme/api", layers: Array.from({ length: 80 }, () => layer()) });
    expect(msg.blocks).toHaveLength(SLACK_LIMITS.blocksPerMessage);
    expect(texts(msg).at(-1)).toMatch(/more not shown/);
  });
});

describe("mrkdwn helpers", () => {
  it("escapes exactly &, < and >", () => {
    expect(escapeMrkdwn(`<script>&"'*_~\``)).toBe(`&lt;script&gt;&amp;"'*_~\``);
  });

  it("never cuts inside an entity or a surrogate pair", () => {
    for (let max = 2; max < 30; max++) {
      const out = truncateEscaped(escapeMrkdwn("a<b&c>d🚀e".repeat(5)), max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(/&[a-z]*…$/);
      expect(out).not.toMatch(/[\uD800-\uDBFF]…$/);
    }
  });

  it("keeps a code block within its budget, fences included", () => {
    expect(codeBlock("x".repeat(5000), 100).length).toBeLessThanOrEqual(100);
    expect(codeBlock("x".repeat(5000), 100).endsWith("\n```")).toBe(true);
  });

  it("makes links only from http(s) URLs, with | and > neutralised", () => {
    expect(link("https://a.example/x?y=1&z=2", "T|ck>t")).toBe("<https://a.example/x?y=1&amp;z=2|T/ck&gt;t>");
    expect(link("https://a.example/a|b>c", "t")).toBe("<https://a.example/a%7Cb%3Ec|t>");
    expect(link("ftp://a.example/", "t")).toBeNull();
    expect(link("nonsense", "t")).toBeNull();
  });

  it("renders dates for each reader, and unreadable ones as escaped text", () => {
    expect(slackDate("2026-05-01T12:30:00Z")).toBe("<!date^1777638600^{date_short_pretty} {time}|2026-05-01T12:30:00Z>");
    expect(slackDate("soon <!channel>")).toBe("soon &lt;!channel&gt;");
  });
});
