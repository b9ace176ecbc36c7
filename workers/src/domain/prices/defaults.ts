// The default price table: public list prices of Anthropic and OpenAI models, keyed by the
// model id as the provider's API takes it. An org can override any entry, or set a default for
// models not listed (see resolve.ts). Standard tier only: Batch, Flex, Priority, Anthropic
// fast mode and data-residency multipliers are not modelled here.
//
// Figures are micro-dollars per million tokens ($3 / MTok = 3_000_000). Read on 2026-11-29 from:
//  [A1] https://platform.claude.com/docs/en/about-claude/pricing: "Model pricing" table (base
//       input, 5m cache writes, 1h cache writes, cache hits, output) for Fable/Mythos 5 and 5.1,
//       Opus 5, Opus 4.5–4.8, Opus 4.1 and 4.
//  [A2] https://docs.anthropic.com/en/docs/about-claude/pricing (earlier revision of [A1]): Opus 4.1/4,
//       Sonnet 4/3.7, Haiku 3.5, Haiku 3 rows; Sonnet 4/4.5 long context, > 200K input tokens:
//       $6 input / $22.50 output.
//  [A3] https://platform.claude.com/docs/en/models/opus-5-5/overview ($4/$20, 5m $5, 1h $8, hits $0.20),
//       .../models/opus-5/overview, .../models/sonnet-4-6/overview, .../models/haiku-4-5/overview,
//       .../models/haiku-5-5/overview ("From $0.10 / $0.50"; prompts over 100K tokens billed higher).
//  [A4] https://platform.claude.com/docs/en/about-claude/models/model-ids-and-versions: dateless ids
//       from the 4.6 generation (claude-opus-4-6, claude-sonnet-5); dated snapshots before it
//       (claude-sonnet-4-5-20250929), which resolve.ts maps to the family entry.
//  [G1] github/docs data/tables/copilot/models-and-pricing.yml (commit 024f6b0f): Claude Sonnet 4,
//       4.5, 4.6, 5, Haiku 4.5, Opus 4.5–5, Fable 5 (input, cached input, cache write); OpenAI
//       GPT-5 mini, GPT-5.3-Codex, GPT-5.4 (≤/> 272K), GPT-5.4 mini/nano, GPT-5.5 (≤/> 272K),
//       GPT-5.6 Sol/Terra/Luna (≤/> threshold, with cache-write prices).
//  [O1] https://developers.openai.com/api/docs/pricing as quoted by tokenmix.ai (2026-06-04) and
//       morphllm.com (June 2026): gpt-5.5, gpt-5.5-pro, gpt-5.4, -mini, -nano, -pro.
//  [O2] simonw/llm-prices data/openai.json (commit 0838d1ac): gpt-4o, gpt-4o-mini, gpt-4.1 family,
//       o1, o1-mini, o1-pro, o3-mini, o3-pro, o4-mini, gpt-5, -mini, -nano, -pro, gpt-5.1,
//       gpt-5.1-codex(-mini), gpt-5.2, gpt-5.2-pro, gpt-5.4-pro > 272K.
// UNVERIFIED marks a figure not read on an official page: a third-party tracker's reading of one,
// or a multiplier applied by rule. OpenAI has no cache-write charge before GPT-5.6, so there
// cache_write = input; a model without a cached-input price has cache_read = input.
import type { ModelPrice, ModelRates } from "./types";

/** When the figures below were last checked against the sources above. */
export const DEFAULT_PRICES_AS_OF = "2026-11-29";

const r = (input: number, output: number, cache_read: number, cache_write: number, cache_write_1h?: number): ModelRates =>
  cache_write_1h === undefined ? { input, output, cache_read, cache_write } : { input, output, cache_read, cache_write, cache_write_1h };

const tiered = (base: ModelRates, above_prompt_tokens: number, rates: ModelRates): ModelPrice => ({ ...base, long_context: { above_prompt_tokens, rates } });

/** OpenAI before GPT-5.6: no cache-write premium. */
const oa = (input: number, output: number, cached: number | null): ModelRates => r(input, output, cached ?? input, input);

