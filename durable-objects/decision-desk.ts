// DecisionDesk: one Durable Object per org that answers "may I?". It keeps the org's
// compiled policy set in memory (rebuilt when a policy or repo changes, and at most a
// minute old), evaluates each request, and records every decision as an audit event
// carrying the policy versions and the request hash. No D1 write on the decision path.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../workers/src/env";
import { database } from "../workers/src/db/client";
import { loadPolicySet } from "../workers/src/db/policy-set";
import { CompiledPolicySet } from "../workers/src/domain/policy/compile";
import { requestHash } from "../workers/src/domain/policy/request-hash";
import type { DecisionInput, MatchedRule, PolicyDecision } from "../workers/src/domain/policy/types";
import { canonicalJson, sha256Hex, type AuditDraft } from "../workers/src/domain/audit/chain";
import { redactSecrets } from "../workers/src/domain/audit/redact";
import { newId } from "../workers/src/domain/identity/ids";

/** A safety net: even if a change notification were lost, a cached policy set is this fresh. */
const POLICY_CACHE_MS = 60_000;

export interface DeskRequest {
  orgId: string;
  input: DecisionInput;
  asker: { id: string; kind: string; keyId: string | null };
  client: Record<string, unknown> | null;
  evidence: { requestId: string; ip: string | null; userAgent: string | null };
}

export interface DeskAnswer {
  decisionId: string;
  decision: PolicyDecision["decision"];
  reason: string;
  matchedRules: MatchedRule[];
  policyVersions: Record<string, number>;
  requestHash: string;
  risk: PolicyDecision["risk"];
  teamId: string | null;
  repoRegistered: boolean;
  auditSeq: number;
}

export interface DeskRefusal {
  refused: "unknown_team";
}

export class DecisionDesk extends DurableObject<Env> {
  private cached: { set: CompiledPolicySet; versions: Record<string, number>; teamIds: ReadonlySet<string>; loadedAt: number } | null = null;
  private loading: Promise<NonNullable<DecisionDesk["cached"]>> | null = null;

  async decide(req: DeskRequest): Promise<DeskAnswer | DeskRefusal> {
    const { set, versions, teamIds } = await this.policySet(req.orgId);
    // Another org's team (or none at all) is unknown here, like every other id.
    if (req.input.teamId !== null && !teamIds.has(req.input.teamId)) return { refused: "unknown_team" };
    const now = new Date();
    const result = set.evaluate(req.input, now);
    const teamId = set.teamFor(req.input);
    const hash = requestHash(req.input, teamId);
    const decisionId = newId("dec");
    const details = {
      decision_id: decisionId,
      decision: result.decision,
      reason: result.reason,
      matched_rules: result.matchedRules,
      policy_versions: versions,
      request_hash: hash,
      risk: result.risk,
      input: { ...req.input, teamId },
      client: req.client,
    };
    const detailsJson = canonicalJson(redactSecrets(details));
    const draft: AuditDraft = {
      actorId: req.asker.id,
      actorKind: req.asker.kind,
      actorKeyId: req.asker.keyId,
      action: "decision.made",
      targetType: "repo",
      targetId: req.input.repoName,
      outcome: "success",
      requestId: req.evidence.requestId,
      ip: req.evidence.ip,
      userAgent: req.evidence.userAgent,
      details: detailsJson,
      detailsSha256: sha256Hex(detailsJson),
      detailsInR2: false,
    };
    const [event] = await this.env.AUDIT_CHAIN.getByName(req.orgId).append(req.orgId, [draft]);
    return {
      decisionId,
      decision: result.decision,
      reason: result.reason,
      matchedRules: result.matchedRules,
      policyVersions: versions,
      requestHash: hash,
      risk: result.risk,
      teamId,
      repoRegistered: set.isRegistered(req.input.repoName),
      auditSeq: event!.seq,
    };
  }

  /** A policy, a repo or its path scopes changed: the next decision reloads. */
  invalidate(): void {
    this.cached = null;
  }

  private async policySet(orgId: string) {
    if (this.cached && Date.now() - this.cached.loadedAt < POLICY_CACHE_MS) return this.cached;
    // Concurrent first decisions share one load.
    this.loading ??= (async () => {
      const loaded = await loadPolicySet(database(this.env), orgId);
      return { set: new CompiledPolicySet(loaded), versions: loaded.versions, teamIds: new Set(loaded.teamIds), loadedAt: Date.now() };
    })().finally(() => {
      this.loading = null;
    });
    const fresh = await this.loading;
    this.cached = fresh;
    return fresh;
  }
}
