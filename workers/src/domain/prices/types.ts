// The vocabulary of LLM pricing: what a model charges per million tokens, and what a request
// used. Plain integers throughout (house rule: no floats in a ledger). Shared by the price
// table, the resolver, the cost arithmetic and the provider usage parsers.

/**
 * Rates in integer micro-dollars per million tokens (1 USD = 1,000,000 micro-dollars), so
 * "$3.00 / MTok" is 3_000_000 and "$0.075 / MTok" is 75_000.
 */
export interface ModelRates {
  /** Uncached input tokens. */
  input: number;
  output: number;
  /** Input read from the prompt cache (Anthropic cache hits, OpenAI cached_tokens). */
  cache_read: number;
  /** Input written to the prompt cache: Anthropic's default 5-minute TTL, OpenAI GPT-5.6+. */
  cache_write: number;
  /** Input written with Anthropic's 1-hour TTL (`cache_control.ttl: "1h"`); absent → cache_write. */
  cache_write_1h?: number;
}

export interface ModelPrice extends ModelRates {
  /**
   * A long-context tier. When a request's prompt (input + cache_read + cache_write tokens) is
   * more than `above_prompt_tokens`, every token of that request, output included, is charged
   * at `rates` instead (how Anthropic prices Haiku 5.5 and Sonnet 4/4.5 past 200K, and OpenAI
   * GPT-5.4+ past 272K).
   */
  long_context?: { above_prompt_tokens: number; rates: ModelRates };
}

/**
 * What one request consumed, in tokens, split the way prices are: never overlapping, so the
 * cost is a plain sum. Provider parsers do the splitting (OpenAI reports cached tokens inside
 * prompt_tokens; Anthropic reports them beside input_tokens).
 */
export interface TokenUsage {
  input: number;
  output: number;
  cache_read: number;
  /** All cache writes, whatever the TTL. */
  cache_write: number;
  /** Of cache_write, how many were 1-hour writes (Anthropic). Absent → 0. */
  cache_write_1h?: number;
}

export const ZERO_USAGE: Readonly<TokenUsage> = Object.freeze({ input: 0, output: 0, cache_read: 0, cache_write: 0 });

/** A token count or a rate: a non-negative integer that Number holds exactly. */
export const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

function validRates(r: unknown): r is ModelRates {
  if (typeof r !== "object" || r === null) return false;
  const x = r as Record<string, unknown>;
  return (
    isCount(x.input) &&
    isCount(x.output) &&
    isCount(x.cache_read) &&
    isCount(x.cache_write) &&
    (x.cache_write_1h === undefined || isCount(x.cache_write_1h))
  );
}

/** For prices that arrive as data (org overrides from D1 or an API body): every rate an integer. */
export function isModelPrice(p: unknown): p is ModelPrice {
  if (!validRates(p)) return false;
  const lc = (p as { long_context?: unknown }).long_context;
  if (lc === undefined) return true;
  if (typeof lc !== "object" || lc === null) return false;
  const { above_prompt_tokens, rates } = lc as Record<string, unknown>;
  return isCount(above_prompt_tokens) && validRates(rates) && (rates as { long_context?: unknown }).long_context === undefined;
}
