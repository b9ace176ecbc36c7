// @ts-check
// Verifying a leased job before doing anything with it (PROTOCOL.md §4): the signature against
// the control plane's JWKS (refetched once when the kid is unknown), typ, iss, aud and exp;
// then the shape of the `job` claim, with deny-by-default values for missing constraints.
// Used by run-job.mjs; peekJob reads the ids of a job that may fail verification, to report it.
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify } from "jose";

/** @typedef {import("jose").JSONWebKeySet} JSONWebKeySet */
/**
 * @typedef {object} JobStep
 * @property {string} name
 * @property {"agent" | "tests" | "command"} kind
 * @property {string[]} [run]
 * @typedef {object} JobConstraints
 * @property {string[]} commands
 * @property {"none" | "egress"} network
 * @property {string[]} paths
 * @property {number} max_duration_seconds
 * @property {number} step_timeout_seconds
 * @property {number} max_output_bytes
 * @property {string[]} artifacts
 * @typedef {object} Job
 * @property {string} id
 * @property {string} task_id
 * @property {number} attempt
 * @property {string} repo
 * @property {string} ref
 * @property {string} kind
 * @property {string} goal
 * @property {JobStep[]} steps
 * @property {JobConstraints} constraints
 * @property {number} deadlineMs  the token's exp, in ms
 * @typedef {{ok: true, job: Job} | {ok: false, reason: string, retriable: boolean}} Verification
 */

export const JOB_TYP = "sysop-job+jwt";
const JOB_KINDS = ["agent_run", "tests", "command", "migration_dry_run", "preview"];
const STEP_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The ids of a job token without trusting it: enough to heartbeat and to report a job that
 * fails verification. Null when it is not even a JWT with a job id.
 * @param {string} token
 * @returns {{jobId: string, taskId: string | null, attempt: number | null} | null}
 */
export function peekJob(token) {
  try {
    const claims = decodeJwt(token);
    const job = /** @type {Record<string, unknown> | undefined} */ (claims.job);
    const jobId = typeof job?.id === "string" ? job.id : claims.jti;
    if (typeof jobId !== "string" || jobId === "") return null;
    return {
      jobId,
      taskId: typeof job?.task_id === "string" ? job.task_id : null,
      attempt: typeof job?.attempt === "number" ? job.attempt : null,
    };
  } catch {
    return null;
  }
}

/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
/** @param {unknown} v @returns {v is string[]} */
const isStringArray = (v) => Array.isArray(v) && v.every((s) => typeof s === "string");
/** @param {unknown} v */
const isPositive = (v) => typeof v === "number" && Number.isFinite(v) && v > 0;

/**
 * Constraints with deny-by-default values for what is missing: no commands, no paths, no
 * artifacts, no network; limits default to the protocol example's.
 * @param {unknown} raw
 * @returns {JobConstraints | string}  a string is the reason it is malformed
 */
export function parseConstraints(raw) {
  if (raw !== undefined && !isObject(raw)) return "constraints must be an object";
  const c = raw ?? {};
  for (const f of ["commands", "paths", "artifacts"]) {
    if (c[f] !== undefined && !isStringArray(c[f])) return `constraints.${f} must be an array of strings`;
  }
  for (const f of ["max_duration_seconds", "step_timeout_seconds", "max_output_bytes"]) {
    if (c[f] !== undefined && !isPositive(c[f])) return `constraints.${f} must be a positive number`;
  }
  if (c.network !== undefined && c.network !== "none" && c.network !== "egress") return "constraints.network must be none or egress";
  return {
    commands: /** @type {string[] | undefined} */ (c.commands) ?? [],
    network: /** @type {"none" | "egress" | undefined} */ (c.network) ?? "none",
    paths: /** @type {string[] | undefined} */ (c.paths) ?? [],
    max_duration_seconds: /** @type {number | undefined} */ (c.max_duration_seconds) ?? 900,
    step_timeout_seconds: /** @type {number | undefined} */ (c.step_timeout_seconds) ?? 300,
    max_output_bytes: /** @type {number | undefined} */ (c.max_output_bytes) ?? 1_048_576,
    artifacts: /** @type {string[] | undefined} */ (c.artifacts) ?? [],
  };
}

/**
 * @param {unknown} raw
 * @returns {JobStep | string}
 */
