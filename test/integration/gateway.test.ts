// The LLM gateway against the local fake provider (test/fakes/fake-llm.ts), both wire
// formats, streaming and not: exact token counts and costs in the usage rows, 402 before any
// upstream call, upstream errors passed through with the hold released, and a client that
// leaves mid-stream charged for what was produced.
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { callJson, expectProblem, memberWithKey, signupOrg } from "./helpers";
import { FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY } from "../fakes/keys";
import { DEFAULT_PRICES } from "../../workers/src/domain/prices/defaults";
import { costMicros } from "../../workers/src/domain/prices/cost";

const FAKE = env.ANTHROPIC_BASE_URL;
const PRICE = { input: 1_000_000, output: 2_000_000, cache_read: 100_000, cache_write: 1_250_000 };

async function gatewayOrg(budgetMicros = 1_000_000) {
  const org = await signupOrg("gateway");
  await callJson({ method: "PUT", path: "/v1/org/providers/anthropic", key: org.key, body: { api_key: FAKE_ANTHROPIC_KEY } }, 200);
  await callJson({ method: "PUT", path: "/v1/org/providers/openai", key: org.key, body: { api_key: FAKE_OPENAI_KEY } }, 200);
  await callJson({ method: "PUT", path: "/v1/org/prices", key: org.key, body: { overrides: {}, default_price: PRICE } }, 200);
  await callJson({ method: "PUT", path: `/v1/teams/${org.teamId}/budget`, key: org.key, body: { period: "monthly", limit_micros: budgetMicros } }, 200);
  const dev = await memberWithKey(org, "member", { teamId: org.teamId, role: "member" });
  return { org, dev };
}

