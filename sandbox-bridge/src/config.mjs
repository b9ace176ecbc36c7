// @ts-check
// sysop-runner.json (PROTOCOL.md §5): the defaults `enroll` writes, a pure validator whose
// errors name the field, and loading from the config directory (relative paths resolve
// against it). Used by cli.mjs, enroll.mjs and the tests.
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { MIN_SECRET_LENGTH } from "./redact.mjs";
import { UsageError } from "./errors.mjs";

export const CONFIG_FILE = "sysop-runner.json";
export const KEY_FILE = "runner-key.jwk";
export const SANDBOX_MODES = /** @type {const} */ (["auto", "none", "bwrap"]);
export const DEFAULT_ENV_ALLOW = ["PATH", "HOME", "LANG"];

/**
 * @typedef {{path: string} | {clone_url: string}} RepoSource
 * @typedef {object} RunnerConfig
 * @property {string} url               the control plane's base URL
 * @property {string} runner_id
 * @property {string} pool_id
 * @property {string | null} org_id
 * @property {string} issuer            jobs' `iss`
 * @property {string} audience          runner tokens' `aud`
 * @property {string} private_key_file  absolute once loaded
 * @property {Record<string, RepoSource>} repos
 * @property {{command: string[]} | null} agent
 * @property {string[]} env_allow
 * @property {string[]} secrets_env
 * @property {string} workdir_root      absolute once loaded
 * @property {"auto" | "none" | "bwrap"} sandbox
 */

const REQUIRED_STRINGS = ["url", "runner_id", "pool_id", "issuer", "audience", "private_key_file", "workdir_root"];
const KNOWN_FIELDS = new Set([...REQUIRED_STRINGS, "org_id", "repos", "agent", "env_allow", "secrets_env", "sandbox"]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
/** @param {unknown} v */
const isNonEmptyString = (v) => typeof v === "string" && v.trim() !== "";
/** @param {unknown} v @returns {v is string[]} */
const isStringArray = (v) => Array.isArray(v) && v.every((s) => typeof s === "string");

/**
 * The config `enroll` writes: the enrolment answer plus defaults the owner edits afterwards.
 * @param {{url: string, runner_id: string, pool_id: string, org_id: string | null, issuer: string, audience: string}} enrolled
 * @param {{configDir: string, repos?: Record<string, RepoSource>, agentCommand?: string[] | null}} local
 * @returns {RunnerConfig}
 */
export function defaultConfig(enrolled, local) {
  return {
    ...enrolled,
    private_key_file: KEY_FILE,
    repos: local.repos ?? {},
    agent: local.agentCommand ? { command: local.agentCommand } : null,
    env_allow: [...DEFAULT_ENV_ALLOW],
    secrets_env: [],
    workdir_root: path.join(path.resolve(local.configDir), "work"),
    sandbox: "auto",
  };
}

/**
 * @param {unknown} repos
 * @param {string[]} errors
 */
function checkRepos(repos, errors) {
  if (!isObject(repos)) return void errors.push("repos: must be an object of name → {path} or {clone_url}");
  for (const [name, source] of Object.entries(repos)) {
    const field = `repos.${name}`;
    if (!isObject(source)) { errors.push(`${field}: must be {"path": …} or {"clone_url": …}`); continue; }
    const keys = Object.keys(source);
    const one = keys.length === 1 && (keys[0] === "path" || keys[0] === "clone_url");
    if (!one) errors.push(`${field}: must have exactly one of "path" or "clone_url" (has ${keys.join(", ") || "nothing"})`);
    else if (!isNonEmptyString(source[keys[0] ?? ""])) errors.push(`${field}.${keys[0]}: must be a non-empty string`);
  }
}

/**
 * @param {unknown} agent
 * @param {string[]} errors
 */
function checkAgent(agent, errors) {
  if (agent === null) return;
  if (!isObject(agent) || Object.keys(agent).some((k) => k !== "command")) {
    return void errors.push('agent: must be null or {"command": ["program", "arg", "{goal}"]}');
  }
  const command = agent.command;
  if (!isStringArray(command) || command.length === 0 || !isNonEmptyString(command[0])) {
    errors.push("agent.command: must be a non-empty array of strings (argv; {goal} is replaced by the job's goal)");
  }
}

/**
 * @param {Record<string, unknown>} raw
 * @param {"env_allow" | "secrets_env"} field
 * @param {string[]} errors
 */
function checkEnvNames(raw, field, errors) {
  const names = raw[field];
  if (!isStringArray(names)) return void errors.push(`${field}: must be an array of environment variable names`);
  const bad = names.filter((n) => !ENV_NAME.test(n));
  if (bad.length > 0) errors.push(`${field}: not variable names: ${bad.map((n) => JSON.stringify(n)).join(", ")}`);
}

/**
 * Pure: checks a parsed sysop-runner.json and fills the optional fields' defaults. Unknown
 * fields are errors, so a misspelt "secret_env" cannot silently leave a secret unredacted.
 * @param {unknown} raw
 * @returns {{ok: true, config: RunnerConfig} | {ok: false, errors: string[]}}
 */
export function validateConfig(raw) {
  if (!isObject(raw)) return { ok: false, errors: ["the config must be a JSON object"] };
  /** @type {Record<string, unknown>} */
  const filled = { org_id: null, repos: {}, agent: null, env_allow: [...DEFAULT_ENV_ALLOW], secrets_env: [], sandbox: "auto", ...raw };
  const errors = Object.keys(raw).filter((k) => !KNOWN_FIELDS.has(k)).map((k) => `${k}: unknown field`);
  for (const field of REQUIRED_STRINGS) {
    if (!isNonEmptyString(filled[field])) errors.push(`${field}: required, a non-empty string`);
  }
  if (isNonEmptyString(filled.url) && !/^https?:\/\/[^/]/.test(String(filled.url))) errors.push("url: must be an http(s) URL");
  if (filled.org_id !== null && typeof filled.org_id !== "string") errors.push("org_id: must be a string or null");
  checkRepos(filled.repos, errors);
  checkAgent(filled.agent, errors);
  checkEnvNames(filled, "env_allow", errors);
  checkEnvNames(filled, "secrets_env", errors);
  if (!SANDBOX_MODES.includes(/** @type {any} */ (filled.sandbox))) errors.push(`sandbox: must be one of ${SANDBOX_MODES.join(", ")}`);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config: /** @type {RunnerConfig} */ (/** @type {unknown} */ (filled)) };
}

