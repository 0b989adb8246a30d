/**
 * The page stays responsive at any size (real Chromium, SwiftShader WebGPU): advances are sized by
 * time, so the first point comes after one step's work, Pause waits for the advance in flight
 * only, and the main thread has no long task while a big run goes.
 *
 * Timings on a shared machine are noisy; the margins are the (one step + 300 ms, one
 * advance, 50 ms), and each figure is written to test-results/e2e-responsive-measurements.json.
 * The same at 10^6 agents in 4 groups, where one step is longer than a frame.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kAdvanceTargetMs } from '../../src/ui/advance-size.ts';
import { kLongAdvanceMs } from '../../src/ui/run-controller.ts';
import { type Site, kResults, openPage, screenshotPath, startSite, waitReady } from './harness.ts';

let site: Site;
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  site = await startSite('test-results/e2e-responsive');
});

afterAll(async () => {
  await site?.close();
  mkdirSync(kResults, { recursive: true });
  writeFileSync(`${kResults}/e2e-responsive-measurements.json`, `${JSON.stringify(figures, null, 2)}\n`);
});

interface Measured {
  /** Wall-clock of single-step advances (after one to compile and warm up), ms. */
  oneStepMs: number[];
  /** From the Play click to the first row recorded after it, ms. */
  firstRowMs: number;
  /** Steps of the run's first advance after Play. */
  firstAdvanceSteps: number;
  /** Every advance while playing: [steps, ms]. */
  advances: [number, number][];
  /** Long tasks (> 50 ms) that started between Play and the end of the run: [start after Play, duration], ms. */
  longTasks: [number, number][];
  /** From the Pause click to the in-flight advance settling, ms. */
  pauseMs: number;
  /** The duration of the advance that was in flight at Pause, ms (0: none was). */
  pausedAdvanceMs: number;
  /** Advances started after the Pause click (up to `settleMs` later). */
  launchesAfterPause: number;
  stepsAtPause: number;
  stepsLater: number;
  /** The status line while the run played (while a long step computed, where steps are long). */
  status: string;
}

/**
 * Opens `hash` paused, times single-step advances, then presses Play, runs `runMs` and presses
 * Pause, all timed inside the page (performance.now), not across the test's connection.
 */
