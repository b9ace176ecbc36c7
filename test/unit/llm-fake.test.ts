// Tests of the fake LLM provider (test/fakes/fake-llm.ts) and of the stream meters fed its
// real wire output: auth failures and error bodies in each provider's shape, retry-after on
// 429, SSE event order, include_usage behaviour, the recording at /__fake/received, a client
// disconnecting mid-stream, and meters giving identical totals however the bytes are cut.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FAKE_REPLY, FAKE_RETRY_AFTER_SECONDS, startFakeLlm, type FakeLlmReceived } from "../fakes/fake-llm";
import { AnthropicStreamMeter, anthropicEstimate, anthropicUsage } from "../../workers/src/integrations/llm/anthropic";
import { OpenAIStreamMeter, openaiUsage, withUsageRequested } from "../../workers/src/integrations/llm/openai";
import { resolvePrice } from "../../workers/src/domain/prices/resolve";
import { costMicros } from "../../workers/src/domain/prices/cost";
import type { TokenUsage } from "../../workers/src/domain/prices/types";

const ANTHROPIC_KEY = "sk-ant-test-0123456789";
const OPENAI_KEY = "sk-test-openai-9876543210";
const PROMPT = "Write a haiku about budgets.";
const SYSTEM = "You are terse.";

let server: Server;
let base: string;

beforeEach(async () => {
  server = await startFakeLlm(0, { anthropicKey: ANTHROPIC_KEY, openaiKey: OPENAI_KEY });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const anthropicHeaders = { "content-type": "application/json", "x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01" };
const openaiHeaders = { "content-type": "application/json", authorization: `Bearer ${OPENAI_KEY}` };
const messagesBody = (over: Record<string, unknown> = {}) => ({ model: "claude-sonnet-4-5-20250929", max_tokens: 1024, system: SYSTEM, messages: [{ role: "user", content: PROMPT }], ...over });
const chatBody = (over: Record<string, unknown> = {}) => ({ model: "gpt-4.1", messages: [{ role: "system", content: SYSTEM }, { role: "user", content: PROMPT }], ...over });

const post = (path: string, headers: Record<string, string>, body: unknown, init: RequestInit = {}) =>
  fetch(base + path, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body), ...init });
const received = async (): Promise<FakeLlmReceived[]> => (await fetch(`${base}/__fake/received`)).json() as Promise<FakeLlmReceived[]>;
const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());

const INPUT = Math.ceil((SYSTEM + PROMPT).length / 4);
const OUTPUT = FAKE_REPLY.length;

/** Seeded cuts, so a failure names a reproducible split. */
function randomChunks(bytes: Uint8Array, seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let s = seed;
  for (let i = 0; i < bytes.length; ) {
    s = (s * 1_103_515_245 + 12_345) >>> 0;
    const n = 1 + (s % 17);
    out.push(bytes.slice(i, i + n));
    i += n;
  }
  return out;
}

/** Every way to feed a stream that must give the same totals. */
function splits(bytes: Uint8Array): [string, (string | Uint8Array)[]][] {
  const text = new TextDecoder().decode(bytes);
  const out: [string, (string | Uint8Array)[]][] = [
    ["whole", [bytes]],
    ["1-char strings", text.split("")],
    ["1-byte chunks", [...bytes].map((b) => new Uint8Array([b]))],
  ];
  for (let i = 1; i < bytes.length; i++) out.push([`cut at byte ${i}`, [bytes.slice(0, i), bytes.slice(i)]]);
  for (let seed = 1; seed <= 50; seed++) out.push([`random seed ${seed}`, randomChunks(bytes, seed)]);
  return out;
}

function meterAll<M extends { push(c: string | Uint8Array): void }>(make: () => M, chunks: (string | Uint8Array)[]): M {
  const m = make();
  for (const c of chunks) m.push(c);
  return m;
}

