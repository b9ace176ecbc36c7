// Unit tests for the OpenAI Chat Completions parsers (workers/src/integrations/llm/openai.ts)
// on payloads shaped like the documentation's examples: usage with cached tokens (a part of
// prompt_tokens), the stream meter with and without the include_usage chunk, error chunks,
// the request estimate, and the include_usage rewrite.
import { describe, expect, it } from "vitest";
import { OpenAIStreamMeter, openaiEstimate, openaiUsage, usageRequestedByClient, withUsageRequested } from "../../workers/src/integrations/llm/openai";

// The API reference's example chat completion.
const DOC_COMPLETION = {
  id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  object: "chat.completion",
  created: 1741569952,
  model: "gpt-4.1-2025-04-14",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello! How can I assist you today?", refusal: null, annotations: [] }, logprobs: null, finish_reason: "stop" }],
  usage: {
    prompt_tokens: 19,
    completion_tokens: 10,
    total_tokens: 29,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  },
  service_tier: "default",
};

const chunk = (o: Record<string, unknown>) => `data: ${JSON.stringify({ id: "chatcmpl-123", object: "chat.completion.chunk", created: 1694268190, model: "gpt-4o-mini", system_fingerprint: "fp_44709d6fcb", ...o })}\n\n`;
const delta = (content: string, usage?: null) => chunk({ choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }], ...(usage === null ? { usage: null } : {}) });
const USAGE = { prompt_tokens: 2006, completion_tokens: 300, total_tokens: 2306, prompt_tokens_details: { cached_tokens: 1920 }, completion_tokens_details: { reasoning_tokens: 0 } };
// A streamed completion with stream_options.include_usage, as the streaming reference shows it.
const STREAM_WITH_USAGE = [
  chunk({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }], usage: null }),
  delta("Hello", null),
  delta("!", null),
  chunk({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }], usage: null }),
  chunk({ choices: [], usage: USAGE }),
  "data: [DONE]\n\n",
];
const STREAM_WITHOUT_USAGE = [
  chunk({ choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }] }),
  delta("Hello"),
  delta("!"),
  chunk({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }] }),
  "data: [DONE]\n\n",
];

const meter = (chunks: string[], estimatedInput?: number) => {
  const m = new OpenAIStreamMeter(estimatedInput);
  for (const c of chunks) m.push(c);
  return m;
};

describe("openaiUsage", () => {
  it("reads the documented example", () => {
    expect(openaiUsage(DOC_COMPLETION)).toEqual({ input: 19, output: 10, cache_read: 0, cache_write: 0 });
  });

  it("takes cached tokens out of prompt_tokens: input = prompt − cached, cache_read = cached", () => {
    expect(openaiUsage({ usage: USAGE })).toEqual({ input: 86, output: 300, cache_read: 1920, cache_write: 0 });
  });

  it("counts reasoning tokens as output (they are inside completion_tokens)", () => {
    const usage = { prompt_tokens: 100, completion_tokens: 1_500, completion_tokens_details: { reasoning_tokens: 1_200 } };
    expect(openaiUsage({ usage })).toEqual({ input: 100, output: 1_500, cache_read: 0, cache_write: 0 });
  });

  it("takes GPT-5.6 cache writes out of prompt_tokens too", () => {
    const usage = { prompt_tokens: 5_000, completion_tokens: 10, prompt_tokens_details: { cached_tokens: 1_000, cache_write_tokens: 3_207 } };
    expect(openaiUsage({ usage })).toEqual({ input: 793, output: 10, cache_read: 1_000, cache_write: 3_207 });
  });

  it("charges reported parts even if they exceed the whole (uncached input never negative)", () => {
    expect(openaiUsage({ usage: { prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 12 } } })).toEqual({ input: 0, output: 1, cache_read: 12, cache_write: 0 });
  });

  it.each([
    ["no body", undefined],
    ["no usage", { object: "chat.completion" }],
    ["null usage (a stream chunk)", { usage: null }],
    ["an error body", { error: { message: "x", type: "server_error", param: null, code: null } }],
    ["no completion_tokens", { usage: { prompt_tokens: 1 } }],
    ["a fractional count", { usage: { prompt_tokens: 1.5, completion_tokens: 1 } }],
    ["a string cached count", { usage: { prompt_tokens: 2, completion_tokens: 1, prompt_tokens_details: { cached_tokens: "1" } } }],
  ])("returns null for %s", (_what, json) => {
    expect(openaiUsage(json)).toBeNull();
  });
});

