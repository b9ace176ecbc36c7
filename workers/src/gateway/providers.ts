// The two wire formats the LLM gateway speaks, as data: where the provider lives, how its
// key is sent, which caller headers pass through, how a request is estimated and a
// response (or stream) is metered. Everything else in the gateway is the same for both.
import type { Env } from "../env";
import type { TokenUsage } from "../domain/prices/types";
import type { RequestEstimate } from "../integrations/llm/estimate";
import { AnthropicStreamMeter, anthropicEstimate, anthropicUsage } from "../integrations/llm/anthropic";
import { OpenAIStreamMeter, openaiEstimate, openaiUsage, withUsageRequested } from "../integrations/llm/openai";

export type ProviderName = "anthropic" | "openai";

export interface StreamMeter {
  push(chunk: Uint8Array): void;
  /** What to charge: the provider's own counts once it reported them, else an estimate of what was delivered. */
  billableUsage(): TokenUsage;
}

export interface ProviderSpec {
  name: ProviderName;
  path: string;
  baseUrl(env: Env): string;
  authHeaders(apiKey: string): Record<string, string>;
  /** Caller headers forwarded as they are (never the caller's own credential). */
  passHeaders: readonly string[];
  estimate(body: unknown): RequestEstimate | null;
  usage(json: unknown): TokenUsage | null;
  meter(estimatedInputTokens: number): StreamMeter;
  /** The body sent upstream (OpenAI streams must ask for their usage). */
  upstreamBody(body: Record<string, unknown>): Record<string, unknown>;
}

/** Response headers a client may need back (content type, rate limits, the provider's request id). */
export const RESPONSE_HEADERS = /^(content-type|retry-after|request-id|x-request-id|anthropic-ratelimit-.*|x-ratelimit-.*|openai-processing-ms)$/i;

export const ANTHROPIC: ProviderSpec = {
  name: "anthropic",
  path: "/v1/messages",
  baseUrl: (env) => env.ANTHROPIC_BASE_URL || "https://api.anthropic.com",
  authHeaders: (apiKey) => ({ "x-api-key": apiKey }),
  passHeaders: ["anthropic-version", "anthropic-beta"],
  estimate: anthropicEstimate,
  usage: anthropicUsage,
  meter: (estimated) => new AnthropicStreamMeter(estimated),
  upstreamBody: (body) => body,
};

export const OPENAI: ProviderSpec = {
  name: "openai",
  path: "/v1/chat/completions",
  baseUrl: (env) => env.OPENAI_BASE_URL || "https://api.openai.com",
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  passHeaders: ["openai-organization", "openai-project"],
  estimate: openaiEstimate,
  usage: openaiUsage,
  meter: (estimated) => new OpenAIStreamMeter(estimated),
  upstreamBody: withUsageRequested,
};