describe("fake Anthropic: /v1/messages", () => {
  it("answers 401 authentication_error without a key or with a wrong one, in Anthropic's error shape", async () => {
    for (const headers of [{ "anthropic-version": "2023-06-01" }, { ...anthropicHeaders, "x-api-key": "sk-ant-wrong" }]) {
      const res = await post("/v1/messages", headers, messagesBody());
      expect(res.status).toBe(401);
      const body = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(body).toMatchObject({ type: "error", error: { type: "authentication_error" } });
      expect(typeof body.error.message).toBe("string");
    }
  });

  it("answers 400 invalid_request_error without anthropic-version, as the real API does", async () => {
    const res = await post("/v1/messages", { "x-api-key": ANTHROPIC_KEY }, messagesBody());
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: "anthropic-version: header is required" } });
  });

  it("answers 400 for a body without max_tokens or not JSON", async () => {
    expect((await post("/v1/messages", anthropicHeaders, messagesBody({ max_tokens: undefined }))).status).toBe(400);
    expect((await post("/v1/messages", anthropicHeaders, "{not json")).status).toBe(400);
  });

  it("answers a JSON Message whose usage is computed from the request", async () => {
    const res = await post("/v1/messages?beta=true", anthropicHeaders, messagesBody());
    expect(res.status).toBe(200);
    const msg = (await res.json()) as Record<string, unknown>;
    expect(msg).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5-20250929",
      content: [{ type: "text", text: FAKE_REPLY.join("") }],
      stop_reason: "end_turn",
      usage: { input_tokens: INPUT, output_tokens: OUTPUT, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
    expect(anthropicUsage(msg)).toEqual({ input: INPUT, output: OUTPUT, cache_read: 0, cache_write: 0 });
    // The estimate the gateway reserves with agrees with the fake on text-only requests.
    expect(anthropicEstimate(messagesBody())?.inputTokens).toBe(INPUT);
  });

  it("stops at max_tokens with stop_reason max_tokens", async () => {
    const msg = (await (await post("/v1/messages", anthropicHeaders, messagesBody({ max_tokens: 3 }))).json()) as Record<string, unknown>;
    expect(msg).toMatchObject({ stop_reason: "max_tokens", content: [{ text: FAKE_REPLY.slice(0, 3).join("") }], usage: { output_tokens: 3 } });
  });

  it("reports cache reads and writes when asked by header", async () => {
    const res = await post("/v1/messages", { ...anthropicHeaders, "x-fake-cache-read-tokens": "5000", "x-fake-cache-write-tokens": "700" }, messagesBody());
    expect(anthropicUsage(await res.json())).toEqual({ input: INPUT, output: OUTPUT, cache_read: 5000, cache_write: 700 });
  });

  it("records the request: query string, allow-listed headers, header names, body; never the key", async () => {
    await post("/v1/messages?beta=true", { ...anthropicHeaders, "anthropic-beta": "prompt-caching-2024-07-31", "x-sysop-trace": "t1" }, messagesBody());
    const [rec] = await received();
    expect(rec).toMatchObject({
      provider: "anthropic",
      method: "POST",
      path: "/v1/messages",
      query: "?beta=true",
      authorized: true,
      status: 200,
      stream: null,
      body: messagesBody(),
      headers: { "anthropic-version": "2023-06-01", "anthropic-beta": "prompt-caching-2024-07-31", "content-type": "application/json" },
    });
    expect(rec!.header_names).toEqual(expect.arrayContaining(["x-api-key", "x-sysop-trace", "anthropic-version"]));
    expect(JSON.stringify(await received())).not.toContain(ANTHROPIC_KEY);
  });

  it("streams the documented event order", async () => {
    const res = await post("/v1/messages", anthropicHeaders, messagesBody({ stream: true }));
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const names = [...(await res.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names).toEqual(["message_start", "content_block_start", "ping", ...FAKE_REPLY.map(() => "content_block_delta"), "content_block_stop", "message_delta", "message_stop"]);
    expect((await received())[0]).toMatchObject({ status: 200, stream: "completed" });
  });

  it("gives the meter identical totals however its real stream is cut (every byte, 1 char, random)", async () => {
    const bytes = await bytesOf(await post("/v1/messages", anthropicHeaders, messagesBody({ stream: true })));
    const expected: TokenUsage = { input: INPUT, output: OUTPUT, cache_read: 0, cache_write: 0 };
    for (const [how, chunks] of splits(bytes)) {
      const m = meterAll(() => new AnthropicStreamMeter(), chunks);
      expect({ how, usage: m.usage(), done: m.done, model: m.model }).toEqual({ how, usage: expected, done: true, model: "claude-sonnet-4-5-20250929" });
    }
  });

  it("gives the same totals with CRLF line endings and cache counts", async () => {
    const headers = { ...anthropicHeaders, "x-fake-line-ending": "crlf", "x-fake-cache-read-tokens": "42" };
    const bytes = await bytesOf(await post("/v1/messages", headers, messagesBody({ stream: true })));
    expect(new TextDecoder().decode(bytes)).toContain("\r\n\r\n");
    for (const [how, chunks] of splits(bytes)) expect({ how, usage: meterAll(() => new AnthropicStreamMeter(), chunks).usage() }).toEqual({ how, usage: { input: INPUT, output: OUTPUT, cache_read: 42, cache_write: 0 } });
  });

  it("meters a stream cut after the 2nd delta as input plus the last output seen", async () => {
    const text = await (await post("/v1/messages", anthropicHeaders, messagesBody({ stream: true }))).text();
    let at = 0;
    for (let i = 0; i < 2; i++) at = text.indexOf("\n\n", text.indexOf("event: content_block_delta", at)) + 2;
    expect(text.slice(0, at).match(/content_block_delta/g)).toHaveLength(4); // two events, name and type each
    const m = new AnthropicStreamMeter();
    m.push(text.slice(0, at));
    expect(m.done).toBe(false);
    expect(m.usage()).toEqual({ input: INPUT, output: 1, cache_read: 0, cache_write: 0 });
    expect(m.billableUsage()).toEqual({ input: INPUT, output: Math.ceil((FAKE_REPLY[0] + FAKE_REPLY[1]).length / 4), cache_read: 0, cache_write: 0 });
  });

  it("sends an error event mid-stream for fake-stream-error", async () => {
    const text = await (await post("/v1/messages", anthropicHeaders, messagesBody({ model: "fake-stream-error", stream: true }))).text();
    const m = new AnthropicStreamMeter();
    m.push(text);
    expect(m.error).toEqual({ type: "overloaded_error", message: "Overloaded" });
    expect(m.done).toBe(false);
    expect(m.usage()).toEqual({ input: INPUT, output: 1, cache_read: 0, cache_write: 0 });
  });

  it("ends the stream it was writing when the client disconnects (fake-slow-stream)", async () => {
    const abort = new AbortController();
    const res = await post("/v1/messages", anthropicHeaders, messagesBody({ model: "fake-slow-stream", stream: true }), { signal: abort.signal });
    const reader = res.body!.getReader();
    const m = new AnthropicStreamMeter();
    while (!m.usageReported) {
      const { value, done } = await reader.read();
      if (done) throw new Error("stream ended before message_start");
      m.push(value);
    }
    abort.abort();
    await reader.cancel().catch(() => undefined);
    let rec: FakeLlmReceived | undefined;
    for (let i = 0; i < 40 && !rec?.stream; i++) {
      await new Promise((r) => setTimeout(r, 25));
      rec = (await received())[0];
    }
    expect(rec?.stream).toBe("client_closed");
    expect(m.usage()).toEqual({ input: INPUT, output: 1, cache_read: 0, cache_write: 0 });
    expect(m.done).toBe(false);
  });
});

