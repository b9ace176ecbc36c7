// @ts-check
// The runner's two failures that are not bugs: the operator's input is wrong (UsageError, exit
// 2) and the control plane answered with an error (HttpError, carrying its problem+json).
// cli.mjs maps them to exit codes and messages; everything else is a logged crash.

export class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * @typedef {{type?: string, title?: string, status?: number, detail?: string, [k: string]: unknown}} Problem
 */
export class HttpError extends Error {
  /**
   * @param {string} method
   * @param {string} urlPath
   * @param {number} status
   * @param {Problem | null} problem  the RFC 9457 body when there was one
   */
  constructor(method, urlPath, status, problem) {
    const what = problem ? [problem.title, problem.detail].filter(Boolean).join(": ") : "";
    super(`${method} ${urlPath} → ${status}${what ? ` ${what}` : ""}`);
    this.name = "HttpError";
    this.status = status;
    this.problem = problem;
  }
}

/** @param {unknown} err */
export const isUnauthorized = (err) => err instanceof HttpError && err.status === 401;
/** @param {unknown} err */
export const isConflict = (err) => err instanceof HttpError && err.status === 409;
