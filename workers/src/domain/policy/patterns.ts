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

/** A matcher that holds when the value matches any of the patterns. */
export function anyWildcard(patterns: readonly string[]): Matcher {
  const literals = new Set(patterns.filter((p) => !hasWildcard(p)));
  const regexes = patterns.filter(hasWildcard).map(wildcardToRegExp);
  if (regexes.length === 0) return (v) => literals.has(v);
  return (v) => literals.has(v) || regexes.some((r) => r.test(v));
}

/** A matcher that holds when a repo-relative path matches any of the globs. */
export function anyGlob(globs: readonly string[]): Matcher {
  return picomatch(globs as string[], { dot: true });
}

/** Commands compare after trimming and collapsing runs of whitespace. */
export const normaliseCommand = (command: string): string => command.trim().replace(/\s+/g, " ");
