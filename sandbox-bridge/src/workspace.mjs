// @ts-check
// A fresh, private work tree per job under workdir_root: a detached `git worktree` of a local
// repo, or a clone of clone_url, checked out at the job's ref, and removed afterwards. The git
// dir is recorded here, before any step runs, for git.mjs. Used by run-job.mjs.
import { mkdir, mkdtemp, rm, chmod, readdir, lstat } from "node:fs/promises";
import path from "node:path";
import { git, gitText } from "./git.mjs";

/** @typedef {import("./config.mjs").RepoSource} RepoSource */
/**
 * @typedef {object} Workspace
 * @property {string} dir         the work tree steps run in
 * @property {string} gitDir      its git dir, as it was before any step ran
 * @property {string} baseCommit  the commit `ref` resolved to; diffs are against it
 * @property {() => Promise<void>} remove
 */

/**
 * A ref git will not mistake for an option or a range. Pure.
 * @param {string} ref
 */
export const isSafeRef = (ref) => ref.length > 0 && ref.length <= 256 && !ref.startsWith("-") && !/[\s\u0000-\u001f\u007f]|\.\./.test(ref);

/**
 * @param {string[]} candidates
 * @param {{cwd?: string, gitDir?: string}} where
 */
async function resolveCommit(candidates, where) {
  for (const ref of candidates) {
    try {
      return await gitText(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], where);
    } catch {
      // try the next spelling
    }
  }
  throw new Error(`ref '${candidates[0]}' is not a commit in the repo`);
}

/** rm -rf that also copes with directories a step made read-only. @param {string} dir */
async function removeTree(dir) {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch {
    await makeWritable(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

/** @param {string} dir */
async function makeWritable(dir) {
  const info = await lstat(dir).catch(() => null);
  if (!info?.isDirectory()) return;
  await chmod(dir, 0o700).catch(() => {});
  for (const name of await readdir(dir).catch(() => [])) await makeWritable(path.join(dir, name));
}

/**
 * @param {{source: RepoSource, ref: string, root: string}} p
 * @returns {Promise<Workspace>}
 */
export async function createWorkspace({ source, ref, root }) {
  if (!isSafeRef(ref)) throw new Error(`ref '${ref}' is not a safe git ref`);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const jobRoot = await mkdtemp(path.join(root, "job-"));
  const dir = path.join(jobRoot, "work");
  try {
    const baseCommit = "path" in source ? await addWorktree(source.path, ref, dir) : await cloneAt(source.clone_url, ref, jobRoot, dir);
    const gitDir = await gitText(["rev-parse", "--absolute-git-dir"], { cwd: dir });
    const remove = async () => {
      if ("path" in source) await git(["worktree", "remove", "--force", dir], { cwd: source.path }).catch(() => {});
      await removeTree(jobRoot);
      if ("path" in source) await git(["worktree", "prune"], { cwd: source.path }).catch(() => {});
    };
    return { dir, gitDir, baseCommit, remove };
  } catch (err) {
    await removeTree(jobRoot);
    if ("path" in source) await git(["worktree", "prune"], { cwd: source.path }).catch(() => {});
    throw err;
  }
}

/**
 * @param {string} repoPath
 * @param {string} ref
 * @param {string} dir
 */
async function addWorktree(repoPath, ref, dir) {
  const commit = await resolveCommit([ref], { cwd: repoPath });
  await git(["worktree", "add", "--detach", dir, commit], { cwd: repoPath });
  return commit;
}

/**
 * The git dir goes beside the work tree, not in it, so bwrap's writable bind does not cover it.
 * @param {string} url
 * @param {string} ref
 * @param {string} jobRoot
 * @param {string} dir
 */
async function cloneAt(url, ref, jobRoot, dir) {
  const gitDir = path.join(jobRoot, "git");
  await git(["clone", "--quiet", "--no-checkout", `--separate-git-dir=${gitDir}`, "--", url, dir]);
  const commit = await resolveCommit([ref, `origin/${ref}`], { gitDir });
  await git(["checkout", "--quiet", "--detach", commit], { cwd: dir, gitDir, workTree: dir });
  return commit;
}
