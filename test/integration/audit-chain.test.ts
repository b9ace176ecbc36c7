// The evidence log under load and under attack: concurrent writers never fork or skip the
// chain; changing any stored byte (straight in D1 or R2) makes verify name the seq; large
// payloads go to R2 by hash; no secret ever lands in an event.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, callJson, signupOrg, unique } from "./helpers";
import { auditPayloadKey } from "../../workers/src/audit/record";
import { AuditChain as AuditChainClass } from "../../durable-objects/audit-chain";

async function verify(key: string) {
  return (await callJson({ path: "/v1/audit/verify", key }, 200)).body;
}

async function seqs(orgId: string): Promise<number[]> {
  const { results } = await env.DB.prepare("SELECT seq FROM audit_events WHERE org_id = ? ORDER BY seq").bind(orgId).all<{ seq: number }>();
  return results.map((r) => r.seq);
}

describe("audit chain", () => {
  it("takes 200 concurrent writes without a gap or a fork, and verifies", async () => {
    const org = await signupOrg("concurrent");
    const before = await verify(org.key);
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => call({ method: "POST", path: "/v1/teams", key: org.key, body: { name: `${unique("t")}-${i}` } })),
    );
    expect(responses.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);

    const after = await verify(org.key);
    expect(after.ok).toBe(true);
    expect(after.head.seq).toBe(before.head.seq + 200);
    expect(after.events_checked).toBe(after.head.seq);
    const all = await seqs(org.orgId);
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    const { results } = await env.DB.prepare("SELECT count(*) AS n, count(DISTINCT prev_hash) AS p FROM audit_events WHERE org_id = ?").bind(org.orgId).all<{ n: number; p: number }>();
    expect(results[0]!.p).toBe(results[0]!.n); // every event links to a distinct predecessor: no fork
  });

  it("names the seq when any column of any stored event changes by one byte", async () => {
    const org = await signupOrg("tamper");
    for (let i = 0; i < 4; i++) await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: unique("t") } }, 201);
    const head = (await verify(org.key)).head.seq;
    expect(head).toBe(5);
    const columns = ["ts", "actor_id", "actor_kind", "actor_key_id", "action", "target_type", "target_id", "outcome", "request_id", "ip", "user_agent", "details", "details_sha256", "prev_hash", "hash"];
    for (const [i, column] of columns.entries()) {
      const seq = 1 + (i % head);
      const row = await env.DB.prepare(`SELECT ${column} AS v FROM audit_events WHERE org_id = ? AND seq = ?`).bind(org.orgId, seq).first<{ v: string | null }>();
      const original = row!.v;
      const tampered = original === null ? "x" : original.slice(0, -1) + (original.endsWith("0") ? "1" : "0");
      await env.DB.prepare(`UPDATE audit_events SET ${column} = ? WHERE org_id = ? AND seq = ?`).bind(tampered, org.orgId, seq).run();
      const result = await verify(org.key);
      expect({ column, ok: result.ok, seq: result.first_broken_seq }).toEqual({ column, ok: false, seq });
      await env.DB.prepare(`UPDATE audit_events SET ${column} = ? WHERE org_id = ? AND seq = ?`).bind(original, org.orgId, seq).run();
      expect((await verify(org.key)).ok).toBe(true);
    }
  });

  it("detects a deleted event, a deleted tail and a flipped R2 flag", async () => {
    const org = await signupOrg("delete");
    for (let i = 0; i < 3; i++) await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: unique("t") } }, 201);
    await verify(org.key);
    const save = await env.DB.prepare("SELECT * FROM audit_events WHERE org_id = ? AND seq IN (2, 4)").bind(org.orgId).all();

    await env.DB.prepare("DELETE FROM audit_events WHERE org_id = ? AND seq = 2").bind(org.orgId).run();
    expect(await verify(org.key)).toMatchObject({ ok: false, first_broken_seq: 2, reason: "gap" });

    await env.DB.prepare("DELETE FROM audit_events WHERE org_id = ? AND seq >= 2").bind(org.orgId).run();
    expect(await verify(org.key)).toMatchObject({ ok: false, first_broken_seq: 2, reason: "missing_events" });

    for (const r of save.results) {
      const cols = Object.keys(r);
      await env.DB.prepare(`INSERT INTO audit_events (${cols.join(",")}) VALUES (${cols.map(() => "?").join(",")})`).bind(...cols.map((c) => r[c])).run();
    }
    await env.DB.prepare("UPDATE audit_events SET details_in_r2 = 1 WHERE org_id = ? AND seq = 1").bind(org.orgId).run();
    expect(await verify(org.key)).toMatchObject({ ok: false, first_broken_seq: 1 });
  });

  it("stores large details in R2 under their SHA-256, and verify checks the R2 object", async () => {
    const org = await signupOrg("large");
    const repo = (await callJson({ method: "POST", path: "/v1/repos", key: org.key, body: { team_id: org.teamId, name: "acme/big" } }, 201)).body;
    const scopes = Array.from({ length: 80 }, (_, i) => ({ path: `services/component-${i}/**`, read: ["member", "auditor"], write: ["lead", "admin"] }));
    await callJson({ method: "PATCH", path: `/v1/repos/${repo.id}`, key: org.key, body: { path_scopes: scopes } }, 200);

    const events = (await callJson({ path: "/v1/audit?action=repo.updated", key: org.key }, 200)).body.data;
    expect(events).toHaveLength(1);
    const event = events[0];
    expect(event.details_in_r2).toBe(true);
    expect(event.details).toBeNull();
    const obj = await env.ARTIFACTS.get(auditPayloadKey(event.details_sha256));
    expect(obj).not.toBeNull();
    expect(JSON.parse(await obj!.text()).after.path_scopes).toHaveLength(80);
    expect((await verify(org.key)).ok).toBe(true);

    await env.ARTIFACTS.put(auditPayloadKey(event.details_sha256), '{"tampered":true}');
    expect(await verify(org.key)).toMatchObject({ ok: false, first_broken_seq: event.seq, reason: "details_mismatch" });
  });

  it("records the caller's address from CF-Connecting-IP (Cloudflare's edge sets it), never from X-Real-IP", async () => {
    const org = await signupOrg("client-ip");
    const setBudget = (headers: Record<string, string>) =>
      callJson({ method: "PUT", path: `/v1/teams/${org.teamId}/budget`, key: org.key, headers, body: { period: "monthly", limit_micros: 1_000_000 } }, 200);
    const latest = async () => (await callJson({ path: "/v1/audit?action=budget.set&limit=1", key: org.key }, 200)).body.data[0];
    await setBudget({ "cf-connecting-ip": "2001:db8::7", "x-real-ip": "203.0.113.9", "user-agent": "ip-test/1" });
    expect(await latest()).toMatchObject({ ip: "2001:db8::7", user_agent: "ip-test/1" });
    await setBudget({ "x-real-ip": "203.0.113.9" });
    expect((await latest()).ip).toBeNull();
  });

  it("never writes a key, token or secret into an event", async () => {
    const org = await signupOrg("secrets");
    const newKey = (await callJson({ method: "POST", path: "/v1/keys", key: org.key, body: { name: "ci" } }, 201)).body.key;
    const token = (await callJson({ method: "POST", path: "/v1/auth/token", key: org.key }, 200)).body.access_token;
    await callJson({ method: "POST", path: "/v1/teams", key: token, body: { name: unique("via-token") } }, 201);
    const res = await call({ path: "/v1/audit/export", key: org.key });
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = new TextDecoder().decode(await res.arrayBuffer()).trim().split("\n");
    const text = lines.join("\n");
    for (const secret of [org.key, newKey, token, org.key.split("_")[2]!, newKey.split("_")[2]!, token.split(".")[2]!]) {
      expect(text).not.toContain(secret);
    }
    expect(lines.map((l) => JSON.parse(l).action)).toEqual(["org.signup", "api_key.created", "auth.token_issued", "team.created"]);
    // The key's visible prefix is kept (to find it in logs), never the secret part.
    expect(JSON.parse(lines[1]!).details.prefix).toBe(newKey.split("_").slice(0, 2).join("_"));
  });

  it("keeps acknowledged events in the Durable Object while D1 is down, and flushes them once it is back", async () => {
    const org = await signupOrg("outbox");
    const stub = env.AUDIT_CHAIN.getByName(org.orgId);
    await stub.flush();
    const draft = {
      actorId: org.ownerId, actorKind: "user", actorKeyId: null, action: "test.event", targetType: "org", targetId: org.orgId,
      outcome: "success" as const, requestId: "req_test", ip: null, userAgent: null, details: "{}",
      detailsSha256: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", detailsInR2: false,
    };
    await runInDurableObject(stub, async (instance) => {
      if (!(instance instanceof AuditChainClass)) throw new Error("not an AuditChain");
      const target = instance as unknown as { env: { DB: D1Database } };
      const real = target.env.DB;
      target.env.DB = { prepare: real.prepare.bind(real), batch: async () => Promise.reject(new Error("D1 unavailable")) } as unknown as D1Database;
      try {
        const sealed = await instance.append(org.orgId, [draft, draft, draft]);
        expect(sealed.map((e) => e.seq)).toEqual([2, 3, 4]);
        await expect(instance.flush()).rejects.toThrow("D1 unavailable");
        expect(instance.pendingCount()).toBe(3);
      } finally {
        target.env.DB = real;
      }
      await instance.alarm();
      expect(instance.pendingCount()).toBe(0);
    });
    expect(await seqs(org.orgId)).toEqual([1, 2, 3, 4]);
    expect((await verify(org.key)).ok).toBe(true);
  });
});
