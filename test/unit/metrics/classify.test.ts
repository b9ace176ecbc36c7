// Unit tests for classifyOrigin (workers/src/domain/metrics/classify.ts): each configured mark
// makes a PR agent work, nothing else does, and the evidence names the mark that decided.
import { describe, expect, it } from "vitest";
import { classifyOrigin, DEFAULT_ORIGIN_RULES, explainOrigin, type OriginRules, type PullRequestMarks } from "../../../workers/src/domain/metrics/classify";

const PLAIN: PullRequestMarks = { branch: "fix/login", labels: ["bug"], body: "Fixes the login redirect.", commitMessages: ["Fix login redirect\n\nSigned-off-by: Dana <dana@acme.dev>"], linkedTaskId: null };
const RULES: OriginRules = DEFAULT_ORIGIN_RULES;

describe("classifyOrigin", () => {
  it.each<[string, Partial<PullRequestMarks>, "agent" | "human"]>([
    ["no mark: human", {}, "human"],
    ["a sysop task link", { linkedTaskId: "task_abc" }, "agent"],
    ["an empty task link is no link", { linkedTaskId: "" }, "human"],
    ["a branch prefix", { branch: "sysop/task_abc-fix" }, "agent"],
    ["the prefix must begin the branch", { branch: "fix/sysop/task_abc" }, "human"],
    ["no branch (a deleted fork)", { branch: null }, "human"],
    ["a label, any case", { labels: ["bug", "Sysop-Agent"] }, "agent"],
    ["a label that merely contains the name", { labels: ["not-sysop-agent"] }, "human"],
    ["a Sysop-Task trailer in a commit", { commitMessages: ["Fix it\n\nSysop-Task: task_abc"] }, "agent"],
    ["a co-author trailer, other case and spacing", { commitMessages: ["Fix it\n\nco-authored-by:   Sysop-Agent <agent@sysop.dev>"] }, "agent"],
    ["a trailer in the PR body (squash merges)", { body: "Summary\r\n\r\nSysop-Task: task_abc" }, "agent"],
    ["the trailer must begin its line", { body: "We should add Sysop-Task: to this later" }, "human"],
    ["a different co-author", { commitMessages: ["Fix\n\nCo-authored-by: Sam <sam@acme.dev>"] }, "human"],
  ])("%s → %s", (_name, marks, expected) => {
    expect(classifyOrigin({ ...PLAIN, ...marks }, RULES)).toBe(expected);
  });

  it("uses the rules it is given, not the defaults", () => {
    const rules: OriginRules = { branchPrefixes: ["bot-"], labels: ["ai"], trailers: ["X-Agent:"] };
    expect(classifyOrigin({ ...PLAIN, branch: "sysop/x" }, rules)).toBe("human");
    expect(classifyOrigin({ ...PLAIN, branch: "bot-1" }, rules)).toBe("agent");
    expect(classifyOrigin({ ...PLAIN, labels: ["AI"] }, rules)).toBe("agent");
    expect(classifyOrigin({ ...PLAIN, commitMessages: ["x\n\nx-agent: yes"] }, rules)).toBe("agent");
  });

  it("empty rules mark nothing (an empty prefix or trailer would otherwise match everything)", () => {
    const rules: OriginRules = { branchPrefixes: [""], labels: [""], trailers: ["", "  "] };
    expect(classifyOrigin({ ...PLAIN, labels: [""] }, rules)).toBe("human");
  });
});

describe("explainOrigin", () => {
  it("names the first mark in the order checked: task link, branch, label, trailer", () => {
    const all: PullRequestMarks = { branch: "sysop/t", labels: ["sysop-agent"], body: null, commitMessages: ["x\n\nSysop-Task: t"], linkedTaskId: "task_t" };
    expect(explainOrigin(all, RULES)).toEqual({ origin: "agent", evidence: "task_link", matched: "task_t" });
    expect(explainOrigin({ ...all, linkedTaskId: null }, RULES)).toEqual({ origin: "agent", evidence: "branch_prefix", matched: "sysop/" });
    expect(explainOrigin({ ...all, linkedTaskId: null, branch: "main" }, RULES)).toEqual({ origin: "agent", evidence: "label", matched: "sysop-agent" });
    expect(explainOrigin({ ...all, linkedTaskId: null, branch: "main", labels: [] }, RULES)).toEqual({ origin: "agent", evidence: "trailer", matched: "Sysop-Task:" });
    expect(explainOrigin(PLAIN, RULES)).toEqual({ origin: "human", evidence: null, matched: null });
  });
});
