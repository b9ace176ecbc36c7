// Team budgets through the Worker: no overspend under 1,000 concurrent reservations (also
// across a ledger restart), idempotent retries, 402 with what is left, settle → usage rows
// that add up to the ledger to the micro-dollar, periods that reset and keep history.
import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, callInProcess, callJson, expectProblem, flushAudit, memberWithKey, signupOrg, unique } from "./helpers";
import { BudgetLedger } from "../../durable-objects/budget-ledger";

const ledger = (teamId: string) => env.BUDGET_LEDGER.getByName(teamId);

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32);
}

async function setBudget(key: string, teamId: string, body: Record<string, unknown>) {
  return (await callJson({ method: "PUT", path: `/v1/teams/${teamId}/budget`, key, body }, 200)).body;
}

const reserve = (key: string, body: Record<string, unknown>, idempotencyKey = unique("k")) =>
  callInProcess({ method: "POST", path: "/v1/budgets/reserve", key, body, headers: { "idempotency-key": idempotencyKey } });

async function usageSum(teamId: string): Promise<{ n: number; cost: number }> {
  await ledger(teamId).flush();
  return (await env.DB.prepare("SELECT count(*) AS n, coalesce(sum(cost_micros), 0) AS cost FROM usage_records WHERE team_id = ?").bind(teamId).first<{ n: number; cost: number }>())!;
}

