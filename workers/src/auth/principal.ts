// The authenticated caller as every route sees it: who (principal), in which org, with
// which roles, and through which credential. Built by middleware/auth.ts.
import type { OrgRole, PrincipalGrants, PrincipalKind, TeamRole } from "../domain/authz/roles";

export type Credential =
  | { type: "api_key"; keyId: string }
  | { type: "access_token"; keyId: string; jti: string }
  | { type: "oidc"; issuerId: string }
  /** A Slack user matched to a member by email (the /sysop command). */
  | { type: "slack"; userId: string };

export interface Principal extends PrincipalGrants {
  id: string;
  orgId: string;
  kind: PrincipalKind;
  email: string | null;
  name: string;
  orgRole: OrgRole;
  teamRoles: Record<string, TeamRole>;
  credential: Credential;
  /** When the grants were read from D1 (ms); older than now only on the cached hot path. */
  loadedAt: number;
  /** Whether they came from the credential cache rather than D1 during this request. */
  fromCache: boolean;
}

/** The API key behind a credential, if any: audit events name it as actor_key_id. */
export const credentialKeyId = (c: Credential): string | null => (c.type === "api_key" || c.type === "access_token" ? c.keyId : null);
