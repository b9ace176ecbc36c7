// Small process and polling utilities for the e2e harness (stack.mjs, runner-process.mjs):
// bounded polling instead of fixed sleeps, liveness of a pid, signalling a process group, and
// finding a runner's steps that are still running. Linux (/proc) where it matters.
import { existsSync, readFileSync, readdirSync } from "node:fs";

/**
 * Polls `check` until it returns something truthy, and returns that; throws after timeoutMs
 * with the last value seen.
 * @template T
 * @param {() => T | Promise<T>} check
 * @param {{timeoutMs?: number, intervalMs?: number, what?: string}} [opts]
 * @returns {Promise<Exclude<T, null | undefined | false | 0 | "">>}
 */
export async function waitFor(check, { timeoutMs = 15_000, intervalMs = 100, what = "a condition" } = {}) {
  const until = Date.now() + timeoutMs;
  /** @type {unknown} */
  let last;
  for (;;) {
    last = await check();
    if (last) return /** @type {Exclude<T, null | undefined | false | 0 | "">} */ (last);
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Whether a pid runs (a zombie does not count). @param {number} pid */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true;
  }
}

/** Signals a whole process group, ignoring one that is gone. @param {number} pgid @param {NodeJS.Signals} sig */
export function killGroup(pgid, sig) {
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is gone
  }
}

/**
 * Pids of runner steps still running whose SYSOP_WORKDIR lies under `dir`. Steps run in process
 * groups of their own (sandbox-bridge/src/steps.mjs), so killing a runner's group leaves them.
 * @param {string} dir
 */
export function stepPidsUnder(dir) {
  /** @type {number[]} */
  const pids = [];
  if (!existsSync("/proc")) return pids;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (env.some((v) => v.startsWith(`SYSOP_WORKDIR=${dir}`))) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}