const anthropic = (key: string, body: unknown, query = "") =>
  SELF.fetch(`https://sysop.test/v1/llm/anthropic/v1/messages${query}`, {
    method: "POST",
    headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const openai = (key: string, body: unknown) =>
  SELF.fetch("https://sysop.test/v1/llm/openai/v1/chat/completions", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** Usage rows of a team, waiting (up to a second) for `atLeast` of them: settlement runs after the response. */
async function usageRows(teamId: string, atLeast = 0) {
  for (let i = 0; ; i++) {
    await env.BUDGET_LEDGER.getByName(teamId).flush();
    const rows = (await env.DB.prepare("SELECT * FROM usage_records WHERE team_id = ? ORDER BY created_at").bind(teamId).all<any>()).results;
    if (rows.length >= atLeast || i >= 50) return rows;
    await new Promise((r) => setTimeout(r, 20));
  }
}
const received = async () => (await (await fetch(`${FAKE}/__fake/received`)).json()) as any[];
const MESSAGES = [{ role: "user", content: "Summarise the incident report for INC-1042 in three bullet points, please." }];

describe("LLM gateway", () => {
  it("passes an Anthropic request through and records exact tokens and cost", async () => {
    const { org, dev } = await gatewayOrg();
    const res = await anthropic(dev.key, { model: "claude-sonnet-4-5", max_tokens: 200, messages: MESSAGES }, "?beta=true");
    expect(res.status).toBe(200);
    // What sysop's own steps took, so a caller can tell them from the model's time.
    expect(res.headers.get("server-timing")).toMatch(/^settings;dur=\d+, policy;dur=\d+, reserve;dur=\d+, upstream;dur=\d+$/);
    const body = await res.json<any>();
    const rows = await usageRows(org.teamId, 1);
    expect(rows).toHaveLength(1);
    const usage = { input: body.usage.input_tokens, output: body.usage.output_tokens, cache_read: body.usage.cache_read_input_tokens ?? 0, cache_write: body.usage.cache_creation_input_tokens ?? 0 };
    expect(rows[0]).toMatchObject({ model: "claude-sonnet-4-5", input_tokens: usage.input, output_tokens: usage.output, user_id: dev.principalId, cost_micros: costMicros(usage, DEFAULT_PRICES["claude-sonnet-4-5"]!) });
    const upstream = (await received()).filter((r) => r.path === "/v1/messages" && r.query === "?beta=true");
    expect(upstream.length).toBeGreaterThan(0);
    expect(JSON.stringify(upstream.at(-1))).not.toContain(dev.key);
    // The decision is evidence too: it joins the chain in the desk's next batch, and a reader
    // right after the call still sees it (the audit routes end the gathering first).
    const decisions = (await callJson({ path: "/v1/audit?action=decision.made", key: org.key }, 200)).body.data;
    expect(decisions.map((e: any) => [e.details.input.action, e.details.input.model, e.actor.id])).toContainEqual(["model_call", "claude-sonnet-4-5", dev.principalId]);
    expect((await callJson({ path: "/v1/audit/verify", key: org.key }, 200)).body.ok).toBe(true);
  });

  it("meters an Anthropic stream from its final usage", async () => {
    const { org, dev } = await gatewayOrg();
    const res = await anthropic(dev.key, { model: "claude-sonnet-4-5", max_tokens: 50, stream: true, messages: MESSAGES });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expect(text).toContain("event: message_stop");
    const final = [...text.matchAll(/"output_tokens":(\d+)/g)].map((m) => Number(m[1])).at(-1);
    const input = Number(/"input_tokens":(\d+)/.exec(text)![1]);
    const [row] = await usageRows(org.teamId, 1);
    expect(row).toMatchObject({ input_tokens: input, output_tokens: final, cost_micros: costMicros({ input, output: final!, cache_read: 0, cache_write: 0 }, DEFAULT_PRICES["claude-sonnet-4-5"]!) });
  });

  it("passes OpenAI requests through, streaming (usage requested upstream) and not", async () => {
    const { org, dev } = await gatewayOrg();
    const plain = await openai(dev.key, { model: "gpt-4o-mini", max_tokens: 100, messages: MESSAGES });
    expect(plain.status).toBe(200);
    const plainUsage = (await plain.json<any>()).usage;
    const streamed = await openai(dev.key, { model: "gpt-4o-mini", max_tokens: 100, stream: true, messages: MESSAGES });
    const text = await streamed.text();
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
    const rows = await usageRows(org.teamId, 2);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ input_tokens: plainUsage.prompt_tokens, output_tokens: plainUsage.completion_tokens });
    expect(rows[1].input_tokens).toBe(plainUsage.prompt_tokens);
    expect(rows.every((r: any) => r.cost_micros > 0)).toBe(true);
  });

  it("charges every call, whatever X-Request-Id the client sends: request ids are sysop's own", async () => {
    const { org, dev } = await gatewayOrg();
    const call = () =>
      SELF.fetch("https://sysop.test/v1/llm/anthropic/v1/messages", {
        method: "POST",
        headers: { "x-api-key": dev.key, "anthropic-version": "2023-06-01", "x-request-id": "req_chosen_by_the_client", "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 20, messages: MESSAGES }),
      });
    const first = await call();
    expect([first.status, await first.text()]).toEqual([200, expect.any(String)]);
    await usageRows(org.teamId, 1);
    const second = await call();
    expect(second.status).toBe(200);
    await second.text();
    const rows = await usageRows(org.teamId, 2);
    expect(rows).toHaveLength(2);
    const budget = (await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body;
    expect(budget.spent_micros).toBe(rows.reduce((sum: number, r: any) => sum + r.cost_micros, 0));
    // Each answer names its own request and its own hold.
    expect(first.headers.get("x-request-id")).toMatch(/^req_/);
    expect(first.headers.get("x-request-id")).not.toBe("req_chosen_by_the_client");
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
    expect(second.headers.get("x-sysop-reservation")).not.toBe(first.headers.get("x-sysop-reservation"));
  });

  it("refuses over budget with 402 before any upstream call", async () => {
    const { dev } = await gatewayOrg(1_000); // $0.001: not enough for max_tokens 4000
    const before = (await received()).length;
    const res = await anthropic(dev.key, { model: "claude-sonnet-4-5", max_tokens: 4000, messages: MESSAGES });
    const problem = await expectProblem(res, 402);
    expect(problem).toMatchObject({ reason: "limit_micros", remaining: 1_000 });
    expect((await received()).length).toBe(before);
  });

  it("passes an upstream 429 through and releases the hold", async () => {
    const { org, dev } = await gatewayOrg();
    const res = await anthropic(dev.key, { model: "fake-429", max_tokens: 100, messages: MESSAGES });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect((await res.json<any>()).error.type).toBe("rate_limit_error");
    const budget = (await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body;
    expect(budget).toMatchObject({ held_micros: 0, spent_micros: 0 });
    const five = await openai(dev.key, { model: "fake-500", max_tokens: 10, messages: MESSAGES });
    expect(five.status).toBe(500);
    expect(await usageRows(org.teamId)).toHaveLength(0);
  });

  it("settles and releases at the org's ceiling too, when the org has one", async () => {
    const { org, dev } = await gatewayOrg();
    await callJson({ method: "PUT", path: "/v1/org/budget", key: org.key, body: { period: "monthly", limit_micros: 5_000_000 } }, 200);
    expect((await anthropic(dev.key, { model: "claude-sonnet-4-5", max_tokens: 100, messages: MESSAGES })).status).toBe(200);
    expect((await anthropic(dev.key, { model: "fake-429", max_tokens: 100, messages: MESSAGES })).status).toBe(429);
    const [row] = await usageRows(org.teamId, 1);
    // Settlement runs after the answer: wait until the org's hold is gone.
    let ceiling: any;
    for (let i = 0; i < 50; i++) {
      ceiling = (await callJson({ path: "/v1/org/budget", key: org.key }, 200)).body;
      if (ceiling.held_micros === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ceiling).toMatchObject({ spent_micros: row.cost_micros, held_micros: 0, remaining_micros: 5_000_000 - row.cost_micros });
  });

  it("settles what was streamed when the client disconnects mid-stream", async () => {
    const { org, dev } = await gatewayOrg();
    const res = await anthropic(dev.key, { model: "fake-slow-stream", max_tokens: 200, stream: true, messages: MESSAGES });
    const reader = res.body!.getReader();
    await reader.read(); // message_start (and maybe a little more)
    await reader.cancel();
    const rows = await usageRows(org.teamId, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0].input_tokens).toBeGreaterThan(0);
    expect(rows[0].cost_micros).toBeGreaterThan(0);
    const budget = (await callJson({ path: `/v1/teams/${org.teamId}/budget`, key: org.key }, 200)).body;
    expect(budget.held_micros).toBe(0);
    expect(budget.spent_micros).toBe(rows[0].cost_micros);
  });

  it("opens no approval requests for model calls when no rule is about them", async () => {
    const { org, dev } = await gatewayOrg();
    expect((await anthropic(dev.key, { model: "claude-sonnet-4-5", max_tokens: 30, messages: MESSAGES })).status).toBe(200);
    // The org has no model_call rule: the default ask lets the gateway through and opens nothing.
    const pending = (await callJson({ path: "/v1/approvals?view=all&status=pending", key: org.key }, 200)).body.data;
    expect(pending).toEqual([]);
  });

  it("refuses unknown models without a price, models policy denies, and missing provider keys", async () => {
    const { org, dev } = await gatewayOrg();
    await callJson({ method: "PUT", path: "/v1/org/prices", key: org.key, body: { overrides: {}, default_price: null } }, 200);
    const unknown = await expectProblem(await anthropic(dev.key, { model: "claude-imaginary-9", max_tokens: 10, messages: MESSAGES }), 422);
    expect(unknown.issues[0].path).toBe("body.model");
    await callJson({ method: "POST", path: "/v1/policies", key: org.key, body: { layer: "team", target_id: org.teamId, document: { rules: [{ id: "no-opus", effect: "deny", reason: "Opus is not for this team", when: { actions: ["model_call"], models: ["claude-opus-*"] } }] } } }, 201);
    const denied = await expectProblem(await anthropic(dev.key, { model: "claude-opus-4-1", max_tokens: 10, messages: MESSAGES }), 403);
    expect(denied.detail).toContain("Opus is not for this team");
    await callJson({ method: "DELETE", path: "/v1/org/providers/openai", key: org.key }, 200);
    await expectProblem(await openai(dev.key, { model: "gpt-4o-mini", max_tokens: 10, messages: MESSAGES }), 503);
    const providers = (await callJson({ path: "/v1/org/providers", key: org.key }, 200)).body.data;
    expect(JSON.stringify(providers)).not.toContain(FAKE_ANTHROPIC_KEY);
  });
});
