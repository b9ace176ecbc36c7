// Choosing and applying the sandbox (sandbox-bridge/src/sandbox.mjs): "bwrap" without bwrap
// refuses to start, "auto" without it warns and runs unsandboxed, and the bwrap argv.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sandbox } from "./modules";

const { chooseSandbox, sandboxArgv, findOnPath } = sandbox;

describe("chooseSandbox", () => {
  it.each([
    ["none", null, { ok: true, sandbox: { mode: "none" } }],
    ["none", "/usr/bin/bwrap", { ok: true, sandbox: { mode: "none" } }],
    ["auto", "/usr/bin/bwrap", { ok: true, sandbox: { mode: "bwrap", bwrap: "/usr/bin/bwrap" } }],
    ["bwrap", "/usr/bin/bwrap", { ok: true, sandbox: { mode: "bwrap", bwrap: "/usr/bin/bwrap" } }],
  ])("%s with bwrap at %s", (setting, bwrap, expected) => {
    expect(chooseSandbox(setting, bwrap)).toEqual(expected);
  });
  it('"auto" without bwrap runs unsandboxed with a warning', () => {
    expect(chooseSandbox("auto", null)).toMatchObject({ ok: true, sandbox: { mode: "none" }, warning: expect.stringMatching(/unsandboxed/) });
  });
  it('"bwrap" without bwrap refuses', () => {
    expect(chooseSandbox("bwrap", null)).toMatchObject({ ok: false, reason: expect.stringMatching(/bwrap is not on PATH/) });
  });
});

describe("sandboxArgv", () => {
  const opts = { workdir: "/w/job-1/work", network: "none", hide: ["/etc/sysop-runner/runner-key.jwk"] };
  it("unsandboxed, argv is unchanged", () => {
    expect(sandboxArgv({ mode: "none" }, ["npm", "test"], opts)).toEqual(["npm", "test"]);
  });
  it("bwrap: read-only root, writable workdir, new /tmp, key hidden, no network", () => {
    expect(sandboxArgv({ mode: "bwrap", bwrap: "/usr/bin/bwrap" }, ["npm", "test"], opts)).toEqual([
      "/usr/bin/bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
      "--ro-bind", "/dev/null", "/etc/sysop-runner/runner-key.jwk",
      "--bind", "/w/job-1/work", "/w/job-1/work", "--unshare-net", "--unshare-pid", "--die-with-parent",
      "--chdir", "/w/job-1/work", "--", "npm", "test",
    ]);
  });
  it("bwrap with egress keeps the network", () => {
    expect(sandboxArgv({ mode: "bwrap", bwrap: "bwrap" }, ["x"], { ...opts, network: "egress" })).not.toContain("--unshare-net");
  });
});

it("findOnPath finds executables only", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sysop-path-"));
  try {
    writeFileSync(path.join(dir, "tool"), "#!/bin/sh\n");
    writeFileSync(path.join(dir, "plain"), "");
    chmodSync(path.join(dir, "tool"), 0o755);
    expect(findOnPath("tool", `/nonexistent${path.delimiter}${dir}`)).toBe(path.join(dir, "tool"));
    expect(findOnPath("plain", dir)).toBeNull();
    expect(findOnPath("tool", undefined)).toBeNull();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
