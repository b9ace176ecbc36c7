// @ts-check
// Keeps secrets out of everything the runner sends (PROTOCOL.md §4 "secrets redacted by the
// runner first"): the values of the owner's secrets_env variables and common token shapes
// become [REDACTED]. Pure; steps' log lines and the combined log pass through here.

export const REDACTED = "[REDACTED]";

/** Secret values shorter than this would redact ordinary text; config.mjs warns about them. */
export const MIN_SECRET_LENGTH = 4;

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;

/** [pattern, replacement]: token shapes worth catching even when nobody declared them. */
const TOKEN_SHAPES = /** @type {Array<[RegExp, string]>} */ ([
  [/\bsysop_[A-Za-z0-9]+_[A-Za-z0-9]{8,}(?:_[A-Za-z0-9]{8,})?/g, REDACTED], // sysop API keys and sysop_enr_ tokens
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, REDACTED], // GitHub tokens
  [/\bgithub_pat_[A-Za-z0-9_]{30,}/g, REDACTED],
  [/\bsk-[A-Za-z0-9_-]{16,}/g, REDACTED], // OpenAI / Anthropic keys
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED], // AWS access key ids
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, REDACTED], // Slack tokens
  [/\bnpm_[A-Za-z0-9]{30,}/g, REDACTED], // npm tokens
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED], // JWTs
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi, `$1$2${REDACTED}`],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:)[^\s@/]+@/gi, `$1${REDACTED}@`], // passwords in URLs
]);

const escapeRegExp = (/** @type {string} */ s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A function that redacts one whole text (multi-line PEM blocks included). With shapes false
 * only the declared values go (for the diff, where a test fixture may look like a token).
 * @param {readonly string[]} secretValues  the values of the secrets_env variables
 * @param {{shapes?: boolean}} [opts]
 * @returns {(text: string) => string}
 */
export function createRedactor(secretValues, { shapes = true } = {}) {
  const values = [...new Set(secretValues)].filter((v) => v.length >= MIN_SECRET_LENGTH);
  // Longest first, so a secret that contains another is replaced whole.
  values.sort((a, b) => b.length - a.length);
  const exact = values.length > 0 ? new RegExp(values.map(escapeRegExp).join("|"), "g") : null;
  return (text) => {
    let out = exact ? text.replace(exact, REDACTED) : text;
    if (!shapes) return out;
    out = out.replace(PEM_BLOCK, REDACTED);
    for (const [pattern, replacement] of TOKEN_SHAPES) out = out.replace(pattern, replacement);
    return out;
  };
}

/**
 * A redactor for a stream of lines: a PEM private key spans many lines, so this one remembers
 * that it is inside a block and redacts every line up to the END line. One per stream.
 * @param {(text: string) => string} redact  from createRedactor
 * @returns {(line: string) => string}
 */
export function createLineRedactor(redact) {
  let inPem = false;
  return (line) => {
    if (inPem) {
      const end = PEM_END.exec(line);
      if (!end) return REDACTED;
      inPem = false;
      return REDACTED + redact(line.slice(end.index + end[0].length));
    }
    const begin = PEM_BEGIN.exec(line);
    if (begin && !PEM_END.test(line.slice(begin.index))) {
      inPem = true;
      return redact(line.slice(0, begin.index)) + REDACTED;
    }
    return redact(line);
  };
}
