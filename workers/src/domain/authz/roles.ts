// Who may do what: the org-role and team-lead permission table, and the pure check every
// route calls. README.md prints the same table; test/unit/role-table.test.ts keeps the two
// equal, and the integration role walk checks every route behaves as the table says.

export const ORG_ROLES = ["owner", "admin", "member", "auditor", "billing"] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export const TEAM_ROLES = ["lead", "member"] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

export const PRINCIPAL_KINDS = ["user", "agent", "service"] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export const PERMISSIONS = [
  "org:read",
  "org:write",
  "teams:read",
  "teams:create",
  "teams:write",
  "teams:archive",
  "team_members:write",
  "principals:read",
  "principals:write",
  "repos:read",
  "repos:write",
  "keys:read",
  "keys:write",
  "keys:manage",
  "oidc:read",
  "oidc:write",
  "audit:read",
  "spend:read",
  "policies:read",
  "policies:write",
  "decisions:write",
  "approvals:read",
  "approvals:write",
  "budgets:read",
  "budgets:write",
  "budgets:use",
  "budgets:request_increase",
  "tasks:read",
  "tasks:write",
  "runners:read",
  "runners:manage",
  "signals:read",
  "signals:manage",
  "metrics:read",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What each permission lets a caller do; README's role table uses these words. */
export const PERMISSION_MEANING: Record<Permission, string> = {
  "org:read": "read the org",
  "org:write": "rename the org",
  "teams:read": "list and read teams",
  "teams:create": "create teams",
  "teams:write": "rename a team",
  "teams:archive": "archive a team",
  "team_members:write": "add, change and remove team members",
  "principals:read": "list and read members, agents and services",
  "principals:write": "invite members, create agents/services, change org roles, remove",
  "repos:read": "list and read repos and their path scopes",
  "repos:write": "register, change and remove repos and path scopes",
  "keys:read": "list own API keys",
  "keys:write": "create and revoke own API keys",
  "keys:manage": "list and revoke every key in the org; create keys for other principals",
  "oidc:read": "read OIDC issuers",
  "oidc:write": "register and remove OIDC issuers",
  "audit:read": "read, verify and export the audit log",
  "spend:read": "read spend and usage",
  "policies:read": "read policies and their versions",
  "policies:write": "write, activate and simulate policies (org layer: owners and admins)",
  "decisions:write": "ask for a policy decision",
  "approvals:read": "list and read approval requests",
  "approvals:write": "open and cancel approval requests (approving follows the approval policy)",
  "budgets:read": "read a team's budget and spend",
  "budgets:write": "set a team's budget",
  "budgets:use": "reserve, settle and release budget (agents that meter themselves)",
  "budgets:request_increase": "ask for a temporary increase of a team's budget (billing, admins or owners approve)",
  "tasks:read": "list and read the org's tasks, their events, evidence and artifacts",
  "tasks:write": "create tasks for your teams; cancel your own (leads: their team's; admins: any)",
  "runners:read": "list runner pools and runners",
  "runners:manage": "create runner pools, issue enrolment tokens, drain and revoke runners",
  "signals:read": "list signals and ranked priorities",
  "signals:manage": "set webhook secrets, mapping rules and outcome settings; read dead letters",
  "metrics:read": "read outcome metrics (agent vs human, DORA)",
};

const EVERYONE: readonly Permission[] = [
  "org:read",
  "teams:read",
  "principals:read",
  "repos:read",
  "keys:read",
  "keys:write",
  "policies:read",
  "approvals:read",
];

export const ROLE_PERMISSIONS: Record<OrgRole, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS,
  member: [...EVERYONE, "decisions:write", "approvals:write", "budgets:use", "tasks:read", "tasks:write", "signals:read"],
  auditor: [...EVERYONE, "oidc:read", "audit:read", "tasks:read", "runners:read", "signals:read", "metrics:read"],
  // approvals:write so billing can vote on temporary budget increases (their approver role).
  billing: [...EVERYONE, "spend:read", "budgets:read", "budgets:write", "approvals:write", "metrics:read"],
};

/** What a team's lead may do to that team (on top of their org role). */
export const TEAM_LEAD_PERMISSIONS: readonly Permission[] = ["teams:write", "team_members:write", "repos:write", "policies:write", "budgets:read", "budgets:request_increase", "spend:read", "metrics:read"];

export interface PrincipalGrants {
  orgRole: OrgRole;
  /** team id -> role in that team */
  teamRoles: Readonly<Record<string, TeamRole>>;
  /** The credential's scopes: permission names, "<area>:*" or "*". */
  scopes: readonly string[];
}

export function scopeAllows(scopes: readonly string[], permission: Permission): boolean {
  const area = permission.split(":")[0];
  return scopes.some((s) => s === "*" || s === permission || s === `${area}:*`);
}

export function roleAllows(grants: Pick<PrincipalGrants, "orgRole" | "teamRoles">, permission: Permission, teamId?: string): boolean {
  if (ROLE_PERMISSIONS[grants.orgRole].includes(permission)) return true;
  return teamId !== undefined && grants.teamRoles[teamId] === "lead" && TEAM_LEAD_PERMISSIONS.includes(permission);
}

/** INVARIANT: a credential never grants more than its principal's roles allow. */
export function can(grants: PrincipalGrants, permission: Permission, teamId?: string): boolean {
  return scopeAllows(grants.scopes, permission) && roleAllows(grants, permission, teamId);
}

const SCOPE_PATTERN = new RegExp(
  `^(\\*|(${[...new Set(PERMISSIONS.map((p) => p.split(":")[0]))].join("|")}):(\\*|[a-z_]+))$`,
);

export function isKnownScope(scope: string): boolean {
  if (!SCOPE_PATTERN.test(scope)) return false;
  return scope === "*" || scope.endsWith(":*") || (PERMISSIONS as readonly string[]).includes(scope);
}
