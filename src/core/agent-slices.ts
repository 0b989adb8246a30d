/**
 * One population run as several CPU engines on disjoint slices of each group's agents (the
 * page's fallback runs one per Web Worker). Each engine hands out its rows as records of sums
 * (`CpuEngine.advanceSumsSync`); adding them up and finishing once gives the rows one engine
 * computes, up to the order of float additions, and the same histograms.
 */
import { type AgentSlice, finishRecord } from './cpu-engine.ts';
import { divergenceMessage } from './groups.ts';
import type { RowBatchData } from './row-batch.ts';
import { recordLength } from './shared-constants.ts';
import { RowWriter, type StatsLayout, type StatsSink, kHistogramBins } from './stats.ts';

/** Below this many agents in its largest group a population stays on one engine: no gain in splitting. */
export const kMinAgentsPerSlice = 2_000;

/** How many engines to split a population over: one per `kMinAgentsPerSlice` agents, within [1, `cap`]. */
export function sliceCount(groupAgents: readonly number[], cap: number): number {
  const blocks = Math.floor(Math.max(...groupAgents) / kMinAgentsPerSlice);
  return Math.max(1, Math.min(Math.floor(cap), blocks));
}

/** Slice `part` of `parts` of every group: contiguous, sizes differing by at most one (small groups may leave a slice empty). */
export function agentSlices(groupAgents: readonly number[], parts: number, part: number): AgentSlice[] {
  return groupAgents.map((agents) => {
    const first = Math.floor((part * agents) / parts);
    return { first, agents: Math.floor(((part + 1) * agents) / parts) - first };
  });
}

/** Which slice holds global agent `agent` of a group of `agents`, and its index there. */
export function sliceOfAgent(agents: number, parts: number, agent: number): { part: number; local: number } {
  for (let part = 0; part < parts; part++) {
    const first = Math.floor((part * agents) / parts);
    const end = Math.floor(((part + 1) * agents) / parts);
    if (agent < end) return { part, local: agent - first };
  }
  throw new RangeError(`no agent ${agent} in a group of ${agents}`);
}

/**
 * Adds up the slices' batches of record sums (one batch per slice, from the same `advance`)
 * into finished rows. Keeps each group's divergence: one engine stops a group at the first
 * step any agent diverges, so rows from that step on are dropped here, from every slice.
 */
export class SliceCombiner {
  readonly #arms: number;
  readonly #length: number;
  readonly #rows: RowWriter;
  readonly #divergedAt: number[];
  readonly #sums: Float64Array;
  readonly #finished: Float64Array;
  readonly #histogram = new Uint32Array(kHistogramBins);

  constructor(layout: StatsLayout, groups: number) {
    this.#arms = layout.arms;
    this.#length = recordLength(layout.arms);
    this.#rows = new RowWriter(layout);
    this.#divergedAt = new Array<number>(groups).fill(0);
    this.#sums = new Float64Array(this.#length);
    this.#finished = new Float64Array(this.#length);
  }

  divergedAt(group: number): number {
    return this.#divergedAt[group];
  }

  /** Writes the rows of one `advance` of every slice to `sink`, then the divergences it found. */
  combine(batches: readonly RowBatchData[], sink: StatsSink): void {
    // A group diverges at the earliest step any slice reports; the messages are the one engine's.
    const newly = new Map<number, number>();
    for (const batch of batches) {
      for (const { group, step } of batch.divergences) {
        if (this.#divergedAt[group] > 0) continue;
        newly.set(group, Math.min(newly.get(group) ?? step, step));
      }
    }
    for (const [group, step] of newly) this.#divergedAt[group] = step;
    const kept = (batch: RowBatchData, r: number) => {
      const stop = this.#divergedAt[batch.groups[r]];
      return stop === 0 || batch.steps[r] < stop;
    };
    // Every slice writes the rows that are kept, in the same order (the engines run the same
    // chunks over the same groups); a slice that diverged wrote fewer, all of them dropped here.
    const cursors = batches.map(() => 0);
    const length = this.#length;
    const [lead] = batches;
    for (let r = 0; r < lead.count; r++) {
      if (!kept(lead, r)) continue;
      const group = lead.groups[r];
      const step = lead.steps[r];
      this.#sums.set(lead.values.subarray(r * length, (r + 1) * length));
      this.#histogram.set(lead.histograms.subarray(r * kHistogramBins, (r + 1) * kHistogramBins));
      for (let b = 1; b < batches.length; b++) {
        const batch = batches[b];
        let s = cursors[b];
        while (s < batch.count && !kept(batch, s)) s++;
        if (s >= batch.count || batch.groups[s] !== group || batch.steps[s] !== step) {
          throw new Error(`agent slice ${b} has no row of group ${group} at step ${step}`);
        }
        cursors[b] = s + 1;
        for (let i = 0; i < length; i++) this.#sums[i] += batch.values[s * length + i];
        for (let i = 0; i < kHistogramBins; i++) this.#histogram[i] += batch.histograms[s * kHistogramBins + i];
      }
      finishRecord(this.#sums, 0, this.#finished, this.#arms);
      this.#rows.emit(sink, group, step, this.#finished, 0, this.#histogram, 0);
    }
    for (const [group, step] of newly) sink.diverged?.(group, step, divergenceMessage(group, step));
  }
}
