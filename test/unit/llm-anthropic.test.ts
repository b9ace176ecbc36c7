// Unit tests for the Anthropic Messages parsers (workers/src/integrations/llm/anthropic.ts) on
// payloads shaped like the documentation's examples: a whole response's usage (with and
// without prompt caching), the stream meter over the documented event sequence, cumulative
// message_delta counts, a truncated stream, error events, and the request estimate.
import { describe, expect, it } from "vitest";
import { AnthropicStreamMeter, anthropicEstimate, anthropicUsage } from "../../workers/src/integrations/llm/anthropic";
import { MEDIA_BLOCK_TOKENS } from "../../workers/src/integrations/llm/estimate";

// The Messages API reference's example response.
const DOC_MESSAGE = {
  content: [{ text: "Hi! My name is Claude.", type: "text" }],
  id: "msg_013Zva2CMHLNnXjNJJKqJ2EF",
  model: "claude-sonnet-4-5-20250929",
  role: "assistant",
  stop_reason: "end_turn",
  stop_sequence: null,
  type: "message",
  usage: { input_tokens: 2095, output_tokens: 503 },
};

// "Streaming Messages", basic streaming request: the documented event sequence.
const DOC_STREAM = [
  'event: message_start\ndata: {"type": "message_start", "message": {"id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant", "content": [], "model": "claude-opus-4-6", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}\n\n',
  'event: content_block_start\ndata: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}\n\n',
  'event: ping\ndata: {"type": "ping"}\n\n',
  'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}\n\n',
  'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}}\n\n',
  'event: content_block_stop\ndata: {"type": "content_block_stop", "index": 0}\n\n',
  'event: message_delta\ndata: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence":null}, "usage": {"output_tokens": 15}}\n\n',
  'event: message_stop\ndata: {"type": "message_stop"}\n\n',
];

const meter = (chunks: string[], estimatedInput?: number) => {
  const m = new AnthropicStreamMeter(estimatedInput);
  for (const c of chunks) m.push(c);
  return m;
};

describe("anthropicUsage", () => {
  it("reads the documented example", () => {
    expect(anthropicUsage(DOC_MESSAGE)).toEqual({ input: 2095, output: 503, cache_read: 0, cache_write: 0 });
  });

  it("keeps cache reads and writes apart from input (they do not overlap)", () => {
    const usage = { input_tokens: 21, cache_creation_input_tokens: 188_086, cache_read_input_tokens: 0, output_tokens: 393 };
    expect(anthropicUsage({ ...DOC_MESSAGE, usage })).toEqual({ input: 21, output: 393, cache_read: 0, cache_write: 188_086 });
    const hit = { input_tokens: 21, cache_creation_input_tokens: 0, cache_read_input_tokens: 188_086, output_tokens: 393 };
    expect(anthropicUsage({ ...DOC_MESSAGE, usage: hit })).toEqual({ input: 21, output: 393, cache_read: 188_086, cache_write: 0 });
  });

  it("reads the per-TTL breakdown of cache writes", () => {
    const usage = {
      input_tokens: 50,
      cache_read_input_tokens: 100_000,
      cache_creation_input_tokens: 1_500,
      cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 1_000 },
      output_tokens: 300,
      service_tier: "standard",
    };
    expect(anthropicUsage({ usage })).toEqual({ input: 50, output: 300, cache_read: 100_000, cache_write: 1_500, cache_write_1h: 1_000 });
    // A breakdown larger than the total is charged in full.
    expect(anthropicUsage({ usage: { ...usage, cache_creation_input_tokens: 10 } })).toMatchObject({ cache_write: 1_500 });
  });

  it("treats absent or null cache counts as zero", () => {
    expect(anthropicUsage({ usage: { input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: null, cache_read_input_tokens: null, cache_creation: null } })).toEqual({
      input: 1,
      output: 2,
      cache_read: 0,
      cache_write: 0,
    });
  });

  it.each([
    ["no body", null],
    ["no usage", { type: "message" }],
    ["an error body", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }],
    ["no output_tokens", { usage: { input_tokens: 1 } }],
    ["a string count", { usage: { input_tokens: "1", output_tokens: 2 } }],
    ["a negative count", { usage: { input_tokens: -1, output_tokens: 2 } }],
    ["a fractional cache count", { usage: { input_tokens: 1, output_tokens: 2, cache_read_input_tokens: 0.5 } }],
    ["a malformed breakdown", { usage: { input_tokens: 1, output_tokens: 2, cache_creation: { ephemeral_1h_input_tokens: "x" } } }],
  ])("returns null for %s", (_what, json) => {
    expect(anthropicUsage(json)).toBeNull();
  });
});

