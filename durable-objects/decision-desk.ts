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
import { auditDraft } from "../workers/src/audit/record";
import type { AuditDraft } from "../workers/src/domain/audit/chain";
import { newId } from "../workers/src/domain/identity/ids";
import type { Approval } from "../workers/src/domain/approvals/approval";
import type { ApprovalSettings } from "../workers/src/domain/approvals/settings";
import { approvalDesk } from "../workers/src/governance/desk";
import { CREDENTIAL_CACHE_MS } from "../workers/src/auth/credential-cache";

/** A safety net: even if a change notification were lost, a cached policy set is this fresh. */
const POLICY_CACHE_MS = 60_000;
/** Gateway decisions appended to the chain per call. */
const AUDIT_BATCH = 100;
/**
 * A batch of gateway decisions gathers this long before it goes to the chain, so a busy
 * gateway appends (and commits) once per few dozen calls instead of once per call; each
 * call's usage row is its durable record meanwhile.
 */
const AUDIT_GATHER_MS = 50;

export interface DeskRequest {
  orgId: string;
  input: DecisionInput;
  /** The gateway asks without opening approvals: it cannot wait for one. */
  noApproval?: boolean;
  /** An explicit approval request (POST /v1/approvals): its reason and ticket. */
  approvalRequest?: { reason: string; ticketUrl: string | null };
  /** The credential and principals the grants came from, and when they were read from D1. */
  credentials: { ids: string[]; loadedAt: number; fromCache: boolean };
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
  approval: Approval | null;
  /** For an ask: how its approval would be decided (quorum, approver roles, expiry). */
  approvalSettings: ApprovalSettings | null;
  /** Null for a gateway decision: it is appended to the chain in the next batch. */
  auditSeq: number | null;
}

export interface DeskRefusal {
  refused: "unknown_team" | "denied_by_policy" | "allowed_by_policy" | "stale_credential";
  reason?: string;
}

/** Clocks of the Worker and this object may differ a little; count near misses as stale. */
const CLOCK_SKEW_MS = 2_000;

export class DecisionDesk extends DurableObject<Env> {
  // The credential change feed: key or principal id → when it last changed. Grants read
  // before a change, or before this object started (the feed starts empty), are stale.
  private readonly startedAt = Date.now();
  private readonly changedAt = new Map<string, number>();
  private cached: { set: CompiledPolicySet; versions: Record<string, number>; teamIds: ReadonlySet<string>; loadedAt: number } | null = null;
  private loading: Promise<NonNullable<DecisionDesk["cached"]>> | null = null;

  async decide(req: DeskRequest): Promise<DeskAnswer | DeskRefusal> {
    if (this.isStale(req.credentials)) return { refused: "stale_credential" };
    const { set, versions, teamIds } = await this.policySet(req.orgId);
    // Another org's team (or none at all) is unknown here, like every other id.
    if (req.input.teamId !== null && !teamIds.has(req.input.teamId)) return { refused: "unknown_team" };
    const now = new Date();
    const result = set.evaluate(req.input, now);
    const teamId = set.teamFor(req.input);
    const hash = requestHash(req.input, teamId);
    const decisionId = newId("dec");
    if (req.approvalRequest && result.decision !== "ask") {
      return { refused: result.decision === "deny" ? "denied_by_policy" : "allowed_by_policy", reason: result.reason };
    }

    let { decision, reason } = result;
    const matchedRules = [...result.matchedRules];
    let approval: Approval | null = null;
    if (decision === "ask" && !req.noApproval) {
      const desk = approvalDesk(this.env, req.orgId, teamId);
      const approved = req.approvalRequest ? null : await desk.approvedFor(hash);
      if (approved) {
        // The same action, already approved and still valid: it may go ahead.
        decision = "allow";
        reason = `Approved in ${approved.id}.`;
        matchedRules.push({ id: `approval:${approved.id}`, effect: "allow", reason, layer: "approval" });
        approval = approved;
      } else {
        const opened = await desk.open(
          {
            orgId: req.orgId,
            teamId,
            requestHash: hash,
            requesterId: req.input.actor.id,
            requesterKind: req.input.actor.kind,
            requesterKeyId: req.asker.keyId,
            decisionId,
            summary: { actorId: req.input.actor.id, repo: req.input.repoName, action: req.input.action, paths: req.input.paths, command: req.input.command, tool: req.input.tool },
            reason: req.approvalRequest?.reason ?? result.reason,
            ticketUrl: req.approvalRequest?.ticketUrl ?? null,
            settings: result.approval!,
          },
          req.evidence,
        );
        approval = opened.approval;
      }
    }

    const details = {
      decision_id: decisionId,
      decision,
      // What policy alone said: replay (POST /v1/policies/simulate) compares against this.
      policy_decision: result.decision,
      reason,
      matched_rules: matchedRules,
      policy_versions: versions,
      request_hash: hash,
      risk: result.risk,
      approval_id: approval?.id ?? null,
      input: { ...req.input, teamId },
      client: req.client,
    };
    const draft = await auditDraft(this.env.ARTIFACTS, req.asker, { action: "decision.made", target: { type: "repo", id: req.input.repoName }, details }, req.evidence);
    let auditSeq: number | null = null;
    if (req.noApproval) {
      // A model call through the gateway: its usage row is the durable record of what it
      // did, so the decision joins the chain in the next batch instead of on the call's path.
      this.queueAudit(req.orgId, draft);
    } else {
      const [event] = await this.env.AUDIT_CHAIN.getByName(req.orgId).append(req.orgId, [draft]);
      auditSeq = event!.seq;
    }
    return {
      decisionId,
      decision,
      reason,
      matchedRules,
      policyVersions: versions,
      requestHash: hash,
      risk: result.risk,
      teamId,
      repoRegistered: set.isRegistered(req.input.repoName),
      approval,
      approvalSettings: result.approval ?? null,
      auditSeq,
    };
  }

