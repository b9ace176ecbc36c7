// Numbers the benchmarks share: exact nearest-rank percentiles of a sample, and a small seeded
// PRNG (mulberry32) so a seed always makes the same workload.

/** n, mean, p50, p90, p99 and max of the samples, exact (nearest rank); NaN when empty. */
export function latencyStats(samples) {
  const s = Float64Array.from(samples).sort();
  const at = (q) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
  return { n: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s.length ? s[s.length - 1] : NaN, mean };
}

/** A seeded generator of floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
