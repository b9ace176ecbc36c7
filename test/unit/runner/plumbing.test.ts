// The runner's plumbing (events.mjs, auth.mjs, client.mjs): event batches of at most 100 in
// order, runner JWTs re-signed about every minute, a key file others can read refused, and
// HTTP retries on 5xx and network errors but not on 4xx.
import { mkdtempSync, rmSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { auth, client, events } from "./modules";

describe("event batcher", () => {
  it("sends at most 100 per call, in order, and flushes the rest", async () => {
    const sent: number[][] = [];
    const batcher = events.createEventBatcher({ send: async (batch) => void sent.push(batch.map((e) => e.n)), intervalMs: 60_000 });
    for (let n = 0; n < 250; n++) batcher.push({ type: "log", n });
    await batcher.flush();
    expect(sent.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(sent.flat()).toEqual([...Array(250).keys()]);
  });

  it("a failed send is reported, not thrown, and later batches still go", async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const batcher = events.createEventBatcher({ send: async () => { if (calls++ === 0) throw new Error("502"); }, onError: (e) => errors.push(e), intervalMs: 10 });
    batcher.push({ type: "log" });
    await batcher.flush();
    batcher.push({ type: "log" });
    await batcher.flush();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });
});

describe("runner keys and tokens", () => {
  it("signs §3 tokens and re-signs after about a minute", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sysop-key-"));
    try {
      const { privateJwk, publicJwk } = await auth.generateRunnerKey();
      expect(publicJwk).toEqual({ kty: "OKP", crv: "Ed25519", x: privateJwk.x });
      const file = path.join(dir, "k.jwk");
      await auth.writeKeyFile(file, privateJwk);
      const key = await auth.loadRunnerKey(file);
      let now = 1_800_000_000_000;
      const tokens = auth.createTokenSource({ runnerId: "run_1", audience: "sysop-runner", key, now: () => now });
      const first = await tokens();
      expect(decodeProtectedHeader(first)).toEqual({ alg: "EdDSA", typ: "JWT", kid: "run_1" });
      const claims = decodeJwt(first);
      expect(claims).toMatchObject({ iss: "run_1", sub: "run_1", aud: "sysop-runner", iat: 1_800_000_000, exp: 1_800_000_300 });
      expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
      now += 59_000;
      expect(await tokens()).toBe(first);
      now += 1_000;
      const second = await tokens();
      expect(second).not.toBe(first);
      expect(decodeJwt(second).jti).not.toBe(claims.jti);

      chmodSync(file, 0o644);
      await expect(auth.loadRunnerKey(file)).rejects.toThrow(/readable by others \(mode 644\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("client", () => {
  const reply = (status: number, body?: unknown, type = "application/json") =>
    new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "content-type": type } });

  it("retries a 5xx and a network error, then succeeds", async () => {
    const answers: Array<() => Response> = [() => reply(503, { title: "Unavailable" }), () => { throw new TypeError("fetch failed"); }, () => reply(204)];
    const seen: string[] = [];
    const c = client.createClient({
      baseUrl: "http://cp.test/",
      token: async () => "tok",
      fetch: (async (url: string, init: RequestInit) => {
        seen.push(`${init.method} ${url} ${(init.headers as Record<string, string>).authorization}`);
        return answers.shift()!();
      }) as unknown as typeof fetch,
    });
    expect(await c.lease(0)).toBeNull();
    expect(seen).toEqual(Array(3).fill("POST http://cp.test/v1/runner/lease Bearer tok"));
  });

  it("does not retry a 4xx and surfaces its problem+json", async () => {
    let calls = 0;
    const c = client.createClient({
      baseUrl: "http://cp.test",
      token: async () => "tok",
      fetch: (async () => (calls++, reply(409, { type: "about:blank", title: "Conflict", status: 409, detail: "lease lost" }, "application/problem+json"))) as unknown as typeof fetch,
    });
    await expect(c.heartbeat("job_1", "lease_1")).rejects.toMatchObject({ status: 409, message: "POST /v1/runner/jobs/job_1/heartbeat → 409 Conflict: lease lost" });
    expect(calls).toBe(1);
  });

  it("enrol sends no Authorization header", async () => {
    let headers: Record<string, string> = {};
    const c = client.createClient({
      baseUrl: "http://cp.test",
      fetch: (async (_u: string, init: RequestInit) => ((headers = init.headers as Record<string, string>), reply(201, { runner_id: "run_1" }))) as unknown as typeof fetch,
    });
    expect(await c.enroll({ token: "t" })).toEqual({ runner_id: "run_1" });
    expect(headers).not.toHaveProperty("authorization");
  });
});
