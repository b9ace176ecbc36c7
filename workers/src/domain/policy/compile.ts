// The policy evaluator. compilePolicySet() turns an org's active policies (org, team and
// repo layers) and its repos' path scopes into an index, once per version; evaluate() is
// then a few Map lookups and the predicates of the rules that can apply. Deny beats ask
// beats allow; nothing matching gives the org's default (ask unless set). Pure: no I/O,
// the clock is an argument.
import { anyGlob, anyWildcard, hasWildcard, normaliseCommand, type Matcher } from "./patterns";
import { effectiveRisk, riskRank } from "./risk";
import { inWindow, localTime, parseClock, type LocalTime } from "./time-window";
import { resolveApprovalSettings, type ApprovalSettingsInput } from "../approvals/settings";
import type {
  ActivePolicy,
  DecisionInput,
  Effect,
  MatchedRule,
  PolicyDecision,
  PolicyLayer,
  PolicyRule,
  RepoFacts,
  RiskLevel,
} from "./types";

/** What a predicate sees: the input plus values computed once per decision. */
export interface EvalContext {
  input: DecisionInput;
  teamId: string | null;
  repo: RepoFacts | null;
  command: string | null;
  risk: RiskLevel;
  now: Date;
  localTimes: Map<string, LocalTime>;
}

type Predicate = (ctx: EvalContext) => boolean;

export interface CompiledRule {
  id: string;
  effect: Effect;
  reason: string;
  layer: PolicyLayer;
  /** Position in layer order (org, team, repo) then document order: the order of explanations. */
  ordinal: number;
  /** Every condition, for a scan over all rules. */
  predicates: Predicate[];
  /** The conditions the index does not already guarantee (action, layer, literal repo name). */
  residual: Predicate[];
  approval?: ApprovalSettingsInput;
}

interface CompiledScope {
  path: string;
  matches: Matcher;
  read: ReadonlySet<string>;
  write: ReadonlySet<string>;
}

export const EFFECT_RANK: Record<Effect, number> = { allow: 0, ask: 1, deny: 2 };
const LAYER_ORDER: Record<PolicyLayer, number> = { org: 0, team: 1, repo: 2 };
export const DEFAULT_EFFECT: Effect = "ask";

export interface PolicySetSource {
  policies: readonly ActivePolicy[];
  repos: readonly RepoFacts[];
}

export function compileRule(rule: PolicyRule, layer: PolicyLayer, targetId: string, ordinal: number): CompiledRule {
  const w = rule.when;
  const p: Predicate[] = [];
  // Conditions every rule the index hands out already meets (see the constructor).
  const implied = new Set<Predicate>();
  const byName = literalRepos(rule, layer) !== null;
  // A team's or repo's policy only speaks for that team or repo.
  if (layer === "team") p.push((c) => c.teamId === targetId);
  if (layer === "team" && !byName) implied.add(p[p.length - 1]!);
  if (layer === "repo") implied.add(p[p.push((c) => c.repo?.id === targetId) - 1]!);
  if (w.actions) {
    const s = new Set<string>(w.actions);
    implied.add(p[p.push((c) => s.has(c.input.action)) - 1]!);
  }
  if (w.principal_kinds) {
    const s = new Set<string>(w.principal_kinds);
    p.push((c) => s.has(c.input.actor.kind));
  }
  if (w.org_roles) {
    const s = new Set<string>(w.org_roles);
    p.push((c) => s.has(c.input.actor.orgRole));
  }
  if (w.team_roles) {
    const s = new Set<string>(w.team_roles);
    p.push((c) => c.teamId !== null && s.has(c.input.actor.teamRoles[c.teamId] ?? ""));
  }
  if (w.teams) {
    const s = new Set(w.teams);
    p.push((c) => c.teamId !== null && s.has(c.teamId));
  }
  if (w.principals) {
    const s = new Set(w.principals);
    p.push((c) => s.has(c.input.actor.id));
  }
  if (w.repos) {
    const m = anyWildcard(w.repos);
    p.push((c) => m(c.input.repoName));
    if (byName) implied.add(p[p.length - 1]!);
  }
  if (w.paths) {
    const m = anyGlob(w.paths);
    p.push((c) => c.input.paths.some(m));
  }
  if (w.commands) {
    const m = anyWildcard(w.commands.map(normaliseCommand));
    p.push((c) => c.command !== null && m(c.command));
  }
  if (w.mcp_servers) {
    const m = anyWildcard(w.mcp_servers);
    p.push((c) => c.input.tool !== null && m(c.input.tool.server));
  }
  if (w.mcp_tools) {
    const m = anyWildcard(w.mcp_tools);
    p.push((c) => c.input.tool !== null && m(c.input.tool.name));
  }
  if (w.models) {
    const m = anyWildcard(w.models);
    p.push((c) => c.input.model !== null && m(c.input.model));
  }
  if (w.min_estimated_tokens !== undefined) {
    const min = w.min_estimated_tokens;
    p.push((c) => c.input.estimatedTokens >= min);
  }
  if (w.max_estimated_tokens !== undefined) {
    const max = w.max_estimated_tokens;
    p.push((c) => c.input.estimatedTokens <= max);
  }
  if (w.risk) {
    const s = new Set<string>(w.risk);
    p.push((c) => s.has(c.risk));
  }
  if (w.time_window) {
    const tz = w.time_window.timezone ?? "UTC";
    const window = { days: w.time_window.days, start: parseClock(w.time_window.start), end: parseClock(w.time_window.end) };
    p.push((c) => {
      let t = c.localTimes.get(tz);
      if (!t) c.localTimes.set(tz, (t = localTime(c.now, tz)));
      return inWindow(t, window);
    });
  }
  if (w.context_trust) {
    // Fail-safe: a request that does not say its context is trusted counts as untrusted.
    const wantTrusted = w.context_trust === "trusted";
    p.push((c) => (c.input.contextTrust === "trusted") === wantTrusted);
  }
  return { id: rule.id, effect: rule.effect, reason: rule.reason, layer, ordinal, predicates: p, residual: p.filter((x) => !implied.has(x)), approval: rule.approval };
}

