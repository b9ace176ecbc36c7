// Token usage from Anthropic's Messages API (POST /v1/messages), for the gateway to charge:
// a whole response (anthropicUsage), a streamed one as it passes through (AnthropicStreamMeter),
// and a request before it runs (anthropicEstimate). Pure parsing; the gateway does the fetch.
//
// Usage fields (Messages API reference, "usage"): input_tokens (uncached input), output_tokens,
// cache_creation_input_tokens, cache_read_input_tokens, and cache_creation.{ephemeral_5m_input_tokens,
// ephemeral_1h_input_tokens}. The three input counts do not overlap, so they map straight onto
// TokenUsage. Streaming ("Streaming Messages"): message_start carries message.usage with the
// input counts and a first output_tokens; content_block_start/delta/stop carry content; each
// message_delta carries usage whose counts are CUMULATIVE (the latest is the total, never add
// them up); message_stop ends the message; ping is a keep-alive; an `error` event
// ({type:"error", error:{type, message}}) can arrive after the HTTP 200, e.g. overloaded_error.
import { isCount, type TokenUsage } from "../../domain/prices/types";
import { SseDecoder } from "./sse";
import { StreamedText, estimateInputTokens, outputCap, type RequestEstimate } from "./estimate";
import { asObject, optionalCount, streamError, type ProviderStreamError } from "./types";

/** Cache writes, reconciling the total with the per-TTL breakdown when both are present. */
function cacheWrites(u: Record<string, unknown>): { total: number; oneHour: number } | null {
  const total = optionalCount(u.cache_creation_input_tokens);
  if (total === null) return null;
  const breakdown = asObject(u.cache_creation);
  if (!breakdown) return { total, oneHour: 0 };
  const fiveMin = optionalCount(breakdown.ephemeral_5m_input_tokens);
  const oneHour = optionalCount(breakdown.ephemeral_1h_input_tokens);
  if (fiveMin === null || oneHour === null) return null;
  // The two should agree; if they do not, charge the larger.
  return { total: Math.max(total, fiveMin + oneHour), oneHour };
}

const withOneHour = (u: TokenUsage, oneHour: number): TokenUsage => (oneHour > 0 ? { ...u, cache_write_1h: oneHour } : u);

/** The usage of a non-streaming response (a Message), or null when it has none or it is malformed. */
export function anthropicUsage(json: unknown): TokenUsage | null {
  const u = asObject(asObject(json)?.usage);
  if (!u || !isCount(u.input_tokens) || !isCount(u.output_tokens)) return null;
  const cacheRead = optionalCount(u.cache_read_input_tokens);
  const writes = cacheWrites(u);
  if (cacheRead === null || !writes) return null;
  return withOneHour({ input: u.input_tokens, output: u.output_tokens, cache_read: cacheRead, cache_write: writes.total }, writes.oneHour);
}

/**
 * Meters a streamed response as it passes through, chunk by chunk. usage() is what Anthropic
 * has reported so far: the input counts from message_start and the latest output_tokens (the
 * final count once message_delta arrives). A stream cut before message_delta has reported only
 * message_start's first output count, so billableUsage() adds an estimate of the output text
 * actually delivered; charge that one when the stream did not finish.
 */
export class AnthropicStreamMeter {
  model: string | null = null;
  /** message_stop seen. */
  done = false;
  /** An `event: error` seen (the last one). */
  error: ProviderStreamError | null = null;
  stopReason: string | null = null;
  /** message_start seen, so the input counts are Anthropic's own. */
  usageReported = false;

  private readonly sse = new SseDecoder();
  private readonly counts = { input: 0, output: 0, cache_read: 0, cache_write: 0, cache_write_1h: 0 };
  private readonly streamed = new StreamedText();

  /** @param estimatedInputTokens input to charge if the stream ends before message_start (from anthropicEstimate). */
  constructor(private readonly estimatedInputTokens = 0) {}

  push(chunk: string | Uint8Array): void {
    for (const ev of this.sse.push(chunk)) {
      let data: Record<string, unknown> | null;
      try {
        data = asObject(JSON.parse(ev.data));
      } catch {
        continue; // not JSON: nothing to meter
      }
      if (data) this.handle(typeof data.type === "string" ? data.type : ev.event, data);
    }
  }

  private handle(type: string, d: Record<string, unknown>): void {
    switch (type) {
      case "message_start": {
        const m = asObject(d.message);
        if (typeof m?.model === "string") this.model = m.model;
        const u = asObject(m?.usage);
        if (u) {
          this.usageReported = true;
          this.merge(u);
        }
        return;
      }
      case "content_block_start": {
        const b = asObject(d.content_block);
        this.streamed.add(b?.text);
        this.streamed.add(b?.thinking);
        this.streamed.add(b?.name);
        return;
      }
      case "content_block_delta": {
        const delta = asObject(d.delta);
        this.streamed.add(delta?.text);
        this.streamed.add(delta?.partial_json);
        this.streamed.add(delta?.thinking);
        return;
      }
      case "message_delta": {
        const delta = asObject(d.delta);
        if (typeof delta?.stop_reason === "string") this.stopReason = delta.stop_reason;
        const u = asObject(d.usage);
        if (u) this.merge(u);
        return;
      }
      case "message_stop":
        this.done = true;
        return;
      case "error":
        this.error = streamError(asObject(d.error) ?? {});
        return;
      default:
        return; // ping, content_block_stop, and event types added later
    }
  }

  /** Counts are cumulative, so each is the largest seen; a field absent or malformed leaves it be. */
  private merge(u: Record<string, unknown>): void {
    const c = this.counts;
    const take = (v: unknown, cur: number): number => (isCount(v) ? Math.max(cur, v) : cur);
    c.input = take(u.input_tokens, c.input);
    c.output = take(u.output_tokens, c.output);
    c.cache_read = take(u.cache_read_input_tokens, c.cache_read);
    c.cache_write = take(u.cache_creation_input_tokens, c.cache_write);
    const breakdown = asObject(u.cache_creation);
    if (breakdown) {
      c.cache_write_1h = take(breakdown.ephemeral_1h_input_tokens, c.cache_write_1h);
      const fiveMin = breakdown.ephemeral_5m_input_tokens;
      if (isCount(fiveMin)) c.cache_write = Math.max(c.cache_write, fiveMin + c.cache_write_1h);
    }
  }

  usage(): TokenUsage {
    const c = this.counts;
    return withOneHour({ input: c.input, output: c.output, cache_read: c.cache_read, cache_write: c.cache_write }, Math.min(c.cache_write_1h, c.cache_write));
  }

  /** usage() once message_stop is seen; before that, input and output raised to what was sent and delivered. */
  billableUsage(): TokenUsage {
    const u = this.usage();
    if (this.done) return u;
    return {
      ...u,
      input: this.usageReported ? u.input : Math.max(u.input, this.estimatedInputTokens),
      output: Math.max(u.output, this.streamed.tokens()),
    };
  }
}

/** Size a Messages request before it runs; null when the body is not a JSON object. */
export function anthropicEstimate(body: unknown): RequestEstimate | null {
  const b = asObject(body);
  if (!b) return null;
  return {
    model: typeof b.model === "string" ? b.model : null,
    stream: b.stream === true,
    inputTokens: estimateInputTokens([b.system, b.messages], b.tools),
    // max_tokens is required by the API and already includes any thinking budget.
    maxOutputTokens: outputCap(b.max_tokens),
  };
}
