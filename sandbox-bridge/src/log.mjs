// @ts-check
// The runner's own log: one JSON object per line on stderr ({time, level, msg, ...fields}),
// for journald and log shippers. String fields pass through the redactor, so an error
// message that happens to quote a token still never prints it.

/**
 * @typedef {Record<string, unknown>} LogFields
 * @typedef {{info(msg: string, fields?: LogFields): void, warn(msg: string, fields?: LogFields): void, error(msg: string, fields?: LogFields): void}} Logger
 */

/**
 * @param {{write?: (line: string) => void, redact?: (s: string) => string, now?: () => Date}} [opts]
 * @returns {Logger}
 */
export function createLogger(opts = {}) {
  const write = opts.write ?? ((line) => void process.stderr.write(line));
  const redact = opts.redact ?? ((s) => s);
  const now = opts.now ?? (() => new Date());
  /** @param {string} level */
  const at = (level) => (/** @type {string} */ msg, /** @type {LogFields} */ fields = {}) => {
    /** @type {LogFields} */
    const entry = { time: now().toISOString(), level, msg: redact(msg) };
    for (const [k, v] of Object.entries(fields)) entry[k] = typeof v === "string" ? redact(v) : v;
    write(JSON.stringify(entry) + "\n");
  };
  return { info: at("info"), warn: at("warn"), error: at("error") };
}

/** @param {unknown} err */
export const errorMessage = (err) => (err instanceof Error ? err.message : String(err));
