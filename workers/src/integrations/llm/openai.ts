// Token usage from OpenAI's Chat Completions API (POST /v1/chat/completions), for the gateway
// to charge: a whole response (openaiUsage), a streamed one as it passes through
// (OpenAIStreamMeter), a request before it runs (openaiEstimate), and the request rewrite that
// makes a stream report its usage at all (withUsageRequested). Pure; the gateway does the fetch.
//
// Usage fields (API reference, chat completion object "usage"): prompt_tokens, completion_tokens
// (reasoning tokens included; all billed as output), prompt_tokens_details.cached_tokens, which
// is PART OF prompt_tokens: input = prompt_tokens − cached_tokens, cache_read = cached_tokens.
// GPT-5.6 also bills cache writes; we read prompt_tokens_details.cache_write_tokens and take it
// to be part of prompt_tokens too, as cached_tokens is (UNVERIFIED for Chat Completions; the
// Responses API reports it as input_tokens_details.cache_write_tokens).
// Streaming: `data: {chunk}` events, ending with `data: [DONE]`. Usage arrives only when the
// request sets stream_options.include_usage: then one extra chunk before [DONE] has
// `choices: []` and the whole request's usage, and every other chunk has `usage: null`. A
// stream cut before that chunk has reported nothing at all.
import { isCount, type TokenUsage } from "../../domain/prices/types";
import { SseDecoder } from "./sse";
import { StreamedText, estimateInputTokens, outputCap, type RequestEstimate } from "./estimate";
import { asObject, optionalCount, streamError, type ProviderStreamError } from "./types";

/** A `usage` object split into non-overlapping counts, or null when it is malformed. */
function splitUsage(u: Record<string, unknown>): TokenUsage | null {
  if (!isCount(u.prompt_tokens) || !isCount(u.completion_tokens)) return null;
  const details = asObject(u.prompt_tokens_details) ?? {};
  const cached = optionalCount(details.cached_tokens);
  const written = optionalCount(details.cache_write_tokens);
  if (cached === null || written === null) return null;
  // If the parts exceed the whole, the parts are charged as reported and uncached input is 0.
  return { input: Math.max(0, u.prompt_tokens - cached - written), output: u.completion_tokens, cache_read: cached, cache_write: written };
}

/** The usage of a non-streaming response, or null when it has none or it is malformed. */
export function openaiUsage(json: unknown): TokenUsage | null {
  const u = asObject(asObject(json)?.usage);
  return u ? splitUsage(u) : null;
}

/**
 * Meters a streamed response as it passes through, chunk by chunk. usage() is what OpenAI has
 * reported: all zeros until the include_usage chunk, then the totals. billableUsage() is what to
 * charge for a stream that ended without that chunk (client gone, upstream cut): the request's
 * estimated input and an estimate of the output delivered. Hidden reasoning tokens are not
 * streamed, so for reasoning models that estimate is low; the reservation should cover it.
 */
export class OpenAIStreamMeter {
  model: string | null = null;
  /** `data: [DONE]` seen. */
  done = false;
  /** An error object seen in the stream (the last one). */
  error: ProviderStreamError | null = null;
  finishReason: string | null = null;
  /** The include_usage chunk seen. */
  usageReported = false;

  private readonly sse = new SseDecoder();
  private reported: TokenUsage = { input: 0, output: 0, cache_read: 0, cache_write: 0 };
  private readonly streamed = new StreamedText();

  /** @param estimatedInputTokens input to charge if no usage chunk arrives (from openaiEstimate). */
  constructor(private readonly estimatedInputTokens = 0) {}

  push(chunk: string | Uint8Array): void {
    for (const ev of this.sse.push(chunk)) {
      if (ev.data === "[DONE]") {
        this.done = true;
        continue;
      }
      let data: Record<string, unknown> | null;
      try {
        data = asObject(JSON.parse(ev.data));
      } catch {
        continue;
      }
      if (data) this.handle(data);
    }
  }

  private handle(d: Record<string, unknown>): void {
    const err = asObject(d.error);
    if (err) {
      this.error = streamError(err);
      return;
    }
    if (typeof d.model === "string" && this.model === null) this.model = d.model;
    const u = asObject(d.usage);
    if (u) {
      const split = splitUsage(u);
      if (split) {
        this.reported = split;
        this.usageReported = true;
      }
    }
    if (!Array.isArray(d.choices)) return;
    for (const choice of d.choices) {
      const c = asObject(choice);
      if (typeof c?.finish_reason === "string") this.finishReason = c.finish_reason;
      const delta = asObject(c?.delta);
      if (!delta) continue;
      this.streamed.add(delta.content);
      this.streamed.add(delta.refusal);
      if (Array.isArray(delta.tool_calls)) {
        for (const call of delta.tool_calls) {
          const fn = asObject(asObject(call)?.function);
          this.streamed.add(fn?.name);
          this.streamed.add(fn?.arguments);
        }
      }
    }
  }

  usage(): TokenUsage {
    return { ...this.reported };
  }

  /** usage() once the usage chunk is seen; before that, the estimated input and the output delivered. */
  billableUsage(): TokenUsage {
    if (this.usageReported) return this.usage();
    return { input: this.estimatedInputTokens, output: this.streamed.tokens(), cache_read: 0, cache_write: 0 };
  }
}

/** Size a Chat Completions request before it runs; null when the body is not a JSON object. */
export function openaiEstimate(body: unknown): RequestEstimate | null {
  const b = asObject(body);
  if (!b) return null;
  // max_completion_tokens replaced max_tokens (and is the only one reasoning models take);
  // either caps each of the n choices.
  const perChoice = outputCap(b.max_completion_tokens) ?? outputCap(b.max_tokens);
  const n = outputCap(b.n) ?? 1;
  return {
    model: typeof b.model === "string" ? b.model : null,
    stream: b.stream === true,
    inputTokens: estimateInputTokens([b.messages], b.tools ?? b.functions),
    maxOutputTokens: perChoice === null ? null : perChoice * n,
  };
}

/** Whether the caller itself asked for the usage chunk (if not, the gateway may strip it). */
export const usageRequestedByClient = (body: Record<string, unknown>): boolean => asObject(body.stream_options)?.include_usage === true;

/**
 * A copy of a request body that makes a stream report its usage: stream_options.include_usage
 * set, the caller's other stream_options kept. A non-streaming body is copied unchanged, because
 * OpenAI rejects stream_options without stream: true.
 */
export function withUsageRequested(body: Record<string, unknown>): Record<string, unknown> {
  if (body.stream !== true) return { ...body };
  return { ...body, stream_options: { ...(asObject(body.stream_options) ?? {}), include_usage: true } };
}
