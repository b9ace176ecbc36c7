// sysop-runner.json validation (sandbox-bridge/src/config.mjs): every error names its field,
// unknown fields are refused, optional fields get their defaults.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { config as configModule } from "./modules";

const { validateConfig, defaultConfig, resolvePaths, weakSecrets } = configModule;

const valid = {
  url: "https://sysop.example.com",
  runner_id: "run_1",
  pool_id: "pool_1",
  org_id: "org_1",
  issuer: "https://sysop.local",
  audience: "sysop-runner",
  private_key_file: "runner-key.jwk",
  repos: { api: { path: "/srv/git/api" }, web: { clone_url: "git@example.com:acme/web.git" } },
  agent: { command: ["claude", "-p", "{goal}"] },
  env_allow: ["PATH", "HOME"],
  secrets_env: ["NPM_TOKEN"],
  workdir_root: "/var/tmp/sysop-runner",
  sandbox: "bwrap",
};

describe("validateConfig", () => {
  it("accepts a full config as it is", () => {
    expect(validateConfig(valid)).toEqual({ ok: true, config: valid });
  });

  it("fills the optional fields' defaults", () => {
    const { repos: _r, agent: _a, env_allow: _e, secrets_env: _s, sandbox: _b, org_id: _o, ...required } = valid;
    expect(validateConfig(required)).toEqual({
      ok: true,
      config: { ...required, org_id: null, repos: {}, agent: null, env_allow: ["PATH", "HOME", "LANG"], secrets_env: [], sandbox: "auto" },
    });
  });

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["a misspelt field", { secret_env: ["X"] }, "secret_env: unknown field"],
    ["a missing url", { url: undefined }, "url: required, a non-empty string"],
    ["a url that is not http(s)", { url: "ftp://x" }, "url: must be an http(s) URL"],
    ["an empty runner_id", { runner_id: "" }, "runner_id: required, a non-empty string"],
    ["a repo with both sources", { repos: { api: { path: "/a", clone_url: "git@x:y" } } }, 'repos.api: must have exactly one of "path" or "clone_url" (has path, clone_url)'],
    ["a repo with an empty path", { repos: { api: { path: "" } } }, "repos.api.path: must be a non-empty string"],
    ["a repo that is a string", { repos: { api: "/srv/api" } }, 'repos.api: must be {"path": …} or {"clone_url": …}'],
    ["repos not an object", { repos: [] }, "repos: must be an object of name → {path} or {clone_url}"],
    ["an agent command that is a string", { agent: { command: "claude -p" } }, "agent.command: must be a non-empty array of strings"],
    ["an empty agent command", { agent: { command: [] } }, "agent.command: must be a non-empty array of strings"],
    ["an agent with extra fields", { agent: { command: ["x"], shell: true } }, "agent: must be null or"],
    ["env_allow with a bad name", { env_allow: ["PATH", "NO-DASHES"] }, 'env_allow: not variable names: "NO-DASHES"'],
    ["secrets_env not an array", { secrets_env: "NPM_TOKEN" }, "secrets_env: must be an array of environment variable names"],
    ["an unknown sandbox", { sandbox: "docker" }, "sandbox: must be one of auto, none, bwrap"],
  ];
  it.each(cases)("names the field for %s", (_name, change, error) => {
    const result = validateConfig({ ...valid, ...change });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.some((e) => e.startsWith(error))).toBe(true);
  });

  it("refuses what is not an object", () => {
    expect(validateConfig([])).toEqual({ ok: false, errors: ["the config must be a JSON object"] });
  });

  it("lists every error at once", () => {
    const result = validateConfig({ ...valid, url: 3, sandbox: "x", extra: 1 });
    expect(!result.ok && result.errors).toHaveLength(3);
  });
});

describe("defaultConfig and resolvePaths", () => {
  const enrolled = { url: "https://s", runner_id: "run_1", pool_id: "pool_1", org_id: "org_1", issuer: "https://i", audience: "sysop-runner" };

  it("enroll's defaults validate, with the work dir under the config dir", () => {
    const written = defaultConfig(enrolled, { configDir: "/etc/sysop-runner", repos: { api: { path: "/srv/api" } }, agentCommand: ["claude", "{goal}"] });
    expect(written).toMatchObject({ private_key_file: "runner-key.jwk", workdir_root: "/etc/sysop-runner/work", sandbox: "auto", env_allow: ["PATH", "HOME", "LANG"], agent: { command: ["claude", "{goal}"] } });
    expect(validateConfig(written).ok).toBe(true);
    expect(defaultConfig(enrolled, { configDir: "/x" })).toMatchObject({ repos: {}, agent: null });
  });

  it("relative paths resolve against the config dir; clone URLs are left alone", () => {
    const resolved = resolvePaths({ ...valid, private_key_file: "k.jwk", workdir_root: "work", repos: { a: { path: "../a" }, b: { clone_url: "git@x:y" } } }, "/etc/r");
    expect(resolved).toMatchObject({ private_key_file: path.resolve("/etc/r/k.jwk"), workdir_root: "/etc/r/work", repos: { a: { path: "/etc/a" }, b: { clone_url: "git@x:y" } } });
  });

  it("weakSecrets names unset and too-short secrets", () => {
    expect(weakSecrets({ ...valid, secrets_env: ["A", "B", "C"] }, { A: "long-enough", B: "ab" })).toEqual(["B", "C"]);
  });
});
