// ApprovalDesk: one Durable Object per team (and one per org for team-less requests) that
// holds its approval requests and is the only writer of their state. Votes, cancels and
// expiry (by alarm) go through castVote()/expire() from the pure domain; every change is
// stored here first, then projected to D1 for listing, and recorded as an audit event.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../workers/src/env";
import { castVote, coversNow, expire, isExpired, type ActionSummary, type Approval, type Approver, type VoteRefusal } from "../workers/src/domain/approvals/approval";
import type { ApprovalSettings } from "../workers/src/domain/approvals/settings";
import { auditDraft, type Evidence } from "../workers/src/audit/record";
import { newId } from "../workers/src/domain/identity/ids";
import { projectApproval } from "../workers/src/db/approvals";
import { database } from "../workers/src/db/client";
import { notifyNewApproval } from "../workers/src/integrations/slack/notify";
import { budgetLedger } from "../workers/src/governance/desk";
import { followApproval } from "../workers/src/governance/tasks";

export type { Evidence };

export interface OpenApproval {
  orgId: string;
  teamId: string | null;
  requestHash: string;
  requesterId: string;
  requesterKind: string;
  requesterKeyId: string | null;
  decisionId: string | null;
  summary: ActionSummary;
  reason: string;
  ticketUrl: string | null;
  settings: ApprovalSettings;
}

export type DeskVoteResult = { ok: true; approval: Approval; outcome: "recorded" | "approved" | "denied" } | { ok: false; reason: VoteRefusal | "not_found"; approval?: Approval };

const SYSTEM_EVIDENCE: Evidence = { requestId: "alarm", ip: null, userAgent: null };

