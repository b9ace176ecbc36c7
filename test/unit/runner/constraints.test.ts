// The runner's pure constraint checks (sandbox-bridge/src/constraints.mjs), as tables: command
// wildcards exactly as PROTOCOL.md §4 says (`*` any run, `?` one character, everything else
// literal, whole string, whitespace collapsed), step kinds, and changed paths against globs.
import { describe, expect, it } from "vitest";
import { constraints } from "./modules";

const { commandAllowed, checkStep, firstRefusedStep, pathsOutside, agentArgv, COMMAND_NOT_ALLOWED } = constraints;

describe("commandAllowed", () => {
  const cases: Array<[string, string[], string[], boolean]> = [
    ["a literal pattern", ["npm", "test"], ["npm test"], true],
    ["anchored at the end", ["npm", "test", "--", "--watch"], ["npm test"], false],
    ["anchored at the start", ["xnpm", "test"], ["npm test"], false],
    ["* matches a run of characters", ["npm", "run", "lint"], ["npm run *"], true],
    ["* matches across spaces (there is no shell to split on)", ["npm", "run", "lint", "--fix"], ["npm run *"], true],
    ["* needs the literal part before it", ["npm", "run"], ["npm run *"], false],
    ["* matches an empty run", ["npm", "run", "x"], ["npm run x*"], true],
    ["a trailing empty argument is trimmed away, as the policy engine trims", ["npm", "run", ""], ["npm run *"], false],
    ["? matches one character", ["make", "a"], ["make ?"], true],
    ["? matches exactly one", ["make", "ab"], ["make ?"], false],
    ["+ is literal", ["node", "-e", "1+1"], ["node -e 1+1"], true],
    ["+ is not a quantifier", ["node", "-e", "11"], ["node -e 1+1"], false],
    [". is literal", ["axb"], ["a.b"], false],
    ["( ) | are literal", ["x|y"], ["(x|y)"], false],
    ["[ ] are literal", ["a"], ["[ab]"], false],
    ["[ ] match themselves", ["[ab]"], ["[ab]"], true],
    ["^ $ are literal", ["^x$"], ["^x$"], true],
    ["a backslash is literal", ["a\\d"], ["a\\d"], true],
    ["a backslash is not a class", ["a1"], ["a\\d"], false],
    ["{ } are literal", ["a{2}"], ["a{2}"], true],
    ["whitespace inside an argument collapses", ["npm", " test  "], ["npm test"], true],
    ["tabs and newlines collapse", ["node", "-e", "a\n\tb"], ["node -e a b"], true],
    ["the pattern's whitespace collapses too", ["npm", "test"], ["  npm   test "], true],
    ["any pattern may match", ["npm", "run", "build"], ["npm test", "npm run *"], true],
    ["no patterns allow nothing", ["true"], [], false],
    ["case matters", ["NPM", "test"], ["npm test"], false],
  ];
  it.each(cases)("%s", (_name, argv, patterns, expected) => {
    expect(commandAllowed(argv, patterns)).toBe(expected);
  });
});

const job = (over: Record<string, unknown> = {}) => ({
  kind: "agent_run",
  goal: "fix it; rm -rf /",
  steps: [],
  constraints: { commands: ["npm test", "npm run *"] },
  ...over,
});
const AGENT = ["claude", "-p", "{goal}", "--prompt={goal}"];

describe("checkStep", () => {
  it("the agent step runs the owner's command with the goal inside single arguments", () => {
    expect(checkStep({ name: "agent", kind: "agent" }, job(), AGENT)).toEqual({
      ok: true,
      argv: ["claude", "-p", "fix it; rm -rf /", "--prompt=fix it; rm -rf /"],
    });
    expect(agentArgv(["a", "{goal}{goal}"], "x y")).toEqual(["a", "x yx y"]);
  });

  const refusals: Array<[string, Record<string, unknown>, Record<string, unknown>, string[] | null, RegExp]> = [
    ["an agent step outside agent_run", { name: "agent", kind: "agent" }, job({ kind: "tests" }), AGENT, /only in agent_run jobs, not tests/],
    ["an agent step without a configured agent", { name: "agent", kind: "agent" }, job(), null, /no agent command is configured/],
    ["a command not in constraints.commands", { name: "deploy", kind: "command", run: ["kubectl", "apply"] }, job(), AGENT, new RegExp(COMMAND_NOT_ALLOWED)],
    ["a tests step with no command", { name: "tests", kind: "tests" }, job(), AGENT, /has no command/],
    ["a tests step with an empty command", { name: "tests", kind: "tests", run: [] }, job(), AGENT, /has no command/],
    ["an unknown kind", { name: "x", kind: "deploy", run: ["npm", "test"] }, job(), AGENT, /unknown step kind 'deploy'/],
  ];
  it.each(refusals)("refuses %s", (_name, step, j, agent, reason) => {
    const check = checkStep(step, j, agent);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toMatch(reason);
  });

  it("allows tests and command steps whose argv matches", () => {
    expect(checkStep({ name: "t", kind: "tests", run: ["npm", "test"] }, job({ kind: "tests" }), null)).toEqual({ ok: true, argv: ["npm", "test"] });
    expect(checkStep({ name: "l", kind: "command", run: ["npm", "run", "lint"] }, job({ kind: "command" }), null)).toMatchObject({ ok: true });
  });

  it("firstRefusedStep looks at every step before any runs", () => {
    const steps = [{ name: "agent", kind: "agent" }, { name: "tests", kind: "tests", run: ["npm", "test"] }, { name: "deploy", kind: "command", run: ["sh", "-c", "x"] }];
    expect(firstRefusedStep(job({ steps }), AGENT)).toEqual({ step: steps[2], reason: COMMAND_NOT_ALLOWED });
    expect(firstRefusedStep(job({ steps: steps.slice(0, 2) }), AGENT)).toBeNull();
  });
});

describe("pathsOutside", () => {
  const changed = ["src/a.js", "src/deep/b.ts", "src/.env", "infra/main.tf", ".github/workflows/ci.yml", "test/x.test.ts", "README.md"];
  const cases: Array<[string, string[], string[]]> = [
    ["src/** covers dotfiles under src", ["src/**"], ["infra/main.tf", ".github/workflows/ci.yml", "test/x.test.ts", "README.md"]],
    ["several globs", ["src/**", "test/**", "*.md"], ["infra/main.tf", ".github/workflows/ci.yml"]],
    ["a dot directory by glob", [".github/**", "**/*.ts", "**/*.js", "src/.env", "infra/*", "README.md"], []],
    ["no globs: every change is outside", [], changed],
    ["a single-segment * does not cross /", ["src/*"], ["src/deep/b.ts", "infra/main.tf", ".github/workflows/ci.yml", "test/x.test.ts", "README.md"]],
  ];
  it.each(cases)("%s", (_name, globs, outside) => {
    expect(pathsOutside(changed, globs)).toEqual(outside);
  });
});