describe("OpenAIStreamMeter", () => {
  it("reads the final usage chunk of an include_usage stream", () => {
    const m = meter(STREAM_WITH_USAGE);
    expect(m.usage()).toEqual({ input: 86, output: 300, cache_read: 1920, cache_write: 0 });
    expect(m.billableUsage()).toEqual(m.usage());
    expect(m).toMatchObject({ done: true, usageReported: true, model: "gpt-4o-mini", finishReason: "stop", error: null });
  });

  it("gives the same totals one character at a time, with CRLF line endings", () => {
    const crlf = STREAM_WITH_USAGE.join("").replaceAll("\n", "\r\n");
    expect(meter(crlf.split("")).usage()).toEqual({ input: 86, output: 300, cache_read: 1920, cache_write: 0 });
  });

  it("reports nothing without the usage chunk; billableUsage() charges the estimate and the text delivered", () => {
    const m = meter(STREAM_WITHOUT_USAGE, 500);
    expect(m.usage()).toEqual({ input: 0, output: 0, cache_read: 0, cache_write: 0 });
    expect(m).toMatchObject({ done: true, usageReported: false });
    expect(m.billableUsage()).toEqual({ input: 500, output: 2, cache_read: 0, cache_write: 0 }); // "Hello!" → 2
  });

  it("on a stream cut after the 2nd delta, charges the estimate and what was delivered", () => {
    const m = meter(STREAM_WITH_USAGE.slice(0, 3), 500);
    expect(m.done).toBe(false);
    expect(m.usage()).toEqual({ input: 0, output: 0, cache_read: 0, cache_write: 0 });
    expect(m.billableUsage()).toEqual({ input: 500, output: 2, cache_read: 0, cache_write: 0 });
  });

  it("counts streamed tool-call names and arguments and refusals as delivered output", () => {
    const m = meter([
      chunk({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: "" } }] }, finish_reason: null }] }),
      chunk({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"location":"Paris"}' } }] }, finish_reason: null }] }),
      chunk({ choices: [{ index: 0, delta: { refusal: "No." }, finish_reason: null }] }),
    ]);
    expect(m.billableUsage().output).toBe(Math.ceil((11 + 20 + 3) / 4));
  });

  it("records an error object sent inside the stream", () => {
    const m = meter([delta("Hi"), `data: ${JSON.stringify({ error: { message: "The server had an error while processing your request.", type: "server_error", param: null, code: null } })}\n\n`]);
    expect(m.error).toEqual({ type: "server_error", message: "The server had an error while processing your request." });
    expect(m.done).toBe(false);
  });

  it("ignores data that is not JSON and a malformed usage chunk", () => {
    const m = meter(["data: {oops\n\n", chunk({ choices: [], usage: { prompt_tokens: "7", completion_tokens: 1 } }), "data: [DONE]\n\n"]);
    expect(m).toMatchObject({ usageReported: false, done: true });
  });
});

describe("openaiEstimate", () => {
  it("estimates input as ceil(characters of text / 4); max_completion_tokens wins over max_tokens", () => {
    const body = { model: "gpt-4.1", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: [{ type: "text", text: "Hello there" }] }], max_tokens: 50, max_completion_tokens: 100 };
    expect(openaiEstimate(body)).toEqual({ model: "gpt-4.1", stream: false, inputTokens: 5, maxOutputTokens: 100 }); // 9 + 11 chars
    expect(openaiEstimate({ ...body, max_completion_tokens: undefined })).toMatchObject({ maxOutputTokens: 50 });
  });

  it("multiplies the cap by n, counts tools, and counts an image at a flat rate", () => {
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
    const body = { model: "gpt-4o", stream: true, n: 3, max_tokens: 10, tools, messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] }] };
    expect(openaiEstimate(body)).toEqual({ model: "gpt-4o", stream: true, inputTokens: Math.ceil(JSON.stringify(tools).length / 4) + 1_600, maxOutputTokens: 30 });
  });

  it("reports no cap as null (the gateway must choose one) and a non-object body as null", () => {
    expect(openaiEstimate({ model: "o3", messages: [] })).toEqual({ model: "o3", stream: false, inputTokens: 0, maxOutputTokens: null });
    expect(openaiEstimate([])).toBeNull();
  });
});

describe("withUsageRequested", () => {
  it("sets stream_options.include_usage on a streaming body and keeps the caller's other options", () => {
    const body = { model: "gpt-4o", stream: true, messages: [], stream_options: { include_obfuscation: false } };
    const out = withUsageRequested(body);
    expect(out).toEqual({ model: "gpt-4o", stream: true, messages: [], stream_options: { include_obfuscation: false, include_usage: true } });
    expect(body.stream_options).toEqual({ include_obfuscation: false }); // the input is not changed
    expect(out.messages).toBe(body.messages); // a shallow copy
  });

  it("overrides include_usage: false and replaces a null stream_options", () => {
    expect(withUsageRequested({ stream: true, stream_options: { include_usage: false } })).toEqual({ stream: true, stream_options: { include_usage: true } });
    expect(withUsageRequested({ stream: true, stream_options: null })).toEqual({ stream: true, stream_options: { include_usage: true } });
  });

  it("leaves a non-streaming body as it was (OpenAI refuses stream_options without stream)", () => {
    const body = { model: "gpt-4o", messages: [] };
    const out = withUsageRequested(body);
    expect(out).toEqual(body);
    expect(out).not.toBe(body);
    expect(withUsageRequested({ stream: "true" })).toEqual({ stream: "true" });
  });

  it("tells whether the client asked for usage itself", () => {
    expect(usageRequestedByClient({ stream: true, stream_options: { include_usage: true } })).toBe(true);
    expect(usageRequestedByClient({ stream: true })).toBe(false);
  });
});
