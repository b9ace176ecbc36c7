// Showback through the Worker: usage made by reserving and settling budget, then read back
// from GET /v1/usage (every grouping, daily series, CSV) and GET /v1/usage/forecast. Totals
// must equal what was settled to the micro-dollar; leads see only the teams they lead,
// members nothing, and another org none of it.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, callJson, expectProblem, memberWithKey, signupOrg, unique, type Org } from "./helpers";
import { BudgetLedger } from "../../durable-objects/budget-ledger";

const DAY = 86_400_000;
const GROUPINGS = ["team", "user", "repo", "model", "agent"] as const;
type Grouping = (typeof GROUPINGS)[number];

interface Actor {
  id: string;
  key: string;
  kind: "user" | "agent";
}

interface Use {
  team: string;
  micros: number;
  tokens: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  repo?: string;
  model?: string;
  agent?: string; // a user's agent label; an agent principal is its own agent
  daysAgo?: number; // settled on the team ledger's clock moved back this many days
}

/** One settled reservation, as the usage rows should record it. */
interface Settled extends Use {
  id: string;
  user: string | null;
  agentKey: string | null;
  day: string;
}

type Counters = { cost_micros: number; tokens: number; input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_write_tokens: number; requests: number };
const ZERO: Counters = { cost_micros: 0, tokens: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, requests: 0 };
const counters = (s: Settled): Counters => ({ cost_micros: s.micros, tokens: s.tokens, input_tokens: s.input, output_tokens: s.output, cache_read_tokens: s.cacheRead, cache_write_tokens: s.cacheWrite, requests: 1 });
const add = (a: Counters, b: Counters): Counters => Object.fromEntries(Object.keys(ZERO).map((k) => [k, a[k as keyof Counters] + b[k as keyof Counters]])) as Counters;
const sum = (items: Settled[]) => items.map(counters).reduce(add, ZERO);

const ledger = (teamId: string) => env.BUDGET_LEDGER.getByName(teamId);

async function moveLedgerClock(teamId: string, offsetMs: number): Promise<void> {
  await runInDurableObject(ledger(teamId), (instance) => {
    if (!(instance instanceof BudgetLedger)) throw new Error("not a ledger");
    instance.clockOffsetMs = offsetMs;
  });
}

async function settle(actor: Actor, u: Use): Promise<Settled> {
  if (u.daysAgo) await moveLedgerClock(u.team, -u.daysAgo * DAY);
  try {
    const reserveBody = { team_id: u.team, estimate_micros: u.micros + 1_000, repo: u.repo, agent: u.agent, idempotency_key: unique("use") };
    const r = (await callJson({ method: "POST", path: "/v1/budgets/reserve", key: actor.key, body: reserveBody }, 201)).body;
    const settleBody = {
      team_id: u.team,
      reservation_id: r.id,
      actual_micros: u.micros,
      actual_tokens: u.tokens,
      model: u.model,
      input_tokens: u.input,
      output_tokens: u.output,
      cache_read_tokens: u.cacheRead,
      cache_write_tokens: u.cacheWrite,
    };
    await callJson({ method: "POST", path: "/v1/budgets/settle", key: actor.key, body: settleBody }, 200);
    await ledger(u.team).flush();
    const row = (await env.DB.prepare("SELECT created_at FROM usage_records WHERE id = ?").bind(r.id).first<{ created_at: string }>())!;
    return { ...u, id: r.id, user: actor.kind === "user" ? actor.id : null, agentKey: actor.kind === "user" ? (u.agent ?? null) : actor.id, day: row.created_at.slice(0, 10) };
  } finally {
    if (u.daysAgo) await moveLedgerClock(u.team, 0);
  }
}

