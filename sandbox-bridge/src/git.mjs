// @ts-check
// Runs git for the runner (never for a step). After steps have run, the work tree is untrusted:
// callers pass the git dir recorded before any step ran, so a step that rewrote `.git` cannot
// point git at a config of its choosing; fsmonitor and external diff programs are off.
import { execFile } from "node:child_process";

const MAX_BUFFER = 64 * 1024 * 1024;

/**
 * @param {string[]} args
 * @param {{cwd?: string, gitDir?: string, workTree?: string}} [opts]
 * @returns {Promise<Buffer>} stdout
 */
export function git(args, opts = {}) {
  const workTree = opts.workTree ?? opts.cwd;
  const where = opts.gitDir ? [`--git-dir=${opts.gitDir}`, ...(workTree ? [`--work-tree=${workTree}`] : [])] : [];
  const argv = ["-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", ...where, ...args];
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      argv,
      { cwd: opts.cwd, encoding: "buffer", maxBuffer: MAX_BUFFER, env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0" } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args[0]} failed: ${stderr.toString("utf8").trim() || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** @param {string[]} args @param {{cwd?: string, gitDir?: string, workTree?: string}} [opts] */
export const gitText = async (args, opts) => (await git(args, opts)).toString("utf8").trim();
