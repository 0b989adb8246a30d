/**
 * The rows the charts draw: a bounded, columnar history of each group's statistics.
 *
 * Memory is fixed: at most `capacity` rows per group. When the history is full it keeps every
 * other row and from then on records only every `stride`-th row (stride doubles each time), so a
 * run of any length stays readable from step 1 to now with evenly spaced rows. Rows are picked,
 * never averaged: what is drawn is what the engine recorded. The latest row of each group is kept
 * apart (the policy bars read it), whether or not the history keeps it.
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
  /** Keep one recorded row in `stride`; doubles each time the history fills. */
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
    if ((row - 1) % this.stride !== 0) return;
    let index = this.counts[group];
    if (index === this.steps.length) {
      if (index === this.capacity) {
        this.#compact();
        index = this.counts[group];
        if ((row - 1) % this.stride !== 0) return;
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

  /** Keeps rows 0, 2, 4, ... and doubles the stride. */
  #compact(): void {
    const half = (n: number) => Math.ceil(n / 2);
    const keep = <T>(column: T[]) => {
      const n = half(column.length);
      for (let i = 1; i < n; i++) column[i] = column[2 * i];
      column.length = n;
    };
    keep(this.steps);
    for (let g = 0; g < this.groups; g++) {
      for (const column of this.columns[g]) keep(column);
      const histograms = this.histograms[g];
      const n = half(this.counts[g]);
      for (let i = 1; i < n; i++) histograms.copyWithin(i * kHistogramBins, 2 * i * kHistogramBins, (2 * i + 1) * kHistogramBins);
      this.counts[g] = n;
    }
    this.stride *= 2;
    this.compactions++;
  }
}
