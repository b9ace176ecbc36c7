// `npm run bench:decisions`: the pure policy decision in plain Node, in one run. Generates a
// 1,000-rule policy set (org, team and repo layers) and 10,000 requests from a seeded PRNG,
// and times three evaluators on the same requests: sysop's indexed CompiledPolicySet, the
// LinearPolicySet scan, and the same rules as Cedar policies (@cedar-policy/cedar-wasm,
// preparsed). Exits 1 if any two disagree on any decision. See bench/README.md.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { importBundled } from "./lib/bundle.mjs";
import { mulberry32 } from "./lib/stats.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// Heap figures need a GC before each reading: run ourselves again with --expose-gc.
if (typeof globalThis.gc !== "function") {
  const r = spawnSync(process.execPath, ["--expose-gc", ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

// ---------------------------------------------------------------- options

const HELP = `Usage: node bench/decisions.mjs [options]   (or: npm run bench:decisions -- [options])

  --rules <n>          rules in the generated policy set            (default 1000)
  --requests <n>       generated requests                           (default 10000)
  --seed <n>           PRNG seed                                    (default 1)
  --rounds <n>         timed passes over all requests for sysop     (default 5; the linear scan
                       gets max(1, rounds - 2), Cedar always 1: it is ~500x slower)
  --dump-cedar <file>  also write the generated Cedar policy set to <file>
  -h, --help           this text
`;

function parseArgs(argv) {
  const opts = { rules: 1000, requests: 10000, seed: 1, rounds: 5, dumpCedar: undefined };
  const int = (flag, v) => {
    const n = Number(v);
    if (Number.isInteger(n) && n >= 1) return n;
    process.stderr.write(`${flag} needs a positive integer, got ${JSON.stringify(v)}\n`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes("=") ? argv[i].split(/=(.*)/s) : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--rules": opts.rules = int(flag, value()); break;
      case "--requests": opts.requests = int(flag, value()); break;
      case "--seed": opts.seed = int(flag, value()); break;
      case "--rounds": opts.rounds = int(flag, value()); break;
      case "--dump-cedar": opts.dumpCedar = value(); break;
      case "-h": case "--help": process.stdout.write(HELP); process.exit(0);
      default: process.stderr.write(`unknown option ${argv[i]}\n\n${HELP}`); process.exit(2);
    }
  }
  return opts;
}
const opts = parseArgs(process.argv.slice(2));

// ---------------------------------------------------------------- the domain, bundled

/** Bundles the TypeScript evaluator (and picomatch) into one ESM file and imports it. */
async function loadDomain() {
  const { module, inputs } = await importBundled({
    name: "policy",
    resolveDir: "workers/src/domain/policy",
    exports: [
      'export { CompiledPolicySet, compilePolicySet } from "./compile";',
      'export { LinearPolicySet } from "./linear";',
      'export { effectiveRisk } from "./risk";',
      'export { normaliseCommand } from "./patterns";',
    ],
  });
  return { ...module, sources: inputs.filter((f) => f.startsWith("workers/") && existsSync(path.join(root, f))) };
}

// ---------------------------------------------------------------- deterministic generation

const ACTIONS = ["read", "edit", "run_command", "network", "install_dependency", "git_push", "open_pr", "merge", "deploy", "db_migration", "secret_access", "mcp_tool"];
const ACTION_WEIGHTS = [25, 25, 20, 4, 4, 5, 5, 2, 2, 1, 1, 6];
const TEAM_NAMES = ["payments", "search", "platform", "web", "mobile", "data", "infra", "security", "growth", "ml"];
const REPO_KINDS = ["api", "web", "worker", "infra", "sdk", "docs", "cli", "svc"];
const DIRS = ["src", "src/api", "src/ui", "test", "docs", "infra", "infra/terraform", ".github/workflows", "migrations", "scripts", "config", "secrets", "vendor", "packages/core"];
const FILES = ["index.ts", "main.tf", "ci.yml", "README.md", "schema.sql", "util.ts", ".env", "deploy.sh", "app.tsx", "values.yaml"];
const TOP_FILES = ["README.md", "package.json", "tsconfig.json", ".gitignore"];
const COMMANDS = [
  "npm test", "npm run test:unit", "npm run test:e2e", "npm run build", "npm run lint", "npx vitest run", "pnpm install",
  "npm install lodash", "git status", "git push origin main", "git push --force origin main", "git push origin feature/x --force-with-lease",
  "git push -f", "git reset --hard HEAD~1", "terraform plan", "terraform apply -auto-approve", "curl https://example.com/install.sh | sh",
  "curl -s https://api.github.com/repos", "rm -rf build", "sudo apt-get install jq", "make build", "make deploy", "docker build -t app .",
  "kubectl get pods", "kubectl apply -f k8s/", "python -m pytest", "pip install requests", "ls -la", "cat package.json", "wrangler deploy",
  "go test ./...", "cargo build --release", "node scripts/gen.js", "echo done", "jq .version package.json", "tsc --noEmit",
];
const COMMAND_PATTERNS = [
  "npm test", "npm run test:*", "npm run *", "npx vitest*", "pnpm *", "npm install *", "git push --force*", "git push -f*",
  "git push * --force*", "git reset --hard*", "terraform plan*", "terraform apply*", "curl *", "* | sh", "rm -rf *", "sudo *",
  "make *", "docker *", "kubectl get *", "kubectl *", "python -m pytest*", "pip install *", "ls*", "cat *", "wrangler deploy*", "git *",
];
const MCP = {
  github: ["get_pull_request", "create_issue", "merge_pull_request", "list_issues"],
  linear: ["get_issue", "create_issue", "list_issues"],
  sentry: ["get_event", "list_issues"],
  "postgres-prod": ["query", "execute_sql", "list_tables"],
  "postgres-staging": ["query", "execute_sql", "list_tables"],
  slack: ["post_message", "list_channels"],
};
const MCP_SERVER_PATTERNS = ["github", "linear", "sentry", "slack", "postgres-prod", "*prod*", "postgres-*", "*"];
const MCP_TOOL_PATTERNS = ["get_*", "list_*", "create_*", "execute_sql", "query", "merge_*", "post_message", "*"];
const ORG_ROLES = ["member", "admin", "owner", "auditor", "billing"];
const RISKS = ["low", "medium", "high", "critical"];
const NOW = new Date("2026-11-25T10:30:00Z");

function generator(seed) {
  const rand = mulberry32(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const chance = (p) => rand() < p;
  const weighted = (xs, ws) => {
    let r = rand() * ws.reduce((a, b) => a + b, 0);
    for (let i = 0; i < xs.length; i++) if ((r -= ws[i]) < 0) return xs[i];
    return xs[xs.length - 1];
  };
  const some = (xs, min, max) => {
    const n = min + Math.floor(rand() * (max - min + 1));
    const pool = [...xs];
    const out = [];
    while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(rand() * pool.length), 1)[0]);
    return out;
  };
  return { rand, pick, chance, weighted, some };
}

/** Letters only: ids must look like the API's (`usr_[a-z2-7]+`). */
const letters = (i) => (i < 26 ? String.fromCharCode(97 + i) : letters(Math.floor(i / 26) - 1) + String.fromCharCode(97 + (i % 26)));

function generateOrg(g) {
  const teams = TEAM_NAMES.map((n) => `team_${n}`);
  const repos = [];
  TEAM_NAMES.forEach((team, k) => {
    for (const kind of g.some(REPO_KINDS, 4, 4)) repos.push({ id: `repo_${team}_${kind}`, name: `acme/${team}-${kind}`, teamId: teams[k], pathScopes: [] });
  });
  const principals = [];
  const add = (prefix, kind, n) => {
    for (let i = 0; i < n; i++) {
      const orgRole = kind === "user" ? g.weighted(ORG_ROLES, [80, 12, 3, 3, 2]) : kind === "service" && g.chance(0.3) ? "admin" : "member";
      const teamRoles = {};
      for (const t of g.some(teams, kind === "service" ? 0 : 1, kind === "user" ? 2 : 1)) teamRoles[t] = kind === "user" && g.chance(0.15) ? "lead" : "member";
      principals.push({ id: `${prefix}_${letters(i)}`, kind, orgRole, teamRoles });
    }
  };
  add("usr", "user", 50);
  add("agt", "agent", 40);
  add("svc", "service", 10);
  return { teams, repos, principals };
}

/** allow/ask/deny weights per theme: broad rules mostly allow, narrow ones (commands, paths) deny more. */
const EFFECT_MIX = { action: [70, 27, 3], command: [55, 30, 15], path: [60, 25, 15], mcp: [45, 35, 20], role: [60, 35, 5], risk: [0, 85, 15], repo: [45, 45, 10] };

/** One rule in the shape admins write: a theme (commands, paths, MCP, roles, risk, repos) plus a few extra conditions. */
function generateRule(g, org, id, layer) {
  const when = {};
  const theme = g.weighted(["action", "command", "path", "mcp", "role", "risk", "repo"], [8, 28, 26, 8, 12, 6, layer === "repo" ? 0 : layer === "org" ? 30 : 12]);
  const effect = g.weighted(["allow", "ask", "deny"], EFFECT_MIX[theme]);
  switch (theme) {
    case "action":
      when.actions = g.some(ACTIONS, 1, 2);
      break;
    case "command":
      when.actions = g.chance(0.7) ? ["run_command"] : g.some(["run_command", "git_push", "install_dependency", "network", "deploy"], 1, 2);
      when.commands = g.some(COMMAND_PATTERNS, 1, 3);
      break;
    case "path":
      if (g.chance(0.85)) when.actions = g.weighted([["edit"], ["read"], ["read", "edit"], ["edit", "run_command"]], [50, 15, 25, 10]);
      when.paths = g.some(DIRS, 1, g.chance(0.8) ? 1 : 2).map((d) => `${d}/**`);
      break;
    case "mcp":
      when.actions = ["mcp_tool"];
      if (g.chance(0.8)) when.mcp_servers = g.some(MCP_SERVER_PATTERNS, 1, 2);
      if (g.chance(0.6)) when.mcp_tools = g.some(MCP_TOOL_PATTERNS, 1, 2);
      break;
    case "role": {
      // Admins may do the risky things; auditors and billing may not write; one kind of principal is singled out.
      const r = g.rand();
      if (r < 0.5) (when.org_roles = g.some(["admin", "owner"], 1, 2)), (when.actions = g.some(["merge", "deploy", "db_migration", "secret_access", "git_push"], 1, 2));
      else if (r < 0.75) (when.org_roles = g.some(["auditor", "billing"], 1, 2)), (when.actions = g.some(["edit", "run_command", "git_push", "deploy"], 1, 2));
      else (when.principal_kinds = [g.pick(["user", "agent", "service"])]), (when.actions = g.some(ACTIONS, 1, 2));
      break;
    }
    case "risk":
      if (g.chance(0.7)) when.actions = g.some(ACTIONS, 1, 3);
      if (g.chance(0.6)) when.risk = g.chance(0.5) ? ["critical"] : ["high", "critical"];
      else when.min_estimated_tokens = g.pick([100_000, 200_000, 300_000]);
      break;
    case "repo":
      when.actions = g.some(ACTIONS, 1, 2);
      when.repos = g.chance(0.5) ? g.some(org.repos.map((r) => r.name), 1, 3) : [g.pick(["acme/*-api", "acme/*-infra", "acme/payments-*", "acme/*-web", "acme/*-worker", "*-sdk"])];
      break;
  }
  // A deny is usually aimed: at agents, or at untrusted context.
  if (effect === "deny" && g.chance(0.5)) {
    if (g.chance(0.5)) when.principal_kinds = ["agent"];
    else when.context_trust = "untrusted";
  }
  if (!when.principal_kinds && g.chance(0.15)) when.principal_kinds = g.some(["user", "agent", "service"], 1, 2);
  if (g.chance(0.06)) when.team_roles = ["lead"];
  if (layer === "org" && g.chance(0.08)) when.teams = g.some(org.teams, 1, 2);
  if (g.chance(0.03)) when.principals = g.some(org.principals.map((p) => p.id), 1, 3);
  if (!when.context_trust && g.chance(0.1)) when.context_trust = g.chance(0.7) ? "untrusted" : "trusted";
  if (g.chance(0.05)) when.max_estimated_tokens = g.pick([5_000, 20_000, 100_000]);
  if (when.min_estimated_tokens !== undefined && when.max_estimated_tokens !== undefined && when.min_estimated_tokens > when.max_estimated_tokens) delete when.max_estimated_tokens;
  return { id, effect, reason: `${id}: ${theme} rule says ${effect}`, when };
}

/** ~10% of the rules at the org layer, ~30% split over the teams, ~60% over the repos. */
function generatePolicies(g, org, total) {
  const orgCount = Math.round(total * 0.1);
  const teamCount = Math.round(total * 0.3);
  const repoCount = total - orgCount - teamCount;
  const spread = (n, k) => Array.from({ length: k }, (_, i) => Math.floor((n * (i + 1)) / k) - Math.floor((n * i) / k));
  // Every org starts from a baseline: read, edit and open PRs; ask before a push; read-only MCP tools.
  const baseline = [
    { id: "base-read", effect: "allow", reason: "Reading is allowed.", when: { actions: ["read"] } },
    { id: "base-edit", effect: "allow", reason: "Editing is allowed.", when: { actions: ["edit"] } },
    { id: "base-pr", effect: "allow", reason: "Opening a PR is allowed.", when: { actions: ["open_pr"] } },
    { id: "base-push", effect: "ask", reason: "A push needs a human.", when: { actions: ["git_push"] } },
    { id: "base-mcp-read", effect: "allow", reason: "Read-only MCP tools are allowed.", when: { actions: ["mcp_tool"], mcp_tools: ["get_*", "list_*"] } },
  ].slice(0, orgCount);
  const orgRules = [...baseline, ...Array.from({ length: orgCount - baseline.length }, (_, i) => generateRule(g, org, `o${i}`, "org"))];
  const policies = [{ layer: "org", targetId: "org_acme", version: 1, document: { default_effect: "ask", rules: orgRules } }];
  spread(teamCount, org.teams.length).forEach((n, k) => {
    policies.push({ layer: "team", targetId: org.teams[k], version: 1, document: { rules: Array.from({ length: n }, (_, i) => generateRule(g, org, `t${k}-${i}`, "team")) } });
  });
  spread(repoCount, org.repos.length).forEach((n, k) => {
    policies.push({ layer: "repo", targetId: org.repos[k].id, version: 1, document: { rules: Array.from({ length: n }, (_, i) => generateRule(g, org, `r${k}-${i}`, "repo")) } });
  });
  return policies;
}

function generateRequest(g, org) {
  const actor = g.chance(0.55) ? g.pick(org.principals.filter((p) => p.kind === "agent")) : g.pick(org.principals);
  const repoName = g.chance(0.93) ? g.pick(org.repos).name : g.pick(["acme/legacy-monolith", "acme/scratch-api", "someone/fork"]);
  const action = g.weighted(ACTIONS, ACTION_WEIGHTS);
  const paths = [];
  if (action === "read" || action === "edit" || (action === "run_command" && g.chance(0.3))) {
    const n = g.weighted([1, 2, 3, 4], [55, 25, 12, 8]);
    for (let i = 0; i < n; i++) {
      const r = g.rand();
      // Bare directories exercise picomatch's `dir/**` matching `dir` itself.
      paths.push(r < 0.02 ? g.pick(DIRS) : r < 0.12 ? g.pick(TOP_FILES) : `${g.pick(DIRS)}/${g.chance(0.2) ? `${g.pick(["a", "b", "v2"])}/` : ""}${g.pick(FILES)}`);
    }
  }
  let command = null;
  if (["run_command", "git_push", "install_dependency", "network", "deploy"].includes(action)) {
    command = g.pick(COMMANDS);
    // Agents send ragged whitespace; both sides must compare the normalised command.
    if (g.chance(0.1)) command = `  ${command.replace(/ /g, g.chance(0.5) ? "   " : " \t")} `;
  }
  let tool = null;
  if (action === "mcp_tool") {
    const server = g.pick(Object.keys(MCP));
    tool = { server, name: g.pick(MCP[server]) };
  }
  return {
    actor: { id: actor.id, kind: actor.kind, orgRole: actor.orgRole, teamRoles: actor.teamRoles },
    teamId: g.chance(0.25) ? (g.chance(0.7) ? Object.keys(actor.teamRoles)[0] ?? null : g.pick(org.teams)) : null,
    repoName,
    action,
    paths,
    command,
    tool,
    estimatedTokens: Math.round(Math.exp(Math.log(200) + g.rand() * (Math.log(500_000) - Math.log(200)))),
    risk: g.chance(0.7) ? null : g.pick(RISKS),
    contextTrust: g.weighted(["trusted", "untrusted", null], [50, 35, 15]),
  };
}

// ---------------------------------------------------------------- the same rules in Cedar

// Encoding (see bench/README.md): sysop "deny" → `forbid`, "allow" and "ask" → `permit`, one
// policy per rule with the rule id as policy id. One authorization query per decision:
//   Cedar Deny with a forbid in diagnostics.reason    → deny
//   Cedar Allow, an ask rule among the reasons         → ask   (reason = every satisfied permit)
//   Cedar Allow otherwise                              → allow
//   Cedar Deny with no reason (nothing matched)        → the org's default
const MAX_PATHS = 4;
const NS = "Sysop";

function cedarString(s) {
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new Error(`control character in ${JSON.stringify(s)}`);
  return `"${s.replace(/[\\"]/g, "\\$&")}"`;
}

/** sysop's wildcard (`*` any run, `?` one char) as a Cedar `like` pattern; `?` has no Cedar equivalent. */
function cedarLike(pattern) {
  if (pattern.includes("?")) throw new Error(`"?" cannot be expressed in Cedar's like: ${pattern}`);
  return `"${pattern.replace(/[\\"]/g, "\\$&")}"`; // `*` stays a wildcard; no literal `*` exists in sysop's patterns
}

const anyOf = (terms) => (terms.length === 1 ? terms[0] : `(${terms.join(" || ")})`);
const stringSet = (xs) => `[${xs.map(cedarString).join(", ")}]`;
const wildcardTest = (expr, patterns) => anyOf(patterns.map((p) => (/[*?]/.test(p) ? `${expr} like ${cedarLike(p)}` : `${expr} == ${cedarString(p)}`)));
const principalType = (kind) => `${NS}::${{ user: "User", agent: "Agent", service: "Service" }[kind]}`;
// sysop mints principal ids with their kind's prefix, so the id says the Cedar entity type.
const principalUid = (id) => `${principalType({ usr: "user", agt: "agent", svc: "service" }[id.slice(0, 3)])}::${cedarString(id)}`;

function toCedar(rule, layer, targetId, repoById, normaliseCommand) {
  const w = rule.when;
  const unsupported = ["time_window"].filter((k) => w[k] !== undefined);
  if (unsupported.length > 0) throw new Error(`rule ${rule.id}: ${unsupported.join(", ")} not encoded for Cedar`);
  const actionScope = !w.actions ? "action" : w.actions.length === 1 ? `action == ${NS}::Action::${cedarString(w.actions[0])}` : `action in [${w.actions.map((a) => `${NS}::Action::${cedarString(a)}`).join(", ")}]`;
  // The repo layer names its repo by id; the request names it by name; resource is the repo named.
  const resourceScope = layer === "repo" ? `resource == ${NS}::Repo::${cedarString(repoById.get(targetId).name)}` : "resource";
  const c = [];
  if (layer === "team") c.push(`context.team == ${cedarString(targetId)}`);
  if (w.principal_kinds) c.push(anyOf(w.principal_kinds.map((k) => `principal is ${principalType(k)}`)));
  if (w.org_roles) c.push(`${stringSet(w.org_roles)}.contains(context.orgRole)`);
  if (w.team_roles) c.push(`${stringSet(w.team_roles)}.contains(context.teamRole)`);
  if (w.teams) c.push(`${stringSet(w.teams)}.contains(context.team)`);
  if (w.principals) c.push(`[${w.principals.map(principalUid).join(", ")}].contains(principal)`);
  if (w.repos) c.push(wildcardTest("context.repo", w.repos));
  if (w.paths) {
    // Cedar has no quantifier over a set, so the paths travel in fixed slots. picomatch's `dir/**`
    // matches `dir` itself and anything under it: `== "dir" || like "dir/*"` on a normalised path.
    const terms = [];
    for (const glob of w.paths) {
      const m = /^([^*?[\]{}()!+@\\]+)\/\*\*$/.exec(glob);
      if (!m) throw new Error(`rule ${rule.id}: only "dir/**" globs are encoded for Cedar, got ${glob}`);
      for (let i = 0; i < MAX_PATHS; i++) terms.push(`context.path${i} == ${cedarString(m[1])}`, `context.path${i} like ${cedarLike(`${m[1]}/*`)}`);
    }
    c.push(anyOf(terms));
  }
  if (w.commands) c.push(`context.hasCommand && ${wildcardTest("context.command", w.commands.map(normaliseCommand))}`);
  if (w.mcp_servers) c.push(`context.hasTool && ${wildcardTest("context.toolServer", w.mcp_servers)}`);
  if (w.mcp_tools) c.push(`context.hasTool && ${wildcardTest("context.toolName", w.mcp_tools)}`);
  if (w.min_estimated_tokens !== undefined) c.push(`context.estimatedTokens >= ${w.min_estimated_tokens}`);
  if (w.max_estimated_tokens !== undefined) c.push(`context.estimatedTokens <= ${w.max_estimated_tokens}`);
  if (w.risk) c.push(`${stringSet(w.risk)}.contains(context.risk)`);
  if (w.context_trust) c.push(w.context_trust === "trusted" ? "context.trusted" : "!context.trusted");
  const head = `@effect(${cedarString(rule.effect)})\n${rule.effect === "deny" ? "forbid" : "permit"} (principal, ${actionScope}, ${resourceScope})`;
  return c.length === 0 ? `${head};` : `${head}\nwhen {\n  ${c.join(" &&\n  ")}\n};`;
}

function cedarPolicySet(policies, repos, normaliseCommand) {
  if (repos.some((r) => r.pathScopes.length > 0)) throw new Error("repo path scopes are not encoded for Cedar");
  const repoById = new Map(repos.map((r) => [r.id, r]));
  const order = { org: 0, team: 1, repo: 2 };
  const staticPolicies = {};
  const effects = new Map();
  for (const policy of [...policies].sort((a, b) => order[a.layer] - order[b.layer])) {
    for (const rule of policy.document.rules) {
      if (effects.has(rule.id)) throw new Error(`duplicate rule id ${rule.id}: Cedar policy ids must be unique`);
      staticPolicies[rule.id] = toCedar(rule, policy.layer, policy.targetId, repoById, normaliseCommand);
      effects.set(rule.id, rule.effect);
    }
  }
  const org = policies.find((p) => p.layer === "org");
  return { staticPolicies, effects, defaultEffect: org?.document.default_effect ?? "ask" };
}

/** Builds each Cedar request the way sysop's context() does (repo lookup, team, normalised command, effective risk), then asks. */
function cedarEvaluator(cedar, setId, encoded, repos, domain) {
  const reposByName = new Map(repos.map((r) => [r.name, r]));
  const askIds = new Set([...encoded.effects].filter(([, e]) => e === "ask").map(([id]) => id));
  const { defaultEffect } = encoded;
  const resource = { type: `${NS}::Repo`, id: "" };
  function call(input) {
    const repo = reposByName.get(input.repoName);
    const team = input.teamId ?? repo?.teamId ?? null;
    const command = input.command === null ? null : domain.normaliseCommand(input.command);
    if (input.paths.length > MAX_PATHS) throw new Error(`a request with more than ${MAX_PATHS} paths cannot be encoded`);
    const context = {
      team: team ?? "",
      teamRole: team === null ? "" : input.actor.teamRoles[team] ?? "",
      orgRole: input.actor.orgRole,
      repo: input.repoName,
      hasCommand: command !== null,
      command: command ?? "",
      hasTool: input.tool !== null,
      toolServer: input.tool?.server ?? "",
      toolName: input.tool?.name ?? "",
      estimatedTokens: input.estimatedTokens,
      risk: domain.effectiveRisk(input.action, command, input.risk),
      trusted: input.contextTrust === "trusted",
    };
    for (let i = 0; i < MAX_PATHS; i++) context[`path${i}`] = input.paths[i] ?? "";
    return {
      principal: { type: principalType(input.actor.kind), id: input.actor.id },
      action: { type: `${NS}::Action`, id: input.action },
      resource: { ...resource, id: input.repoName },
      context,
      entities: [],
      preparsedPolicySetId: setId,
    };
  }
  return {
    call,
    /** Returns [effect, raw answer]. */
    evaluate(input) {
      const answer = cedar.statefulIsAuthorized(call(input));
      if (answer.type !== "success") return ["error", answer];
      const { decision, diagnostics } = answer.response;
      if (decision === "allow") return [diagnostics.reason.some((id) => askIds.has(id)) ? "ask" : "allow", answer];
      return [diagnostics.reason.length > 0 ? "deny" : defaultEffect, answer];
    },
  };
}

// ---------------------------------------------------------------- measurement helpers

const hr = process.hrtime.bigint;
const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;
const fmt = (n, d = 1) => n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });

function settle() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage();
}

function percentiles(samples) {
  const s = Float64Array.from(samples).sort();
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))];
  let sum = 0;
  for (const x of s) sum += x;
  return { n: s.length, mean: sum / s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: s[s.length - 1] };
}