/** An org with two teams, a lead of the first, members, an agent, and usage across all of it. */
async function world() {
  const org = await signupOrg("usage");
  const teamA = org.teamId;
  const teamB = (await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: unique("team-b") } }, 201)).body.id as string;
  const user = async (role: string, team?: { teamId: string; role: "lead" | "member" }): Promise<Actor> => {
    const m = await memberWithKey(org, role, team);
    return { id: m.principalId, key: m.key, kind: "user" };
  };
  const lead = await user("member", { teamId: teamA, role: "lead" });
  const dev = await user("member", { teamId: teamA, role: "member" });
  const devB = await user("member", { teamId: teamB, role: "member" });
  const billing = await user("billing");
  const auditor = await user("auditor");
  const agentId = (await callJson({ method: "POST", path: "/v1/principals", key: org.key, body: { kind: "agent", name: unique("bot") } }, 201)).body.id as string;
  const agentKey = (await callJson({ method: "POST", path: "/v1/keys", key: org.key, body: { name: "bot", principal_id: agentId } }, 201)).body.key as string;
  const agent: Actor = { id: agentId, key: agentKey, kind: "agent" };
  const owner: Actor = { id: org.ownerId, key: org.key, kind: "user" };

  const t = (input: number, output: number, cacheRead = 0, cacheWrite = 0) => ({ tokens: input + output + cacheRead + cacheWrite, input, output, cacheRead, cacheWrite });
  const uses: [Actor, Use][] = [
    [dev, { team: teamA, micros: 1_234_567, ...t(1_000, 500, 200, 100), repo: "acme/api", model: "claude-opus-4-1", agent: "claude-code" }],
    [dev, { team: teamA, micros: 2_000_001, ...t(4_000, 900), repo: "acme/web", model: "gpt-5", agent: "codex", daysAgo: 2 }],
    [lead, { team: teamA, micros: 7, ...t(3, 1), repo: 'acme/we,ird "repo"', model: "claude-sonnet-4-5", agent: "=HYPERLINK(1)" }],
    [devB, { team: teamB, micros: 333_333, ...t(300, 30, 3_000), repo: "acme/api", model: "claude-sonnet-4-5" }],
    [agent, { team: teamB, micros: 5_000_000, ...t(10_000, 2_000, 0, 700), model: "gpt-5" }],
    [owner, { team: teamA, micros: 42_424, ...t(20, 10), repo: "acme/api" }],
  ];
  const settled: Settled[] = [];
  for (const [actor, u] of uses) settled.push(await settle(actor, u));
  return { org, teamA, teamB, lead, dev, devB, billing, auditor, agent, owner, settled };
}

const keyOf = (s: Settled, g: Grouping): string | null => ({ team: s.team, user: s.user, repo: s.repo ?? null, model: s.model ?? null, agent: s.agentKey })[g];