export class ApprovalDesk extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS approvals (
      id TEXT PRIMARY KEY, status TEXT NOT NULL, request_hash TEXT NOT NULL, expires_at INTEGER NOT NULL, data TEXT NOT NULL)`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS approvals_hash ON approvals(request_hash, status)");
  }

  /** Opens a request for an action, or returns the one already waiting for the same action. */
  async open(req: OpenApproval, evidence: Evidence): Promise<{ approval: Approval; created: boolean }> {
    const now = new Date();
    const waiting = this.rows("SELECT data FROM approvals WHERE request_hash = ? AND status = 'pending'", req.requestHash).find((a) => !isExpired(a, now));
    if (waiting) return { approval: waiting, created: false };
    const approval: Approval = {
      id: newId("apr"),
      orgId: req.orgId,
      teamId: req.teamId,
      status: "pending",
      requestHash: req.requestHash,
      requesterId: req.requesterId,
      decisionId: req.decisionId,
      summary: req.summary,
      reason: req.reason,
      ticketUrl: req.ticketUrl,
      quorum: req.settings.quorum,
      approverRoles: req.settings.approverRoles,
      denyByAny: req.settings.denyByAny,
      validForMinutes: req.settings.validForMinutes,
      votes: [],
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + req.settings.expiresInMinutes * 60_000).toISOString(),
      decidedAt: null,
      validUntil: null,
    };
    await this.store(approval, { id: req.requesterId, kind: req.requesterKind, keyId: req.requesterKeyId }, "approval.requested", evidence, {
      quorum: approval.quorum,
      approver_roles: approval.approverRoles,
      expires_at: approval.expiresAt,
      request_hash: approval.requestHash,
      decision_id: approval.decisionId,
      summary: approval.summary,
      reason: approval.reason,
      ticket_url: approval.ticketUrl,
    });
    await this.scheduleExpiry();
    this.ctx.waitUntil(notifyNewApproval(this.env, approval).catch((err: unknown) => console.error(JSON.stringify({ level: "warn", msg: "slack notify failed", approval: approval.id, error: String(err) }))));
    return { approval, created: true };
  }

  /** The approval that covers this exact action now, if any. */
  approvedFor(requestHash: string): Approval | null {
    const now = new Date();
    return this.rows("SELECT data FROM approvals WHERE request_hash = ? AND status = 'approved'", requestHash).find((a) => coversNow(a, now)) ?? null;
  }

  get(id: string): Approval | null {
    return this.rows("SELECT data FROM approvals WHERE id = ?", id)[0] ?? null;
  }

  async vote(id: string, approver: Approver & { kind: string; keyId: string | null }, vote: "approve" | "deny", reason: string | null, evidence: Evidence): Promise<DeskVoteResult> {
    const current = this.get(id);
    if (!current) return { ok: false, reason: "not_found" };
    const now = new Date();
    const result = castVote(current, approver, vote, reason, now);
    if (!result.ok) {
      if (result.reason === "expired") {
        await this.store(result.approval, null, "approval.expired", SYSTEM_EVIDENCE, {});
        await followApproval(this.env, result.approval);
      }
      return { ok: false, reason: result.reason, approval: result.approval };
    }
    const increase = result.outcome === "approved" ? result.approval.summary.budgetIncrease : undefined;
    if (increase) {
      // Granted before the approval is stored as approved (once per approval id), so an
      // approved increase is never left ungranted; a failed grant fails the vote instead.
      await budgetLedger(this.env, increase.teamId).grantIncrease(result.approval.id, { micros: increase.addMicros, tokens: increase.addTokens });
    }
    const action = result.outcome === "approved" ? "approval.approved" : result.outcome === "denied" ? "approval.denied" : "approval.vote_recorded";
    await this.store(result.approval, { id: approver.id, kind: approver.kind, keyId: approver.keyId }, action, evidence, {
      vote,
      reason,
      votes: result.approval.votes.length,
      quorum: result.approval.quorum,
      valid_until: result.approval.validUntil,
      ...(increase ? { budget_increase_granted: { team_id: increase.teamId, add_micros: increase.addMicros, add_tokens: increase.addTokens } } : {}),
    });
    if (result.outcome !== "recorded") await followApproval(this.env, result.approval, { id: approver.id, kind: approver.kind, keyId: approver.keyId }, evidence);
    return result;
  }

  async cancel(id: string, by: { id: string; kind: string; keyId: string | null }, evidence: Evidence): Promise<{ ok: true; approval: Approval } | { ok: false; reason: "not_found" | "not_pending" }> {
    const current = this.get(id);
    if (!current) return { ok: false, reason: "not_found" };
    if (current.status !== "pending") return { ok: false, reason: "not_pending" };
    const approval: Approval = { ...current, status: "cancelled", decidedAt: new Date().toISOString() };
    await this.store(approval, by, "approval.cancelled", evidence, {});
    await followApproval(this.env, approval, by, evidence);
    return { ok: true, approval };
  }

  override async alarm(): Promise<void> {
    const now = new Date();
    for (const a of this.rows("SELECT data FROM approvals WHERE status = 'pending' AND expires_at <= ?", now.getTime())) {
      const expired = expire(a, now);
      await this.store(expired, null, "approval.expired", SYSTEM_EVIDENCE, { expires_at: a.expiresAt });
      await followApproval(this.env, expired);
    }
    await this.scheduleExpiry();
  }

  private rows(query: string, ...params: (string | number)[]): Approval[] {
    return this.sql
      .exec<{ data: string }>(query, ...params)
      .toArray()
      .map((r) => JSON.parse(r.data) as Approval);
  }

  private async scheduleExpiry(): Promise<void> {
    const next = this.sql.exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM approvals WHERE status = 'pending'").one().at;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  /** Durable here first; then the D1 projection and the evidence. */
  private async store(
    approval: Approval,
    actor: { id: string; kind: string; keyId: string | null } | null,
    action: string,
    evidence: Evidence,
    details: Record<string, unknown>,
  ): Promise<void> {
    this.sql.exec(
      `INSERT INTO approvals (id, status, request_hash, expires_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, data = excluded.data`,
      approval.id,
      approval.status,
      approval.requestHash,
      Date.parse(approval.expiresAt),
      JSON.stringify(approval),
    );
    await projectApproval(database(this.env), approval);
    const draft = await auditDraft(
      this.env.ARTIFACTS,
      actor ?? { id: "system", kind: "system", keyId: null },
      { action, target: { type: "approval", id: approval.id }, details: { approval_id: approval.id, status: approval.status, team_id: approval.teamId, ...details } },
      evidence,
    );
    await this.env.AUDIT_CHAIN.getByName(approval.orgId).append(approval.orgId, [draft]);
  }
}
