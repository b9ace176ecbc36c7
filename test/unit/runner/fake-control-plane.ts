// A fake sysop control plane for the runner's end-to-end tests: PROTOCOL.md §2–§4 over
// node:http on 127.0.0.1, with jose. It enrols runners, signs jobs with its own Ed25519 key
// (served at /.well-known/jwks.json), verifies every runner JWT and outcome JWS against the
// enrolled key, and recomputes artifact hashes. Tests steer it through its fields.
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, base64url, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTPayload } from "jose";

export type JobSpec = {
  id: string;
  task_id: string;
  org_id: string;
  team_id: string;
  attempt: number;
  repo: string;
  ref: string;
  kind: string;
  goal: string;
  steps: Array<{ name: string; kind: string; run?: string[] }>;
  constraints: {
    commands: string[];
    network: "none" | "egress";
    paths: string[];
    max_duration_seconds: number;
    step_timeout_seconds: number;
    max_output_bytes: number;
    artifacts: string[];
  };
};

/** How a queued job is signed: tamper changes the payload after signing. */
export type SignAs = { tamper?: (claims: Record<string, any>) => void; audience?: string; issuer?: string; expiresIn?: number };
export type HeartbeatReply = { cancel: boolean } | 409;
export type StoredArtifact = { kind: string; sha256: string; bytes: Buffer; contentType: string };
export type StoredOutcome = { header: Record<string, unknown>; claims: JWTPayload & Record<string, any> };

const problem = (res: ServerResponse, status: number, title: string, detail?: string) => {
  res.writeHead(status, { "content-type": "application/problem+json" });
  res.end(JSON.stringify({ type: "about:blank", title, status, detail }));
};
const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};
const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

