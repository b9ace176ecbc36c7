// The per-job workspace (sandbox-bridge/src/workspace.mjs and results.mjs's collectChanges)
// on a real repo: a detached worktree or a clone at the ref, changes read back with the git
// dir recorded before any step ran, refs that look like options refused, nothing left behind.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeFixture, type Fixture } from "./harness";

type Workspace = { dir: string; gitDir: string; baseCommit: string; remove(): Promise<void> };
const SRC = new URL("../../../sandbox-bridge/src/", import.meta.url);
const { createWorkspace, isSafeRef }: {
  createWorkspace(p: { source: { path: string } | { clone_url: string }; ref: string; root: string }): Promise<Workspace>;
  isSafeRef(ref: string): boolean;
} = await import(new URL("workspace.mjs", SRC).href);
const { collectChanges }: { collectChanges(ws: Workspace): Promise<{ files: string[]; stats: Record<string, number>; diff: Buffer }> } = await import(
  new URL("results.mjs", SRC).href
);

let fx: Fixture;
let root: string;
beforeEach(() => {
  fx = makeFixture();
  root = path.join(fx.root, "work");
});
afterEach(() => fx.cleanup());

describe("createWorkspace", () => {
  it.each([
    ["a local repo (worktree)", () => ({ path: fx.repo })],
    ["a clone URL", () => ({ clone_url: fx.repo })],
  ])("%s: checked out at the ref, changes read back, removed afterwards", async (_name, source) => {
    const head = fx.git(["rev-parse", "HEAD"]).trim();
    fx.git(["commit", "--quiet", "--allow-empty", "-m", "later"]); // main moves on; the job asked for the first commit
    const ws = await createWorkspace({ source: source(), ref: head, root });
    expect(ws.baseCommit).toBe(head);
    expect(readFileSync(path.join(ws.dir, "src/invoice.js"), "utf8")).toContain("Math.floor");
    expect(ws.gitDir.startsWith(ws.dir + path.sep)).toBe(false); // outside the writable work tree

    writeFileSync(path.join(ws.dir, "src/invoice.js"), "changed\n");
    mkdirSync(path.join(ws.dir, "test"));
    writeFileSync(path.join(ws.dir, "test/new.test.js"), "a\nb\n");
    unlinkSync(path.join(ws.dir, "README.md"));
    writeFileSync(path.join(ws.dir, "sysop-usage.json"), "{}"); // hand-over files are not work
    writeFileSync(path.join(ws.dir, ".git"), "gitdir: /nonexistent\n"); // a step cannot redirect git
    const changes = await collectChanges(ws);
    expect(changes.files.sort()).toEqual(["README.md", "src/invoice.js", "test/new.test.js"]);
    expect(changes.stats).toEqual({ files: 3, additions: 3, deletions: 2 });
    expect(changes.diff.toString()).toContain("+changed");

    await ws.remove();
    expect(readdirSync(root)).toEqual([]);
    expect(fx.git(["worktree", "list", "--porcelain"]).match(/^worktree /gm)).toHaveLength(1);
    expect(fx.git(["status", "--porcelain"])).toBe("");
  });

  it("a branch name resolves on a clone too (origin/<ref>)", async () => {
    fx.git(["branch", "feature"]);
    const ws = await createWorkspace({ source: { clone_url: fx.repo }, ref: "feature", root });
    expect(ws.baseCommit).toBe(fx.git(["rev-parse", "feature"]).trim());
    await ws.remove();
  });

  it("an unknown ref fails and leaves nothing behind", async () => {
    await expect(createWorkspace({ source: { path: fx.repo }, ref: "no-such-branch", root })).rejects.toThrow(/not a commit/);
    expect(existsSync(root) ? readdirSync(root) : []).toEqual([]);
  });

  it("removes a tree a step made read-only", async () => {
    const ws = await createWorkspace({ source: { path: fx.repo }, ref: "main", root });
    mkdirSync(path.join(ws.dir, "locked"));
    writeFileSync(path.join(ws.dir, "locked/f"), "x");
    chmodSync(path.join(ws.dir, "locked"), 0o500);
    await ws.remove();
    expect(readdirSync(root)).toEqual([]);
  });
});

it.each([
  ["main", true],
  ["release/1.2", true],
  ["a1b2c3d", true],
  ["--upload-pack=touch /tmp/x", false],
  ["-b", false],
  ["main..evil", false],
  ["with space", false],
  ["", false],
])("isSafeRef(%j) is %s", (ref, safe) => {
  expect(isSafeRef(ref)).toBe(safe);
});
