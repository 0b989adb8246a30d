/**
 * The frame loop with a model engine on fake time: an advance of n steps takes
 * `overheadMs + n * msPerStep` (a timer), counts its steps when it starts (as the real engines
 * do) and records one row per step. Frames come every 16 ms.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../../src/core/config.ts';
import type { Engine } from '../../src/core/engine.ts';
import type { ParamChange } from '../../src/core/groups.ts';
import { type StatsSink, kHistogramBins } from '../../src/core/stats.ts';
import { kAdvanceTargetMs, kMaxSpeed, rowSchedule } from '../../src/ui/advance-size.ts';
import { RunController, RunSession, kLongAdvanceMs } from '../../src/ui/run-controller.ts';
import { StatsHistory } from '../../src/ui/stats-history.ts';

class ModelEngine {
  stepsDone = 0;
  msPerStep: number;
  overheadMs: number;
  /** [first step, steps, launched at, rowEvery] of every advance. */
  readonly advances: [number, number, number, number][] = [];
  readonly changes: ParamChange[] = [];
  /** One row's values and histogram, sized for the history (setUp). */
  values = new Float64Array(0);
  readonly histogram = new Uint32Array(kHistogramBins);
  constructor(msPerStep: number, overheadMs = 0) {
    this.msPerStep = msPerStep;
    this.overheadMs = overheadMs;
  }
  advance(steps: number, sink: StatsSink, rowEvery = 1): Promise<void> {
    const first = this.stepsDone + 1;
    this.stepsDone += steps;
    this.advances.push([first, steps, performance.now(), rowEvery]);
    return new Promise((resolve) => setTimeout(() => {
      for (let s = first; s < first + steps; s++) if (s % rowEvery === 0) sink.record(0, s, this.values, this.histogram);
      resolve();
    }, this.overheadMs + steps * this.msPerStep));
  }
  setGroupParams(group: number, patch: ParamChange['patch']): void {
    this.changes.push({ afterStep: this.stepsDone, group, patch });
  }
  get paramChanges(): readonly ParamChange[] {
    return this.changes;
  }
  dispose(): void {}
}

