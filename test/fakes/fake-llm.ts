// A local fake of the two LLM APIs the gateway forwards to, speaking their wire formats:
// Anthropic's POST /v1/messages (x-api-key + anthropic-version; JSON or SSE) and OpenAI's
// POST /v1/chat/completions (Bearer key; JSON or `data:` chunks ending `data: [DONE]`, with a
// usage chunk when stream_options.include_usage is set). Usage is computed from the request so
// tests can predict it; every request is recorded, secrets left out, at GET /__fake/received.
//
// Behaviour knobs. By model name (so they survive a gateway that rewrites headers):
//   fake-429           429, the provider's rate-limit error JSON, `retry-after: 7`
//   fake-500           500, the provider's server error JSON
//   fake-529           Anthropic 529 overloaded_error; OpenAI 503 (its overloaded answer)
//   fake-slow-stream   a normal reply, stream events 50 ms apart (to disconnect mid-stream)
//   fake-stream-error  streams 2 text deltas, then an error event (Anthropic `event: error`,
//                      overloaded_error; OpenAI `data: {"error": …}`), then ends; no usage after
//   anything else      a normal reply (the model id is echoed back)
// By request header:
//   x-fake-event-delay-ms: N        delay between stream events (fake-slow-stream means 50)
//   x-fake-cache-read-tokens: N     report N cache-read tokens (Anthropic cache_read_input_tokens;
//                                   OpenAI prompt_tokens_details.cached_tokens, inside prompt_tokens)
//   x-fake-cache-write-tokens: N    report N cache-write tokens (Anthropic cache_creation_input_tokens)
//   x-fake-line-ending: crlf        end SSE lines with \r\n instead of \n
//
// Usage: input_tokens = ceil(characters of message text (and Anthropic's system) / 4);
// output_tokens = min(max_tokens, FAKE_REPLY.length): the reply is the first output_tokens
// pieces of FAKE_REPLY, one token each, one stream delta each.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** The reply, one token per piece; multi-byte characters included so byte-split tests bite. */
export const FAKE_REPLY = ["Hello", " from", " the", " fake", " model", ":", " café", " ✓", " 🚀", "."] as const;
export const FAKE_RETRY_AFTER_SECONDS = 7;
const SLOW_STREAM_DELAY_MS = 50;
const CREATED = 1_764_000_000; // a fixed `created`, so OpenAI responses are reproducible

export interface FakeLlmReceived {
  provider: "anthropic" | "openai" | "unknown";
  method: string;
  path: string;
  /** The raw query string, "?beta=true" or "". */
  query: string;
  /** Allow-listed headers, values included; never a key. */
  headers: Record<string, string>;
  /** Every header name received, values left out: to check what a gateway forwarded. */
  header_names: string[];
  /** The API key matched the configured one. */
  authorized: boolean;
  body: unknown;
  status: number;
  /** For streams: whether every event was written, or the client left first. */
  stream: "completed" | "client_closed" | null;
}

const RECORDED_HEADERS = ["anthropic-version", "anthropic-beta", "content-type", "accept", "openai-organization", "openai-project", "user-agent"];

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (data += c));
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => (typeof p === "object" && p !== null && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : "")).join("");
}

const headerInt = (req: IncomingMessage, name: string): number => {
  const n = Number(req.headers[name]);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
};

interface Plan {
  model: string;
  input: number;
  output: number;
  pieces: string[];
  cacheRead: number;
  cacheWrite: number;
  delayMs: number;
  eol: string;
  truncated: boolean;
}