/** Times each call on its own into `into` (ns); returns the wall time of the whole pass. */
function timedPass(fn, requests, into, offset) {
  const start = hr();
  for (let i = 0; i < requests.length; i++) {
    const t0 = hr();
    fn(requests[i], i);
    into[offset + i] = Number(hr() - t0);
  }
  return Number(hr() - start);
}

/** One untimed-per-call pass: throughput without the timer's own cost. */
function batchPass(fn, requests) {
  const start = hr();
  for (let i = 0; i < requests.length; i++) fn(requests[i], i);
  return Number(hr() - start);
}

/** The commit measured, and whether the bundled sources differ from it. */
function codeState(sources) {
  const git = (...args) => spawnSync("git", args, { cwd: root, encoding: "utf8" });
  const head = git("rev-parse", "--short", "HEAD");
  if (head.status !== 0) return "not a git checkout";
  if (sources.length === 0) return `commit ${head.stdout.trim()}; no sources under workers/ were bundled`;
  const dirty = git("status", "--porcelain", "--", ...sources).stdout.split("\n").filter(Boolean);
  return `commit ${head.stdout.trim()}; the ${sources.length} bundled sources under workers/ are ${dirty.length > 0 ? `NOT clean (${dirty.map((l) => l.slice(3)).join(", ")})` : "clean"}`;
}

