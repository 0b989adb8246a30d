/**
 * The distribution across agents from a recorded histogram of pi(best) (64 equal bins over
 * [0, 1], bin floor(p * 64)), as pure functions: the ECDF at the bin edges, the fraction of agents
 * below a threshold, and the threshold snapped to the bin edge those counts can answer exactly.
 */

/** A threshold moved to the nearest bin edge: `edge = bin / bins`; counts below it are exact. */
export interface SnappedThreshold {
  /** The edge, in [0, 1]. */
  edge: number;
  /** Bins 0 .. bin - 1 lie below the edge. */
  bin: number;
  /** Whether the edge differs from the threshold asked for. */
  moved: boolean;
}

export function snapThreshold(threshold: number, bins: number): SnappedThreshold {
  const clamped = Number.isFinite(threshold) ? Math.min(1, Math.max(0, threshold)) : 0.5;
  const bin = Math.round(clamped * bins);
  const edge = bin / bins;
  return { edge, bin, moved: edge !== threshold };
}

/** Agents a histogram row counts (`offset`: the row's first bin). */
export function histogramTotal(counts: ArrayLike<number>, offset: number, bins: number): number {
  let total = 0;
  for (let b = 0; b < bins; b++) total += counts[offset + b];
  return total;
}

/** Fraction of the row's agents in bins below `bin` (pi < bin / bins); NaN for an empty row. */
export function fractionBelow(counts: ArrayLike<number>, offset: number, bins: number, bin: number): number {
  const total = histogramTotal(counts, offset, bins);
  if (total === 0) return Number.NaN;
  let below = 0;
  for (let b = 0; b < Math.min(bin, bins); b++) below += counts[offset + b];
  return below / total;
}

/**
 * The ECDF at the bin edges into `out` (bins + 1 entries): out[e] = fraction of agents with
 * pi < e / bins, so out[0] = 0 and out[bins] = 1. An empty row gives NaN throughout.
 */
export function ecdfAtEdges(counts: ArrayLike<number>, offset: number, bins: number, out: number[] | Float64Array): void {
  const total = histogramTotal(counts, offset, bins);
  let below = 0;
  out[0] = total === 0 ? Number.NaN : 0;
  for (let b = 0; b < bins; b++) {
    below += counts[offset + b];
    out[b + 1] = total === 0 ? Number.NaN : below / total;
  }
}

/** Mean and quantiles of a set of values, NaN left out. */
export interface Spread {
  count: number;
  mean: number;
  p10: number;
  p50: number;
  p90: number;
}

/**
 * The mean and the 10%, 50% and 90% quantiles of `values` (the value of rank round(q (n - 1)) in
 * ascending order, as the seeds chart picks its agents); NaN throughout when none is finite.
 */
export function spreadOf(values: ArrayLike<number>): Spread {
  let count = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue;
    count++;
    sum += values[i];
  }
  if (count === 0) return { count, mean: Number.NaN, p10: Number.NaN, p50: Number.NaN, p90: Number.NaN };
  const sorted = new Float64Array(count);
  for (let i = 0, n = 0; i < values.length; i++) if (Number.isFinite(values[i])) sorted[n++] = values[i];
  sorted.sort();
  const at = (q: number) => sorted[Math.round(q * (count - 1))];
  return { count, mean: sum / count, p10: at(0.1), p50: at(0.5), p90: at(0.9) };
}