  /** Gateway decisions waiting for the chain, appended in batches by one loop at a time. */
  private auditQueue: AuditDraft[] = [];
  private auditFlushing: Promise<void> | null = null;

  private queueAudit(orgId: string, draft: AuditDraft): void {
    this.auditQueue.push(draft);
    this.auditFlushing ??= this.flushAudit(orgId).finally(() => {
      this.auditFlushing = null;
    });
    this.ctx.waitUntil(this.auditFlushing);
  }

  /** Ends the current batch's gathering at once (a reader is waiting for the chain). */
  private stopGathering: (() => void) | null = null;

  private async flushAudit(orgId: string): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, AUDIT_GATHER_MS);
      this.stopGathering = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.stopGathering = null;
    let failures = 0;
    while (this.auditQueue.length > 0) {
      const batch = this.auditQueue.splice(0, AUDIT_BATCH);
      try {
        await this.env.AUDIT_CHAIN.getByName(orgId).append(orgId, batch);
        failures = 0;
      } catch (err) {
        // Back to the front, in order; a chain that keeps failing is logged, not spun on.
        this.auditQueue.unshift(...batch);
        if (++failures >= 5) {
          console.error(JSON.stringify({ level: "error", msg: "decision audit append failed", orgId, queued: this.auditQueue.length, error: String(err) }));
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * 2 ** failures));
      }
    }
  }

  /**
   * Resolves once every queued gateway decision is in the chain (audit readers call this
   * first, so nobody reads behind a batch still gathering). Returns how many are left queued
   * (0 unless the chain keeps failing).
   */
  async drainAudit(orgId: string): Promise<number> {
    this.stopGathering?.();
    if (this.auditQueue.length > 0 && !this.auditFlushing) this.auditFlushing = this.flushAudit(orgId).finally(() => (this.auditFlushing = null));
    while (this.auditFlushing) await this.auditFlushing;
    return this.auditQueue.length;
  }

  /** A key was revoked, or a principal removed or given other roles. */
  credentialsChanged(ids: string[]): void {
    const now = Date.now();
    for (const id of ids) this.changedAt.set(id, now);
    // Cached grants live a minute at most; older changes can no longer matter.
    for (const [id, at] of this.changedAt) if (now - at > CREDENTIAL_CACHE_MS + CLOCK_SKEW_MS) this.changedAt.delete(id);
  }

  private isStale(c: DeskRequest["credentials"]): boolean {
    // Read from D1 during this very request: as fresh as any other route's.
    if (!c.fromCache) return false;
    if (c.loadedAt <= this.startedAt + CLOCK_SKEW_MS && Date.now() - c.loadedAt > CLOCK_SKEW_MS) return true;
    return c.ids.some((id) => (this.changedAt.get(id) ?? -Infinity) >= c.loadedAt - CLOCK_SKEW_MS);
  }

  /** A policy, a repo or its path scopes changed: the next decision reloads. */
  invalidate(): void {
    this.cached = null;
    this.loading = null;
    this.policyEpoch++;
  }

  /** Counts invalidations, so a load that began before one does not fill the cache. */
  private policyEpoch = 0;

  private async policySet(orgId: string) {
    if (this.cached && Date.now() - this.cached.loadedAt < POLICY_CACHE_MS) return this.cached;
    // Past the safety-net age (no change was notified: a change clears the copy at once),
    // decide with the copy while a fresh one loads, so no decision waits for D1 for it.
    if (this.cached) {
      this.ctx.waitUntil(this.loadPolicySet(orgId).catch(() => undefined));
      return this.cached;
    }
    return this.loadPolicySet(orgId);
  }

  /** Concurrent loads share one read; the result replaces the cached set. */
  private async loadPolicySet(orgId: string) {
    if (!this.loading) {
      const epoch = this.policyEpoch;
      const loading = (async () => {
        const loaded = await loadPolicySet(database(this.env), orgId);
        const fresh = { set: new CompiledPolicySet(loaded), versions: loaded.versions, teamIds: new Set(loaded.teamIds), loadedAt: Date.now() };
        // A change notified while this read was in flight may not be in it: keep it out of the cache.
        if (epoch === this.policyEpoch) this.cached = fresh;
        return fresh;
      })().finally(() => {
        if (this.loading === loading) this.loading = null;
      });
      this.loading = loading;
    }
    return this.loading;
  }
}