/** CPU time the whole machine has been busy so far (Linux /proc/stat), in seconds; null elsewhere. */
function machineCpu() {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const hz = 100; // USER_HZ on Linux
    const idle = f[3] + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / hz };
  } catch {
    return null;
  }
}

function timerOverheadNs() {
  const n = 200_000;
  let sink = 0;
  const start = hr();
  for (let i = 0; i < n; i++) {
    const t0 = hr();
    sink += Number(hr() - t0);
  }
  return { pair: Number(hr() - start) / n, sink };
}

// ---------------------------------------------------------------- the run

const started = hr();
const cpuAtStart = { machine: machineCpu(), self: process.cpuUsage() };
const CODE = { allow: 0, ask: 1, deny: 2, error: 3 };
const NAME = ["allow", "ask", "deny", "error"];
const require = createRequire(import.meta.url);

const domain = await loadDomain();
const cedar = require("@cedar-policy/cedar-wasm/nodejs");

const g = generator(opts.seed);
const org = generateOrg(g);
const policies = generatePolicies(g, org, opts.rules);
const requests = Array.from({ length: opts.requests }, () => generateRequest(g, org));
const source = { policies, repos: org.repos };
const ruleCount = policies.reduce((n, p) => n + p.document.rules.length, 0);

// ---- build each evaluator: time and heap
const mem0 = settle();
let t = hr();
const sysop = domain.compilePolicySet(source);
const sysopCompileColdMs = Number(hr() - t) / 1e6;
const mem1 = settle();
const sysopHeap = mem1.heapUsed - mem0.heapUsed;
const warmCompiles = [];
for (let i = 0; i < 9; i++) {
  settle();
  t = hr();
  domain.compilePolicySet(source);
  warmCompiles.push(Number(hr() - t) / 1e6);
}
warmCompiles.sort((a, b) => a - b);