async function measure(page: Page, runMs: number, screenshot: string): Promise<Measured> {
  await waitReady(page, 300_000);
  // One step at a time through the engine itself, its rows into the page's history (as the run
  // loop's sink does): the first compiles the pipelines, the next ones are one step's work.
  const oneStepMs = await page.evaluate(async () => {
    const hook = window.__pgp!;
    const history = hook.history!;
    const sink = { record: (g: number, s: number, v: Float64Array, h: Uint32Array) => history.record(g, s, v, h) };
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = performance.now();
      await hook.engine!.advance(1, sink);
      times.push(performance.now() - start);
    }
    return times.slice(1);
  });
  await page.evaluate(() => {
    const hook = window.__pgp!;
    const engine = hook.engine!;
    const history = hook.history!;
    const probe = {
      playAt: 0, runEndAt: Number.POSITIVE_INFINITY, firstRowAt: 0, pauseAt: 0, settledAt: 0, pausedAdvanceMs: 0, launchesAfterPause: 0,
      advances: [] as [number, number][], longTasks: [] as [number, number][], last: null as Promise<void> | null, lastStart: 0,
    };
    (window as unknown as { __probe: typeof probe }).__probe = probe;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (probe.playAt > 0 && entry.startTime >= probe.playAt && entry.startTime < probe.runEndAt) probe.longTasks.push([entry.startTime - probe.playAt, entry.duration]);
      }
    }).observe({ type: 'longtask', buffered: true });
    const record = history.record.bind(history);
    history.record = (group, step, values, histogram) => {
      if (probe.playAt > 0 && probe.firstRowAt === 0) probe.firstRowAt = performance.now();
      record(group, step, values, histogram);
    };
    const advance = engine.advance.bind(engine);
    engine.advance = (steps, sink) => {
      const start = performance.now();
      if (probe.pauseAt > 0) probe.launchesAfterPause++;
      const done = advance(steps, sink).then(() => {
        probe.advances.push([steps, performance.now() - start]);
      });
      probe.last = done;
      probe.lastStart = start;
      return done;
    };
  });
  const play = page.locator('pg-run-bar #play');
  await page.evaluate(() => {
    const probe = (window as unknown as { __probe: { playAt: number } }).__probe;
    probe.playAt = performance.now();
    // The button itself, clicked in the page (in a task of its own, which the long-task count
    // sees): the time starts at the click, not at a round trip to the test.
    setTimeout(() => window.__pgp!.app.renderRoot.querySelector('pg-run-bar')!.renderRoot.querySelector<HTMLButtonElement>('#play')!.click());
  });
  await page.waitForTimeout(runMs);
  // The run's window ends here: the screenshot below is a long task of the test's own.
  await page.evaluate(() => { (window as unknown as { __probe: { runEndAt: number } }).__probe.runEndAt = performance.now(); });
  // Where a step takes longer than the run bar's threshold, it shows the step it computes.
  if (median(oneStepMs) > kLongAdvanceMs + 100) await page.locator('pg-run-bar #progress').waitFor({ timeout: 10_000 });
  const status = ((await page.locator('pg-run-bar #status').textContent()) ?? '').replace(/\s+/g, ' ').trim();
  await page.screenshot({ path: screenshotPath(`responsive-running-${screenshot}.png`) });
  expect(await play.getAttribute('aria-label')).toBe('Pause');
  const paused = await page.evaluate(async () => {
    const hook = window.__pgp!;
    const probe = (window as unknown as { __probe: { pauseAt: number; settledAt: number; pausedAdvanceMs: number; last: Promise<void> | null; lastStart: number; launchesAfterPause: number } }).__probe;
    const before = probe.last;
    const startedAt = probe.lastStart;
    probe.pauseAt = performance.now();
    hook.app.renderRoot.querySelector('pg-run-bar')!.renderRoot.querySelector<HTMLButtonElement>('#play')!.click();
    const stepsAtPause = hook.engine!.stepsDone;
    const wasBusy = hook.runner.busy;
    if (wasBusy && before) await before;
    probe.settledAt = performance.now();
    if (wasBusy) probe.pausedAdvanceMs = probe.settledAt - startedAt;
    // Longer than any advance here: one started after Pause would show in stepsDone by now.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return { stepsAtPause, stepsLater: hook.engine!.stepsDone, busyLater: hook.runner.busy };
  });
  expect(paused.busyLater).toBe(false);
  return page.evaluate((extra) => {
    const probe = (window as unknown as { __probe: { playAt: number; firstRowAt: number; pauseAt: number; settledAt: number; pausedAdvanceMs: number; launchesAfterPause: number; advances: [number, number][]; longTasks: [number, number][] } }).__probe;
    return {
      ...extra,
      firstRowMs: probe.firstRowAt - probe.playAt,
      firstAdvanceSteps: probe.advances[0]?.[0] ?? 0,
      advances: probe.advances,
      longTasks: probe.longTasks,
      pauseMs: probe.settledAt - probe.pauseAt,
      pausedAdvanceMs: probe.pausedAdvanceMs,
      launchesAfterPause: probe.launchesAfterPause,
    };
  }, { oneStepMs, stepsAtPause: paused.stepsAtPause, stepsLater: paused.stepsLater, status });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The figures worth reading, rounded. */
