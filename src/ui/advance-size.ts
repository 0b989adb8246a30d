/**
 * How many steps the next advance takes. The page sizes advances by time, not by a step count:
 * about `kAdvanceTargetMs` of engine work each (wall-clock from launch to settle), so that one
 * frame loop suits 100 agents and 10^6 alike, Pause acts within one advance and the first point
 * of a run appears after one step's work.
 *
 * The cost of a step is a running estimate (milliseconds per step) from the advances so far:
 * a dearer measurement replaces it at once (a slow advance is what makes the page sluggish), a
 * cheaper one moves it three quarters of the way (one quick advance may be luck; the growth limit
 * bounds what luck can cost: an advance at most twice the last). An advance's fixed overhead (the
 * readback's round trip) counts as step time here, which is what makes the sizes settle where a
 * whole advance, overhead included, takes the target: n = target / ((overhead + n c) / n) gives
 * overhead + n c = target.
 */

/** Engine work per advance the page aims at: under a frame budget of 50 ms, with room for drawing. */
export const kAdvanceTargetMs = 40;
/** An advance is at most this many times the previous one: steps that got cheap are found in a few frames. */
export const kAdvanceGrowth = 2;
/** Weight of the newest measurement when steps got cheaper. */
const kCheaperWeight = 0.75;
/** Below this a measurement says "too quick to time" (a timer's resolution), not "free". */
const kMinMsPerStep = 1e-3;

/**
 * The estimate of one step's cost after an advance of `steps` steps took `elapsedMs`;
 * `previous`: the estimate before it (null: none yet). A measurement that is not a positive
 * step count and a finite, non-negative time leaves the estimate as it was.
 */
export function updateMsPerStep(previous: number | null, steps: number, elapsedMs: number): number | null {
  if (!(steps >= 1) || !Number.isFinite(steps) || !(elapsedMs >= 0) || !Number.isFinite(elapsedMs)) return previous;
  const measured = Math.max(kMinMsPerStep, elapsedMs / steps);
  if (previous === null || measured >= previous) return measured;
  return previous + kCheaperWeight * (measured - previous);
}

/**
 * Steps for the next advance: as many as fit in `targetMs` at `msPerStep` (null: nothing
 * measured yet, one step), at most `kAdvanceGrowth` times `previousSteps`, at most `cap` (the
 * user's speed; Infinity: no cap), at least 1.
 */
export function nextAdvanceSteps(msPerStep: number | null, previousSteps: number, cap: number, targetMs = kAdvanceTargetMs): number {
  if (msPerStep === null || !(msPerStep > 0)) return 1;
  const fits = Math.floor(targetMs / msPerStep);
  const grown = kAdvanceGrowth * Math.max(1, Math.floor(previousSteps) || 1);
  const capped = cap >= 1 ? Math.floor(cap) : 1;
  return Math.max(1, Math.min(fits, grown, capped));
}

/** The speed control's top setting: no step cap, the time target alone sizes each advance. */
export const kMaxSpeed = Number.POSITIVE_INFINITY;

/**
 * The speed control's settings: the most steps per frame (one advance per frame). The slow ones
 * are for watching a run learn step by step; `kMaxSpeed` ("max", the page's default) is as many
 * as `kAdvanceTargetMs` of engine work allows.
 */
export const kSpeeds: readonly number[] = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, kMaxSpeed];

/** "1.4 s" from 1400 ms; "350 ms" under a second. */
function formatDuration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/**
 * What the run bar says while a long advance computes: which steps, for how long so far, and what a
 * step took before (when known). No percentage: an advance's end is not known until it settles.
 * "computing step 12 … 1.4 s (a step took about 2.1 s)"
 */
export function progressText(firstStep: number, lastStep: number, elapsedMs: number, msPerStep: number | null): string {
  const steps = lastStep > firstStep ? `steps ${firstStep.toLocaleString('en-US')}–${lastStep.toLocaleString('en-US')}` : `step ${firstStep.toLocaleString('en-US')}`;
  const before = msPerStep === null ? '' : ` (a step took about ${formatDuration(msPerStep)})`;
  return `computing ${steps} … ${formatDuration(elapsedMs)}${before}`;
}

/** Rows a chart can use over a whole run: about one per pixel of a wide chart. */
export const kChartRows = 1000;
/** At this speed cap or below the user watches single steps: each gets its row. */
export const kEveryStepSpeed = 10;
/** Rows per doubling of the run's length before the spacing reaches its cap: denser early on. */
export const kRowsPerDoubling = 16;

/** The `rowEvery` for the steps from some step on, and the step before which it holds. */
export interface RowSchedule {
  rowEvery: number;
  /** Advances stop here (exclusive of later steps) so that one rowEvery covers each; Infinity: never changes. */
  until: number;
}

/**
 * Which rows the page asks the engine for (Engine.advance's `rowEvery`: rows at multiples of it,
 * in windows; the other steps run without statistics). Rows cost the GPU a reduction each, so
 * the page records what its charts can use: every row for the first 32 windows, then a spacing
 * that doubles every `kRowsPerDoubling` rows (so about as many rows over each doubling of the
 * run: early learning stays detailed) up to its cap, a power of two giving no fewer than
 * `kChartRows` rows over the step budget; and every row when `everyStep` (the user watches slowly
 * or asks for it, or a stop condition reads the rows). The spacing is a function of the step
 * alone, so a run and its reset record the same rows whatever the advances' sizes, as long as an
 * advance does not cross `until`. Powers of two, so that the history thins them evenly. `out`:
 * filled and returned (the frame loop passes one object for every frame).
 */
export function rowSchedule(stepsDone: number, window: number, budget: number, everyStep: boolean, out: RowSchedule = { rowEvery: 1, until: 0 }): RowSchedule {
  if (everyStep) {
    out.rowEvery = 1;
    out.until = Number.POSITIVE_INFINITY;
    return out;
  }
  const powerBelow = (x: number) => 2 ** Math.floor(Math.log2(Math.max(1, x)));
  const cap = powerBelow(Math.floor(budget / window / kChartRows));
  const byProgress = powerBelow(Math.floor(Math.floor(stepsDone / window) / kRowsPerDoubling));
  const rowEvery = Math.min(cap, byProgress);
  // In windows [16R, 32R) the spacing is R (R = 1 below 32 windows).
  out.rowEvery = rowEvery;
  out.until = rowEvery >= cap ? Number.POSITIVE_INFINITY : 2 * kRowsPerDoubling * rowEvery * window;
  return out;
}