const mem2 = settle();
t = hr();
const linear = new domain.LinearPolicySet(source);
const linearBuildMs = Number(hr() - t) / 1e6;
const mem3 = settle();
const linearHeap = mem3.heapUsed - mem2.heapUsed;

t = hr();
const encoded = cedarPolicySet(policies, org.repos, domain.normaliseCommand);
const cedarTranslateMs = Number(hr() - t) / 1e6;
const cedarTextBytes = Object.values(encoded.staticPolicies).reduce((n, p) => n + p.length, 0);
if (opts.dumpCedar) writeFileSync(opts.dumpCedar, Object.entries(encoded.staticPolicies).map(([id, p]) => `// ${id}\n${p}\n`).join("\n"));
const mem4 = settle();
t = hr();
const parsed = cedar.preparsePolicySet("bench", { staticPolicies: encoded.staticPolicies });
const cedarPreparseMs = Number(hr() - t) / 1e6;
if (parsed.type !== "success") {
  console.error("Cedar could not parse the generated policy set:", JSON.stringify(parsed.errors.slice(0, 3), null, 2));
  process.exit(1);
}
const mem5 = settle();
t = hr();
cedar.preparsePolicySet("bench", { staticPolicies: encoded.staticPolicies });
const cedarRepreparseMs = Number(hr() - t) / 1e6;
const cedarEval = cedarEvaluator(cedar, "bench", encoded, org.repos, domain);

