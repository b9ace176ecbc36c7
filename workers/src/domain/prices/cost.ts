// What a request costs, in integer micro-dollars: the settled cost from a provider's reported
// usage (costMicros) and the most a request can cost, for a budget reservation made before it
// runs (estimateMicros). Used by the LLM gateway and the budget ledger.
//
// Each component (input, output, cache reads, cache writes) is rounded UP to the next whole
// micro-dollar: a budget is a ceiling, so a fraction of a micro-dollar goes against it, never in
// its favour. The overcharge is under one micro-dollar per component, five per request at most.
// INVARIANT: integer arithmetic only. tokens × rate reaches 10^9 × 10^8 = 10^17 > 2^53, so the
// products are BigInt; the result is checked to fit a safe integer before it becomes a Number.
import { isCount, type ModelPrice, type ModelRates, type TokenUsage } from "./types";

const PER_MILLION = 1_000_000n;

/** ceil(tokens × rate / 1,000,000) for non-negative integers. */
function component(tokens: number, rate: number): bigint {
  const product = BigInt(tokens) * BigInt(rate);
  return (product + PER_MILLION - 1n) / PER_MILLION;
}

function toSafeNumber(total: bigint): number {
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`cost ${total} micro-dollars exceeds Number.MAX_SAFE_INTEGER`);
  return Number(total);
}

function checkCounts(what: string, values: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(values)) {
    if (v !== undefined && !isCount(v)) throw new RangeError(`${what}.${k} must be a non-negative safe integer, got ${String(v)}`);
  }
}

function checkRates(r: ModelRates, what = "price"): void {
  checkCounts(what, { input: r.input, output: r.output, cache_read: r.cache_read, cache_write: r.cache_write, cache_write_1h: r.cache_write_1h });
}

/** The prompt size that picks a long-context tier: everything the model read. */
export const promptTokens = (u: Pick<TokenUsage, "input" | "cache_read" | "cache_write">): number => u.input + u.cache_read + u.cache_write;

/** The rates that apply to a request with this many prompt tokens. */
export function ratesFor(price: ModelPrice, prompt: number): ModelRates {
  const lc = price.long_context;
  return lc && prompt > lc.above_prompt_tokens ? lc.rates : price;
}

/**
 * The cost of reported usage. Throws RangeError on a negative, fractional or unsafe count or
 * rate (a parser or table bug, never a price to guess at) and on a total past 2^53 − 1.
 */
export function costMicros(usage: TokenUsage, price: ModelPrice): number {
  checkCounts("usage", { ...usage });
  checkRates(price);
  if (price.long_context) checkRates(price.long_context.rates, "price.long_context.rates");
  const oneHour = usage.cache_write_1h ?? 0;
  if (oneHour > usage.cache_write) throw new RangeError(`usage.cache_write_1h (${oneHour}) exceeds usage.cache_write (${usage.cache_write})`);

  const r = ratesFor(price, promptTokens(usage));
  const total =
    component(usage.input, r.input) +
    component(usage.output, r.output) +
    component(usage.cache_read, r.cache_read) +
    component(usage.cache_write - oneHour, r.cache_write) +
    component(oneHour, r.cache_write_1h ?? r.cache_write);
  return toSafeNumber(total);
}

/**
 * The most a request can cost, for a reservation: `maxInputTokens` of prompt (an estimate,
 * see integrations/llm) each at the dearest input-side rate, because the request may write
 * all of it to the cache, plus `maxOutputTokens` of output. The tier is the one that prompt
 * size selects.
 */
export function estimateMicros(maxInputTokens: number, maxOutputTokens: number, price: ModelPrice): number {
  checkCounts("estimate", { maxInputTokens, maxOutputTokens });
  checkRates(price);
  if (price.long_context) checkRates(price.long_context.rates, "price.long_context.rates");
  const r = ratesFor(price, maxInputTokens);
  const dearestInput = Math.max(r.input, r.cache_write, r.cache_write_1h ?? 0);
  return toSafeNumber(component(maxInputTokens, dearestInput) + component(maxOutputTokens, r.output));
}
