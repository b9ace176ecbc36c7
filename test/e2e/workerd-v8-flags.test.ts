// scripts/workerd-v8-flags.sh end to end: Miniflare started the way scripts/selfhost.mjs
// starts it (MINIFLARE_WORKERD_PATH pointing at the wrapper) runs workerd with the flags in
// SYSOP_V8_FLAGS. `--expose-gc` is the flag a Worker can see: `gc` is a function with it.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Miniflare } from "miniflare";

const ROOT = path.resolve(import.meta.dirname, "../..");
const WRAPPER = path.join(ROOT, "scripts/workerd-v8-flags.sh");
/** The workerd binary Miniflare would run (the package's CommonJS export, as selfhost.mjs reads it). */
const WORKERD_BIN = (createRequire(import.meta.url)("workerd") as { default: string }).default;
const SCRIPT = "export default { fetch() { return new Response(typeof gc); } };";
const ENV_NAMES = ["MINIFLARE_WORKERD_PATH", "SYSOP_WORKERD_BIN", "SYSOP_V8_FLAGS", "SYSOP_NODE", "TMPDIR"] as const;
const saved = Object.fromEntries(ENV_NAMES.map((n) => [n, process.env[n]]));
const tmpDirs: string[] = [];

afterEach(() => {
  for (const n of ENV_NAMES) {
    if (saved[n] === undefined) delete process.env[n];
    else process.env[n] = saved[n];
  }
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Points Miniflare at the wrapper with `flags`; returns the TMPDIR the wrapper (and Miniflare) write into. */
function throughWrapper(flags: string): string {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "sysop-v8flags-"));
  tmpDirs.push(tmp);
  Object.assign(process.env, { MINIFLARE_WORKERD_PATH: WRAPPER, SYSOP_WORKERD_BIN: WORKERD_BIN, SYSOP_V8_FLAGS: flags, SYSOP_NODE: process.execPath, TMPDIR: tmp });
  return tmp;
}

/** The wrapper's temporary copies of the config in `dir` (Miniflare keeps a directory of its own there). */
const configCopies = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("sysop-workerd-config"));

async function typeofGc(): Promise<string> {
  const mf = new Miniflare({ modules: true, script: SCRIPT, host: "127.0.0.1", port: 0 });
  try {
    return await (await mf.dispatchFetch("http://sysop.test/")).text();
  } finally {
    await mf.dispose();
  }
}

describe("workerd with V8 flags (scripts/workerd-v8-flags.sh)", () => {
  it("runs workerd with the flags, and leaves no copy of the config behind", async () => {
    const tmp = throughWrapper("--max-semi-space-size=4 --expose-gc");
    expect(await typeofGc()).toBe("function");
    expect(configCopies(tmp)).toEqual([]);
  });

  it("without the wrapper, workerd runs with V8's defaults", async () => {
    delete process.env.MINIFLARE_WORKERD_PATH;
    expect(await typeofGc()).toBe("undefined");
  });

  it("refuses to start on something that is not a V8 flag, rather than run without it", async () => {
    const tmp = throughWrapper("--expose-gc $(touch pwned)");
    await expect(typeofGc()).rejects.toThrow(/runtime failed to start/i);
    expect(configCopies(tmp)).toEqual([]);
  });
});
