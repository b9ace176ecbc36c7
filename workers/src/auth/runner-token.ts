// Runner authentication: after enrolment a runner signs its own short-lived JWTs with the
// Ed25519 key it generated (PROTOCOL.md §3). No shared secret is stored here, only the public
// key; a revoked or unknown runner, a bad signature or an expired token is a 401.
import { decodeProtectedHeader, importJWK, jwtVerify, type JWK } from "jose";
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { runners, type RunnerRow } from "../db/schema";
import { unauthenticated } from "../domain/errors";
import { bearerCredential } from "../middleware/auth";

export const RUNNER_AUDIENCE = "sysop-runner";
/** A runner token lives at most this long; runners sign a fresh one every minute or so. */
export const MAX_RUNNER_TOKEN_SECONDS = 300;
const CLOCK_SKEW_SECONDS = 60;
const RUNNER_ID = /^run_[a-z2-7]{20}$/;

/** An Ed25519 public key as a JWK, and nothing private in it. */
export function isEd25519PublicJwk(jwk: unknown): jwk is { kty: "OKP"; crv: "Ed25519"; x: string } {
  if (!jwk || typeof jwk !== "object") return false;
  const k = jwk as Record<string, unknown>;
  return k.kty === "OKP" && k.crv === "Ed25519" && typeof k.x === "string" && /^[A-Za-z0-9_-]{43}$/.test(k.x) && !("d" in k);
}

export async function authenticateRunner(db: Db, authorization: string | undefined, now: Date): Promise<RunnerRow> {
  const token = bearerCredential(authorization);
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    return unauthenticated("The runner token is not a JWT.");
  }
  if (!kid || !RUNNER_ID.test(kid)) return unauthenticated("The runner token's kid must be the runner id.");
  const runner = (await db.select().from(runners).where(eq(runners.id, kid)))[0];
  if (!runner) return unauthenticated("Unknown runner.");
  if (runner.status === "revoked") return unauthenticated("This runner was revoked.");
  try {
    const key = await importJWK(runner.publicKey as JWK, "EdDSA");
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["EdDSA"],
      audience: RUNNER_AUDIENCE,
      issuer: runner.id,
      subject: runner.id,
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: now,
      requiredClaims: ["iat", "exp"],
    });
    if (payload.exp! - payload.iat! > MAX_RUNNER_TOKEN_SECONDS) return unauthenticated(`Runner tokens may live at most ${MAX_RUNNER_TOKEN_SECONDS} s.`);
  } catch {
    return unauthenticated("The runner token is not valid (signature, audience or expiry).");
  }
  return runner;
}