function plan(req: IncomingMessage, body: Record<string, unknown>, texts: string[], maxTokens: number | null): Plan {
  const model = String(body.model);
  const output = Math.min(maxTokens ?? FAKE_REPLY.length, FAKE_REPLY.length);
  const header = headerInt(req, "x-fake-event-delay-ms");
  return {
    model,
    input: Math.ceil(texts.join("").length / 4),
    output,
    pieces: FAKE_REPLY.slice(0, output),
    cacheRead: headerInt(req, "x-fake-cache-read-tokens"),
    cacheWrite: headerInt(req, "x-fake-cache-write-tokens"),
    delayMs: model === "fake-slow-stream" ? SLOW_STREAM_DELAY_MS : header,
    eol: req.headers["x-fake-line-ending"] === "crlf" ? "\r\n" : "\n",
    truncated: output < FAKE_REPLY.length,
  };
}

/** Writes SSE events with the plan's delay, stopping if the client leaves. */
async function streamEvents(res: ServerResponse, rec: FakeLlmReceived, events: string[], delayMs: number, idHeader: Record<string, string>): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", ...idHeader });
  let closed = false;
  res.on("close", () => {
    if (!res.writableFinished) closed = true;
  });
  for (const [i, ev] of events.entries()) {
    if (i > 0 && delayMs > 0) await sleep(delayMs);
    if (closed || res.destroyed) {
      rec.stream = "client_closed";
      return;
    }
    res.write(ev);
  }
  res.end();
  rec.stream = "completed";
}

// ---- Anthropic -------------------------------------------------------------------------------

const anthropicError = (type: string, message: string, id: string) => ({ type: "error", error: { type, message }, request_id: id });