// Anthropic families. Cache writes are 1.25× input (5m) and 2× input (1h); hits 0.1× (0.05× on
// Opus 5.5 and Sonnet 5.5, 0.025× on Fable/Mythos 5.1).
const OPUS_45_TO_5 = r(5_000_000, 25_000_000, 500_000, 6_250_000, 10_000_000); // [A1][G1]
const OPUS_4_AND_41 = r(15_000_000, 75_000_000, 1_500_000, 18_750_000, 30_000_000); // [A1][A2]
const SONNET_3 = r(3_000_000, 15_000_000, 300_000, 3_750_000, 6_000_000); // [A2][G1]
// Sonnet 4 and 4.5 with the 1M-context beta: past 200K prompt tokens, $6 / $22.50 [A2]; the
// cache rates of that tier are the standard multipliers of $6. UNVERIFIED (cache rates).
const SONNET_LONG = r(6_000_000, 22_500_000, 600_000, 7_500_000, 12_000_000);
const SONNET_5 = r(2_000_000, 10_000_000, 200_000, 2_500_000, 4_000_000); // [G1]
const FABLE_5 = r(10_000_000, 50_000_000, 1_000_000, 12_500_000, 20_000_000); // [A1][G1]
// Hits at $0.25 [A1] (the table footnotes that figure; the footnote's text was not captured).
const FABLE_51 = r(10_000_000, 50_000_000, 250_000, 12_500_000, 20_000_000);

const ANTHROPIC: Record<string, ModelPrice> = {
  "claude-fable-5-1": FABLE_51,
  "claude-mythos-5-1": FABLE_51,
  "claude-fable-5": FABLE_5,
  "claude-mythos-5": FABLE_5,
  "claude-opus-5-5": r(4_000_000, 20_000_000, 200_000, 5_000_000, 8_000_000), // [A3]
  "claude-opus-5": OPUS_45_TO_5,
  "claude-opus-4-8": OPUS_45_TO_5,
  "claude-opus-4-7": OPUS_45_TO_5,
  "claude-opus-4-6": OPUS_45_TO_5,
  "claude-opus-4-5": OPUS_45_TO_5, // and claude-opus-4-5-20251101
  "claude-opus-4-1": OPUS_4_AND_41, // and claude-opus-4-1-20250805
  "claude-opus-4": OPUS_4_AND_41, // claude-opus-4-20250514
  "claude-opus-4-0": OPUS_4_AND_41, // the API's alias for it
  // $2 / $10 and writes $2.50 / $4 [A3]; hits cut from $0.20 to $0.10 on 2026-10-07: UNVERIFIED,
  // from kurofune/claudit v1.9.2 and TheKrush/PromptFuel v1.0.23, which re-read [A1] in Oct 2026.
  "claude-sonnet-5-5": r(2_000_000, 10_000_000, 100_000, 2_500_000, 4_000_000),
  "claude-sonnet-5": SONNET_5,
  "claude-sonnet-4-6": SONNET_3, // no long-context premium from the 4.6 generation on
  "claude-sonnet-4-5": tiered(SONNET_3, 200_000, SONNET_LONG), // and claude-sonnet-4-5-20250929
  "claude-sonnet-4": tiered(SONNET_3, 200_000, SONNET_LONG), // claude-sonnet-4-20250514
  "claude-sonnet-4-0": tiered(SONNET_3, 200_000, SONNET_LONG),
  "claude-3-7-sonnet": SONNET_3, // claude-3-7-sonnet-20250219, claude-3-7-sonnet-latest
  // "From $0.10 / $0.50" [A3]; prompts over 100K tokens (input + cache reads + writes) pay
  // $0.50 / $2.50 on every token. Cache rates of both bands UNVERIFIED (same trackers as above).
  "claude-haiku-5-5": tiered(r(100_000, 500_000, 10_000, 125_000, 200_000), 100_000, r(500_000, 2_500_000, 50_000, 625_000, 1_000_000)),
  "claude-haiku-4-5": r(1_000_000, 5_000_000, 100_000, 1_250_000, 2_000_000), // [A3][G1], and -20251001
  "claude-3-5-haiku": r(800_000, 4_000_000, 80_000, 1_000_000, 1_600_000), // [A2]
  "claude-3-haiku": r(250_000, 1_250_000, 30_000, 300_000, 500_000), // [A2], claude-3-haiku-20240307
};

const GPT_5 = oa(1_250_000, 10_000_000, 125_000); // [O2]
const GPT_52 = oa(1_750_000, 14_000_000, 175_000); // [G1][O2]