/** The report computed independently from what was settled: groups, largest cost first. */
function expectedGroups(items: Settled[], g: Grouping) {
  const byKey = new Map<string | null, Settled[]>();
  for (const s of items) byKey.set(keyOf(s, g), [...(byKey.get(keyOf(s, g)) ?? []), s]);
  return [...byKey].map(([key, list]) => ({ key, ...sum(list) })).sort((a, b) => b.cost_micros - a.cost_micros);
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** A range holding every day the world's usage fell on: three days ago through today. */
const range = () => ({ from: isoDay(Date.now() - 3 * DAY), to: isoDay(Date.now()) });

const usage = async (key: string, query: Record<string, string>, status = 200) =>
  (await callJson({ path: `/v1/usage?${new URLSearchParams(query)}`, key }, status)).body;

/** RFC 4180 rows (quoted cells may hold commas and doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") row.push(cell), (cell = "");
    else if (ch === "\r" && text[i + 1] === "\n") row.push(cell), rows.push(row), (row = []), (cell = ""), i++;
    else cell += ch;
  }
  expect({ cell, row, quoted }).toEqual({ cell: "", row: [], quoted: false }); // ends with CRLF
  return rows;
}

describe("GET /v1/usage", () => {
  it("totals equal what was settled, to the micro-dollar, under every grouping", async () => {
    const w = await world();
    expect(w.settled.find((s) => s.daysAgo === 2)!.day).toBe(isoDay(Date.now() - 2 * DAY)); // the moved clock stamped the row
    for (const group_by of GROUPINGS) {
      const body = await usage(w.org.key, { group_by, ...range() });
      expect(body.group_by).toBe(group_by);
      expect(body.totals).toEqual(sum(w.settled));
      expect(body.groups).toEqual(expectedGroups(w.settled, group_by));
    }
    // Concretely: the two teams, and usage without a repo or model is its own (null) group.
    const byTeam = await usage(w.org.key, { group_by: "team", ...range() });
    expect(byTeam.groups.map((g: any) => [g.key, g.cost_micros])).toEqual([
      [w.teamB, 5_333_333],
      [w.teamA, 3_276_999],
    ]);
    expect((await usage(w.org.key, { group_by: "repo", ...range() })).groups.find((g: any) => g.key === null).cost_micros).toBe(5_000_000);
    expect((await usage(w.org.key, { group_by: "agent", ...range() })).groups.find((g: any) => g.key === w.agent.id).requests).toBe(1);
  });

  it("narrows to one team with team_id", async () => {
    const w = await world();
    const body = await usage(w.org.key, { group_by: "model", team_id: w.teamB, ...range() });
    const teamB = w.settled.filter((s) => s.team === w.teamB);
    expect(body.totals).toEqual(sum(teamB));
    expect(body.groups).toEqual(expectedGroups(teamB, "model"));
  });

  it("adds a zero-filled daily series per group that sums to the group", async () => {
    const w = await world();
    const { from, to } = range();
    const body = await usage(w.org.key, { group_by: "team", granularity: "day", from, to });
    expect(body.granularity).toBe("day");
    expect(body.from).toBe(`${from}T00:00:00.000Z`);
    expect(body.to).toBe(`${to}T23:59:59.999Z`);
    const days = [3, 2, 1, 0].map((n) => isoDay(Date.now() - n * DAY));
    for (const g of body.groups) {
      expect(g.series.map((p: any) => p.date)).toEqual(days);
      for (const p of g.series) {
        const { date, ...got } = p;
        expect(got).toEqual(sum(w.settled.filter((s) => s.team === g.key && s.day === date)));
      }
      const { key: _, series, ...total } = g;
      expect(series.map(({ date: _d, ...c }: any) => c).reduce(add, ZERO)).toEqual(total);
    }
    expect(body.groups.find((g: any) => g.key === w.teamA).series[1].cost_micros).toBe(2_000_001); // two days ago
  });

  it("defaults to this calendar month (UTC) up to now", async () => {
    const w = await world();
    const before = Date.now();
    const body = await usage(w.org.key, {});
    const d = new Date(before);
    expect(body.from).toBe(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString());
    expect(Date.parse(body.to)).toBeGreaterThanOrEqual(before - 1_000);
    expect(Date.parse(body.to)).toBeLessThanOrEqual(Date.now());
    expect(body).toMatchObject({ group_by: "team", granularity: "none" });
    expect(body.totals).toEqual(sum(w.settled.filter((s) => s.day >= body.from.slice(0, 10))));
  });

  it("answers CSV that says the same as the JSON, cost_usd exact", async () => {
    const w = await world();
    for (const granularity of ["none", "day"] as const) {
      for (const group_by of ["team", "repo", "agent"] as const) {
        const query = { group_by, granularity, ...range() };
        const json = await usage(w.org.key, query);
        const res = await call({ path: `/v1/usage?${new URLSearchParams({ ...query, format: "csv" })}`, key: w.org.key });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
        expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="usage-by-[a-z]+-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"$/);
        const [header, ...rows] = parseCsv(await res.text());
        expect(header).toEqual(["group", "date", "cost_micros", "cost_usd", "tokens", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "requests"]);
        const fromJson = json.groups.flatMap((g: any) =>
          (granularity === "day" ? g.series : [{ date: "", ...g }]).map((p: any) => [
            g.key === null ? "" : g.key.startsWith("=") ? `'${g.key}` : g.key,
            p.date,
            ...[p.cost_micros, null, p.tokens, p.input_tokens, p.output_tokens, p.cache_read_tokens, p.cache_write_tokens, p.requests].map((n) => (n === null ? null : String(n))),
          ]),
        );
        expect(rows.map((r) => [...r.slice(0, 3), null, ...r.slice(4)])).toEqual(fromJson);
        for (const r of rows) expect(r[3]).toBe(`${Math.floor(Number(r[2]) / 1e6)}.${r[2]!.padStart(7, "0").slice(-6)}`);
      }
    }
    const byRepo = parseCsv(await (await call({ path: `/v1/usage?${new URLSearchParams({ group_by: "repo", format: "csv", ...range() })}`, key: w.org.key })).text());
    expect(byRepo.find((r) => r[0] === 'acme/we,ird "repo"')!.slice(2, 4)).toEqual(["7", "0.000007"]);
    const byModel = parseCsv(await (await call({ path: `/v1/usage?${new URLSearchParams({ group_by: "model", format: "csv", ...range() })}`, key: w.org.key })).text());
    expect(byModel.find((r) => r[0] === "claude-opus-4-1")!.slice(2, 4)).toEqual(["1234567", "1.234567"]);
    const byAgent = parseCsv(await (await call({ path: `/v1/usage?${new URLSearchParams({ group_by: "agent", format: "csv", ...range() })}`, key: w.org.key })).text());
    expect(byAgent.map((r) => r[0])).toContain("'=HYPERLINK(1)"); // a spreadsheet shows it, never runs it
  });

  it("refuses unknown groupings, bad dates and backwards ranges with 422 naming the field", async () => {
    const org = await signupOrg("usage-422");
    const cases: [Record<string, string>, string][] = [
      [{ group_by: "department" }, "query.group_by"],
      [{ granularity: "hour" }, "query.granularity"],
      [{ format: "xlsx" }, "query.format"],
      [{ from: "2025-02-30" }, "query.from"],
      [{ from: "yesterday" }, "query.from"],
      [{ to: "2025-03-01T25:00:00Z" }, "query.to"],
      [{ from: "2025-03-10", to: "2025-03-09" }, "query.from"],
      [{ from: "2025-03-10T00:00:01Z", to: "2025-03-10T00:00:00Z" }, "query.from"],
      [{ from: new Date(Date.now() + 2 * DAY).toISOString() }, "query.from"],
      [{ from: "2020-01-01", to: "2025-01-01", granularity: "day" }, "query.granularity"],
      [{ team_id: "not-a-team" }, "query.team_id"],
    ];
    for (const [query, path] of cases) {
      const problem = await expectProblem(await call({ path: `/v1/usage?${new URLSearchParams(query)}`, key: org.key }), 422);
      expect(problem.issues.map((i: any) => i.path), JSON.stringify(query)).toContain(path);
    }
    // The same range without a daily series is fine; so is a leap day.
    await usage(org.key, { from: "2020-01-01", to: "2025-01-01" });
    await usage(org.key, { from: "2024-02-29", to: "2024-02-29", granularity: "day" });
  });
});

describe("who sees what", () => {
  it("a team lead sees only the teams they lead, and gets 403 for another team's id", async () => {
    const w = await world();
    const teamA = w.settled.filter((s) => s.team === w.teamA);
    for (const query of [{}, { team_id: w.teamA }] as Record<string, string>[]) {
      const body = await usage(w.lead.key, { group_by: "user", ...range(), ...query });
      expect(body.totals).toEqual(sum(teamA));
      expect(body.groups).toEqual(expectedGroups(teamA, "user"));
    }
    expect((await usage(w.lead.key, { group_by: "team", ...range() })).groups.map((g: any) => g.key)).toEqual([w.teamA]);
    await expectProblem(await call({ path: `/v1/usage?team_id=${w.teamB}`, key: w.lead.key }), 403);
    const forecast = (await callJson({ path: "/v1/usage/forecast", key: w.lead.key }, 200)).body;
    expect(forecast.teams.map((t: any) => t.team_id)).toEqual([w.teamA]);
    await expectProblem(await call({ path: `/v1/usage/forecast?team_id=${w.teamB}`, key: w.lead.key }), 403);
  });

  it("billing sees every team; members and auditors get 403", async () => {
    const w = await world();
    const billing = await usage(w.billing.key, { group_by: "team", ...range() });
    expect(billing).toEqual(await usage(w.org.key, { group_by: "team", ...range() }));
    expect(billing.groups.map((g: any) => g.key).sort()).toEqual([w.teamA, w.teamB].sort());
    await usage(w.billing.key, { team_id: w.teamB });
    const forecast = (await callJson({ path: "/v1/usage/forecast", key: w.billing.key }, 200)).body;
    expect(forecast.teams.map((t: any) => t.team_id).sort()).toEqual([w.teamA, w.teamB].sort());
    for (const who of [w.dev, w.devB, w.auditor, w.agent]) {
      await expectProblem(await call({ path: "/v1/usage", key: who.key }), 403);
      await expectProblem(await call({ path: `/v1/usage?team_id=${w.teamA}`, key: who.key }), 403);
      await expectProblem(await call({ path: "/v1/usage/forecast", key: who.key }), 403);
    }
  });

  it("a key without spend:read in its scopes gets 403 even for an owner", async () => {
    const org = await signupOrg("usage-scope");
    const scoped = (await callJson({ method: "POST", path: "/v1/keys", key: org.key, body: { name: "narrow", scopes: ["teams:read"] } }, 201)).body.key as string;
    await expectProblem(await call({ path: "/v1/usage", key: scoped }), 403);
    await expectProblem(await call({ path: "/v1/usage/forecast", key: scoped }), 403);
  });

  it("another org sees none of it: its own totals are zero, this org's team id is a 404", async () => {
    const w = await world();
    const other: Org = await signupOrg("usage-other");
    const res = await call({ path: `/v1/usage?${new URLSearchParams({ group_by: "user", granularity: "day", ...range() })}`, key: other.key });
    const text = await res.text();
    expect(res.status).toBe(200);
    const body = JSON.parse(text);
    expect(body.totals).toEqual(ZERO);
    expect(body.groups).toEqual([]);
    const ids = [w.teamA, w.teamB, w.lead.id, w.dev.id, w.agent.id, w.org.ownerId, ...w.settled.map((s) => s.id)];
    for (const group_by of GROUPINGS) {
      const t = await (await call({ path: `/v1/usage?group_by=${group_by}&format=csv`, key: other.key })).text();
      expect(ids.filter((id) => t.includes(id))).toEqual([]);
    }
    const forecast = await (await call({ path: "/v1/usage/forecast", key: other.key })).text();
    expect(JSON.parse(forecast).teams.map((t: any) => t.team_id)).toEqual([other.teamId]);
    expect(ids.filter((id) => forecast.includes(id) || text.includes(id))).toEqual([]);
    await expectProblem(await call({ path: `/v1/usage?team_id=${w.teamA}`, key: other.key }), 404);
    await expectProblem(await call({ path: `/v1/usage/forecast?team_id=${w.teamB}`, key: other.key }), 404);
  });
});

describe("GET /v1/usage/forecast", () => {
  it("reports the ledger's spend and says when the run rate exhausts the limit", async () => {
    const org = await signupOrg("forecast");
    const owner: Actor = { id: org.ownerId, key: org.key, kind: "user" };
    const mk = async () => (await callJson({ method: "POST", path: "/v1/teams", key: org.key, body: { name: unique("t") } }, 201)).body.id as string;
    const [tight, roomy, unbudgeted, archived] = [org.teamId, await mk(), await mk(), await mk()];
    // A 30-day period anchored yesterday: it counts from when the budget was set (seconds
    // ago), so the rate is taken over the one-hour floor.
    const anchor = new Date(Date.now() - DAY).toISOString();
    const budget = (limit: number) => ({ period: "custom", custom_days: 30, anchor, limit_micros: limit });
    await callJson({ method: "PUT", path: `/v1/teams/${tight}/budget`, key: org.key, body: budget(1_000_000) }, 200);
    await callJson({ method: "PUT", path: `/v1/teams/${roomy}/budget`, key: org.key, body: budget(1_000_000_000_000) }, 200);
    const use = { micros: 500_000, tokens: 10, input: 10, output: 0, cacheRead: 0, cacheWrite: 0 };
    for (const team of [tight, roomy, unbudgeted, archived]) await settle(owner, { team, ...use });
    await callJson({ method: "POST", path: `/v1/teams/${archived}/archive`, key: org.key }, 200);

    const before = Date.now();
    const { teams } = (await callJson({ path: "/v1/usage/forecast", key: org.key }, 200)).body;
    expect(teams.map((t: any) => t.team_id).sort()).toEqual([tight, roomy, unbudgeted].sort()); // archived teams are left out
    const byId = new Map<string, any>(teams.map((t: any) => [t.team_id, t]));
    for (const t of teams) {
      const ledgerView = (await callJson({ path: `/v1/teams/${t.team_id}/budget`, key: org.key }, 200)).body;
      expect({ spent: t.spent_micros, held: t.held_micros, period: t.period }).toEqual({ spent: ledgerView.spent_micros, held: ledgerView.held_micros, period: ledgerView.period });
      expect(t.spent_micros).toBe(500_000);
      expect(t.projected_micros).toBeGreaterThanOrEqual(t.spent_micros);
    }

    const t = byId.get(tight);
    expect(t).toMatchObject({ limit_micros: 1_000_000, over_limit: true, daily_rate_micros: 12_000_000 });
    // 500,000 spent within the first hour → 500,000 an hour → the other 500,000 last an hour.
    const runsOut = Date.parse(t.runs_out_at);
    expect(runsOut).toBeGreaterThan(before);
    expect(runsOut).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(runsOut).toBeLessThan(Date.parse(t.period.end));

    expect(byId.get(roomy)).toMatchObject({ limit_micros: 1_000_000_000_000, runs_out_at: null, over_limit: false });
    expect(byId.get(unbudgeted)).toMatchObject({ limit_micros: null, runs_out_at: null, over_limit: false });

    // Asked for by id, an archived team still answers.
    const one = (await callJson({ path: `/v1/usage/forecast?team_id=${archived}`, key: org.key }, 200)).body.teams;
    expect(one.map((x: any) => [x.team_id, x.spent_micros])).toEqual([[archived, 500_000]]);
  });
});
