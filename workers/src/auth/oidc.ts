// Tokens from an org's own identity provider. The org registers the issuer, the audience
// sysop must see, and the JWKS (inline). A token is routed to the org by (iss, aud), checked
// against an allow-list of asymmetric algorithms, and its email claim names the sysop user.
import { createLocalJWKSet, jwtVerify } from "jose";
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { oidcIssuers, principals, type OidcIssuerRow } from "../db/schema";
import { describeJoseError } from "./access-token";

/** Asymmetric only: no `none`, no HS* (which would let a public key act as an HMAC secret). */
export const OIDC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

export type OidcCheck =
  | { ok: true; issuer: OidcIssuerRow; principalId: string }
  | { ok: false; reason: string };

export async function verifyOidcToken(db: Db, token: string, iss: string, now: Date): Promise<OidcCheck> {
  const candidates = await db.select().from(oidcIssuers).where(eq(oidcIssuers.issuer, iss));
  if (candidates.length === 0) return { ok: false, reason: "the token's issuer is not registered" };
  let reason = "the token's aud claim is not accepted";
  for (const issuer of candidates) {
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(issuer.jwks as Parameters<typeof createLocalJWKSet>[0]), {
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithms: OIDC_ALGORITHMS,
        requiredClaims: ["exp"],
        currentDate: now,
        clockTolerance: 30,
      });
      const email = payload[issuer.emailClaim];
      if (typeof email !== "string" || email.length === 0) return { ok: false, reason: `the token has no ${issuer.emailClaim} claim` };
      if (payload.email_verified === false) return { ok: false, reason: "the token's email is not verified" };
      const user = (
        await db
          .select({ id: principals.id })
          .from(principals)
          .where(
            and(
              eq(principals.orgId, issuer.orgId),
              eq(principals.kind, "user"),
              eq(principals.email, email.toLowerCase()),
              eq(principals.status, "active"),
            ),
          )
      )[0];
      if (!user) return { ok: false, reason: "no active member of the org has the token's email" };
      return { ok: true, issuer, principalId: user.id };
    } catch (err) {
      reason = describeJoseError(err);
    }
  }
  return { ok: false, reason };
}
