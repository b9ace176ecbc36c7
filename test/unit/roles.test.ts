// Unit tests for the permission table and checks (workers/src/domain/authz/roles.ts). The
// expected grants are written out here as data, independently of ROLE_PERMISSIONS, so a
// change to the table shows up as a failing case rather than passing by construction.
import { describe, expect, it } from "vitest";
import {
  ORG_ROLES,
  PERMISSIONS,
  ROLE_PERMISSIONS,
  TEAM_LEAD_PERMISSIONS,
  can,
  isKnownScope,
  roleAllows,
  scopeAllows,
  type OrgRole,
  type Permission,
  type PrincipalGrants,
} from "../../workers/src/domain/authz/roles";

const EVERYONE: Permission[] = ["org:read", "teams:read", "principals:read", "repos:read", "keys:read", "keys:write", "policies:read", "approvals:read"];
const EXPECTED: Record<OrgRole, Permission[]> = {
  owner: [...PERMISSIONS],
  admin: [...PERMISSIONS],
  member: [...EVERYONE, "decisions:write", "approvals:write", "budgets:use", "tasks:read", "tasks:write", "signals:read"],
  auditor: [...EVERYONE, "oidc:read", "audit:read", "tasks:read", "runners:read", "signals:read", "metrics:read"],
  billing: [...EVERYONE, "spend:read", "budgets:read", "budgets:write", "approvals:write", "metrics:read"],
};

const grants = (orgRole: OrgRole, scopes: string[] = ["*"], teamRoles: PrincipalGrants["teamRoles"] = {}): PrincipalGrants => ({
  orgRole,
  teamRoles,
  scopes,
});

describe("the permission table", () => {
  it("lists thirty-four distinct permissions, each <area>:<action>", () => {
    expect(new Set(PERMISSIONS).size).toBe(PERMISSIONS.length);
    expect(PERMISSIONS).toHaveLength(34);
    for (const p of PERMISSIONS) expect(p).toMatch(/^[a-z_]+:[a-z_]+$/);
  });

  it.each(ORG_ROLES)("ROLE_PERMISSIONS for %s is the expected set", (role) => {
    expect([...ROLE_PERMISSIONS[role]].sort()).toEqual([...EXPECTED[role]].sort());
  });

  it("team leads get exactly teams:write, team_members:write, repos:write, policies:write, budgets:read, budgets:request_increase, spend:read and metrics:read", () => {
    expect([...TEAM_LEAD_PERMISSIONS].sort()).toEqual(["budgets:read", "budgets:request_increase", "metrics:read", "policies:write", "repos:write", "spend:read", "team_members:write", "teams:write"]);
  });
});

describe("can: every org role × every permission, with an unrestricted credential", () => {
  const cases = ORG_ROLES.flatMap((role) =>
    PERMISSIONS.map((permission) => ({ role, permission, allowed: EXPECTED[role].includes(permission) })),
  );

  it.each(cases)("$role → $permission: $allowed", ({ role, permission, allowed }) => {
    expect(can(grants(role), permission)).toBe(allowed);
    expect(roleAllows(grants(role), permission)).toBe(allowed);
    expect(can(grants(role), permission)).toBe(ROLE_PERMISSIONS[role].includes(permission));
  });
});

describe("team leads", () => {
  const lead = (orgRole: OrgRole = "member", scopes = ["*"]) =>
    grants(orgRole, scopes, { team_mine: "lead", team_joined: "member" });

  const memberHas = (p: Permission) => EXPECTED.member.includes(p);
  const cases = PERMISSIONS.flatMap((permission) => [
    { team: "team_mine", permission, allowed: memberHas(permission) || TEAM_LEAD_PERMISSIONS.includes(permission) },
    { team: "team_joined", permission, allowed: memberHas(permission) },
    { team: "team_other", permission, allowed: memberHas(permission) },
    { team: undefined, permission, allowed: memberHas(permission) },
  ]);

  it.each(cases)("a member who leads team_mine, on $team → $permission: $allowed", ({ team, permission, allowed }) => {
    expect(can(lead(), permission, team)).toBe(allowed);
  });

  it("leading a team adds nothing beyond the lead permissions (no archive, no create, no key management)", () => {
    for (const p of ["teams:archive", "teams:create", "keys:manage", "principals:write", "org:write"] as const) {
      expect(can(lead(), p, "team_mine")).toBe(false);
    }
  });

  it("the lead grant still passes through the credential's scopes", () => {
    expect(can(lead("member", ["teams:read"]), "teams:write", "team_mine")).toBe(false);
    expect(can(lead("member", ["teams:*"]), "teams:write", "team_mine")).toBe(true);
    expect(can(lead("member", ["teams:*"]), "team_members:write", "team_mine")).toBe(false);
    expect(can(lead("member", ["team_members:write"]), "team_members:write", "team_mine")).toBe(true);
  });

  it.each(["toString", "constructor", "__proto__", "hasOwnProperty"])("a team id like %s grants nothing", (teamId) => {
    expect(can(grants("member"), "teams:write", teamId)).toBe(false);
  });
});