async function anthropic(req: IncomingMessage, res: ServerResponse, rec: FakeLlmReceived, key: string, requestId: string): Promise<void> {
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    rec.status = status;
    res.writeHead(status, { "content-type": "application/json", "request-id": requestId, ...headers });
    res.end(JSON.stringify(body));
  };
  const given = req.headers["x-api-key"];
  rec.authorized = given === key;
  if (typeof given !== "string" || given.length === 0) return send(401, anthropicError("authentication_error", "x-api-key header is required", requestId));
  if (!rec.authorized) return send(401, anthropicError("authentication_error", "invalid x-api-key", requestId));
  // The real API answers a missing version header with 400, not 401.
  if (!req.headers["anthropic-version"]) return send(400, anthropicError("invalid_request_error", "anthropic-version: header is required", requestId));
  const body = rec.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return send(400, anthropicError("invalid_request_error", "Request body must be a JSON object", requestId));
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string") return send(400, anthropicError("invalid_request_error", "model: Field required", requestId));
  if (!Array.isArray(b.messages)) return send(400, anthropicError("invalid_request_error", "messages: Field required", requestId));
  if (typeof b.max_tokens !== "number" || !Number.isSafeInteger(b.max_tokens) || b.max_tokens < 1)
    return send(400, anthropicError("invalid_request_error", "max_tokens: Field required", requestId));

  if (b.model === "fake-429")
    return send(429, anthropicError("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", requestId), { "retry-after": String(FAKE_RETRY_AFTER_SECONDS) });
  if (b.model === "fake-500") return send(500, anthropicError("api_error", "Internal server error", requestId));
  if (b.model === "fake-529") return send(529, anthropicError("overloaded_error", "Overloaded", requestId));

  const texts = [textOf(b.system), ...b.messages.map((m) => textOf((m as { content?: unknown })?.content))];
  const p = plan(req, b, texts, b.max_tokens);
  const id = `msg_fake_${requestId.slice(4)}`;
  const stopReason = p.truncated ? "max_tokens" : "end_turn";
  const usage = (output: number) => ({
    input_tokens: p.input,
    cache_creation_input_tokens: p.cacheWrite,
    cache_read_input_tokens: p.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: p.cacheWrite, ephemeral_1h_input_tokens: 0 },
    output_tokens: output,
    service_tier: "standard",
  });

  if (b.stream !== true) {
    return send(200, {
      id,
      type: "message",
      role: "assistant",
      model: p.model,
      content: [{ type: "text", text: p.pieces.join("") }],
      stop_reason: stopReason,
      stop_sequence: null,
      usage: usage(p.output),
    });
  }

  const ev = (name: string, data: unknown) => `event: ${name}${p.eol}data: ${JSON.stringify(data)}${p.eol}${p.eol}`;
  const events = [
    ev("message_start", { type: "message_start", message: { id, type: "message", role: "assistant", model: p.model, content: [], stop_reason: null, stop_sequence: null, usage: usage(1) } }),
    ev("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ev("ping", { type: "ping" }),
  ];
  const failing = p.model === "fake-stream-error";
  for (const piece of failing ? p.pieces.slice(0, 2) : p.pieces) events.push(ev("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: piece } }));
  if (failing) events.push(ev("error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }));
  else {
    events.push(
      ev("content_block_stop", { type: "content_block_stop", index: 0 }),
      ev("message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: p.output } }),
      ev("message_stop", { type: "message_stop" }),
    );
  }
  rec.status = 200;
  await streamEvents(res, rec, events, p.delayMs, { "request-id": requestId });
}

// ---- OpenAI ----------------------------------------------------------------------------------

const openaiError = (message: string, type: string, code: string | null, param: string | null = null) => ({ error: { message, type, param, code } });

async function openai(req: IncomingMessage, res: ServerResponse, rec: FakeLlmReceived, key: string, requestId: string): Promise<void> {
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    rec.status = status;
    res.writeHead(status, { "content-type": "application/json", "x-request-id": requestId, ...headers });
    res.end(JSON.stringify(body));
  };
  const auth = req.headers.authorization ?? "";
  const given = auth.startsWith("Bearer ") ? auth.slice(7) : "";
  rec.authorized = given === key;
  if (!given)
    return send(401, openaiError("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error", null));
  if (!rec.authorized) return send(401, openaiError(`Incorrect API key provided: ${given.slice(0, 3)}***${given.slice(-4)}.`, "invalid_request_error", "invalid_api_key"));
  const body = rec.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return send(400, openaiError("We could not parse the JSON body of your request.", "invalid_request_error", null));
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string") return send(400, openaiError("you must provide a model parameter", "invalid_request_error", null));
  if (!Array.isArray(b.messages)) return send(400, openaiError("Missing required parameter: 'messages'.", "invalid_request_error", "missing_required_parameter", "messages"));
  const opts = b.stream_options;
  if (opts !== undefined && opts !== null && b.stream !== true)
    return send(400, openaiError("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "invalid_request_error", null, "stream_options"));

  if (b.model === "fake-429")
    return send(429, openaiError(`Rate limit reached for ${b.model} on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${FAKE_RETRY_AFTER_SECONDS}s.`, "requests", "rate_limit_exceeded"), {
      "retry-after": String(FAKE_RETRY_AFTER_SECONDS),
    });
  if (b.model === "fake-500") return send(500, openaiError("The server had an error while processing your request. Sorry about that!", "server_error", null));
  if (b.model === "fake-529") return send(503, openaiError("The engine is currently overloaded, please try again later.", "server_error", null));

  const cap = typeof b.max_completion_tokens === "number" ? b.max_completion_tokens : typeof b.max_tokens === "number" ? b.max_tokens : null;
  const p = plan(req, b, b.messages.map((m) => textOf((m as { content?: unknown })?.content)), cap);
  const id = `chatcmpl-fake${requestId.slice(4)}`;
  const finish = p.truncated ? "length" : "stop";
  const usage = {
    prompt_tokens: p.input + p.cacheRead,
    completion_tokens: p.output,
    total_tokens: p.input + p.cacheRead + p.output,
    prompt_tokens_details: { cached_tokens: p.cacheRead, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };

  if (b.stream !== true) {
    return send(200, {
      id,
      object: "chat.completion",
      created: CREATED,
      model: p.model,
      choices: [{ index: 0, message: { role: "assistant", content: p.pieces.join(""), refusal: null, annotations: [] }, logprobs: null, finish_reason: finish }],
      usage,
      service_tier: "default",
      system_fingerprint: "fp_fake",
    });
  }

  const includeUsage = typeof opts === "object" && opts !== null && (opts as { include_usage?: unknown }).include_usage === true;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: CREATED, model: p.model, system_fingerprint: "fp_fake", choices, ...(includeUsage ? { usage: null } : {}), ...extra })}${p.eol}${p.eol}`;
  const failing = p.model === "fake-stream-error";
  const events = [chunk([{ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }])];
  for (const piece of failing ? p.pieces.slice(0, 2) : p.pieces) events.push(chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]));
  if (failing) events.push(`data: ${JSON.stringify(openaiError("The server had an error while processing your request.", "server_error", null))}${p.eol}${p.eol}`);
  else {
    events.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]));
    if (includeUsage) events.push(chunk([], { usage }));
    events.push(`data: [DONE]${p.eol}${p.eol}`);
  }
  rec.status = 200;
  await streamEvents(res, rec, events, p.delayMs, { "x-request-id": requestId });
}

// ---- Server ----------------------------------------------------------------------------------

export interface FakeLlmOptions {
  anthropicKey: string;
  openaiKey: string;
  /** The model's own time: wait this long before answering (benchmarks; 0 = answer at once). */
  responseDelayMs?: number;
  /**
   * Spread the model's time uniformly over responseDelayMs ± this many ms, as a real model's
   * does (benchmarks: fixed answer times keep closed-loop clients in lockstep).
   */
  responseJitterMs?: number;
  /** The jitter's random numbers in [0, 1) (benchmarks pass a seeded generator). */
  random?: () => number;
  /** Told each answer's request-id header and the time the fake waited before it. */
  onDelay?: (requestId: string, ms: number) => void;
}

export function startFakeLlm(port: number, opts: FakeLlmOptions): Promise<Server> {
  const received: FakeLlmReceived[] = [];
  let seq = 0;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.method === "GET" && url.pathname === "/__fake/received") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(received));
    }
    const raw = await read(req);
    let body: unknown = raw;
    try {
      body = raw.length ? JSON.parse(raw) : null;
    } catch {
      // kept as the raw string; the handlers answer 400
    }
    const headers: Record<string, string> = {};
    for (const h of RECORDED_HEADERS) {
      const v = req.headers[h];
      if (typeof v === "string") headers[h] = v;
    }
    for (const [h, v] of Object.entries(req.headers)) if (h.startsWith("x-fake-") && typeof v === "string") headers[h] = v;
    const isAnthropic = req.method === "POST" && url.pathname === "/v1/messages";
    const isOpenAI = req.method === "POST" && url.pathname === "/v1/chat/completions";
    const rec: FakeLlmReceived = {
      provider: isAnthropic ? "anthropic" : isOpenAI ? "openai" : "unknown",
      method: req.method ?? "",
      path: url.pathname,
      query: url.search,
      headers,
      header_names: Object.keys(req.headers).sort(),
      authorized: false,
      body,
      status: 0,
      stream: null,
    };
    received.push(rec);
    const requestId = `req_${String(++seq).padStart(6, "0")}`;
    if (opts.responseDelayMs) {
      const ms = Math.max(0, opts.responseDelayMs + (opts.responseJitterMs ?? 0) * (2 * (opts.random ?? Math.random)() - 1));
      opts.onDelay?.(requestId, ms);
      await sleep(ms);
    }
    try {
      if (isAnthropic) return await anthropic(req, res, rec, opts.anthropicKey, requestId);
      if (isOpenAI) return await openai(req, res, rec, opts.openaiKey, requestId);
    } catch (err) {
      // A bug in the fake: say so loudly rather than hang the test.
      rec.status = 599;
      if (!res.headersSent) res.writeHead(599, { "content-type": "text/plain" });
      return res.end(`fake-llm failed: ${String(err)}`);
    }
    rec.status = 404;
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ type: "error", error: { type: "not_found_error", message: `No route for ${req.method} ${url.pathname}` } }));
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}
