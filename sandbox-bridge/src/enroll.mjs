// @ts-check
// `sysop-runner enroll` (PROTOCOL.md §2): make a key pair here, send only its public half with
// the one-time token, check the answer (the pool must be the one asked for), then write the
// key (0600) and sysop-runner.json. Nothing is written unless enrolment succeeded.
import { access, mkdir } from "node:fs/promises";
import path from "node:path";
import { generateRunnerKey, writeKeyFile } from "./auth.mjs";
import { createClient } from "./client.mjs";
import { CONFIG_FILE, KEY_FILE, defaultConfig, writeConfig } from "./config.mjs";
import { HttpError, UsageError } from "./errors.mjs";

/**
 * @typedef {object} EnrollOptions
 * @property {string} url
 * @property {string} token
 * @property {string} pool
 * @property {string} name
 * @property {string} configDir
 * @property {Record<string, string>} labels
 * @property {Record<string, import("./config.mjs").RepoSource>} repos
 * @property {string[] | null} agentCommand
 * @property {boolean} force
 * @property {typeof fetch} [fetch]
 */

/** @param {string} file */
const exists = (file) => access(file).then(() => true, () => false);

/** @param {unknown} v */
const isId = (v) => typeof v === "string" && v !== "";

/**
 * @param {EnrollOptions} opts
 * @returns {Promise<{configFile: string, runnerId: string, poolId: string}>}
 */
export async function enroll(opts) {
  const configFile = path.join(opts.configDir, CONFIG_FILE);
  if (!opts.force && (await exists(configFile))) {
    throw new UsageError(`${configFile} already exists: this runner is enrolled (pass --force to enrol it again with a new key)`);
  }
  const { privateJwk, publicJwk } = await generateRunnerKey();
  const client = createClient({ baseUrl: opts.url, fetch: opts.fetch });
  let answer;
  try {
    answer = await client.enroll({ token: opts.token, name: opts.name, public_key: publicJwk, labels: opts.labels });
  } catch (err) {
    if (err instanceof HttpError && err.status === 401) throw new UsageError(`enrolment refused: the token is used, expired or unknown (${err.message})`);
    throw err;
  }
  for (const field of ["runner_id", "pool_id", "issuer", "audience"]) {
    if (!isId(answer?.[field])) throw new Error(`the control plane's enrolment answer has no ${field}`);
  }
  if (answer.pool_id !== opts.pool) {
    throw new UsageError(
      `the token enrolled runner ${answer.runner_id} into pool ${answer.pool_id}, not ${opts.pool}: nothing was written; ask an admin to revoke that runner`,
    );
  }
  const config = defaultConfig(
    { url: opts.url, runner_id: answer.runner_id, pool_id: answer.pool_id, org_id: answer.org_id ?? null, issuer: answer.issuer, audience: answer.audience },
    { configDir: opts.configDir, repos: opts.repos, agentCommand: opts.agentCommand },
  );
  // The key first: a config without its key would look enrolled and fail at start.
  await mkdir(opts.configDir, { recursive: true, mode: 0o700 });
  await writeKeyFile(path.join(opts.configDir, KEY_FILE), privateJwk);
  await writeConfig(opts.configDir, config);
  return { configFile, runnerId: answer.runner_id, poolId: answer.pool_id };
}
