// @ts-check
// The command line: `enroll`, `start` and `--help`, parsed with node:util parseArgs. Turns
// flags into options, operator mistakes into a message and exit 2, and wires the runner's
// parts together for `start`. bin/sysop-runner.mjs calls main().
import { parseArgs } from "node:util";
import { hostname } from "node:os";
import path from "node:path";
import { enroll } from "./enroll.mjs";
import { loadConfig, weakSecrets } from "./config.mjs";
import { createTokenSource, loadRunnerKey, signOutcome } from "./auth.mjs";
import { createClient } from "./client.mjs";
import { createJobVerifier } from "./job.mjs";
import { chooseSandbox, findOnPath } from "./sandbox.mjs";
import { createRunner, EXIT_ERROR } from "./runner.mjs";
import { createLogger, errorMessage } from "./log.mjs";
import { createRedactor } from "./redact.mjs";
import { UsageError } from "./errors.mjs";

export const EXIT_USAGE = 2;
const DEFAULT_CONFIG_DIR = ".sysop-runner";

export const USAGE = `sysop-runner: runs sysop jobs inside your network (outbound HTTPS only)

Usage:
  sysop-runner enroll --url <base> --token <sysop_enr_…> --pool <pool_id>
                      [--name <name>] [--config-dir <dir>] [--label k=v …]
                      [--repo name=/path/or/clone-url …] [--agent-command '<json array>'] [--force]
  sysop-runner start  [--config-dir <dir>] [--once] [--concurrency N]
  sysop-runner --help

enroll   generates this runner's Ed25519 key pair, enrols its public key with a one-time
         token, and writes <config-dir>/sysop-runner.json and runner-key.jwk (0600).
start    leases jobs and runs them; logs JSON lines to stderr. --once: lease at most one
         job, run it, exit. --concurrency N: run up to N jobs at a time (default 1).

--config-dir defaults to ./${DEFAULT_CONFIG_DIR}. Exit codes: 0 ok, 1 error, 2 bad usage or
config, 3 the control plane refused this runner (revoked).
`;

/**
 * @typedef {{stdout: (s: string) => void, stderr: (s: string) => void, env: NodeJS.ProcessEnv, onSignal?: (handler: () => void) => void}} Io
 */

/** "k=v" → [k, v]. @param {string} flag @param {string} pair */
function splitPair(flag, pair) {
  const at = pair.indexOf("=");
  if (at <= 0) throw new UsageError(`${flag} takes name=value, got ${JSON.stringify(pair)}`);
  return [pair.slice(0, at), pair.slice(at + 1)];
}

/** A clone URL (scheme:// or user@host:path) or else a local path. @param {string} value */
function repoSource(value) {
  return /^[a-z][a-z0-9+.-]*:\/\/|^[^/\s]+@[^/\s]+:/i.test(value) ? { clone_url: value } : { path: path.resolve(value) };
}

/** @param {string | undefined} json */
function parseAgentCommand(json) {
  if (json === undefined) return null;
  let value;
  try {
    value = JSON.parse(json);
  } catch {
    throw new UsageError(`--agent-command must be a JSON array of strings, e.g. '["claude","-p","{goal}"]'`);
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((s) => typeof s === "string")) {
    throw new UsageError(`--agent-command must be a non-empty JSON array of strings`);
  }
  return value;
}

/** @param {string[]} args @param {Io} io */
async function enrollCommand(args, io) {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      pool: { type: "string" },
      name: { type: "string" },
      "config-dir": { type: "string" },
      label: { type: "string", multiple: true },
      repo: { type: "string", multiple: true },
      "agent-command": { type: "string" },
      force: { type: "boolean" },
    },
  });
  for (const flag of /** @type {const} */ (["url", "token", "pool"])) if (!values[flag]) throw new UsageError(`enroll needs --${flag}`);
  const url = /** @type {string} */ (values.url);
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url must be an http(s) URL, got ${JSON.stringify(url)}`);
  const repos = Object.fromEntries((values.repo ?? []).map((r) => splitPair("--repo", r)).map(([n, v]) => [n, repoSource(/** @type {string} */ (v))]));
  const result = await enroll({
    url,
    token: /** @type {string} */ (values.token),
    pool: /** @type {string} */ (values.pool),
    name: values.name ?? hostname(),
    configDir: path.resolve(values["config-dir"] ?? DEFAULT_CONFIG_DIR),
    labels: Object.fromEntries((values.label ?? []).map((l) => splitPair("--label", l))),
    repos,
    agentCommand: parseAgentCommand(values["agent-command"]),
    force: values.force ?? false,
  });
  io.stdout(JSON.stringify({ runner_id: result.runnerId, pool_id: result.poolId, config: result.configFile }) + "\n");
  return 0;
}

/** @param {string[]} args @param {Io} io */
async function startCommand(args, io) {
  const { values } = parseArgs({
    args,
    strict: true,
    options: { "config-dir": { type: "string" }, once: { type: "boolean" }, concurrency: { type: "string" } },
  });
  const concurrency = Number(values.concurrency ?? "1");
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError("--concurrency must be a whole number from 1 to 64");
  const config = await loadConfig(path.resolve(values["config-dir"] ?? DEFAULT_CONFIG_DIR));
  const secrets = config.secrets_env.map((n) => io.env[n]).filter((v) => typeof v === "string");
  const log = createLogger({ write: io.stderr, redact: createRedactor(secrets) });
  const chosen = chooseSandbox(config.sandbox, findOnPath("bwrap", io.env.PATH));
  if (!chosen.ok) throw new UsageError(chosen.reason);
  if (chosen.warning) log.warn(chosen.warning);
  const weak = weakSecrets(config, io.env);
  if (weak.length > 0) log.warn("secrets_env variables that are unset or too short to redact", { names: weak.join(", ") });

  const key = await loadRunnerKey(config.private_key_file);
  const token = createTokenSource({ runnerId: config.runner_id, audience: config.audience, key });
  const client = createClient({ baseUrl: config.url, token, onRetry: (what, err) => log.warn("retrying", { call: what, error: errorMessage(err) }) });
  const runner = createRunner({
    config,
    client,
    log,
    env: io.env,
    sandbox: chosen.sandbox,
    verifier: createJobVerifier({ fetchJwks: client.jwks, issuer: config.issuer, poolId: config.pool_id }),
    signOutcome: (claims) => signOutcome({ runnerId: config.runner_id, key, claims, nowSeconds: Math.floor(Date.now() / 1000) }),
    concurrency,
    once: values.once ?? false,
  });
  io.onSignal?.(() => runner.stop());
  return runner.run();
}

/**
 * @param {string[]} argv  process.argv.slice(2)
 * @param {Io} io
 * @returns {Promise<number>} the exit code
 */
export async function main(argv, io) {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help" || rest.includes("--help")) {
      io.stdout(USAGE);
      return command === undefined ? EXIT_USAGE : 0;
    }
    if (command === "enroll") return await enrollCommand(rest, io);
    if (command === "start") return await startCommand(rest, io);
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (err) {
    // parseArgs reports unknown or malformed flags with an ERR_PARSE_ARGS_* code.
    const code = /** @type {{code?: unknown}} */ (err).code;
    if (err instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"))) {
      io.stderr(`sysop-runner: ${errorMessage(err)}\n(see sysop-runner --help)\n`);
      return EXIT_USAGE;
    }
    io.stderr(`sysop-runner: ${errorMessage(err)}\n`);
    return EXIT_ERROR;
  }
}
