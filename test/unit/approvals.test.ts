// The approval state machine and settings, as pure functions.
import { describe, expect, it } from "vitest";
import { castVote, coversNow, isExpired, type Approval } from "../../workers/src/domain/approvals/approval";
import { DEFAULT_APPROVAL, resolveApprovalSettings } from "../../workers/src/domain/approvals/settings";

const T0 = new Date("2026-11-25T10:00:00Z");
const later = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const pending = (over: Partial<Approval> = {}): Approval => ({
  id: "apr_x",
  orgId: "org_x",
  teamId: "team_x",
  status: "pending",
  requestHash: "h",
  requesterId: "usr_req",
  decisionId: null,
  summary: { actorId: "usr_req", repo: "acme/a", action: "deploy", paths: [], command: null, tool: null },
  reason: "r",
  ticketUrl: null,
  quorum: 2,
  approverRoles: ["lead", "admin"],
  denyByAny: true,
  validForMinutes: 15,
  votes: [],
  createdAt: T0.toISOString(),
  expiresAt: later(60).toISOString(),
  decidedAt: null,
  validUntil: null,
  ...over,
});

const admin = (id: string) => ({ id, orgRole: "admin", isTeamLead: false });
const lead = (id: string) => ({ id, orgRole: "member", isTeamLead: true });
const member = (id: string) => ({ id, orgRole: "member", isTeamLead: false });

describe("castVote", () => {
  it("records the first of two approvals and approves on the second, valid for the set minutes", () => {
    const one = castVote(pending(), admin("usr_a"), "approve", null, later(1));
    expect(one).toMatchObject({ ok: true, outcome: "recorded", approval: { status: "pending" } });
    const two = castVote(one.approval, lead("usr_b"), "approve", null, later(2));
    expect(two).toMatchObject({ ok: true, outcome: "approved", approval: { status: "approved", validUntil: later(17).toISOString() } });
    expect(coversNow(two.approval, later(16))).toBe(true);
    expect(coversNow(two.approval, later(17))).toBe(false);
  });

  it.each([
    ["the requester", { id: "usr_req", orgRole: "admin", isTeamLead: true }, "self_approval"],
    ["the actor the request is for", { id: "usr_req", orgRole: "owner", isTeamLead: false }, "self_approval"],
    ["a member who is not a lead", member("usr_m"), "role_not_allowed"],
  ] as const)("refuses %s", (_name, who, reason) => {
    expect(castVote(pending(), who, "approve", null, later(1))).toMatchObject({ ok: false, reason });
  });

  it("refuses a second vote by the same approver", () => {
    const one = castVote(pending(), admin("usr_a"), "approve", null, later(1));
    expect(castVote(one.approval, admin("usr_a"), "approve", null, later(2))).toMatchObject({ ok: false, reason: "already_voted" });
  });

  it("ends on one deny when deny_by_any, else needs a quorum of denies", () => {
    expect(castVote(pending(), admin("usr_a"), "deny", "no", later(1))).toMatchObject({ ok: true, outcome: "denied" });
    const lenient = pending({ denyByAny: false });
    const one = castVote(lenient, admin("usr_a"), "deny", "no", later(1));
    expect(one).toMatchObject({ ok: true, outcome: "recorded" });
    expect(castVote(one.approval, lead("usr_b"), "deny", "no", later(2))).toMatchObject({ ok: true, outcome: "denied" });
  });

  it("expires at its expiry time and takes no vote after", () => {
    expect(isExpired(pending(), later(59))).toBe(false);
    expect(isExpired(pending(), later(60))).toBe(true);
    expect(castVote(pending(), admin("usr_a"), "approve", null, later(60))).toMatchObject({ ok: false, reason: "expired", approval: { status: "expired" } });
  });

  it("takes no vote on a closed request", () => {
    for (const status of ["approved", "denied", "cancelled", "expired"] as const) {
      expect(castVote(pending({ status }), admin("usr_a"), "approve", null, later(1))).toMatchObject({ ok: false, reason: "not_pending" });
    }
  });
});

describe("resolveApprovalSettings", () => {
  it("uses the defaults when nothing is set", () => {
    expect(resolveApprovalSettings([])).toEqual(DEFAULT_APPROVAL);
    expect(resolveApprovalSettings([undefined])).toEqual(DEFAULT_APPROVAL);
  });

  it("fills a rule's gaps from the org defaults", () => {
    expect(resolveApprovalSettings([{ quorum: 3 }], { expires_in_minutes: 10, approver_roles: ["owner"] })).toEqual({
      ...DEFAULT_APPROVAL,
      quorum: 3,
      expiresInMinutes: 10,
      approverRoles: ["owner"],
    });
  });

  it("takes the strictest of several ask rules", () => {
    const s = resolveApprovalSettings([
      { quorum: 1, approver_roles: ["lead", "admin"], expires_in_minutes: 60, valid_for_minutes: 30, deny_by_any: false },
      { quorum: 2, approver_roles: ["admin", "owner"], expires_in_minutes: 120, valid_for_minutes: 10 },
    ]);
    expect(s).toEqual({ quorum: 2, approverRoles: ["admin"], expiresInMinutes: 60, validForMinutes: 10, denyByAny: true });
  });

  it("falls back to admins and owners when approver lists do not overlap", () => {
    expect(resolveApprovalSettings([{ approver_roles: ["lead"] }, { approver_roles: ["billing"] }]).approverRoles).toEqual(["admin", "owner"]);
  });
});