function summary(m: Measured) {
  const durations = m.advances.map(([, ms]) => ms);
  const sizes = m.advances.map(([steps]) => steps);
  return {
    oneStepMs: m.oneStepMs.map((ms) => Math.round(ms)),
    firstRowMs: Math.round(m.firstRowMs),
    firstAdvanceSteps: m.firstAdvanceSteps,
    firstAdvanceMs: Math.round(m.advances[0]?.[1] ?? 0),
    advances: m.advances.length,
    medianAdvanceMs: Math.round(median(durations)),
    longestAdvanceMs: Math.round(Math.max(...durations)),
    medianStepsPerAdvance: median(sizes),
    pauseMs: Math.round(m.pauseMs),
    pausedAdvanceMs: Math.round(m.pausedAdvanceMs),
    longTasksMs: m.longTasks.map(([at, ms]) => `${Math.round(ms)} at +${Math.round(at)}`),
    status: m.status,
  };
}

describe('responsive at any size', () => {
  it('at 100,000 agents: the first point after one step + 300 ms, Pause within one advance, no long task', async () => {
    const { page, errors, close } = await openPage(site, { paused: true, hash: 'agents=100000&steps=1000000' });
    try {
      const m = await measure(page, 3000, '100k');
      figures.agents100k = summary(m);
      console.log('100,000 agents:', JSON.stringify(figures.agents100k));
      expect(m.advances.length).toBeGreaterThan(3);
      const oneStep = median(m.oneStepMs);
      // (a) Play's first advance is one step, and its row is there within that step's work + 300 ms.
      // The step's work is this advance's own time: on a loaded machine a step's time moves by 2x
      // and more between measurements, so the single steps timed before Play are only reported.
      expect(m.firstAdvanceSteps).toBe(1);
      expect(m.firstRowMs).toBeLessThanOrEqual(m.advances[0][1] + 300);
      // Advances are sized by time: about 40 ms each, or one step where a step is longer. The
      // margin is a factor 2 (the growth limit lets one advance be twice the last).
      expect(median(m.advances.map(([, ms]) => ms))).toBeLessThanOrEqual(2 * Math.max(kAdvanceTargetMs, oneStep));
      // (b) Pause: nothing starts after it, and it waits for the advance in flight only.
      expect(m.launchesAfterPause).toBe(0);
      expect(m.stepsLater).toBe(m.stepsAtPause);
      expect(m.pauseMs).toBeLessThanOrEqual(Math.max(...m.advances.map(([, ms]) => ms)));
      // (c) No task over 50 ms on the main thread while it ran (the observer reports only those).
      expect(m.longTasks).toEqual([]);
      // The status line: the wall-clock rate, and how many steps a frame takes or, where a step
      // is long, which step it computes, for how long so far and what a step took before.
      expect(m.status).toMatch(/[\d.]+[kMG]? agent-steps\/s/);
      const progress = /computing step [\d,]+ … [\d.]+ (s|ms) \(a step took about [\d.]+ (s|ms)\)/;
      if (oneStep > kLongAdvanceMs + 100) expect(m.status).toMatch(progress);
      else if (!progress.test(m.status)) expect(m.status).toMatch(/\d[\d,]* steps?\/frame/);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  }, 300_000);

  it('at 10^6 agents in 4 groups: the first point after one step + 300 ms, Pause within one advance', async () => {
    const hash = 'agents=250000&steps=1000000&group=lr%3D0.05&group=lr%3D0.1&group=lr%3D0.2&group=lr%3D0.4';
    const { page, errors, close } = await openPage(site, { paused: true, hash });
    try {
      await waitReady(page, 300_000);
      expect(await page.evaluate(() => window.__pgp!.history!.agents)).toEqual([250_000, 250_000, 250_000, 250_000]);
      const m = await measure(page, 8000, '1M');
      figures.agents1M = summary(m);
      console.log('10^6 agents:', JSON.stringify(figures.agents1M));
      expect(m.firstAdvanceSteps).toBe(1);
      expect(m.firstRowMs).toBeLessThanOrEqual(m.advances[0][1] + 300);
      expect(m.launchesAfterPause).toBe(0);
      expect(m.stepsLater).toBe(m.stepsAtPause);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  }, 900_000);
});
