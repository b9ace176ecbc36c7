// Verifying a leased job (sandbox-bridge/src/job.mjs) with a local key pair and a stub JWKS:
// typ, alg, iss, aud, exp; a rotated key is found by refetching the JWKS once; a JWKS that
// cannot be fetched is retriable (not the job's fault); the job claim's shape and defaults.
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { job as jobModule } from "./modules";

const { createJobVerifier, parseJobClaims, peekJob } = jobModule;
const ISSUER = "https://sysop.test";
const POOL = "pool_1";

const keyPair = async (kid: string) => {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "EdDSA" } };
};
type Key = Awaited<ReturnType<typeof keyPair>>;

const jobClaim = { id: "job_1", task_id: "task_1", attempt: 1, repo: "api", ref: "main", kind: "tests", goal: "g", steps: [{ name: "t", kind: "tests", run: ["npm", "test"] }], constraints: { commands: ["npm test"] } };
const sign = (key: Key, over: { typ?: string; iss?: string; aud?: string; exp?: number; job?: unknown; jti?: string } = {}) =>
  new SignJWT({ job: over.job ?? jobClaim })
    .setProtectedHeader({ alg: "EdDSA", typ: over.typ ?? "sysop-job+jwt", kid: key.kid })
    .setIssuer(over.iss ?? ISSUER)
    .setAudience(over.aud ?? `sysop-runner:${POOL}`)
    .setIssuedAt()
    .setExpirationTime(over.exp ?? Math.floor(Date.now() / 1000) + 600)
    .setJti(over.jti ?? "job_1")
    .sign(key.privateKey);

describe("createJobVerifier", () => {
  it("accepts a well-signed job and refetches the JWKS once for a new kid", async () => {
    const k1 = await keyPair("k1");
    const k2 = await keyPair("k2");
    let served = [k1.jwk];
    let fetches = 0;
    const verifier = createJobVerifier({ fetchJwks: async () => (fetches++, { keys: served }), issuer: ISSUER, poolId: POOL });
    expect(await verifier.verify(await sign(k1))).toMatchObject({ ok: true, job: { id: "job_1", constraints: { commands: ["npm test"] } } });
    expect(await verifier.verify(await sign(k1))).toMatchObject({ ok: true });
    expect(fetches).toBe(1); // cached
    served = [k1.jwk, k2.jwk]; // the control plane rotated its key
    expect(await verifier.verify(await sign(k2))).toMatchObject({ ok: true });
    expect(fetches).toBe(2);
  });

  it.each([
    ["a wrong typ", { typ: "JWT" }, /typ/],
    ["a wrong issuer", { iss: "https://other" }, /iss/],
    ["another pool", { aud: "sysop-runner:pool_2" }, /aud/],
    ["an expired job", { exp: Math.floor(Date.now() / 1000) - 10 }, /exp/],
  ])("refuses %s", async (_name, over, detail) => {
    const k = await keyPair("k1");
    const verifier = createJobVerifier({ fetchJwks: async () => ({ keys: [k.jwk] }), issuer: ISSUER, poolId: POOL });
    const result = await verifier.verify(await sign(k, over));
    expect(result).toMatchObject({ ok: false, retriable: false });
    expect(!result.ok && result.reason).toMatch(/^job signature invalid: /);
    expect(!result.ok && result.reason).toMatch(detail);
  });

  it("refuses a job signed by a key the JWKS does not have, and an unsigned one", async () => {
    const k = await keyPair("k1");
    const stranger = await keyPair("k1"); // same kid, different key
    const verifier = createJobVerifier({ fetchJwks: async () => ({ keys: [k.jwk] }), issuer: ISSUER, poolId: POOL });
    expect(await verifier.verify(await sign(stranger))).toMatchObject({ ok: false, reason: "job signature invalid: signature verification failed" });
    const unsigned = new UnsecuredJWT({ job: jobClaim }).setIssuer(ISSUER).setAudience(`sysop-runner:${POOL}`).setExpirationTime("10m").setJti("job_1").encode();
    expect(await verifier.verify(unsigned)).toMatchObject({ ok: false, retriable: false });
  });

  it("a JWKS that cannot be fetched is retriable, not the job's fault", async () => {
    const k = await keyPair("k1");
    const verifier = createJobVerifier({ fetchJwks: async () => { throw new Error("connect ECONNREFUSED"); }, issuer: ISSUER, poolId: POOL });
    expect(await verifier.verify(await sign(k))).toMatchObject({ ok: false, retriable: true, reason: expect.stringMatching(/ECONNREFUSED/) });
  });

  it("a signed job with a malformed claim is refused as malformed", async () => {
    const k = await keyPair("k1");
    const verifier = createJobVerifier({ fetchJwks: async () => ({ keys: [k.jwk] }), issuer: ISSUER, poolId: POOL });
    expect(await verifier.verify(await sign(k, { jti: "job_other" }))).toMatchObject({ ok: false, reason: "job malformed: job.id differs from jti" });
  });
});

describe("parseJobClaims", () => {
  const claims = (job: Record<string, unknown>) => ({ jti: "job_1", exp: 2_000_000_000, job: { ...jobClaim, ...job } });

  it("missing constraints are deny-by-default", () => {
    const parsed = parseJobClaims(claims({ constraints: undefined }));
    expect(parsed).toMatchObject({
      ok: true,
      job: { deadlineMs: 2_000_000_000_000, constraints: { commands: [], paths: [], artifacts: [], network: "none", max_duration_seconds: 900, step_timeout_seconds: 300, max_output_bytes: 1_048_576 } },
    });
  });

  it.each([
    ["no steps", { steps: [] }, "job malformed: job.steps must be a non-empty array"],
    ["a step without a name", { steps: [{ kind: "tests" }] }, "job malformed: each step needs a name (letters, digits, _ . -)"],
    ["a run that is a string", { steps: [{ name: "t", kind: "tests", run: "npm test" }] }, "job malformed: step 't': run must be an array of strings"],
    ["an unknown job kind", { kind: "deploy" }, "job malformed: job.kind must be one of agent_run, tests, command, migration_dry_run, preview"],
    ["a bad network", { constraints: { network: "all" } }, "job malformed: constraints.network must be none or egress"],
    ["a zero timeout", { constraints: { step_timeout_seconds: 0 } }, "job malformed: constraints.step_timeout_seconds must be a positive number"],
    ["no repo", { repo: "" }, "job malformed: job.repo must be a non-empty string"],
  ])("refuses %s", (_name, job, reason) => {
    expect(parseJobClaims(claims(job))).toEqual({ ok: false, reason });
  });

  it("peekJob reads ids without trusting the token, and gives up on garbage", async () => {
    const k = await keyPair("k1");
    expect(peekJob(await sign(k))).toEqual({ jobId: "job_1", taskId: "task_1", attempt: 1 });
    expect(peekJob("not.a.jwt")).toBeNull();
  });
});
