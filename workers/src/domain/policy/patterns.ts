// Pattern matching for rules: simple wildcards for repo names, commands and MCP names
// (`*` = any run of characters, `?` = one), and picomatch globs for repo paths. Compiled
// once per policy version; matching is a RegExp test.
import picomatch from "picomatch/posix";

export type Matcher = (value: string) => boolean;

const REGEX_SPECIAL = /[.+^${}()|[\]\\]/g;

/** "npm run test:*" → /^npm run test:.*$/. Anchored: the whole value must match. */
export function wildcardToRegExp(pattern: string): RegExp {
  const body = pattern.replace(REGEX_SPECIAL, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

export const hasWildcard = (pattern: string): boolean => /[*?]/.test(pattern);

/** A matcher that holds when the value matches any of the patterns: one Set lookup, then one RegExp. */
export function anyWildcard(patterns: readonly string[]): Matcher {
  const literals = new Set(patterns.filter((p) => !hasWildcard(p)));
  const bodies = patterns.filter(hasWildcard).map((p) => wildcardToRegExp(p).source.slice(1, -1));
  if (bodies.length === 0) return (v) => literals.has(v);
  const any = new RegExp(`^(?:${bodies.join("|")})$`, "s");
  return (v) => literals.has(v) || any.test(v);
}

/**
 * A matcher that holds when a repo-relative path matches any of the globs. picomatch's own
 * matcher allocates a result object per call; with these options (no `format`, `windows`,
 * `ignore` or `basename`) it holds exactly when the path is non-empty and equals the glob or
 * matches its RegExp, which is what this tests, with picomatch's RegExps.
 */
export function anyGlob(globs: readonly string[]): Matcher {
  const tests = globs.map((glob) => ({ glob, re: picomatch.makeRe(glob, { dot: true }) }));
  return (v) => v !== "" && tests.some((t) => v === t.glob || t.re.test(v));
}

/**
 * A repo path as rules see it: relative, "/"-separated, no empty, "." or ".." segments, no
 * backslashes or control characters. Anything else could name a path a glob would miss
 * ("./infra/x" is infra/x to git, not to `infra/**`), so the API refuses it.
 */
export function isCanonicalRepoPath(path: string): boolean {
  if (path.length === 0 || /[\\\u0000-\u001f]/.test(path)) return false;
  return path.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
}

export const CANONICAL_PATH_MESSAGE = "a path relative to the repo root: no leading or doubled /, no . or .. segments, no backslashes";

/** Commands compare after trimming and collapsing runs of whitespace. */
export const normaliseCommand = (command: string): string => command.trim().replace(/\s+/g, " ");
