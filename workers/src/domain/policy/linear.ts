// The same semantics as CompiledPolicySet, by scanning every rule: the baseline the
// benchmark compares against, and the oracle the property test checks the index with.
import { CompiledPolicySet, compileRule, decide, type CompiledRule, type PolicySetSource } from "./compile";
import type { DecisionInput, PolicyDecision } from "./types";

export class LinearPolicySet {
  private readonly indexed: CompiledPolicySet;
  private readonly rules: CompiledRule[] = [];

  constructor(source: PolicySetSource) {
    this.indexed = new CompiledPolicySet(source);
    const order = { org: 0, team: 1, repo: 2 } as const;
    for (const policy of [...source.policies].sort((a, b) => order[a.layer] - order[b.layer])) {
      for (const rule of policy.document.rules) this.rules.push(compileRule(rule, policy.layer, policy.targetId, this.rules.length));
    }
  }

  evaluate(input: DecisionInput, now: Date): PolicyDecision {
    const ctx = this.indexed.context(input, now);
    const matched = this.rules.filter((r) => r.predicates.every((p) => p(ctx)));
    return decide(matched, this.indexed.pathScopeDenials(ctx), this.indexed.defaultEffect, ctx.risk, this.indexed.approvalDefaults);
  }
}