// ---- the evaluators as (request, i) → effect, recording each decision
const decisions = { sysop: new Uint8Array(requests.length), linear: new Uint8Array(requests.length), cedar: new Uint8Array(requests.length) };
const sysopOut = new Array(requests.length);
const cedarOut = new Array(requests.length);
const run = {
  sysop: (input, i) => {
    const d = sysop.evaluate(input, NOW);
    decisions.sysop[i] = CODE[d.decision];
    sysopOut[i] = d;
  },
  linear: (input, i) => {
    decisions.linear[i] = CODE[linear.evaluate(input, NOW).decision];
  },
  cedar: (input, i) => {
    const [effect, answer] = cedarEval.evaluate(input);
    decisions.cedar[i] = CODE[effect];
    cedarOut[i] = answer;
  },
};

// ---- warm-up: every request twice through the JS evaluators, a slice through Cedar
for (let k = 0; k < 2; k++) batchPass(run.sysop, requests), batchPass(run.linear, requests);
batchPass(run.cedar, requests.slice(0, Math.min(500, requests.length)));

// ---- timed passes
const timer = timerOverheadNs();
const rounds = { sysop: opts.rounds, linear: Math.max(1, opts.rounds - 2), cedar: 1 };
const samples = { sysop: new Float64Array(rounds.sysop * requests.length), linear: new Float64Array(rounds.linear * requests.length), cedar: new Float64Array(requests.length) };
const batchNs = { sysop: [], linear: [], cedar: [] };
for (let r = 0; r < rounds.sysop; r++) {
  // Alternate the order so neither JS evaluator always runs right after the other's garbage.
  const order = r % 2 === 0 ? ["sysop", "linear"] : ["linear", "sysop"];
  for (const name of order) {
    if (r >= rounds[name]) continue;
    settle();
    timedPass(run[name], requests, samples[name], r * requests.length);
    settle();
    batchNs[name].push(batchPass(run[name], requests));
  }
}
settle();
batchNs.cedar.push(timedPass(run.cedar, requests, samples.cedar, 0));