function setUp(engine: ModelEngine, pending: ParamChange[] = [], budget = 1_000_000) {
  const config = defaultConfig();
  const history = new StatsHistory(config.params.arms, [100], 1);
  engine.values = new Float64Array(history.layout.count);
  const session = new RunSession(config, history, [''], budget);
  const host = { addController: () => {}, removeController: () => {}, requestUpdate: () => {}, updateComplete: Promise.resolve(true) };
  let progressed = 0;
  const runner = new RunController(host, { onError: (error) => { throw error; }, progressed: () => { progressed++; } });
  runner.hostConnected();
  runner.attach(engine as unknown as Engine, session, pending);
  return { runner, history, progressed: () => progressed };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  // Node has no frames: one every 16 ms on the fake clock.
  vi.stubGlobal('requestAnimationFrame', (callback: FrameRequestCallback) => setTimeout(() => callback(performance.now()), 16));
  vi.stubGlobal('cancelAnimationFrame', (id: ReturnType<typeof setTimeout>) => clearTimeout(id));
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('the frame loop sizes advances by time', () => {
  it('the first advance is one step; then about 40 ms each, growing at most 2x; max is the default', async () => {
    const engine = new ModelEngine(0.5, 2); // (40 - 2) / 0.5 = 76 steps fit
    const { runner, history } = setUp(engine);
    expect(runner.speed).toBe(kMaxSpeed);
    // Every row: no advance is cut where the row spacing changes (a test of its own below).
    runner.everyStep = true;
    runner.play();
    await vi.advanceTimersByTimeAsync(3000);
    const sizes = engine.advances.map(([, steps]) => steps);
    expect(sizes[0]).toBe(1);
    for (let a = 1; a < sizes.length; a++) expect(sizes[a]).toBeLessThanOrEqual(2 * sizes[a - 1]);
    const settled = sizes.slice(-10);
    for (const n of settled) expect(Math.abs(2 + n * 0.5 - kAdvanceTargetMs)).toBeLessThanOrEqual(1);
    expect(runner.advanceSteps).toBe(sizes.at(-1));
    // The advances covered the steps one after another, and every row reached the history.
    engine.advances.forEach(([first], a) => expect(first).toBe(a === 0 ? 1 : engine.advances[a - 1][0] + sizes[a - 1]));
    runner.pause();
    await vi.advanceTimersByTimeAsync(100);
    expect(history.latestStep[0]).toBe(engine.stepsDone);
  });

  it('asks for the rows of rowSchedule: no advance crosses a change of spacing, and a reset gets the same rows', async () => {
    const rowsOf = async (msPerStep: number) => {
      const engine = new ModelEngine(msPerStep, 1);
      const { runner, history } = setUp(engine, [], 100_000);
      runner.play();
      await vi.advanceTimersByTimeAsync(4000);
      runner.pause();
      await vi.advanceTimersByTimeAsync(200);
      for (const [first, steps, , rowEvery] of engine.advances) {
        const schedule = rowSchedule(first - 1, 1, 100_000, false);
        expect(rowEvery).toBe(schedule.rowEvery);
        expect(first - 1 + steps).toBeLessThanOrEqual(schedule.until);
      }
      expect(Math.max(...engine.advances.map((a) => a[3]))).toBe(64);
      return { steps: [...history.steps], done: engine.stepsDone };
    };
    const fast = await rowsOf(0.05);
    const slow = await rowsOf(0.2);
    // The same rows up to where the slower run got: the spacing is the step's, not the advances'.
    expect(slow.steps).toEqual(fast.steps.filter((s) => s <= slow.done));
    expect(fast.steps.slice(0, 33)).toEqual([...Array.from({ length: 31 }, (_, i) => i + 1), 32, 34]);
  });

  it('a speed cap holds (1 step per frame for learners)', async () => {
    const engine = new ModelEngine(0.1);
    const { runner } = setUp(engine);
    runner.speed = 1;
    runner.play();
    await vi.advanceTimersByTimeAsync(500);
    expect(engine.advances.length).toBeGreaterThan(10);
    expect(engine.advances.every(([, steps]) => steps === 1)).toBe(true);
  });

  it('an advance never crosses a recorded change: it applies after exactly its step', async () => {
    const engine = new ModelEngine(0.05);
    const pending: ParamChange[] = [{ afterStep: 37, group: 0, patch: { lr: 0.5 } }, { afterStep: 300, group: 0, patch: { lr: 0.05 } }];
    const { runner } = setUp(engine, pending);
    runner.play();
    await vi.advanceTimersByTimeAsync(2000);
    expect(engine.stepsDone).toBeGreaterThan(300);
    expect(engine.changes.map((c) => c.afterStep)).toEqual([37, 300]);
    const ends = engine.advances.map(([first, steps]) => [first, first + steps - 1]);
    for (const [first, last] of ends) {
      for (const change of pending) expect(first <= change.afterStep && change.afterStep < last, `advance ${first}-${last}`).toBe(false);
    }
  });

  it('Pause starts no further advance: the loop stops when the one in flight settles', async () => {
    const engine = new ModelEngine(0.5, 2);
    const { runner } = setUp(engine);
    runner.play();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runner.busy).toBe(true); // advances follow each other with a frame between them at most
    const launched = engine.advances.length;
    const steps = engine.stepsDone;
    const [, inflightSteps, inflightAt] = engine.advances[launched - 1];
    runner.pause();
    const pausedAt = performance.now();
    while (runner.busy) await vi.advanceTimersByTimeAsync(1);
    // Within what is left of the advance in flight (its own 2 + n * 0.5 ms, to the millisecond).
    expect(performance.now() - pausedAt).toBeLessThanOrEqual(inflightAt + 2 + inflightSteps * 0.5 - pausedAt + 1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(engine.advances.length).toBe(launched);
    expect(engine.stepsDone).toBe(steps);
  });

  it('a step longer than the target: one step per advance, its progress reported at the status interval', async () => {
    const engine = new ModelEngine(2100);
    const { runner, progressed } = setUp(engine);
    runner.play();
    await vi.advanceTimersByTimeAsync(kLongAdvanceMs - 50);
    expect(runner.computing).toBeNull(); // short so far, and nothing measured yet
    await vi.advanceTimersByTimeAsync(1100); // 1.35 s into the first step
    const progress = runner.computing;
    expect(progress).not.toBeNull();
    expect(progress?.firstStep).toBe(1);
    expect(progress?.lastStep).toBe(1);
    expect(progress?.elapsedMs).toBeGreaterThan(1300);
    // From 300 ms on, every 200 ms (a frame's granularity): 300, 500, ..., 1300 ms.
    expect(progressed()).toBeGreaterThanOrEqual(5);
    expect(progressed()).toBeLessThanOrEqual(6);
    await vi.advanceTimersByTimeAsync(2100 * 3);
    expect(engine.advances.map(([, steps]) => steps)).toEqual([1, 1, 1, 1]);
    expect(runner.msPerStep).toBeGreaterThanOrEqual(2100);
    // The next advance is known to be long: its progress shows from its start.
    expect(runner.computing).not.toBeNull();
  });

  it('a new engine is timed afresh: its first advance is one step again', async () => {
    const engine = new ModelEngine(0.5);
    const { runner } = setUp(engine);
    runner.play();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runner.advanceSteps).toBeGreaterThan(40);
    const next = new ModelEngine(0.5);
    const config = defaultConfig();
    const history = new StatsHistory(config.params.arms, [100], 1);
    next.values = new Float64Array(history.layout.count);
    runner.attach(next as unknown as Engine, new RunSession(config, history, [''], 1_000_000));
    runner.play();
    await vi.advanceTimersByTimeAsync(100);
    expect(next.advances[0][1]).toBe(1);
  });
});
