// Which price applies to a model id: the org's override, else the default table, else the
// org's default price, else a refusal naming the model. Never a silent zero: a model nobody has
// priced is an error the gateway must answer (refuse, or require an org default).
//
// An id matches an entry either exactly or by ONE documented rewrite, tried in this order:
//   1. exact:          "claude-sonnet-4-5"          → "claude-sonnet-4-5"
//   2. dated_snapshot: "claude-sonnet-4-5-20250929" → "claude-sonnet-4-5"   (Anthropic -YYYYMMDD)
//                      "gpt-4.1-2025-04-14"         → "gpt-4.1"             (OpenAI -YYYY-MM-DD)
//   3. latest_alias:   "claude-3-7-sonnet-latest"   → "claude-3-7-sonnet"
// No other prefix matching: "claude-opus-4-8" never falls back to "claude-opus-4", and a
// snapshot priced differently from its family gets its own exact entry (gpt-4o-2024-05-13).
// The org's overrides go first at every step: an override of "claude-sonnet-4-5" also prices
// its dated snapshots, even where the default table has an exact entry for one.
import { DEFAULT_PRICES } from "./defaults";
import type { ModelPrice } from "./types";

export type PriceSource = "org_override" | "default_table" | "org_default";
export type MatchRule = "exact" | "dated_snapshot" | "latest_alias" | "org_default";

export type PriceResolution =
  | { ok: true; price: ModelPrice; source: PriceSource; /** The key that matched (the model id for org_default). */ matched: string; rule: MatchRule }
  | { ok: false; reason: "unknown_model"; model: string };

const ANTHROPIC_SNAPSHOT = /^(.+)-\d{8}$/;
const OPENAI_SNAPSHOT = /^(.+)-\d{4}-\d{2}-\d{2}$/;
const LATEST = /^(.+)-latest$/;

/** The ids to look up for a model, most specific first. */
export function candidateIds(model: string): { id: string; rule: Exclude<MatchRule, "org_default"> }[] {
  const out: { id: string; rule: Exclude<MatchRule, "org_default"> }[] = [{ id: model, rule: "exact" }];
  const dated = ANTHROPIC_SNAPSHOT.exec(model) ?? OPENAI_SNAPSHOT.exec(model);
  if (dated) out.push({ id: dated[1]!, rule: "dated_snapshot" });
  const latest = LATEST.exec(model);
  if (latest) out.push({ id: latest[1]!, rule: "latest_alias" });
  return out;
}

// Own keys only: a model named "constructor" or "__proto__" must not find Object.prototype.
const lookup = (table: Readonly<Record<string, ModelPrice>>, id: string): ModelPrice | undefined =>
  Object.hasOwn(table, id) ? table[id] : undefined;

export function resolvePrice(
  model: string,
  orgOverrides: Readonly<Record<string, ModelPrice>>,
  orgDefault: ModelPrice | null,
  table: Readonly<Record<string, ModelPrice>> = DEFAULT_PRICES,
): PriceResolution {
  // An empty id is a malformed request, not an unlisted model: the org default does not cover it.
  if (model.length === 0) return { ok: false, reason: "unknown_model", model };
  const candidates = candidateIds(model);
  for (const [source, prices] of [["org_override", orgOverrides], ["default_table", table]] as const) {
    for (const { id, rule } of candidates) {
      const price = lookup(prices, id);
      if (price) return { ok: true, price, source, matched: id, rule };
    }
  }
  if (orgDefault) return { ok: true, price: orgDefault, source: "org_default", matched: model, rule: "org_default" };
  return { ok: false, reason: "unknown_model", model };
}
