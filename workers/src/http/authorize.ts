// The HTTP face of domain/authz: a route names the permission it needs (and the team, when
// a team lead's rights apply); a caller without it gets a 403 problem that says why.
import type { Context } from "hono";
import type { AppEnv } from "./app-env";
import { PERMISSION_MEANING, roleAllows, scopeAllows, type Permission } from "../domain/authz/roles";
import { forbidden } from "../domain/errors";

export function authorize(c: Context<AppEnv>, permission: Permission, teamId?: string): void {
  const p = c.var.principal;
  if (!roleAllows(p, permission, teamId)) {
    forbidden(`Your org role (${p.orgRole}) does not allow you to ${PERMISSION_MEANING[permission]}.`);
  }
  if (!scopeAllows(p.scopes, permission)) {
    forbidden(`This credential's scopes do not include ${permission}.`);
  }
}
