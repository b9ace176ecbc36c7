// @ts-check
// The runner's HTTP face of PROTOCOL.md §2–§4: one small method per call, JSON in and out,
// problem+json errors surfaced as HttpError, and retries with backoff on network errors and
// 5xx (a flaky link must not fail a job). Only outbound requests; used by runner.mjs and enroll.mjs.
import { HttpError } from "./errors.mjs";

/** @typedef {import("./errors.mjs").Problem} Problem */
/**
 * @typedef {{job: string, lease: {id: string, expires_at: string, heartbeat_seconds: number}}} Lease
 * @typedef {{method: string, path: string, body?: unknown, raw?: {bytes: Uint8Array, contentType: string}, headers?: Record<string, string>, auth?: boolean, attempts?: number, timeoutMs?: number, signal?: AbortSignal}} Call
 */

const DEFAULT_ATTEMPTS = 5;
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BACKOFF_MS = 5_000;

/** 250 ms, 500 ms, 1 s, … capped at 5 s, with jitter so a fleet does not retry in step. */
export const backoffMs = (/** @type {number} */ attempt) => Math.min(MAX_BACKOFF_MS, 250 * 2 ** attempt) * (0.75 + Math.random() * 0.5);

/**
 * @param {number} ms
 * @param {AbortSignal} [signal]
 */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve(undefined);
    }
    signal?.addEventListener("abort", done, { once: true });
    if (signal?.aborted) done();
  });
}

/**
 * A signal that aborts when the caller's does or after `ms` (AbortSignal.any needs Node 20.3).
 * @param {AbortSignal | undefined} outer
 * @param {number} ms
 */
function timeoutSignal(outer, ms) {
  const controller = new AbortController();
  const abort = () => controller.abort(outer?.reason);
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${ms} ms`)), ms);
  outer?.addEventListener("abort", abort, { once: true });
  if (outer?.aborted) abort();
  const release = () => {
    clearTimeout(timer);
    outer?.removeEventListener("abort", abort);
  };
  return { signal: controller.signal, release };
}

/** @param {Response} res @returns {Promise<unknown>} */
async function readBody(res) {
  const text = await res.text();
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 500) };
  }
}

/**
 * @param {{baseUrl: string, token?: () => Promise<string>, fetch?: typeof fetch, onRetry?: (what: string, err: unknown) => void}} opts
 */
export function createClient(opts) {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const doFetch = opts.fetch ?? globalThis.fetch;

  /** @param {Call} call @returns {Promise<{status: number, body: any}>} */
  async function once(call) {
    /** @type {Record<string, string>} */
    const headers = { accept: "application/json", ...call.headers };
    if (call.auth !== false) {
      if (!opts.token) throw new Error("this client has no runner credentials");
      headers.authorization = `Bearer ${await opts.token()}`;
    }
    /** @type {string | Uint8Array | undefined} */
    let body;
    if (call.raw) {
      body = call.raw.bytes;
      headers["content-type"] = call.raw.contentType;
    } else if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers["content-type"] = "application/json";
    }
    const limit = timeoutSignal(call.signal, call.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      const res = await doFetch(base + call.path, { method: call.method, headers, body, signal: limit.signal });
      const parsed = await readBody(res);
      if (res.status >= 400) throw new HttpError(call.method, call.path, res.status, /** @type {Problem | null} */ (parsed));
      return { status: res.status, body: parsed };
    } finally {
      limit.release();
    }
  }

  /** Network errors and 5xx are retried; 4xx and the caller's own abort are not. @param {Call} call */
  async function request(call) {
    const attempts = call.attempts ?? DEFAULT_ATTEMPTS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await once(call);
      } catch (err) {
        const retriable = !(err instanceof HttpError) || err.status >= 500;
        if (!retriable || call.signal?.aborted || attempt + 1 >= attempts) throw err;
        opts.onRetry?.(`${call.method} ${call.path}`, err);
        await sleep(backoffMs(attempt), call.signal);
        if (call.signal?.aborted) throw err;
      }
    }
  }

  const job = (/** @type {string} */ jobId) => `/v1/runner/jobs/${encodeURIComponent(jobId)}`;

  return {
    /** §2: the one-time token is the credential; a 401 is final. @param {Record<string, unknown>} body */
    enroll: async (body) => (await request({ method: "POST", path: "/v1/runners/enroll", body, auth: false, attempts: 3 })).body,

    /** §4 long-poll: a lease, or null on 204. @param {number} waitSeconds @param {AbortSignal} [signal] @returns {Promise<Lease | null>} */
    lease: async (waitSeconds, signal) => {
      const res = await request({ method: "POST", path: "/v1/runner/lease", body: { wait_seconds: waitSeconds }, signal, timeoutMs: (waitSeconds + 30) * 1000 });
      return res.status === 204 ? null : /** @type {Lease} */ (res.body);
    },

    /** Two quick attempts: the next beat is never far away. @param {string} jobId @param {string} leaseId @returns {Promise<{lease_expires_at: string, cancel: boolean}>} */
    heartbeat: async (jobId, leaseId) =>
      (await request({ method: "POST", path: `${job(jobId)}/heartbeat`, body: { lease_id: leaseId }, attempts: 2, timeoutMs: 10_000 })).body,

    /** @param {string} jobId @param {string} leaseId @param {unknown[]} events */
    events: async (jobId, leaseId, events) => {
      await request({ method: "POST", path: `${job(jobId)}/events`, body: { lease_id: leaseId, events }, attempts: 3 });
    },

    /** @param {string} jobId @param {string} leaseId @param {string} kind @param {string} sha256 @param {Uint8Array} bytes @param {string} contentType */
    putArtifact: async (jobId, leaseId, kind, sha256, bytes, contentType) =>
      (await request({ method: "PUT", path: `${job(jobId)}/artifacts/${encodeURIComponent(kind)}/${sha256}`, raw: { bytes, contentType }, headers: { "x-sysop-lease": leaseId }, timeoutMs: 120_000 })).body,

    /** @param {string} jobId @param {string} leaseId @param {string} outcome @returns {Promise<{accepted: boolean, duplicate?: boolean}>} */
    outcome: async (jobId, leaseId, outcome) =>
      (await request({ method: "POST", path: `${job(jobId)}/outcome`, body: { lease_id: leaseId, outcome } })).body,

    /** The control plane's job-signing keys. @returns {Promise<import("jose").JSONWebKeySet>} */
    jwks: async () => (await request({ method: "GET", path: "/.well-known/jwks.json", auth: false, attempts: 3 })).body,
  };
}

/** @typedef {ReturnType<typeof createClient>} Client */
