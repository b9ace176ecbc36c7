// README.md's role table is the one people read; this keeps it equal to ROLE_PERMISSIONS
// and TEAM_LEAD_PERMISSIONS (the integration role walk keeps the routes equal to those).
import readme from "../../README.md?raw";
import { describe, expect, it } from "vitest";
import { ORG_ROLES, PERMISSIONS, ROLE_PERMISSIONS, TEAM_LEAD_PERMISSIONS } from "../../workers/src/domain/authz/roles";

function readmeTable(): { header: string[]; rows: Map<string, string[]> } {
  const lines = readme.split("\n").filter((l) => l.startsWith("| "));
  const headerLine = lines.find((l) => l.startsWith("| permission |"));
  if (!headerLine) throw new Error("README.md has no role table (a row starting `| permission |`)");
  const cells = (l: string) => l.split("|").slice(1, -1).map((c) => c.trim());
  const rows = new Map<string, string[]>();
  for (const l of lines) {
    const m = /^\| `([a-z_]+:[a-z_]+)` \|/.exec(l);
    if (m) rows.set(m[1]!, cells(l));
  }
  return { header: cells(headerLine), rows };
}

describe("README role table", () => {
  const { header, rows } = readmeTable();

  it("has a column per org role and one for team leads", () => {
    expect(header.slice(2)).toEqual([...ORG_ROLES, "team lead"]);
  });

  it("lists every permission, and only those", () => {
    expect([...rows.keys()].sort()).toEqual([...PERMISSIONS].sort());
  });

  it.each([...PERMISSIONS])("marks %s exactly for the roles that hold it", (permission) => {
    const row = rows.get(permission)!;
    const marks = row.slice(2);
    ORG_ROLES.forEach((role, i) => expect({ role, granted: marks[i] === "✓" }).toEqual({ role, granted: ROLE_PERMISSIONS[role].includes(permission) }));
    expect(marks[ORG_ROLES.length] === "own team").toBe(TEAM_LEAD_PERMISSIONS.includes(permission));
  });
});
