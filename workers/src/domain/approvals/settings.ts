// How an "ask" is approved: quorum, who may approve, how long a request waits, how long an
// approval stays good, and whether one deny ends it. A rule may say; the org policy sets the
// defaults; when several ask rules match, the strictest value of each wins.

import type { OrgRole } from "../authz/roles";

/** Org roles, and "lead" for a lead of the approval's team. */
export type ApproverRole = OrgRole | "lead";

export interface ApprovalSettingsInput {
  quorum?: number;
  approver_roles?: ApproverRole[];
  expires_in_minutes?: number;
  valid_for_minutes?: number;
  deny_by_any?: boolean;
}

export interface ApprovalSettings {
  quorum: number;
  approverRoles: ApproverRole[];
  expiresInMinutes: number;
  validForMinutes: number;
  denyByAny: boolean;
}

export const DEFAULT_APPROVAL: ApprovalSettings = {
  quorum: 1,
  approverRoles: ["lead", "admin", "owner"],
  expiresInMinutes: 24 * 60,
  validForMinutes: 60,
  denyByAny: true,
};

const fill = (s: ApprovalSettingsInput | undefined, base: ApprovalSettings): ApprovalSettings => ({
  quorum: s?.quorum ?? base.quorum,
  approverRoles: s?.approver_roles ?? base.approverRoles,
  expiresInMinutes: s?.expires_in_minutes ?? base.expiresInMinutes,
  validForMinutes: s?.valid_for_minutes ?? base.validForMinutes,
  denyByAny: s?.deny_by_any ?? base.denyByAny,
});

/** The settings for an ask decision, from the ask rules that matched (in layer order). */
export function resolveApprovalSettings(askRules: readonly (ApprovalSettingsInput | undefined)[], orgDefaults?: ApprovalSettingsInput): ApprovalSettings {
  const base = fill(orgDefaults, DEFAULT_APPROVAL);
  const all = askRules.length > 0 ? askRules.map((r) => fill(r, base)) : [base];
  let roles = all[0]!.approverRoles;
  for (const s of all.slice(1)) {
    const both = roles.filter((r) => s.approverRoles.includes(r));
    // Disjoint lists: no one could approve; fall back to the org's administrators.
    roles = both.length > 0 ? both : ["admin", "owner"];
  }
  return {
    quorum: Math.max(...all.map((s) => s.quorum)),
    approverRoles: roles,
    expiresInMinutes: Math.min(...all.map((s) => s.expiresInMinutes)),
    validForMinutes: Math.min(...all.map((s) => s.validForMinutes)),
    denyByAny: all.some((s) => s.denyByAny),
  };
}