async function concurrentRun(restartMidway: boolean) {
  const org = await signupOrg("budget");
  const agent = await memberWithKey(org, "member");
  const LIMIT = 5_000_000; // $5
  await setBudget(org.key, org.teamId, { period: "monthly", limit_micros: LIMIT });
  const rand = rng(restartMidway ? 7 : 3);
  const sizes = Array.from({ length: 1000 }, () => 1_000 + Math.floor(rand() * 20_000));
  let answered = 0;
  let restarted: Promise<void> | null = null;
  const pending = sizes.map((micros, i) =>
    reserve(agent.key, { team_id: org.teamId, estimate_micros: micros }, `r-${i}`).then((res) => {
      // Restart the ledger (every Durable Object) once a third of the answers are in.
      if (restartMidway && ++answered === 300) restarted = abortAllDurableObjects();
      return res;
    }),
  );
  const responses = await Promise.all(pending);
  if (restartMidway) {
    expect(restarted).not.toBeNull();
    await restarted;
    // Requests the restart cut off failed; a client retries them with the same key, and a
    // reservation that did commit before the cut is answered again, not made twice.
    const cut = responses.flatMap((r, i) => (r.status === 500 ? [i] : []));
    expect(cut.length).toBeGreaterThan(0);
    const retried = await Promise.all(cut.map((i) => reserve(agent.key, { team_id: org.teamId, estimate_micros: sizes[i] }, `r-${i}`)));
    cut.forEach((i, k) => (responses[i] = retried[k]!));
  }
  const statuses = responses.map((r) => r.status);
  // Every request got exactly one final answer: a reservation (new, or this key's earlier one) or a refusal.
  expect(statuses.filter((s) => s !== 201 && s !== 200 && s !== 402)).toEqual([]);
  const granted = [];
  for (const [i, r] of responses.entries()) if (r.status === 201 || r.status === 200) granted.push({ ...(await r.json<any>()), estimate: sizes[i]! });
  expect(new Set(granted.map((g) => g.id)).size).toBe(granted.length);
  const status = (await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body;
  // INVARIANT under test: what the ledger holds never passes the limit.
  expect(status.held_micros + status.spent_micros).toBeLessThanOrEqual(LIMIT);
  expect(granted.reduce((a, g) => a + g.micros, 0)).toBeLessThanOrEqual(LIMIT);
  // The limit was reached: some reservations were refused (the run is sized so it must be).
  expect(statuses.filter((s) => s === 402).length).toBeGreaterThan(0);

  // Settle every granted reservation with what was "really" used.
  const actuals = granted.map((g) => Math.floor(g.estimate * (0.5 + rand() / 2)));
  const settles = await Promise.all(
    granted.map((g, i) =>
      callInProcess({ method: "POST", path: "/v1/budgets/settle", key: agent.key, body: { team_id: org.teamId, reservation_id: g.id, actual_micros: actuals[i], actual_tokens: 100, model: "claude-sonnet-4-5" } }),
    ),
  );
  expect(settles.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([]);
  const settled = actuals.reduce((a, b) => a + b, 0);
  const after = (await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body;
  const rows = await usageSum(org.teamId);
  expect(rows).toEqual({ n: granted.length, cost: settled });
  expect(after.spent_micros).toBe(settled);
  return { org, granted: granted.length };
}

describe("budget ledger", () => {
  it("never reserves past the limit under 1,000 concurrent reservations, and settles to the micro-dollar", async () => {
    const { granted } = await concurrentRun(false);
    expect(granted).toBeGreaterThan(100);
  }, 120_000);

  it("holds the same when the ledger restarts in the middle of the run", async () => {
    await concurrentRun(true);
  }, 120_000);

  it("reserves once for one idempotency key retried 50 times at once", async () => {
    const org = await signupOrg("idem");
    await setBudget(org.key, org.teamId, { period: "daily", limit_micros: 1_000_000 });
    const responses = await Promise.all(Array.from({ length: 50 }, () => reserve(org.key, { team_id: org.teamId, estimate_micros: 300_000 }, "same-key")));
    const bodies = await Promise.all(responses.map((r) => r.json<any>()));
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(49);
    expect((await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body.held_micros).toBe(300_000);
    // A retry answers its first hold even when that hold would no longer fit beside the others.
    const big = await reserve(org.key, { team_id: org.teamId, estimate_micros: 600_000 }, "big-key");
    expect(big.status).toBe(201);
    const retried = await reserve(org.key, { team_id: org.teamId, estimate_micros: 600_000 }, "big-key");
    expect(retried.status).toBe(200);
    expect((await retried.json<any>()).id).toBe((await big.json<any>()).id);
    await expectProblem(await reserve(org.key, { team_id: org.teamId, estimate_micros: 600_000 }, "another-key"), 402);
    expect((await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body.held_micros).toBe(900_000);
  });

  it("refuses with 402 saying what is left and when the period resets; caps apply per user", async () => {
    const org = await signupOrg("refuse");
    const dev = await memberWithKey(org, "member");
    await setBudget(org.key, org.teamId, { period: "monthly", limit_micros: 1_000_000, per_user_micros: 400_000 });
    expect((await reserve(dev.key, { team_id: org.teamId, estimate_micros: 300_000 })).status).toBe(201);
    const capped = await expectProblem(await reserve(dev.key, { team_id: org.teamId, estimate_micros: 200_000 }), 402);
    expect(capped).toMatchObject({ reason: "user_cap", remaining: 100_000, limit: 400_000, unit: "micros" });
    expect(Date.parse(capped.resets_at)).toBeGreaterThan(Date.now());
    expect((await reserve(org.key, { team_id: org.teamId, estimate_micros: 350_000 })).status).toBe(201);
    const over = await expectProblem(await reserve(org.key, { team_id: org.teamId, estimate_micros: 400_000 }), 402);
    expect(over).toMatchObject({ reason: "limit_micros", remaining: 350_000, limit: 1_000_000 });
    await expectProblem(await reserve(org.key, { team_id: org.teamId, estimate_micros: 1 }, ""), 422);
  });

  it("releases on request and on expiry, and settles only once", async () => {
    const org = await signupOrg("release");
    await setBudget(org.key, org.teamId, { period: "monthly", limit_micros: 1_000_000 });
    const a = await (await reserve(org.key, { team_id: org.teamId, estimate_micros: 500_000 })).json<any>();
    await callJson({ method: "POST", path: "/v1/budgets/release", key: org.key, body: { team_id: org.teamId, reservation_id: a.id } }, 200);
    const b = await (await reserve(org.key, { team_id: org.teamId, estimate_micros: 900_000, ttl_seconds: 10 })).json<any>();
    expect(b.status).toBe("held");
    await runInDurableObject(ledger(org.teamId), async (instance) => {
      if (!(instance instanceof BudgetLedger)) throw new Error("not a ledger");
      instance.clockOffsetMs = 11_000;
      await instance.alarm();
      instance.clockOffsetMs = 0;
    });
    expect((await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body.held_micros).toBe(0);
    await expectProblem(await call({ method: "POST", path: "/v1/budgets/settle", key: org.key, body: { team_id: org.teamId, reservation_id: b.id, actual_micros: 1 } }), 409);
    const c = await (await reserve(org.key, { team_id: org.teamId, estimate_micros: 100_000 })).json<any>();
    const settle = { team_id: org.teamId, reservation_id: c.id, actual_micros: 90_000 };
    await callJson({ method: "POST", path: "/v1/budgets/settle", key: org.key, body: settle }, 200);
    await callJson({ method: "POST", path: "/v1/budgets/settle", key: org.key, body: { ...settle, actual_micros: 1 } }, 200);
    expect(await usageSum(org.teamId)).toEqual({ n: 1, cost: 90_000 });
  });

  it("resets at the period boundary by alarm, keeps history, and ignores spend from before the budget", async () => {
    const org = await signupOrg("period");
    const early = await (await reserve(org.key, { team_id: org.teamId, estimate_micros: 50_000 })).json<any>();
    await callJson({ method: "POST", path: "/v1/budgets/settle", key: org.key, body: { team_id: org.teamId, reservation_id: early.id, actual_micros: 50_000 } }, 200);
    const set = await setBudget(org.key, org.teamId, { period: "daily", limit_micros: 1_000_000 });
    expect(set.spent_micros).toBe(0); // spend from before the budget does not count against it

    const r = await (await reserve(org.key, { team_id: org.teamId, estimate_micros: 400_000 })).json<any>();
    await callJson({ method: "POST", path: "/v1/budgets/settle", key: org.key, body: { team_id: org.teamId, reservation_id: r.id, actual_micros: 400_000 } }, 200);
    const today = (await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body;
    expect(today.spent_micros).toBe(400_000);

    // Move the ledger's clock past the period's end and let the alarm run.
    const toNextDay = Date.parse(today.period.end) - Date.now() + 60_000;
    await runInDurableObject(ledger(org.teamId), async (instance) => {
      if (!(instance instanceof BudgetLedger)) throw new Error("not a ledger");
      instance.clockOffsetMs = toNextDay;
      await instance.alarm();
    });
    const tomorrow = (await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body;
    expect(tomorrow).toMatchObject({ spent_micros: 0, held_micros: 0, remaining_micros: 1_000_000 });
    expect(tomorrow.period.start).toBe(today.period.end);
    expect(tomorrow.history[0]).toMatchObject({ start: today.period.start, end: today.period.end, spent_micros: 400_000 });
    expect((await reserve(org.key, { team_id: org.teamId, estimate_micros: 900_000 })).status).toBe(201);
  });

  it("holds every team to the org-wide ceiling, and a team refusal gives the org's hold back", async () => {
    const org = await signupOrg("ceiling");
    const other = (await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: "Platform" } }, 201)).body;
    await callJson({ method: "PUT", path: "/v1/org/budget", key: org.key, body: { period: "monthly", limit_micros: 1_000_000 } }, 200);
    await setBudget(org.key, org.teamId, { period: "monthly", limit_micros: 800_000 });
    await setBudget(org.key, other.id, { period: "monthly", limit_micros: 800_000 });
    const a = await (await reserve(org.key, { team_id: org.teamId, estimate_micros: 700_000 })).json<any>();
    expect(a.status).toBe("held");
    // The other team has room, the org has not.
    const capped = await expectProblem(await reserve(org.key, { team_id: other.id, estimate_micros: 400_000 }), 402);
    expect(capped).toMatchObject({ reason: "limit_micros", remaining: 300_000, limit: 1_000_000 });
    // The team refuses (800k limit): the org's hold for it is given back.
    await expectProblem(await reserve(org.key, { team_id: org.teamId, estimate_micros: 200_000 }), 402);
    expect((await callJson({ path: "/v1/org/budget", key: org.key }, 200)).body).toMatchObject({ held_micros: 700_000, remaining_micros: 300_000 });
    // Settling counts against both; releasing frees both.
    await callJson({ method: "POST", path: "/v1/budgets/settle", key: org.key, body: { team_id: org.teamId, reservation_id: a.id, actual_micros: 600_000 } }, 200);
    const b = await (await reserve(org.key, { team_id: other.id, estimate_micros: 300_000 })).json<any>();
    await callJson({ method: "POST", path: "/v1/budgets/release", key: org.key, body: { team_id: other.id, reservation_id: b.id } }, 200);
    expect((await callJson({ path: "/v1/org/budget", key: org.key }, 200)).body).toMatchObject({ spent_micros: 600_000, held_micros: 0, remaining_micros: 400_000 });
    expect(await usageSum(org.teamId)).toEqual({ n: 1, cost: 600_000 }); // one usage row, not two
  });

  it("holds nothing at the org without a ceiling, shows the month's spend from usage, and a new ceiling starts from zero", async () => {
    const org = await signupOrg("no-ceiling");
    await setBudget(org.key, org.teamId, { period: "monthly", limit_micros: 1_000_000 });
    const a = await (await reserve(org.key, { team_id: org.teamId, estimate_micros: 300_000 }, "nc-1")).json<any>();
    // Nothing was written to the org's ledger: no hold, no reservation row.
    const orgRows = await runInDurableObject(ledger(`org:${org.orgId}`), (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM reservations").one().n);
    expect(orgRows).toBe(0);
    expect((await callJson({ path: "/v1/org/budget", key: org.key }, 200)).body).toMatchObject({ budget: null, spent_micros: 0, held_micros: 0, remaining_micros: null });
    // A team refusal has no org hold to undo; the retry with the key is asked afresh.
    await expectProblem(await reserve(org.key, { team_id: org.teamId, estimate_micros: 800_000 }, "nc-2"), 402);
    await callJson({ method: "POST", path: "/v1/budgets/settle", key: org.key, body: { team_id: org.teamId, reservation_id: a.id, actual_micros: 250_000 } }, 200);
    await ledger(org.teamId).flush();
    // The month's spend, from the usage rows (the finance view works without a ceiling).
    expect((await callJson({ path: "/v1/org/budget", key: org.key }, 200)).body).toMatchObject({ spent_micros: 250_000, held_micros: 0 });
    // Another org's spend is not counted here.
    const stranger = await signupOrg("no-ceiling-other");
    expect((await callJson({ path: "/v1/org/budget", key: stranger.key }, 200)).body).toMatchObject({ spent_micros: 0 });
    // A ceiling set now starts at zero, then holds every reservation.
    await callJson({ method: "PUT", path: "/v1/org/budget", key: org.key, body: { period: "monthly", limit_micros: 500_000 } }, 200);
    expect((await callJson({ path: "/v1/org/budget", key: org.key }, 200)).body).toMatchObject({ spent_micros: 0, held_micros: 0, remaining_micros: 500_000 });
    expect((await reserve(org.key, { team_id: org.teamId, estimate_micros: 400_000 }, "nc-2")).status).toBe(201);
    expect((await callJson({ path: "/v1/org/budget", key: org.key }, 200)).body).toMatchObject({ held_micros: 400_000, remaining_micros: 100_000 });
    await expectProblem(await reserve(org.key, { team_id: org.teamId, estimate_micros: 200_000 }), 402);
  });

  it("asks both ledgers afresh when a key is retried after either refused (no replayed, released hold)", async () => {
    const org = await signupOrg("ceiling-retry");
    await callJson({ method: "PUT", path: "/v1/org/budget", key: org.key, body: { period: "monthly", limit_micros: 500_000 } }, 200);
    await setBudget(org.key, org.teamId, { period: "monthly", limit_micros: 300_000 });
    // The team refuses; the org's hold for this key is undone, not kept as "released".
    await expectProblem(await reserve(org.key, { team_id: org.teamId, estimate_micros: 400_000 }, "retry-1"), 402);
    expect((await callJson({ path: "/v1/org/budget", key: org.key }, 200)).body).toMatchObject({ held_micros: 0 });
    await setBudget(org.key, org.teamId, { period: "monthly", limit_micros: 450_000 });
    const granted = await reserve(org.key, { team_id: org.teamId, estimate_micros: 400_000 }, "retry-1");
    expect(granted.status).toBe(201);
    // Both ledgers hold it now: the ceiling was not sidestepped by the retry.
    expect((await callJson({ path: "/v1/org/budget", key: org.key }, 200)).body).toMatchObject({ held_micros: 400_000, remaining_micros: 100_000 });
    expect((await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body).toMatchObject({ held_micros: 400_000 });

    // The org refuses; the team's hold is undone, and the retry after the ceiling rises holds in both.
    await expectProblem(await reserve(org.key, { team_id: org.teamId, estimate_micros: 50_000 + 100_001 }, "retry-2"), 402);
    expect((await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body).toMatchObject({ held_micros: 400_000 });
    await callJson({ method: "PUT", path: "/v1/org/budget", key: org.key, body: { period: "monthly", limit_micros: 1_000_000 } }, 200);
    await setBudget(org.key, org.teamId, { period: "monthly", limit_micros: 1_000_000 });
    expect((await reserve(org.key, { team_id: org.teamId, estimate_micros: 150_001 }, "retry-2")).status).toBe(201);
    expect((await callJson({ path: "/v1/org/budget", key: org.key }, 200)).body).toMatchObject({ held_micros: 550_001 });
    expect((await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body).toMatchObject({ held_micros: 550_001 });
  });

  it("raises a team's limit until the period ends once billing approves its lead's increase request", async () => {
    const org = await signupOrg("increase");
    const lead = await memberWithKey(org, "member", { teamId: org.teamId, role: "lead" });
    const member = await memberWithKey(org, "member", { teamId: org.teamId, role: "member" });
    const billing = await memberWithKey(org, "billing");
    await setBudget(org.key, org.teamId, { period: "daily", limit_micros: 1_000_000 });
    expect((await reserve(org.key, { team_id: org.teamId, estimate_micros: 900_000 })).status).toBe(201);
    await expectProblem(await reserve(org.key, { team_id: org.teamId, estimate_micros: 200_000 }), 402);
    const path = `/v1/teams/${org.teamId}/budget/increase-requests`;

    // Who may ask, and what makes sense to ask for.
    await expectProblem(await call({ method: "POST", path, key: member.key, body: { add_micros: 500_000, reason: "launch" } }), 403);
    const nothing = await expectProblem(await call({ method: "POST", path, key: lead.key, body: { reason: "launch" } }), 422);
    expect(nothing.issues[0].path).toBe("body.add_micros");
    const noTokenLimit = await expectProblem(await call({ method: "POST", path, key: lead.key, body: { add_tokens: 1000, reason: "launch" } }), 422);
    expect(noTokenLimit.issues[0]).toMatchObject({ path: "body.add_tokens", message: "the team's budget has no limit_tokens to raise" });

    const asked = await callJson({ method: "POST", path, key: lead.key, body: { add_micros: 500_000, reason: "launch week load test", ticket_url: "https://tickets.example.com/FIN-7" } }, 201);
    expect(asked.body).toMatchObject({ status: "pending", requester_id: lead.principalId, approver_roles: ["billing", "admin", "owner"], action: { action: "budget_increase", budget_increase: { team_id: org.teamId, add_micros: 500_000, add_tokens: 0 } } });
    // Asking again while it waits is the same request.
    expect((await callJson({ method: "POST", path, key: lead.key, body: { add_micros: 500_000, reason: "again" } }, 200)).body.id).toBe(asked.body.id);
    // Nothing changes until it is approved; the lead cannot approve it.
    expect((await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body).toMatchObject({ effective_limit_micros: 1_000_000, increases: [] });
    await expectProblem(await call({ method: "POST", path: `/v1/approvals/${asked.body.id}/approve`, key: lead.key, body: {} }), 403);
    const waiting = (await callJson({ path: "/v1/approvals?view=waiting", key: billing.key }, 200)).body.data.map((a: any) => a.id);
    expect(waiting).toContain(asked.body.id);

    const approved = await callJson({ method: "POST", path: `/v1/approvals/${asked.body.id}/approve`, key: billing.key, body: { reason: "ok for launch" } }, 200);
    expect(approved.body.status).toBe("approved");
    const raised = (await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: lead.key }, 200)).body;
    expect(raised).toMatchObject({ budget: { limit_micros: 1_000_000 }, effective_limit_micros: 1_500_000, remaining_micros: 600_000, increases: [{ approval_id: asked.body.id, add_micros: 500_000, add_tokens: 0 }] });
    expect((await reserve(org.key, { team_id: org.teamId, estimate_micros: 200_000 })).status).toBe(201);
    // Approved once, granted once.
    await expectProblem(await call({ method: "POST", path: `/v1/approvals/${asked.body.id}/approve`, key: org.key, body: {} }), 409);
    expect((await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body.effective_limit_micros).toBe(1_500_000);
    await flushAudit([org.orgId]);
    const trail = (await callJson({ path: `/v1/audit?target=${asked.body.id}`, key: org.key }, 200)).body.data;
    expect(trail.find((e: any) => e.action === "approval.approved").details.budget_increase_granted).toEqual({ team_id: org.teamId, add_micros: 500_000, add_tokens: 0 });

    // The next period starts at the budget's own limit.
    const toNextDay = Date.parse(raised.period.end) - Date.now() + 60_000;
    await runInDurableObject(ledger(org.teamId), async (instance) => {
      if (!(instance instanceof BudgetLedger)) throw new Error("not a ledger");
      instance.clockOffsetMs = toNextDay;
      await instance.alarm();
    });
    expect((await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body).toMatchObject({ effective_limit_micros: 1_000_000, remaining_micros: 1_000_000, increases: [] });
  });

  it("refuses a denied increase and keeps the limit", async () => {
    const org = await signupOrg("increase-denied");
    const lead = await memberWithKey(org, "member", { teamId: org.teamId, role: "lead" });
    await setBudget(org.key, org.teamId, { period: "monthly", limit_micros: 1_000_000, limit_tokens: 10_000 });
    const asked = await callJson({ method: "POST", path: `/v1/teams/${org.teamId}/budget/increase-requests`, key: lead.key, body: { add_tokens: 5_000, reason: "more context" } }, 201);
    expect((await callJson({ method: "POST", path: `/v1/approvals/${asked.body.id}/deny`, key: org.key, body: { reason: "not this month" } }, 200)).body.status).toBe("denied");
    expect((await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body).toMatchObject({ effective_limit_tokens: 10_000, increases: [] });
  });

  it("lets billing set budgets and a team lead read their team's, not members", async () => {
    const org = await signupOrg("budget-roles");
    const billing = await memberWithKey(org, "billing");
    const lead = await memberWithKey(org, "member", { teamId: org.teamId, role: "lead" });
    const dev = await memberWithKey(org, "member");
    await setBudget(billing.key, org.teamId, { period: "weekly", limit_micros: 10_000_000, soft_limit_micros: 8_000_000 });
    await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: lead.key }, 200);
    await expectProblem(await call({ path: `/v1/teams/${org.teamId}/budget`, key: dev.key }), 403);
    await expectProblem(await call({ method: "PUT", path: `/v1/teams/${org.teamId}/budget`, key: lead.key, body: { period: "weekly" } }), 403);
    const bad = await expectProblem(await call({ method: "PUT", path: `/v1/teams/${org.teamId}/budget`, key: org.key, body: { period: "weekly", limit_micros: 100, soft_limit_micros: 200 } }), 422);
    expect(bad.issues[0].path).toBe("body.soft_limit_micros");
    await expectProblem(await call({ method: "PUT", path: `/v1/teams/${org.teamId}/budget`, key: org.key, body: { period: "weekly", limit_micros: 1.5 } }), 422);
  });
});
