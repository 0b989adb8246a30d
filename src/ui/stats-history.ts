/**
 * The rows the charts draw: a bounded, columnar history of each group's statistics.
 *
 * Memory is fixed: at most `capacity` rows per group. When the history is full it keeps only the
 * rows at multiples of `stride` windows (stride doubles until that frees room) and from then on
 * records only those, so a run of any length stays readable from its start to now with evenly
 * spaced rows. The engine may hand out fewer rows than every window's (the page asks for about
 * one per frame: rows at multiples of a power of two windows, see run-controller.ts), so rows
 * are evenly spaced within stretches, not necessarily across the whole run. Rows are picked, never
 * averaged: what is drawn is what the engine recorded. The latest row of each group is kept apart
 * (the policy bars read it), whether or not the history keeps it.
 *
 * Columns are plain arrays that grow in place and shrink in place, so the charts hand the same
 * arrays to uPlot every frame and nothing is allocated per row once they are full.
 */
import { StatsLayout, kHistogramBins } from '../core/stats.ts';

export const kDefaultHistoryRows = 2000;

export interface DivergedGroup {
  group: number;
  step: number;
  message: string;
}

export class StatsHistory {
  readonly capacity: number;
  readonly layout: StatsLayout;
  readonly window: number;
  /** Agents per group (the histograms count agents). */
  readonly agents: readonly number[];
  /** The x column: the last step of each kept row, shared by all groups (they run in lock-step). */
  readonly steps: number[] = [];
  /** columns[group][statistic]: one array per statistic of the layout, aligned with `steps`. */
  readonly columns: number[][][];
  /** Per group: `capacity` rows of `kHistogramBins` counts of pi(optimal), row-major. */
  readonly histograms: Uint32Array[];
  /** Rows kept per group (a group that diverged stops short of `steps.length`). */
  readonly counts: number[];
  /** The latest row of each group, kept or not. */
  readonly latest: Float64Array[];
  readonly latestStep: number[];
  readonly diverged: DivergedGroup[] = [];
  /** Keep only rows at multiples of `stride` windows; doubles each time the history fills. */
  stride = 1;
  /** Bumped by every change: readers redraw when it moves. */
  revision = 0;
  /** Bumped when rows are thinned (readers that draw incrementally start over). */
  compactions = 0;

  constructor(arms: number, agents: readonly number[], window: number, capacity = kDefaultHistoryRows) {
    if (capacity < 2 || capacity % 2 !== 0) throw new Error('history capacity must be an even number >= 2');
    this.capacity = capacity;
    this.layout = new StatsLayout(arms);
    this.window = window;
    this.agents = [...agents];
    const groups = agents.length;
    const count = this.layout.count;
    this.columns = Array.from({ length: groups }, () => Array.from({ length: count }, () => [] as number[]));
    this.histograms = Array.from({ length: groups }, () => new Uint32Array(capacity * kHistogramBins));
    this.counts = new Array<number>(groups).fill(0);
    this.latest = Array.from({ length: groups }, () => new Float64Array(count).fill(Number.NaN));
    this.latestStep = new Array<number>(groups).fill(0);
  }

  get groups(): number {
    return this.agents.length;
  }

  /** Rows in the x column. */
  get length(): number {
    return this.steps.length;
  }

  /** The column of statistic `name` for `group`. */
  column(group: number, name: string): number[] {
    return this.columns[group][this.layout.index(name)];
  }

  /** A StatsSink's `record`: copies what it keeps (the engine reuses its arrays). */
  record(group: number, step: number, values: Float64Array, histogram: Uint32Array): void {
    this.latest[group].set(values);
    this.latestStep[group] = step;
    this.revision++;
    const row = Math.round(step / this.window); // rows end at window, 2 * window, ...
    if (row % this.stride !== 0) return;
    let index = this.counts[group];
    if (index === this.steps.length) {
      while (index === this.capacity) {
        this.#compact();
        index = this.counts[group];
        if (row % this.stride !== 0) return;
      }
      this.steps.push(step);
    } else if (this.steps[index] !== step) {
      // Groups run in lock-step, so a group's next row is at the step another group already put
      // there; anything else is a bug in the engine, not something to draw.
      throw new Error(`history: group ${group} recorded step ${step} where step ${this.steps[index]} was expected`);
    }
    const columns = this.columns[group];
    for (let c = 0; c < columns.length; c++) columns[c][index] = values[c];
    this.histograms[group].set(histogram, index * kHistogramBins);
    this.counts[group] = index + 1;
  }

  /** A StatsSink's `diverged`. */
  markDiverged(group: number, step: number, message: string): void {
    this.diverged.push({ group, step, message });
    this.revision++;
  }

  /** Doubles the stride and keeps the rows at its multiples (all groups hold the same steps). */
  #compact(): void {
    this.stride *= 2;
    const window = this.window;
    const stride = this.stride;
    const steps = this.steps;
    const keep = new Array<number>();
    for (let i = 0; i < steps.length; i++) if (Math.round(steps[i] / window) % stride === 0) keep.push(i);
    const take = <T>(column: T[], count: number) => {
      let n = 0;
      for (const i of keep) if (i < count) column[n++] = column[i];
      column.length = n;
    };
    for (let g = 0; g < this.groups; g++) {
      const count = this.counts[g];
      for (const column of this.columns[g]) take(column, count);
      const histograms = this.histograms[g];
      let n = 0;
      for (const i of keep) if (i < count) histograms.copyWithin(n++ * kHistogramBins, i * kHistogramBins, (i + 1) * kHistogramBins);
      this.counts[g] = n;
    }
    take(steps, steps.length);
    this.compactions++;
  }
}