/** The repo names a rule is indexed under, or null when it is indexed by team, by repo id or not at all. */
function literalRepos(rule: PolicyRule, layer: PolicyLayer): string[] | null {
  const repos = rule.when.repos;
  if (layer === "repo" || !repos || repos.length === 0 || repos.some(hasWildcard)) return null;
  return [...new Set(repos)];
}

/** One action's rules (or the rules for any action), by the scope they are tied to. */
interface ActionIndex {
  any: CompiledRule[];
  byName: Map<string, CompiledRule[]>;
  byRepo: Map<string, CompiledRule[]>;
  byTeam: Map<string, CompiledRule[]>;
}

function add(bucket: Map<string, CompiledRule[]>, key: string, rule: CompiledRule): void {
  const rules = bucket.get(key);
  if (rules) rules.push(rule);
  else bucket.set(key, [rule]);
}

/** Appends the rules of one bucket whose remaining conditions hold. */
function collect(bucket: readonly CompiledRule[] | undefined, ctx: EvalContext, out: CompiledRule[]): void {
  if (!bucket) return;
  next: for (const rule of bucket) {
    for (const p of rule.residual) if (!p(ctx)) continue next;
    out.push(rule);
  }
}

function compileScopes(repo: RepoFacts): CompiledScope[] {
  return repo.pathScopes.map((s) => ({ path: s.path, matches: anyGlob([s.path]), read: new Set(s.read), write: new Set(s.write) }));
}

export class CompiledPolicySet {
  readonly defaultEffect: Effect;
  readonly approvalDefaults: ApprovalSettingsInput | undefined;
  readonly rules: readonly CompiledRule[];
  private readonly index = new Map<string, ActionIndex>();
  private readonly reposByName = new Map<string, RepoFacts>();
  private readonly scopes = new Map<string, CompiledScope[]>();

  constructor(source: PolicySetSource) {
    const ordered = [...source.policies].sort((a, b) => LAYER_ORDER[a.layer] - LAYER_ORDER[b.layer]);
    const org = ordered.find((p) => p.layer === "org");
    this.defaultEffect = org?.document.default_effect ?? DEFAULT_EFFECT;
    this.approvalDefaults = org?.document.approvals;
    const rules: CompiledRule[] = [];
    for (const policy of ordered) {
      for (const rule of policy.document.rules) {
        const compiled = compileRule(rule, policy.layer, policy.targetId, rules.length);
        rules.push(compiled);
        // INVARIANT: a rule sits in at most one bucket that one request reaches (one action, one
        // scope key: repo names are de-duplicated), so matches need no de-duplication, and the
        // conditions dropped from `residual` are exactly those the bucket guarantees.
        const names = literalRepos(rule, policy.layer);
        for (const action of new Set<string>(rule.when.actions ?? ["*"])) {
          let ix = this.index.get(action);
          if (!ix) this.index.set(action, (ix = { any: [], byName: new Map(), byRepo: new Map(), byTeam: new Map() }));
          if (policy.layer === "repo") add(ix.byRepo, policy.targetId, compiled);
          else if (names) for (const n of names) add(ix.byName, n, compiled);
          else if (policy.layer === "team") add(ix.byTeam, policy.targetId, compiled);
          else ix.any.push(compiled);
        }
      }
    }
    this.rules = rules;
    for (const repo of source.repos) {
      this.reposByName.set(repo.name, repo);
      if (repo.pathScopes.length > 0) this.scopes.set(repo.id, compileScopes(repo));
    }
  }

