// Reads and checks the sysop Claude Code hook's settings from an environment object, once, so
// the rest of the hook works with plain values. Pure: the caller passes process.env.
// Used by sysop-hook.mjs; every variable is documented in README.md.

/**
 * @typedef {object} HookConfig
 * @property {string} url          sysop base URL, no trailing slash
 * @property {string} apiKey
 * @property {string | null} repo  SYSOP_REPO, or null to derive from git
 * @property {string | null} team
 * @property {"open" | "closed"} failMode
 * @property {number} timeoutMs
 * @property {"trusted" | "untrusted" | null} contextTrust
 * @property {"allow" | "ask" | "deny"} unknownTools
 */

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** @param {Record<string, string | undefined>} env @returns {{ ok: true, config: HookConfig } | { ok: false, reason: string }} */
export function readConfig(env) {
  const get = (/** @type {string} */ k) => (env[k] ?? "").trim();
  const url = get("SYSOP_URL").replace(/\/+$/, "");
  const apiKey = get("SYSOP_API_KEY");
  if (url === "") return bad("SYSOP_URL is not set");
  if (apiKey === "") return bad("SYSOP_API_KEY is not set");
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return bad("SYSOP_URL is not a URL");
  }
  // The API key travels in a header: plain http only to this machine.
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname))) {
    return bad("SYSOP_URL must be https (http is allowed only for localhost)");
  }
  const failMode = get("SYSOP_FAIL_MODE") || "closed";
  if (failMode !== "open" && failMode !== "closed") return bad('SYSOP_FAIL_MODE must be "closed" or "open"');
  const timeoutText = get("SYSOP_TIMEOUT_MS") || "5000";
  const timeoutMs = Number(timeoutText);
  if (!/^\d+$/.test(timeoutText) || timeoutMs < 1 || timeoutMs > 60_000) return bad("SYSOP_TIMEOUT_MS must be an integer from 1 to 60000");
  const trust = get("SYSOP_CONTEXT_TRUST");
  if (trust !== "" && trust !== "trusted" && trust !== "untrusted") return bad('SYSOP_CONTEXT_TRUST must be "trusted" or "untrusted"');
  const unknownTools = get("SYSOP_UNKNOWN_TOOLS") || "ask";
  if (unknownTools !== "allow" && unknownTools !== "ask" && unknownTools !== "deny") return bad('SYSOP_UNKNOWN_TOOLS must be "allow", "ask" or "deny"');
  return {
    ok: true,
    config: {
      url,
      apiKey,
      repo: get("SYSOP_REPO") || null,
      team: get("SYSOP_TEAM") || null,
      failMode,
      timeoutMs,
      contextTrust: trust === "" ? null : trust,
      unknownTools,
    },
  };
}

/** @param {string} what */
function bad(what) {
  return /** @type {const} */ ({ ok: false, reason: `sysop hook misconfigured: ${what}` });
}