describe("fake OpenAI: /v1/chat/completions", () => {
  it("answers 401 in OpenAI's error shape without a key or with a wrong one", async () => {
    const none = await post("/v1/chat/completions", { "content-type": "application/json" }, chatBody());
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { type: "invalid_request_error", code: null, param: null } });
    const wrong = await post("/v1/chat/completions", { ...openaiHeaders, authorization: "Bearer sk-wrong-key-0000" }, chatBody());
    expect(wrong.status).toBe(401);
    const body = (await wrong.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_api_key");
    expect(body.error.message).not.toContain("sk-wrong-key-0000");
  });

  it("answers a chat.completion with usage computed from the request; cached tokens inside prompt_tokens", async () => {
    const res = await post("/v1/chat/completions", { ...openaiHeaders, "x-fake-cache-read-tokens": "100" }, chatBody({ max_completion_tokens: 4 }));
    const json = (await res.json()) as Record<string, unknown>;
    expect(json).toMatchObject({
      object: "chat.completion",
      model: "gpt-4.1",
      choices: [{ index: 0, message: { role: "assistant", content: FAKE_REPLY.slice(0, 4).join("") }, finish_reason: "length" }],
      usage: { prompt_tokens: INPUT + 100, completion_tokens: 4, total_tokens: INPUT + 104, prompt_tokens_details: { cached_tokens: 100 } },
    });
    expect(openaiUsage(json)).toEqual({ input: INPUT, output: 4, cache_read: 100, cache_write: 0 });
  });

  it("sends no usage chunk unless stream_options.include_usage is set", async () => {
    const text = await (await post("/v1/chat/completions", openaiHeaders, chatBody({ stream: true }))).text();
    const events = text.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    for (const e of events.slice(0, -1)) expect(JSON.parse(e.slice(6))).not.toHaveProperty("usage");
    const m = new OpenAIStreamMeter(INPUT);
    m.push(text);
    expect(m).toMatchObject({ done: true, usageReported: false });
    expect(m.billableUsage()).toEqual({ input: INPUT, output: Math.ceil(FAKE_REPLY.join("").length / 4), cache_read: 0, cache_write: 0 });
  });

  it("with include_usage: usage null on every chunk, then one chunk with empty choices and the usage, then [DONE]", async () => {
    const text = await (await post("/v1/chat/completions", openaiHeaders, withUsageRequested(chatBody({ stream: true })))).text();
    const events = text.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as { choices: unknown[]; usage: unknown });
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: INPUT, completion_tokens: OUTPUT });
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull();
    expect(chunks.at(-2)!.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }]);
  });

  it("gives the meter identical totals however its real stream is cut (every byte, 1 char, random)", async () => {
    const bytes = await bytesOf(await post("/v1/chat/completions", openaiHeaders, withUsageRequested(chatBody({ stream: true }))));
    for (const [how, chunks] of splits(bytes)) {
      const m = meterAll(() => new OpenAIStreamMeter(), chunks);
      expect({ how, usage: m.usage(), done: m.done, reported: m.usageReported }).toEqual({ how, usage: { input: INPUT, output: OUTPUT, cache_read: 0, cache_write: 0 }, done: true, reported: true });
    }
  });

  it("refuses stream_options without stream, as OpenAI does", async () => {
    const res = await post("/v1/chat/completions", openaiHeaders, chatBody({ stream_options: { include_usage: true } }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", param: "stream_options" } });
  });

  it("sends an error object mid-stream for fake-stream-error", async () => {
    const m = new OpenAIStreamMeter();
    m.push(await (await post("/v1/chat/completions", openaiHeaders, chatBody({ model: "fake-stream-error", stream: true }))).text());
    expect(m.error).toMatchObject({ type: "server_error" });
    expect(m.done).toBe(false);
  });
});

