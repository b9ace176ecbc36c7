// A runner as the control plane sees one, for integration tests: enrol with a one-time token
// and a fresh Ed25519 key, sign the short-lived runner JWTs and the outcome JWS, and call the
// runner protocol (sandbox-bridge/PROTOCOL.md). The real runner is sandbox-bridge/.
import { SELF } from "cloudflare:test";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { callJson, type Org } from "./helpers";

export interface TestRunner {
  id: string;
  poolId: string;
  privateKey: CryptoKey;
}

export async function createPool(org: Org, body: Record<string, unknown> = {}): Promise<string> {
  return (await callJson({ method: "POST", path: "/v1/runner-pools", key: org.key, body: { name: `pool-${crypto.randomUUID().slice(0, 8)}`, ...body } }, 201)).body.id;
}

export async function enrollRunner(org: Org, poolId: string, name = "runner"): Promise<TestRunner> {
  const { token } = (await callJson({ method: "POST", path: `/v1/runner-pools/${poolId}/enrolment-tokens`, key: org.key, body: {} }, 201)).body;
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const res = await SELF.fetch("https://sysop.test/v1/runners/enroll", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, name, public_key: await exportJWK(publicKey) }),
  });
  if (res.status !== 201) throw new Error(`enroll: ${res.status} ${await res.text()}`);
  const body = await res.json<{ runner_id: string; pool_id: string }>();
  return { id: body.runner_id, poolId: body.pool_id, privateKey: privateKey as CryptoKey };
}

export async function runnerToken(r: Pick<TestRunner, "id" | "privateKey">, opts: { ttl?: string; aud?: string } = {}): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "EdDSA", kid: r.id, typ: "JWT" })
    .setIssuer(r.id)
    .setSubject(r.id)
    .setAudience(opts.aud ?? "sysop-runner")
    .setIssuedAt()
    .setExpirationTime(opts.ttl ?? "2m")
    .setJti(crypto.randomUUID())
    .sign(r.privateKey);
}

export async function signOutcome(r: TestRunner, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: r.id, typ: "sysop-outcome+jwt" }).setIssuer(r.id).setAudience("sysop").setIssuedAt().sign(r.privateKey);
}

export async function runnerCall(r: TestRunner, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const raw = body instanceof Uint8Array || typeof body === "string";
  return SELF.fetch(`https://sysop.test${path}`, {
    method,
    headers: { authorization: `Bearer ${await runnerToken(r)}`, ...(body !== undefined && !raw ? { "content-type": "application/json" } : {}), ...headers },
    body: body === undefined ? undefined : raw ? (body as BodyInit) : JSON.stringify(body),
  });
}

export const sha256Hex = async (bytes: Uint8Array) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