function parseStep(raw) {
  if (!isObject(raw) || typeof raw.name !== "string" || !STEP_NAME.test(raw.name)) return "each step needs a name (letters, digits, _ . -)";
  if (typeof raw.kind !== "string") return `step '${raw.name}' has no kind`;
  if (raw.run !== undefined && !isStringArray(raw.run)) return `step '${raw.name}': run must be an array of strings`;
  // An unknown kind is kept: constraints.mjs refuses it with a step_refused event.
  return { name: raw.name, kind: /** @type {JobStep["kind"]} */ (raw.kind), ...(raw.run ? { run: raw.run } : {}) };
}

/**
 * Pure: the `job` claim of a verified token, checked and normalised.
 * @param {import("jose").JWTPayload} claims
 * @returns {{ok: true, job: Job} | {ok: false, reason: string}}
 */
export function parseJobClaims(claims) {
  const j = claims.job;
  if (!isObject(j)) return { ok: false, reason: "job malformed: no job claim" };
  const bad = (/** @type {string} */ why) => ({ ok: /** @type {const} */ (false), reason: `job malformed: ${why}` });
  for (const f of ["id", "task_id", "repo", "ref"]) if (typeof j[f] !== "string" || j[f] === "") return bad(`job.${f} must be a non-empty string`);
  if (j.id !== claims.jti) return bad("job.id differs from jti");
  if (typeof j.kind !== "string" || !JOB_KINDS.includes(j.kind)) return bad(`job.kind must be one of ${JOB_KINDS.join(", ")}`);
  if (j.goal !== undefined && j.goal !== null && typeof j.goal !== "string") return bad("job.goal must be a string");
  if (!Array.isArray(j.steps) || j.steps.length === 0) return bad("job.steps must be a non-empty array");
  const steps = j.steps.map(parseStep);
  const badStep = steps.find((s) => typeof s === "string");
  if (typeof badStep === "string") return bad(badStep);
  const constraints = parseConstraints(j.constraints);
  if (typeof constraints === "string") return bad(constraints);
  return {
    ok: true,
    job: {
      id: /** @type {string} */ (j.id),
      task_id: /** @type {string} */ (j.task_id),
      attempt: typeof j.attempt === "number" ? j.attempt : 1,
      repo: /** @type {string} */ (j.repo),
      ref: /** @type {string} */ (j.ref),
      kind: j.kind,
      goal: typeof j.goal === "string" ? j.goal : "",
      steps: /** @type {JobStep[]} */ (steps),
      constraints,
      deadlineMs: /** @type {number} */ (claims.exp) * 1000,
    },
  };
}

/**
 * @param {{fetchJwks: () => Promise<JSONWebKeySet>, issuer: string, poolId: string, now?: () => number}} opts
 */
export function createJobVerifier({ fetchJwks, issuer, poolId, now = Date.now }) {
  /** @type {JSONWebKeySet | null} */
  let cached = null;

  /** The key for this header from the cached JWKS, refetched once if the kid is not in it. @type {import("jose").JWTVerifyGetKey} */
  async function keyFor(header, token) {
    const known = cached?.keys.some((k) => k.kid === header.kid);
    if (!known) cached = await fetchJwks();
    return createLocalJWKSet(/** @type {JSONWebKeySet} */ (cached))(header, token);
  }

  /** @param {string} token @returns {Promise<Verification>} */
  async function verify(token) {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keyFor, {
        algorithms: ["EdDSA"],
        typ: JOB_TYP,
        issuer,
        audience: `sysop-runner:${poolId}`,
        requiredClaims: ["exp", "jti"],
        currentDate: new Date(now()),
      }));
    } catch (err) {
      // A JOSE error is about this token; anything else (JWKS unreachable) is about us.
      if (err instanceof joseErrors.JOSEError) return { ok: false, reason: `job signature invalid: ${err.message}`, retriable: false };
      return { ok: false, reason: `cannot fetch the control plane's JWKS: ${/** @type {Error} */ (err).message}`, retriable: true };
    }
    const parsed = parseJobClaims(payload);
    return parsed.ok ? parsed : { ...parsed, retriable: false };
  }

  return { verify };
}

/** @typedef {ReturnType<typeof createJobVerifier>} JobVerifier */