describe("fake error knobs", () => {
  it("fake-429: 429 with retry-after and each provider's rate-limit body", async () => {
    const a = await post("/v1/messages", anthropicHeaders, messagesBody({ model: "fake-429" }));
    expect(a.status).toBe(429);
    expect(a.headers.get("retry-after")).toBe(String(FAKE_RETRY_AFTER_SECONDS));
    expect(await a.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    const o = await post("/v1/chat/completions", openaiHeaders, chatBody({ model: "fake-429" }));
    expect(o.status).toBe(429);
    expect(o.headers.get("retry-after")).toBe(String(FAKE_RETRY_AFTER_SECONDS));
    expect(await o.json()).toMatchObject({ error: { type: "requests", code: "rate_limit_exceeded" } });
  });

  it("fake-500 and fake-529: server errors in each provider's shape", async () => {
    const a500 = await post("/v1/messages", anthropicHeaders, messagesBody({ model: "fake-500" }));
    expect([a500.status, await a500.json()]).toMatchObject([500, { type: "error", error: { type: "api_error" } }]);
    const a529 = await post("/v1/messages", anthropicHeaders, messagesBody({ model: "fake-529" }));
    expect([a529.status, await a529.json()]).toMatchObject([529, { type: "error", error: { type: "overloaded_error" } }]);
    const o500 = await post("/v1/chat/completions", openaiHeaders, chatBody({ model: "fake-500" }));
    expect([o500.status, await o500.json()]).toMatchObject([500, { error: { type: "server_error" } }]);
    const o503 = await post("/v1/chat/completions", openaiHeaders, chatBody({ model: "fake-529" }));
    expect(o503.status).toBe(503);
  });

  it("checks auth before the knobs (a bad key never sees a 429)", async () => {
    expect((await post("/v1/messages", { ...anthropicHeaders, "x-api-key": "nope" }, messagesBody({ model: "fake-429" }))).status).toBe(401);
  });

  it("answers 404 on other paths", async () => {
    expect((await fetch(`${base}/v1/complete`, { method: "POST" })).status).toBe(404);
  });
});

describe("fake + parsers + prices, end to end", () => {
  it("prices a fake Anthropic response for a dated snapshot at its family's list price", async () => {
    const headers = { ...anthropicHeaders, "x-fake-cache-read-tokens": "100000", "x-fake-cache-write-tokens": "2000" };
    const usage = anthropicUsage(await (await post("/v1/messages", headers, messagesBody())).json())!;
    const price = resolvePrice("claude-sonnet-4-5-20250929", {}, null);
    if (!price.ok) throw new Error("unpriced");
    // $3 input, $15 output, $0.30 cache read, $3.75 cache write per MTok; each rounded up.
    expect(costMicros(usage, price.price)).toBe(INPUT * 3 + OUTPUT * 15 + 30_000 + 7_500);
  });
});