  /** The team a request is for: the one it names, else its repo's. */
  teamFor(input: DecisionInput): string | null {
    return input.teamId ?? this.reposByName.get(input.repoName)?.teamId ?? null;
  }

  isRegistered(repoName: string): boolean {
    return this.reposByName.has(repoName);
  }

  context(input: DecisionInput, now: Date): EvalContext {
    const repo = this.reposByName.get(input.repoName) ?? null;
    const command = input.command === null ? null : normaliseCommand(input.command);
    return {
      input,
      repo,
      teamId: input.teamId ?? repo?.teamId ?? null,
      command,
      risk: effectiveRisk(input.action, command, input.risk),
      now,
      localTimes: new Map(),
    };
  }

  /** The rules that apply: at most eight Map lookups (no key strings built), then each candidate's remaining conditions. */
  private matching(ctx: EvalContext): CompiledRule[] {
    const out: CompiledRule[] = [];
    for (const ix of [this.index.get(ctx.input.action), this.index.get("*")]) {
      if (!ix) continue;
      collect(ix.any, ctx, out);
      collect(ix.byName.get(ctx.input.repoName), ctx, out);
      if (ctx.repo) collect(ix.byRepo.get(ctx.repo.id), ctx, out);
      if (ctx.teamId) collect(ix.byTeam.get(ctx.teamId), ctx, out);
    }
    // Each bucket is in ordinal order; explanations follow layer, then document order.
    if (out.length > 1) out.sort((a, b) => a.ordinal - b.ordinal);
    return out;
  }

  evaluate(input: DecisionInput, now: Date): PolicyDecision {
    const ctx = this.context(input, now);
    return decide(this.matching(ctx), this.pathScopeDenials(ctx), this.defaultEffect, ctx.risk, this.approvalDefaults);
  }

  /** Repo path scopes: each path, for each scope it falls under, needs one of the listed roles. */
  pathScopeDenials(ctx: EvalContext): MatchedRule[] {
    const scopes = ctx.repo ? this.scopes.get(ctx.repo.id) : undefined;
    if (!scopes || ctx.input.paths.length === 0) return [];
    const access = ctx.input.action === "read" ? "read" : "write";
    const roles = [ctx.input.actor.orgRole];
    if (ctx.input.actor.teamRoles[ctx.repo!.teamId] === "lead") roles.push("lead");
    const denials: MatchedRule[] = [];
    for (const scope of scopes) {
      if (!ctx.input.paths.some(scope.matches)) continue;
      const allowed = scope[access];
      if (roles.some((r) => allowed.has(r))) continue;
      denials.push({
        id: `path_scope:${scope.path}`,
        effect: "deny",
        reason: allowed.size === 0 ? `Nobody may ${access} ${scope.path}.` : `Only ${[...allowed].join(", ")} may ${access} ${scope.path}.`,
        layer: "path_scope",
      });
    }
    return denials;
  }
}

/** Combines matched rules: deny beats ask beats allow; none gives the default. */
export function decide(
  rules: readonly CompiledRule[],
  scopeDenials: readonly MatchedRule[],
  defaultEffect: Effect,
  risk: RiskLevel,
  approvalDefaults?: ApprovalSettingsInput,
): PolicyDecision {
  const matchedRules: MatchedRule[] = rules.map((r) => ({ id: r.id, effect: r.effect, reason: r.reason, layer: r.layer }));
  matchedRules.push(...scopeDenials);
  let decision = defaultEffect;
  let reason = `No rule matched; the org's default is ${defaultEffect}.`;
  if (matchedRules.length > 0) {
    let winner = matchedRules[0]!;
    for (const m of matchedRules) if (EFFECT_RANK[m.effect] > EFFECT_RANK[winner.effect]) winner = m;
    decision = winner.effect;
    reason = winner.reason;
  }
  const approval = decision === "ask" ? resolveApprovalSettings(rules.filter((r) => r.effect === "ask").map((r) => r.approval), approvalDefaults) : null;
  return { decision, reason, matchedRules, risk, approval };
}

export const compilePolicySet = (source: PolicySetSource) => new CompiledPolicySet(source);

export { riskRank };