// ---- agreement
const disagreements = [];
let cedarReasonMismatches = 0;
let matchedTotal = 0;
const matchedCounts = new Uint16Array(requests.length);
const linearFull = [];
for (let i = 0; i < requests.length; i++) {
  const s = sysopOut[i];
  matchedCounts[i] = s.matchedRules.length;
  matchedTotal += s.matchedRules.length;
  const problems = [];
  if (decisions.sysop[i] !== decisions.linear[i]) problems.push(`linear says ${NAME[decisions.linear[i]]}`);
  if (decisions.sysop[i] !== decisions.cedar[i]) problems.push(`cedar says ${NAME[decisions.cedar[i]]}`);
  // The index must not change an explanation either: same rules, same order, same reason.
  const l = linear.evaluate(requests[i], NOW);
  if (JSON.stringify(l) !== JSON.stringify(s)) linearFull.push(i), problems.push("linear explains differently");
  const answer = cedarOut[i];
  if (answer.type === "success") {
    if (answer.response.diagnostics.errors.length > 0) problems.push(`cedar policy errors: ${answer.response.diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).join("; ")}`);
    // Cedar's reasons are the satisfied forbids (on deny) or every satisfied permit (on allow).
    const expected = s.matchedRules.filter((m) => (s.decision === "deny" ? m.effect === "deny" : m.effect !== "deny")).map((m) => m.id).sort();
    const got = [...answer.response.diagnostics.reason].sort();
    if (s.matchedRules.length > 0 && JSON.stringify(expected) !== JSON.stringify(got)) {
      cedarReasonMismatches++;
      problems.push(`cedar reasons [${got.join(", ")}] vs sysop [${expected.join(", ")}]`);
    }
  } else problems.push(`cedar failed: ${JSON.stringify(answer.errors?.slice(0, 1))}`);
  if (problems.length > 0) disagreements.push({ i, problems });
}

