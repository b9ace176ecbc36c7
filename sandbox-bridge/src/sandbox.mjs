// @ts-check
// Optional OS isolation for steps with bubblewrap (bwrap): the whole filesystem read-only, the
// job's workdir the only writable place, a fresh /tmp, no network when the job says none, and
// the runner's key hidden. Without bwrap a step runs as the runner's user (see README).
// Used by cli.mjs (choosing the mode once) and run-job.mjs (wrapping each step's argv).
import { accessSync, constants } from "node:fs";
import path from "node:path";

/** @typedef {{mode: "none"} | {mode: "bwrap", bwrap: string}} Sandbox */

/**
 * The first executable `name` on PATH, or null.
 * @param {string} name
 * @param {string | undefined} PATH
 */
export function findOnPath(name, PATH) {
  for (const dir of (PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The owner's `sandbox` setting made concrete: "bwrap" without bwrap refuses to start; "auto"
 * without it runs unsandboxed, with a warning for the log.
 * @param {"auto" | "none" | "bwrap"} setting
 * @param {string | null} bwrapPath  findOnPath("bwrap", …)
 * @returns {{ok: true, sandbox: Sandbox, warning?: string} | {ok: false, reason: string}}
 */
export function chooseSandbox(setting, bwrapPath) {
  if (setting === "none") return { ok: true, sandbox: { mode: "none" } };
  if (bwrapPath !== null) return { ok: true, sandbox: { mode: "bwrap", bwrap: bwrapPath } };
  if (setting === "bwrap") return { ok: false, reason: 'sandbox is "bwrap" but bwrap is not on PATH (install bubblewrap, or set sandbox to "auto" or "none")' };
  return {
    ok: true,
    sandbox: { mode: "none" },
    warning: 'sandbox "auto": bwrap is not on PATH, so steps run unsandboxed as this user (see the README on isolation)',
  };
}

/**
 * The argv that runs `argv` inside the sandbox. Pure.
 * @param {Sandbox} sandbox
 * @param {readonly string[]} argv
 * @param {{workdir: string, network: "none" | "egress", hide: readonly string[]}} opts  hide: files to mask (the runner key)
 */
export function sandboxArgv(sandbox, argv, { workdir, network, hide }) {
  if (sandbox.mode === "none") return [...argv];
  return [
    sandbox.bwrap,
    "--ro-bind", "/", "/",
    "--dev", "/dev",
    "--proc", "/proc",
    "--tmpfs", "/tmp",
    ...hide.flatMap((file) => ["--ro-bind", "/dev/null", file]),
    "--bind", workdir, workdir,
    ...(network === "none" ? ["--unshare-net"] : []),
    // A new PID namespace: when bwrap dies, everything the step started dies with it.
    "--unshare-pid",
    "--die-with-parent",
    "--chdir", workdir,
    "--",
    ...argv,
  ];
}
