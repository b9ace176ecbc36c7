// How signals become work items: each signal gets a key (where it is, and its theme) and
// signals with the same key are one item. The theme of a signal without a component is its
// label that is most common in its scope, so tickets labelled [checkout, slow] and [checkout]
// land together. Keys are hashed into the item's stable id.

import { canonicalJson, sha256Hex } from "../audit/chain";
import type { PriorityKey, Signal } from "./types";

/** The theme of a signal with neither a component nor a label. */
export const NO_THEME = "general";

/** Lower-case and trimmed; blank is null (names from different tools differ in case, not meaning). */
export const norm = (s: string | null): string | null => {
  const t = s?.trim().toLowerCase() ?? "";
  return t === "" ? null : t;
};

type Scope = Pick<PriorityKey, "scopeKind" | "scope">;

/** Where a signal is: its repo, else its service, else its component. */
function scopeOf(s: Signal): Scope {
  const repo = norm(s.repo);
  if (repo !== null) return { scopeKind: "repo", scope: repo };
  const service = norm(s.service);
  if (service !== null) return { scopeKind: "service", scope: service };
  const component = norm(s.component);
  if (component !== null) return { scopeKind: "component", scope: component };
  return { scopeKind: null, scope: null };
}

const scopeText = (s: Scope) => `${s.scopeKind ?? ""}:${s.scope ?? ""}`;

/** Label → how many of the signals in each scope carry it (each label once per signal). */
function labelCounts(signals: readonly Signal[]): Map<string, Map<string, number>> {
  const byScope = new Map<string, Map<string, number>>();
  for (const s of signals) {
    const counts = byScope.get(scopeText(scopeOf(s))) ?? new Map<string, number>();
    for (const label of new Set(s.labels.map(norm))) if (label !== null) counts.set(label, (counts.get(label) ?? 0) + 1);
    byScope.set(scopeText(scopeOf(s)), counts);
  }
  return byScope;
}

/** The most frequent of `labels` by `counts`; ties go to the alphabetically first, so the choice is stable. */
function mostCommon(labels: readonly string[], counts: Map<string, number>): string | null {
  let best: string | null = null;
  for (const label of labels) {
    const n = counts.get(label) ?? 0;
    const bestN = best === null ? -1 : (counts.get(best) ?? 0);
    if (n > bestN || (n === bestN && best !== null && label < best)) best = label;
  }
  return best;
}

/** Each signal's key, given all the signals being ranked (the label frequencies depend on them). */
export function keySignals(signals: readonly Signal[]): Map<Signal, PriorityKey> {
  const counts = labelCounts(signals);
  const keys = new Map<Signal, PriorityKey>();
  for (const s of signals) {
    const scope = scopeOf(s);
    const component = norm(s.component);
    // The component is the theme unless it is already the scope; then the labels say what about it.
    const labels = s.labels.map(norm).filter((l): l is string => l !== null);
    const theme = (scope.scopeKind !== "component" ? component : null) ?? mostCommon(labels, counts.get(scopeText(scope))!) ?? NO_THEME;
    keys.set(s, { ...scope, theme });
  }
  return keys;
}

/** A key as one string: for grouping and for the deterministic order of equal scores. */
export const keyText = (k: PriorityKey): string => `${k.scope ?? ""}\u0000${k.theme}\u0000${k.scopeKind ?? ""}`;

/** The item id: stable across runs and inputs, since it depends on the key alone. */
export const itemId = (k: PriorityKey): string => `pri_${sha256Hex(canonicalJson(k)).slice(0, 24)}`;