/**
 * The config with its relative paths made absolute against the config directory.
 * @param {RunnerConfig} config
 * @param {string} configDir
 * @returns {RunnerConfig}
 */
export function resolvePaths(config, configDir) {
  const abs = (/** @type {string} */ p) => path.resolve(configDir, p);
  /** @type {Record<string, RepoSource>} */
  const repos = {};
  for (const [name, source] of Object.entries(config.repos)) repos[name] = "path" in source ? { path: abs(source.path) } : source;
  return { ...config, private_key_file: abs(config.private_key_file), workdir_root: abs(config.workdir_root), repos };
}

/**
 * Reads, validates and resolves `<configDir>/sysop-runner.json`; a UsageError names every bad field.
 * @param {string} configDir
 * @returns {Promise<RunnerConfig>}
 */
export async function loadConfig(configDir) {
  const file = path.join(configDir, CONFIG_FILE);
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${/** @type {Error} */ (err).message} (run \`sysop-runner enroll\` first?)`);
  }
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${/** @type {Error} */ (err).message}`);
  }
  const checked = validateConfig(raw);
  if (!checked.ok) throw new UsageError(`${file} is invalid:\n  ${checked.errors.join("\n  ")}`);
  return resolvePaths(checked.config, configDir);
}

/**
 * @param {string} configDir
 * @param {RunnerConfig} config
 */
export async function writeConfig(configDir, config) {
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(configDir, CONFIG_FILE), JSON.stringify(config, null, 2) + "\n", { mode: 0o644 });
}

/**
 * Names of secrets_env variables whose values are missing or too short to redact safely.
 * @param {RunnerConfig} config
 * @param {NodeJS.ProcessEnv} env
 */
export function weakSecrets(config, env) {
  return config.secrets_env.filter((name) => (env[name] ?? "").length < MIN_SECRET_LENGTH);
}