export async function startFakeControlPlane() {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const kid = "cp-key-1";
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" }] };
  const runners = new Map<string, { publicKey: JWK; status: "active" | "revoked"; name: string; labels: unknown }>();
  const leases = new Map<string, { jobId: string; runnerId: string; spec: JobSpec }>();

  const cp = {
    url: "",
    issuer: "https://sysop.test",
    poolId: "pool_fake",
    /** The pool enrolment answers with (tests of a mismatch change it). */
    enrolPoolId: "pool_fake",
    enrolmentTokens: new Set<string>(),
    runners,
    queue: [] as Array<{ spec: JobSpec; signAs: SignAs }>,
    /** Every runner JWT that failed verification for a reason other than revocation. */
    authFailures: [] as string[],
    /** Calls answered 401 because the runner was revoked. */
    revokedCalls: 0,
    events: new Map<string, Array<Record<string, any>>>(),
    artifacts: new Map<string, StoredArtifact[]>(),
    outcomes: new Map<string, StoredOutcome[]>(),
    heartbeats: new Map<string, number>(),
    onHeartbeat: (_jobId: string): HeartbeatReply => ({ cancel: false }),

    issueEnrolmentToken() {
      const token = `sysop_enr_${randomBytes(6).toString("hex")}_${randomBytes(16).toString("hex")}`;
      cp.enrolmentTokens.add(token);
      return token;
    },
    queueJob(spec: JobSpec, signAs: SignAs = {}) {
      cp.queue.push({ spec, signAs });
    },
    revoke(runnerId: string) {
      const r = runners.get(runnerId);
      if (r) r.status = "revoked";
    },
    eventsFor: (jobId: string) => cp.events.get(jobId) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  async function signJob(spec: JobSpec, signAs: SignAs) {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + (signAs.expiresIn ?? 600);
    let token = await new SignJWT({ job: { ...spec, deadline: new Date(exp * 1000).toISOString() } })
      .setProtectedHeader({ alg: "EdDSA", typ: "sysop-job+jwt", kid })
      .setIssuer(signAs.issuer ?? cp.issuer)
      .setAudience(signAs.audience ?? `sysop-runner:${cp.poolId}`)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(spec.id)
      .sign(privateKey);
    if (signAs.tamper) {
      const [h, p, s] = token.split(".");
      const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p!)));
      signAs.tamper(claims);
      token = [h, base64url.encode(JSON.stringify(claims)), s].join(".");
    }
    return token;
  }

  /** §3: the runner id, or null after answering 401. */
  async function authenticate(req: IncomingMessage, res: ServerResponse): Promise<string | null> {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const fail = (why: string, record = true) => {
      if (record) cp.authFailures.push(why);
      problem(res, 401, "Unauthorized", why);
      return null;
    };
    if (!token) return fail("no bearer token");
    let runnerId: string;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== "EdDSA" || header.typ !== "JWT" || typeof header.kid !== "string") return fail(`bad header ${JSON.stringify(header)}`);
      runnerId = header.kid;
    } catch {
      return fail("not a JWT");
    }
    const runner = runners.get(runnerId);
    if (!runner) return fail(`unknown runner ${runnerId}`);
    if (runner.status === "revoked") {
      cp.revokedCalls++;
      return fail("runner revoked", false);
    }
    try {
      const key = await importJWK(runner.publicKey, "EdDSA");
      const { payload } = await jwtVerify(token, key, {
        algorithms: ["EdDSA"], audience: "sysop-runner", issuer: runnerId, subject: runnerId, clockTolerance: 60, requiredClaims: ["iat", "exp", "jti"],
      });
      if (payload.exp! - payload.iat! > 300) return fail("exp more than 300 s after iat");
      // A runner reuses one token for about a minute (§3), so a jti is unique per token, not per call.
      if (typeof payload.jti !== "string" || payload.jti.length < 16) return fail("weak jti");
    } catch (err) {
      return fail(`runner JWT invalid: ${(err as Error).message}`);
    }
    return runnerId;
  }

  async function enroll(req: IncomingMessage, res: ServerResponse) {
    const body = JSON.parse((await readBody(req)).toString("utf8"));
    if (req.headers.authorization) return problem(res, 400, "enrolment takes no Authorization header");
    if (!cp.enrolmentTokens.delete(body.token)) return problem(res, 401, "Unauthorized", "enrolment token used, expired or unknown");
    const k = body.public_key;
    if (k?.kty !== "OKP" || k?.crv !== "Ed25519" || typeof k?.x !== "string" || "d" in k) return problem(res, 422, "public_key must be a public Ed25519 JWK");
    const runnerId = `run_${randomBytes(6).toString("hex")}`;
    runners.set(runnerId, { publicKey: k, status: "active", name: body.name, labels: body.labels });
    json(res, 201, { runner_id: runnerId, pool_id: cp.enrolPoolId, org_id: "org_fake", issuer: cp.issuer, audience: "sysop-runner" });
  }

  async function lease(runnerId: string, res: ServerResponse) {
    const next = cp.queue.shift();
    if (!next) return void res.writeHead(204).end();
    const leaseId = `lease_${randomBytes(6).toString("hex")}`;
    leases.set(leaseId, { jobId: next.spec.id, runnerId, spec: next.spec });
    json(res, 200, {
      job: await signJob(next.spec, next.signAs),
      lease: { id: leaseId, expires_at: new Date(Date.now() + 30_000).toISOString(), heartbeat_seconds: 1 },
    });
  }

  const leaseFor = (leaseId: unknown, jobId: string, runnerId: string) => {
    const l = typeof leaseId === "string" ? leases.get(leaseId) : undefined;
    return l && l.jobId === jobId && l.runnerId === runnerId ? l : null;
  };

  async function jobCall(req: IncomingMessage, res: ServerResponse, runnerId: string, jobId: string, rest: string[]) {
    if (rest[0] === "artifacts" && req.method === "PUT") return artifact(req, res, runnerId, jobId, rest[1]!, rest[2]!);
    const body = JSON.parse((await readBody(req)).toString("utf8"));
    const l = leaseFor(body.lease_id, jobId, runnerId);
    if (!l) return problem(res, 409, "Conflict", "not the current lease");
    if (rest[0] === "heartbeat") {
      cp.heartbeats.set(jobId, (cp.heartbeats.get(jobId) ?? 0) + 1);
      const reply = cp.onHeartbeat(jobId);
      if (reply === 409) return problem(res, 409, "Conflict", "lease lost");
      return json(res, 200, { lease_expires_at: new Date(Date.now() + 30_000).toISOString(), cancel: reply.cancel });
    }
    if (rest[0] === "events") {
      if (!Array.isArray(body.events) || body.events.length > 100) return problem(res, 422, "at most 100 events");
      cp.events.set(jobId, [...cp.eventsFor(jobId), ...body.events]);
      return json(res, 202, {});
    }
    if (rest[0] === "outcome") return outcome(res, runnerId, jobId, body.outcome);
    problem(res, 404, "Not Found");
  }

  async function artifact(req: IncomingMessage, res: ServerResponse, runnerId: string, jobId: string, kind: string, sha256: string) {
    const bytes = await readBody(req);
    const l = leaseFor(req.headers["x-sysop-lease"], jobId, runnerId);
    if (!l) return problem(res, 409, "Conflict", "not the current lease");
    if (!l.spec.constraints.artifacts.includes(kind)) return problem(res, 403, "Forbidden", `artifact kind ${kind} not allowed`);
    if (bytes.length > 10 * 1024 * 1024) return problem(res, 413, "Too large");
    if (createHash("sha256").update(bytes).digest("hex") !== sha256) return problem(res, 422, "hash mismatch");
    const list = cp.artifacts.get(jobId) ?? [];
    list.push({ kind, sha256, bytes, contentType: String(req.headers["content-type"]) });
    cp.artifacts.set(jobId, list);
    json(res, 201, { kind, sha256, size: bytes.length });
  }

  async function outcome(res: ServerResponse, runnerId: string, jobId: string, jws: unknown) {
    const runner = runners.get(runnerId)!;
    try {
      const key = await importJWK(runner.publicKey, "EdDSA");
      const { payload, protectedHeader } = await jwtVerify(String(jws), key, { algorithms: ["EdDSA"], typ: "sysop-outcome+jwt", audience: "sysop", issuer: runnerId });
      if (protectedHeader.kid !== runnerId) return problem(res, 422, "outcome kid is not the runner");
      if (payload.job_id !== jobId) return problem(res, 422, "outcome for another job");
      const list = cp.outcomes.get(jobId) ?? [];
      list.push({ header: protectedHeader, claims: payload as StoredOutcome["claims"] });
      cp.outcomes.set(jobId, list);
      json(res, 200, list.length === 1 ? { accepted: true } : { accepted: false, duplicate: true });
    } catch (err) {
      problem(res, 422, "outcome signature invalid", (err as Error).message);
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "GET" && url.pathname === "/.well-known/jwks.json") return json(res, 200, jwks);
    if (req.method === "POST" && url.pathname === "/v1/runners/enroll") return enroll(req, res);
    const runnerId = await authenticate(req, res);
    if (!runnerId) return;
    if (req.method === "POST" && url.pathname === "/v1/runner/lease") return lease(runnerId, res);
    const m = /^\/v1\/runner\/jobs\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (m) return jobCall(req, res, runnerId, decodeURIComponent(m[1]!), m[2]!.split("/"));
    problem(res, 404, "Not Found");
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err) => problem(res, 500, "fake crashed", String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cp.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return cp;
}

export type FakeControlPlane = Awaited<ReturnType<typeof startFakeControlPlane>>;