const OPENAI: Record<string, ModelPrice> = {
  // GPT-5.6 charges cache writes [G1]; Luna's long tier starts past 200K, Sol's and Terra's past 272K.
  "gpt-5.6-sol": tiered(r(5_000_000, 30_000_000, 500_000, 6_250_000), 272_000, r(10_000_000, 45_000_000, 1_000_000, 12_500_000)),
  "gpt-5.6-terra": tiered(r(2_000_000, 12_000_000, 200_000, 2_500_000), 272_000, r(4_000_000, 18_000_000, 400_000, 5_000_000)),
  "gpt-5.6-luna": tiered(r(200_000, 1_200_000, 20_000, 250_000), 200_000, r(400_000, 1_800_000, 40_000, 500_000)),
  "gpt-5.5": tiered(oa(5_000_000, 30_000_000, 500_000), 272_000, oa(10_000_000, 45_000_000, 1_000_000)), // [G1][O1]
  // Pro models take no cached input. Their > 272K tier is UNVERIFIED for 5.5-pro: [O2] lists only ≤ 272K.
  "gpt-5.5-pro": oa(30_000_000, 180_000_000, null), // [O1][O2]
  "gpt-5.4": tiered(oa(2_500_000, 15_000_000, 250_000), 272_000, oa(5_000_000, 22_500_000, 500_000)), // [G1][O1]
  "gpt-5.4-pro": tiered(oa(30_000_000, 180_000_000, null), 272_000, oa(60_000_000, 270_000_000, null)), // [O1][O2]
  "gpt-5.4-mini": oa(750_000, 4_500_000, 75_000), // [G1][O1]
  "gpt-5.4-nano": oa(200_000, 1_250_000, 20_000), // [G1][O1]
  "gpt-5.3-codex": GPT_52, // [G1]
  "gpt-5.2": GPT_52,
  "gpt-5.2-pro": oa(21_000_000, 168_000_000, null), // [O2]
  "gpt-5.1": GPT_5,
  "gpt-5.1-codex": GPT_5,
  "gpt-5.1-codex-mini": oa(250_000, 2_000_000, 25_000), // [O2]
  "gpt-5": GPT_5,
  "gpt-5-pro": oa(15_000_000, 120_000_000, null), // [O2]
  "gpt-5-mini": oa(250_000, 2_000_000, 25_000), // [G1][O2]
  "gpt-5-nano": oa(50_000, 400_000, 5_000), // [O2]
  "gpt-4.1": oa(2_000_000, 8_000_000, 500_000), // [O2]
  "gpt-4.1-mini": oa(400_000, 1_600_000, 100_000), // [O2]
  "gpt-4.1-nano": oa(100_000, 400_000, 25_000), // [O2]
  "gpt-4o": oa(2_500_000, 10_000_000, 1_250_000), // [O2]
  // The first gpt-4o snapshot kept its launch price: an exact entry, so the dated-snapshot rule
  // never maps it to "gpt-4o". UNVERIFIED here (OpenAI's pricing page, legacy models, 2025).
  "gpt-4o-2024-05-13": oa(5_000_000, 15_000_000, null),
  "gpt-4o-mini": oa(150_000, 600_000, 75_000), // [O2]
  "o1": oa(15_000_000, 60_000_000, 7_500_000), // [O2] (listed as o1-preview, same rates)
  "o1-pro": oa(150_000_000, 600_000_000, null), // [O2]
  "o1-mini": oa(1_100_000, 4_400_000, 550_000), // [O2]
  // o3 after OpenAI's June 2025 price cut: $2 / $8, cached $0.50. [O2] still lists the launch
  // $10 / $40 beside the post-cut cached $0.50; UNVERIFIED, from several 2026 pricing trackers.
  "o3": oa(2_000_000, 8_000_000, 500_000),
  "o3-pro": oa(20_000_000, 80_000_000, null), // [O2]
  "o3-mini": oa(1_100_000, 4_400_000, 550_000), // [O2]
  "o4-mini": oa(1_100_000, 4_400_000, 275_000), // [O2]
};

function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (typeof v === "object" && v !== null && !Object.isFrozen(v)) deepFreeze(v);
  return Object.freeze(o);
}

/** The default table. Keys are family ids; resolve.ts explains which other ids reach them. */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = deepFreeze({ ...ANTHROPIC, ...OPENAI });