describe("scopes narrow what a role allows", () => {
  const cases: Array<{ role: OrgRole; scopes: string[]; permission: Permission; allowed: boolean }> = [
    { role: "owner", scopes: ["teams:read"], permission: "teams:write", allowed: false },
    { role: "owner", scopes: ["teams:read"], permission: "teams:read", allowed: true },
    { role: "owner", scopes: ["teams:*"], permission: "teams:write", allowed: true },
    { role: "owner", scopes: ["teams:*"], permission: "teams:archive", allowed: true },
    { role: "owner", scopes: ["teams:*"], permission: "team_members:write", allowed: false },
    { role: "owner", scopes: ["teams:*"], permission: "repos:read", allowed: false },
    { role: "owner", scopes: ["*"], permission: "keys:manage", allowed: true },
    { role: "owner", scopes: [], permission: "org:read", allowed: false },
    { role: "admin", scopes: ["audit:read", "spend:*"], permission: "spend:read", allowed: true },
    { role: "admin", scopes: ["audit:read", "spend:*"], permission: "audit:read", allowed: true },
    { role: "admin", scopes: ["audit:read", "spend:*"], permission: "org:read", allowed: false },
    // A scope never grants more than the role: a member's "*" key still cannot write teams.
    { role: "member", scopes: ["*"], permission: "teams:write", allowed: false },
    { role: "member", scopes: ["teams:*"], permission: "teams:write", allowed: false },
    { role: "auditor", scopes: ["audit:*"], permission: "audit:read", allowed: true },
    { role: "auditor", scopes: ["*"], permission: "spend:read", allowed: false },
    { role: "billing", scopes: ["spend:read"], permission: "spend:read", allowed: true },
    // Near-miss scopes are not wildcards or prefixes.
    { role: "owner", scopes: ["teams"], permission: "teams:read", allowed: false },
    { role: "owner", scopes: ["teams:"], permission: "teams:read", allowed: false },
    { role: "owner", scopes: ["teams:rea"], permission: "teams:read", allowed: false },
    { role: "owner", scopes: ["TEAMS:READ"], permission: "teams:read", allowed: false },
    { role: "owner", scopes: ["**"], permission: "teams:read", allowed: false },
    { role: "owner", scopes: ["*:*"], permission: "teams:read", allowed: false },
    { role: "owner", scopes: ["*:read"], permission: "teams:read", allowed: false },
  ];

  it.each(cases)("$role with $scopes → $permission: $allowed", ({ role, scopes, permission, allowed }) => {
    expect(can(grants(role, scopes), permission)).toBe(allowed);
  });

  it.each(PERMISSIONS)("scope * allows %s, and the permission's own name and area wildcard allow it", (permission) => {
    const area = permission.split(":")[0];
    expect(scopeAllows(["*"], permission)).toBe(true);
    expect(scopeAllows([permission], permission)).toBe(true);
    expect(scopeAllows([`${area}:*`], permission)).toBe(true);
    expect(scopeAllows([], permission)).toBe(false);
  });

  it("a scope for one permission allows no other permission", () => {
    for (const scope of PERMISSIONS) {
      for (const permission of PERMISSIONS) {
        expect(scopeAllows([scope], permission)).toBe(scope === permission);
      }
    }
  });
});

describe("isKnownScope", () => {
  const areas = [...new Set(PERMISSIONS.map((p) => p.split(":")[0]!))];

  it("knows the seventeen areas", () => {
    expect(areas.sort()).toEqual(["approvals", "audit", "budgets", "decisions", "keys", "metrics", "oidc", "org", "policies", "principals", "repos", "runners", "signals", "spend", "tasks", "team_members", "teams"]);
  });

  it.each([...PERMISSIONS, ...areas.map((a) => `${a}:*`), "*"])("accepts %s", (scope) => {
    expect(isKnownScope(scope)).toBe(true);
  });

  const unknown = [
    "teams:destroy",
    "foo:*",
    "foo:read",
    "**",
    "",
    "*:*",
    "*:read",
    "teams",
    "teams:",
    ":*",
    ":read",
    "teams:*:*",
    "teams:read:extra",
    "TEAMS:READ",
    "Teams:read",
    " teams:read",
    "teams:read ",
    "teams:read\n",
    "teams:read,repos:read",
    "team:read",
    "teams:**",
    "org:read*",
  ];

  it.each(unknown)("rejects %j", (scope) => {
    expect(isKnownScope(scope)).toBe(false);
  });
});