describe("AnthropicStreamMeter", () => {
  it("meters the documented stream: input from message_start, output from message_delta", () => {
    const m = meter(DOC_STREAM);
    expect(m.usage()).toEqual({ input: 25, output: 15, cache_read: 0, cache_write: 0 });
    expect(m.billableUsage()).toEqual(m.usage());
    expect(m).toMatchObject({ done: true, model: "claude-opus-4-6", stopReason: "end_turn", error: null, usageReported: true });
  });

  it("gives the same totals when the stream arrives one character at a time, with CRLF line endings", () => {
    const crlf = DOC_STREAM.join("").replaceAll("\n", "\r\n");
    expect(meter(crlf.split("")).usage()).toEqual({ input: 25, output: 15, cache_read: 0, cache_write: 0 });
  });

  it("reports usage at any point: input and the latest output so far", () => {
    const m = new AnthropicStreamMeter();
    expect(m.usage()).toEqual({ input: 0, output: 0, cache_read: 0, cache_write: 0 });
    m.push(DOC_STREAM[0]!);
    expect(m.usage()).toEqual({ input: 25, output: 1, cache_read: 0, cache_write: 0 });
    expect(m.done).toBe(false);
  });

  it("takes message_delta counts as cumulative, never adding them up", () => {
    const m = meter([
      DOC_STREAM[0]!,
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":10}}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":25}}\n\n',
    ]);
    expect(m.usage().output).toBe(25);
  });

  it("takes input and cache counts a message_delta repeats, keeping the largest", () => {
    const start =
      'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-sonnet-5","usage":{"input_tokens":40,"cache_creation_input_tokens":2000,"cache_read_input_tokens":9000,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":2000},"output_tokens":1}}}\n\n';
    const delta =
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"input_tokens":40,"cache_creation_input_tokens":2000,"cache_read_input_tokens":9000,"output_tokens":87}}\n\n';
    const m = meter([start, delta, 'event: message_stop\ndata: {"type":"message_stop"}\n\n']);
    expect(m.usage()).toEqual({ input: 40, output: 87, cache_read: 9000, cache_write: 2000, cache_write_1h: 2000 });
    expect(m.stopReason).toBe("tool_use");
  });

  it("on a stream cut after the 2nd delta: usage() is input plus the last reported output; billableUsage() adds the text delivered", () => {
    const m = meter(DOC_STREAM.slice(0, 5));
    expect(m.usage()).toEqual({ input: 25, output: 1, cache_read: 0, cache_write: 0 });
    expect(m.done).toBe(false);
    expect(m.billableUsage()).toEqual({ input: 25, output: 2, cache_read: 0, cache_write: 0 }); // "Hello!" = 6 chars → 2
  });

  it("counts tool input and thinking deltas as delivered output", () => {
    const m = meter([
      DOC_STREAM[0]!,
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}\n\n',
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"${"t".repeat(400)}"}}\n\n`,
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}}\n\n',
      `event: content_block_delta\ndata: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"${"j".repeat(389)}"}}\n\n`,
    ]);
    expect(m.billableUsage().output).toBe(200); // (400 + 11 + 389) / 4
  });

  it("charges the estimated input when the stream ends before message_start", () => {
    expect(meter([], 1234).billableUsage()).toEqual({ input: 1234, output: 0, cache_read: 0, cache_write: 0 });
    expect(meter([DOC_STREAM[0]!], 1234).billableUsage().input).toBe(25); // Anthropic's own count wins
  });

  it("records an error event sent after the HTTP 200", () => {
    const m = meter([...DOC_STREAM.slice(0, 4), 'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n']);
    expect(m.error).toEqual({ type: "overloaded_error", message: "Overloaded" });
    expect(m.done).toBe(false);
    expect(m.usage()).toEqual({ input: 25, output: 1, cache_read: 0, cache_write: 0 });
    expect(meter(['event: error\ndata: {"type":"error"}\n\n']).error).toEqual({ type: "unknown", message: "" });
  });

  it("ignores data that is not JSON, unknown event types, and malformed counts", () => {
    const m = meter([
      "data: not json\n\n",
      'event: future_event\ndata: {"type":"future_event","usage":{"output_tokens":999}}\n\n',
      DOC_STREAM[0]!,
      'event: message_delta\ndata: {"type":"message_delta","delta":{},"usage":{"output_tokens":"15"}}\n\n',
    ]);
    expect(m.usage()).toEqual({ input: 25, output: 1, cache_read: 0, cache_write: 0 });
  });

  it("falls back to the SSE event name when the data has no type", () => {
    expect(meter(['event: message_stop\ndata: {}\n\n']).done).toBe(true);
  });
});

describe("anthropicEstimate", () => {
  it("estimates input as ceil(characters of text / 4) and takes max_tokens as the output cap", () => {
    const body = { model: "claude-sonnet-4-5", max_tokens: 1024, messages: [{ role: "user", content: "Hello, Claude" }] };
    expect(anthropicEstimate(body)).toEqual({ model: "claude-sonnet-4-5", stream: false, inputTokens: 4, maxOutputTokens: 1024 }); // 13 chars
  });

  it("counts the system prompt, content blocks, tool results and tool definitions; media at a flat rate", () => {
    const tools = [{ name: "get_weather", description: "Get the weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }];
    const body = {
      model: "claude-opus-4-6",
      max_tokens: 64,
      stream: true,
      system: [{ type: "text", text: "abcd".repeat(10), cache_control: { type: "ephemeral" } }],
      tools,
      messages: [
        { role: "user", content: [{ type: "text", text: "abcd".repeat(5) }, { type: "image", source: { type: "base64", media_type: "image/png", data: "A".repeat(100_000) } }] },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "get_weather", input: { city: "Paris" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "sunny" }] },
      ],
    };
    const textChars = 40 + 20 + ("t1".length + "get_weather".length + "Paris".length) + ("t1".length + "sunny".length);
    const expected = Math.ceil((textChars + JSON.stringify(tools).length) / 4) + MEDIA_BLOCK_TOKENS;
    expect(anthropicEstimate(body)).toEqual({ model: "claude-opus-4-6", stream: true, inputTokens: expected, maxOutputTokens: 64 });
  });

  it("reports a missing or malformed max_tokens and model as null, and a non-object body as null", () => {
    expect(anthropicEstimate({ messages: [] })).toEqual({ model: null, stream: false, inputTokens: 0, maxOutputTokens: null });
    expect(anthropicEstimate({ model: 7, max_tokens: 0, messages: [] })).toMatchObject({ model: null, maxOutputTokens: null });
    expect(anthropicEstimate({ max_tokens: 1.5 })).toMatchObject({ maxOutputTokens: null });
    for (const b of [null, "x", [], 3]) expect(anthropicEstimate(b)).toBeNull();
  });
});
