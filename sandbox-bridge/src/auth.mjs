// @ts-check
// The runner's identity (PROTOCOL.md §2–§4): its Ed25519 key pair, generated here and never
// sent anywhere but as its public half; the short-lived JWTs it signs for every call (§3),
// re-signed about every 60 s; and the signed outcome (§4). Used by enroll.mjs and runner.mjs.
import { generateKeyPair, exportJWK, importJWK, SignJWT } from "jose";
import { randomUUID } from "node:crypto";
import { readFile, writeFile, chmod, stat } from "node:fs/promises";
import { UsageError } from "./errors.mjs";

/** @typedef {import("jose").JWK} JWK */
/** @typedef {import("jose").CryptoKey} RunnerKey */

export const TOKEN_TTL_SECONDS = 300; // §3: exp ≤ iat + 300
export const TOKEN_REFRESH_MS = 60_000; // §3: "a fresh token every 60 s or so"

/** @returns {Promise<{privateJwk: JWK, publicJwk: JWK}>} */
export async function generateRunnerKey() {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  return { privateJwk, publicJwk: { kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x } };
}

/**
 * Writes the private JWK readable by its owner only (0600, also when the file existed).
 * @param {string} file
 * @param {JWK} privateJwk
 */
export async function writeKeyFile(file, privateJwk) {
  await writeFile(file, JSON.stringify(privateJwk) + "\n", { mode: 0o600 });
  await chmod(file, 0o600);
}

/**
 * Loads the private key, refusing a key file others can read (as ssh does).
 * @param {string} file
 * @returns {Promise<RunnerKey>}
 */
export async function loadRunnerKey(file) {
  let text;
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) {
      throw new UsageError(`${file} is readable by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`);
    }
    text = await readFile(file, "utf8");
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read the runner key ${file}: ${/** @type {Error} */ (err).message}`);
  }
  /** @type {JWK} */
  let jwk;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not a JSON Web Key`);
  }
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.d !== "string") {
    throw new UsageError(`${file} is not an Ed25519 private key (kty OKP, crv Ed25519, with d)`);
  }
  return /** @type {RunnerKey} */ (await importJWK(jwk, "EdDSA"));
}

/**
 * One runner JWT (§3): kid, iss and sub are the runner id.
 * @param {{runnerId: string, audience: string, key: RunnerKey, nowSeconds: number}} p
 */
export function signRunnerToken({ runnerId, audience, key, nowSeconds }) {
  return new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA", typ: "JWT", kid: runnerId })
    .setIssuer(runnerId)
    .setSubject(runnerId)
    .setAudience(audience)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + TOKEN_TTL_SECONDS)
    .setJti(randomUUID())
    .sign(key);
}

/**
 * A source of runner JWTs that signs a fresh one when the last is about a minute old, so no
 * token lives long and no secret is long-lived.
 * @param {{runnerId: string, audience: string, key: RunnerKey, now?: () => number}} p
 * @returns {() => Promise<string>}
 */
export function createTokenSource({ runnerId, audience, key, now = Date.now }) {
  /** @type {{token: string, signedAt: number} | null} */
  let current = null;
  return async () => {
    const t = now();
    if (current === null || t - current.signedAt >= TOKEN_REFRESH_MS) {
      const token = await signRunnerToken({ runnerId, audience, key, nowSeconds: Math.floor(t / 1000) });
      current = { token, signedAt: t };
    }
    return current.token;
  };
}

/**
 * The outcome JWS (§4): `typ: sysop-outcome+jwt`, `aud: sysop`, `iss` the runner id.
 * @param {{runnerId: string, key: RunnerKey, claims: Record<string, unknown>, nowSeconds: number}} p
 */
export function signOutcome({ runnerId, key, claims, nowSeconds }) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", typ: "sysop-outcome+jwt", kid: runnerId })
    .setIssuer(runnerId)
    .setAudience("sysop")
    .setIssuedAt(nowSeconds)
    .sign(key);
}