// ---------------------------------------------------------------- report

const stats = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, percentiles(v)]));
const perSecond = Object.fromEntries(Object.entries(batchNs).map(([k, v]) => [k, (requests.length * v.length) / (v.reduce((a, b) => a + b, 0) / 1e9)]));
const us = (ns) => ns / 1000;
const mix = { allow: 0, ask: 0, deny: 0 };
for (const d of decisions.sysop) mix[NAME[d]]++;
const sortedMatched = Uint16Array.from(matchedCounts).sort();
const noneMatched = matchedCounts.filter((n) => n === 0).length;
// candidates() is private to CompiledPolicySet: read it for this statistic only, if it is there.
let candidateTotal = Number.NaN;
if (typeof sysop["candidates"] === "function") {
  candidateTotal = 0;
  for (const input of requests) candidateTotal += sysop["candidates"](sysop.context(input, NOW)).length;
}
const layerCounts = policies.reduce((acc, p) => ((acc[p.layer] = (acc[p.layer] ?? 0) + p.document.rules.length), acc), {});

const lines = [];
const out = (s = "") => lines.push(s);
out(`Policy decisions, pure (plain Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")})`);
out(`Code: ${codeState(domain.sources)}`);
out(`Cedar ${cedar.getCedarVersion()} (@cedar-policy/cedar-wasm, nodejs build): preparsePolicySet once, then statefulIsAuthorized, 1 query per decision`);
out();
out(`Policy set: ${ruleCount} rules (org ${layerCounts.org ?? 0}, team ${layerCounts.team ?? 0} over ${org.teams.length} teams, repo ${layerCounts.repo ?? 0} over ${org.repos.length} repos), default ask; seed ${opts.seed}`);
out(`Requests:   ${requests.length}; decisions allow ${mix.allow}, ask ${mix.ask}, deny ${mix.deny}; rules matched per request: median ${sortedMatched[sortedMatched.length >> 1]}, mean ${fmt(matchedTotal / requests.length)}, max ${sortedMatched[sortedMatched.length - 1]}; none matched (default) ${noneMatched} (${fmt((100 * noneMatched) / requests.length)} %)`);
if (!Number.isNaN(candidateTotal)) out(`            sysop's index hands evaluate() ${fmt(candidateTotal / requests.length)} candidate rules per request on average (the scan: all ${ruleCount})`);
out();
const signed = (bytes) => `${bytes < 0 ? "-" : "+"}${mb(Math.abs(bytes))}`;
out(`Build of the ${ruleCount}-rule set (memory after a full GC, relative to just before the build)`);
out(`  sysop compilePolicySet   ${fmt(sysopCompileColdMs)} ms first, ${fmt(warmCompiles[4])} ms median of 9 more (min ${fmt(warmCompiles[0])}, max ${fmt(warmCompiles[8])})   JS heap ${signed(sysopHeap)}`);
out(`  LinearPolicySet          ${fmt(linearBuildMs)} ms (compiles every rule twice: the scan and its index)   JS heap ${signed(linearHeap)}`);
out(`  Cedar preparsePolicySet  ${fmt(cedarPreparseMs)} ms first, ${fmt(cedarRepreparseMs)} ms again (+ ${fmt(cedarTranslateMs)} ms to write ${Math.round(cedarTextBytes / 1024)} KB of Cedar text)   JS heap ${signed(mem5.heapUsed - mem4.heapUsed)}, RSS ${signed(mem5.rss - mem4.rss)} (the wasm memory)`);
out();
out(`Per decision (each call timed alone; a hrtime pair costs ${fmt(timer.pair / 1000, 3)} µs, included)`);
out(`evaluator            samples   p50 µs   p90 µs   p99 µs  p99.9 µs   max µs   mean µs   decisions/s   p50 vs sysop  p99 vs sysop`);
for (const [name, label] of [["sysop", "sysop (indexed)"], ["linear", "linear scan"], ["cedar", "cedar-wasm"]]) {
  const s = stats[name];
  out(
    `${label.padEnd(18)} ${String(s.n).padStart(9)} ${fmt(us(s.p50), 2).padStart(8)} ${fmt(us(s.p90), 2).padStart(8)} ${fmt(us(s.p99), 2).padStart(8)} ${fmt(us(s.p999), 1).padStart(9)} ${fmt(us(s.max), 0).padStart(8)} ${fmt(us(s.mean), 2).padStart(9)} ${fmt(perSecond[name], 0).padStart(13)} ${`${fmt(s.p50 / stats.sysop.p50, 1)}x`.padStart(14)} ${`${fmt(s.p99 / stats.sysop.p99, 1)}x`.padStart(13)}`,
  );
}
out(`(decisions/s: sysop and linear from separate passes without per-call timers; Cedar from its timed pass)`);
out();
const target = (label, value, limit) => `${value <= limit ? "PASS" : "FAIL"}  sysop ${label} ${fmt(value, 2)} µs (target ≤ ${limit} µs)`;
out(target("p50", us(stats.sysop.p50), 5));
out(target("p99", us(stats.sysop.p99), 25));
out();
if (disagreements.length === 0) {
  out(`AGREE  all three evaluators gave the same decision on all ${requests.length} requests; the linear scan also gave the same rules, reasons and risk; Cedar's determining policies equal sysop's matched rules of the winning kind on every request.`);
} else {
  out(`DISAGREE  ${disagreements.length} of ${requests.length} requests (Cedar reason mismatches: ${cedarReasonMismatches}; linear explanation mismatches: ${linearFull.length}). First ${Math.min(10, disagreements.length)}:`);
  for (const { i, problems } of disagreements.slice(0, 10)) {
    out(`  #${i} sysop ${NAME[decisions.sysop[i]]} (${sysopOut[i].matchedRules.map((m) => `${m.id}:${m.effect}`).join(", ") || "no rule"}); ${problems.join("; ")}`);
    out(`     request ${JSON.stringify(requests[i])}`);
  }
}
out();
const wallS = Number(hr() - started) / 1e9;
const machineEnd = machineCpu();
let others = "";
if (cpuAtStart.machine && machineEnd) {
  const self = process.cpuUsage(cpuAtStart.self);
  const otherCores = (machineEnd.busy - cpuAtStart.machine.busy - (self.user + self.system) / 1e6) / wallS;
  others = `; other processes kept ${fmt(Math.max(0, otherCores), 2)} of the ${os.cpus().length} cores busy on average`;
  if (otherCores > 0.2) others += ". NOTE: the machine was shared during this run; the figures are pessimistic";
}
out(`Run took ${fmt(wallS)} s${others}.`);
console.log(lines.join("\n"));
process.exit(disagreements.length === 0 ? 0 : 1);
