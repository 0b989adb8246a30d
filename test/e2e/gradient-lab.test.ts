/**
 * The gradient-estimator lab in real Chromium (SwiftShader WebGPU, then without WebGPU): open the
 * card, let it draw at least 2^18 estimates, and check what the learner is told. Every baseline's
 * mean lies on the exact gradient, b* has the least variance, the page's GPU total is the CPU
 * reference's (redrawn here in Node from the same calls), and the sample count rises on screen.
 * Three arms paying 0, 0.5 and 1 with reward noise 0.5, and few agents, keep it short.
 */
import { copyFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HistogramRange,
  type LabProblem,
  accumulateLabSamplesCpu,
  addLabSums,
  analyzeLab,
  emptyLabSums,
  finishLabEstimate,
  labProblemFromParams,
} from '../../src/core/gradient-lab.ts';
import { type Site, openPage, screenshotPath, startSite, waitReady } from './harness.ts';

let site: Site;

beforeAll(async () => {
  site = await startSite();
});

afterAll(async () => {
  await site?.close();
});

const kHash = 'arms=3&env=fixed&means=0%2C0.5%2C1&noise=0.5&agents=200&steps=50&seed=7';
const kMinSamples = 2 ** 18;

/** What the page's lab holds, as plain data. */
interface LabState {
  kind: string;
  samples: number;
  busy: boolean;
  problem: LabProblem;
  range: HistogramRange;
  calls: { frame: number; samples: number }[];
  gradNorm: number;
  /** The exact gradient, per arm. */
  gradient: number[];
  baselines: {
    id: string;
    value: number;
    mean: number[];
    meanSe: number[];
    totalVariance: number;
    totalVarianceSe: number;
    exactVariance: number;
    histogram: number[];
    projectionMean: number;
    projectionSe: number;
  }[];
}

async function labState(page: Page): Promise<LabState> {
  return page.evaluate(() => {
    const lab = document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-gradient-lab');
    if (!lab) throw new Error('no pg-gradient-lab');
    const runner = lab.runner;
    const estimate = runner.estimate;
    const analysis = runner.analysis;
    if (!estimate || !analysis || !runner.problem || !runner.range) throw new Error('the lab has no estimate yet');
    return {
      kind: runner.kind,
      samples: estimate.samples,
      busy: runner.busy,
      problem: JSON.parse(JSON.stringify(runner.problem)),
      range: { ...runner.range },
      calls: runner.calls.map((c) => ({ ...c })),
      gradNorm: analysis.gradNorm,
      gradient: Array.from(analysis.gradient),
      baselines: estimate.baselines.map((b, m) => {
        let projection = 0;
        for (let j = 0; j < analysis.arms; j++) projection += b.mean[j] * analysis.direction[j];
        return {
          id: b.id,
          value: b.value,
          mean: Array.from(b.mean),
          meanSe: Array.from(b.meanSe),
          totalVariance: b.totalVariance,
          totalVarianceSe: b.totalVarianceSe,
          exactVariance: analysis.baselines[m].totalVariance,
          histogram: Array.from(b.histogram),
          projectionMean: projection,
          projectionSe: analysis.baselines[m].projectionSd / Math.sqrt(estimate.samples),
        };
      }),
    };
  });
}

/** The sample count the panel shows. */
async function shownSamples(page: Page): Promise<number> {
  const text = (await page.locator('pg-gradient-lab #lab-samples').textContent()) ?? '';
  return Number(text.replace(/[^0-9]/g, ''));
}

/**
 * Waits until the panel shows at least `n` samples, noting every count it showed on the way: read
 * in the page once per animation frame (the panel renders at most once a frame), so that no
 * value shown is missed however fast the GPU is.
 */
async function waitSamples(page: Page, n: number, seen: number[]): Promise<void> {
  const shown = await page.evaluate((target) => new Promise<number[]>((resolve, reject) => {
    const values: number[] = [];
    const started = performance.now();
    const tick = () => {
      const lab = document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-gradient-lab');
      const text = lab?.shadowRoot?.querySelector('#lab-samples')?.textContent ?? '';
      const value = Number(text.replace(/[^0-9]/g, ''));
      if (text !== '' && values[values.length - 1] !== value) values.push(value);
      if (value >= target) resolve(values);
      else if (performance.now() - started > 30_000) reject(new Error(`the lab showed ${values.join(', ')} samples in 30 s, not ${target}`));
      else requestAnimationFrame(tick);
    };
    tick();
  }), n);
  seen.push(...shown);
}

/** Pauses the lab and waits until no call is in flight, so that the state read next is final. */
async function pauseLab(page: Page): Promise<void> {
  await page.locator('pg-gradient-lab #lab-run').click();
  await expect.poll(async () => (await page.locator('pg-gradient-lab #lab-run').textContent())?.trim()).toBe('Resume');
  await page.waitForFunction(() => {
    const lab = document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-gradient-lab');
    return lab !== null && lab !== undefined && !lab.runner.busy;
  }, null, { timeout: 30_000, polling: 50 });
}

const byId = (s: LabState, id: string) => {
  const b = s.baselines.find((x) => x.id === id);
  if (!b) throw new Error(`no baseline ${id}`);
  return b;
};

/** Every baseline centred on the truth: its mean projection within 4 standard errors of |grad J|. */
function expectUnbiased(s: LabState): void {
  for (const b of s.baselines) {
    expect(Math.abs(b.projectionMean - s.gradNorm), `${b.id}: |mean - |grad J|| vs 4 SE = ${4 * b.projectionSe}`).toBeLessThanOrEqual(4 * b.projectionSe);
    // ...and every component of the mean estimate, within 4 of its own standard errors of the exact gradient.
    b.mean.forEach((mean, j) => expect(Math.abs(mean - s.gradient[j]), `${b.id} arm ${j}`).toBeLessThanOrEqual(4 * b.meanSe[j]));
  }
  // The check has teeth: the standard errors are small against the gradient.
  expect(Math.max(...s.baselines.map((b) => b.projectionSe))).toBeLessThan(0.05 * s.gradNorm);
}

describe('the gradient-estimator lab', () => {
  it('on the GPU: unbiased for every baseline, b* narrowest, the CPU reference\'s numbers, a rising count', async () => {
    const started = performance.now();
    const { page, errors, close } = await openPage(site, { paused: true, hash: kHash, context: { viewport: { width: 1360, height: 1000 } } });
    try {
      await waitReady(page);
      expect(await page.evaluate(() => window.__pgp?.engine?.kind)).toBe('gpu');
      // Closed by default: nothing drawn until the learner opens it.
      expect(await page.locator('pg-gradient-lab details').getAttribute('open')).toBeNull();
      await page.locator('pg-gradient-lab summary').click();
      await expect.poll(() => page.locator('pg-gradient-lab #lab-engine').textContent()).toBe('GPU');

      const seen: number[] = [];
      await waitSamples(page, kMinSamples, seen);
      // The count rose on screen through several values on the way (not one jump to the end).
      const shown = seen.filter((n) => n > 0);
      expect(shown.length, `counts shown: ${shown.join(', ')}`).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < shown.length; i++) expect(shown[i]).toBeGreaterThan(shown[i - 1]);
      expect(await page.locator('pg-gradient-lab #lab-rate').textContent()).toMatch(/samples\/s/);

      await pauseLab(page);
      const s = await labState(page);
      expect(s.kind).toBe('gpu');
      expect(s.samples).toBeGreaterThanOrEqual(kMinSamples);
      expect(await shownSamples(page)).toBe(s.samples);
      expectUnbiased(s);
      // b* has the least exact variance, and the sampled variances order the same way.
      const optimal = byId(s, 'optimal');
      for (const b of s.baselines) {
        expect(optimal.exactVariance).toBeLessThanOrEqual(b.exactVariance);
        if (b.id !== 'optimal' && b.exactVariance > 1.2 * optimal.exactVariance) expect(b.totalVariance, b.id).toBeGreaterThan(optimal.totalVariance);
      }
      // The table says so too.
      expect(await page.locator('pg-gradient-lab #lab-table tr[data-baseline="optimal"] td.least').count()).toBe(1);

      // The CPU reference draws the same calls (same frames, same sizes) in Node: the same samples.
      const a = analyzeLab(s.problem);
      const sums = s.calls.reduce((total, call) => addLabSums(total, accumulateLabSamplesCpu(a, call.samples, call.frame, s.range)), emptyLabSums(a.arms, 0));
      expect(sums.samples).toBe(s.samples);
      const cpu = finishLabEstimate(a, sums, 0, s.range);
      for (const [m, b] of s.baselines.entries()) {
        const ref = cpu.baselines[m];
        // The same draws: the GPU's f32 sums and last-bit normals move a mean by far less than a
        // hundredth of its standard error, and the variance by far less than a tenth of its own.
        b.mean.forEach((mean, j) => expect(Math.abs(mean - ref.mean[j]), `${b.id} mean ${j}`).toBeLessThanOrEqual(0.01 * ref.meanSe[j]));
        expect(Math.abs(b.totalVariance - ref.totalVariance), `${b.id} variance`).toBeLessThanOrEqual(0.1 * ref.totalVarianceSe);
        // Chromium's WGSL log and cos may differ from the CPU's in their last bits, so a sample near a
        // bin edge may land next door (test/gpu/gradient-lab.test.ts bounds it sample by sample). Here
        // about 5e-5 of the samples moved a bin; 1e-3 (each move counts twice) is allowed.
        const moved = b.histogram.reduce((t, c, i) => t + Math.abs(c - ref.histogram[i]), 0);
        expect(moved, `${b.id} histogram`).toBeLessThanOrEqual(2e-3 * s.samples);
      }

      // A constant b* + 1 and b* - 1 (set on the slider): each has a larger sampled variance than b*.
      for (const delta of [1, -1]) {
        const target = optimal.value + delta;
        await page.locator('pg-gradient-lab #lab-constant').fill(String(target));
        await expect.poll(async () => Number((await page.locator('pg-gradient-lab #lab-samples').getAttribute('data-samples')) ?? -1)).toBeLessThan(kMinSamples);
        await page.locator('pg-gradient-lab #lab-run').click(); // resume
        await waitSamples(page, kMinSamples, []);
        await pauseLab(page);
        const t = await labState(page);
        const constant = byId(t, 'constant');
        const best = byId(t, 'optimal');
        expect(Math.abs(constant.value - target), 'the slider set b* +- 1').toBeLessThan(0.02);
        expectUnbiased(t);
        // Apart by more than 4 standard errors of the difference.
        expect(constant.totalVariance - best.totalVariance, `b* ${delta > 0 ? '+' : '-'} 1`)
          .toBeGreaterThan(4 * Math.hypot(constant.totalVarianceSe, best.totalVarianceSe));
      }

      // Back to a constant between J and b*, for the picture.
      await page.locator('pg-gradient-lab #lab-constant').fill(String(optimal.value + 0.6));
      await page.locator('pg-gradient-lab #lab-run').click();
      await waitSamples(page, kMinSamples, []);
      await page.locator('pg-gradient-lab').scrollIntoViewIfNeeded();
      await page.locator('#lab-card').screenshot({ path: screenshotPath('e2e-gradient-lab.png') });
      copyFileSync(screenshotPath('e2e-gradient-lab.png'), '/tmp/lab.png');
      expect(errors).toEqual([]);
      console.log(`gradient lab (GPU): ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      await close();
    }
  });

  it('ten gaussian arms: the first 8 sliders, and an agent\'s own policy and arms from the running engine', async () => {
    const { page, errors, close } = await openPage(site, { hash: 'arms=10&agents=100&steps=30&seed=5' });
    try {
      await waitReady(page);
      await page.waitForFunction(() => (window.__pgp?.engine?.stepsDone ?? 0) >= 30, null, { timeout: 30_000 });
      await page.locator('pg-gradient-lab summary').click();
      await expect.poll(() => page.locator('pg-gradient-lab input[id^="lab-pref-"]').count()).toBe(8);
      expect(await page.locator('pg-gradient-lab #lab-more-arms').textContent()).toMatch(/first 8 of 10 arms/);
      await page.locator('pg-gradient-lab #lab-agent').fill('17');
      await page.locator('pg-gradient-lab #lab-agent').press('Enter');
      await page.locator('pg-gradient-lab #lab-use-agent').click();
      await expect.poll(() => page.locator('pg-gradient-lab #lab-agent-note').textContent()).toContain('Agent 17\'s policy after step 30');
      await waitSamples(page, 2 ** 16, []);
      const { lab, engine } = await page.evaluate(async () => {
        const runner = document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-gradient-lab')?.runner;
        const state = await window.__pgp?.engine?.readAgent(0, 17);
        return { lab: runner?.problem ? JSON.parse(JSON.stringify(runner.problem)) as LabProblem : null, engine: state ? Array.from(state.prefs) : [] };
      });
      expect(lab?.prefs).toEqual(engine);
      // The bandit is agent 17's own (gaussian: every agent draws its arm values), as the engine builds it.
      const config = await page.evaluate(() => window.__pgp?.config);
      if (!config || !lab) throw new Error('no config or problem');
      const own = labProblemFromParams({ ...config.params, ...config.groups[0] }, 17, engine, lab.constantBaseline);
      expect(lab).toEqual(JSON.parse(JSON.stringify(own)));
      await page.locator('#lab-card').screenshot({ path: screenshotPath('e2e-gradient-lab-testbed.png') });
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('without WebGPU it draws on the CPU, in small batches, and says so', async () => {
    const { page, errors, close } = await openPage(site, { paused: true, hash: kHash, withoutWebGpu: true });
    try {
      await waitReady(page);
      await page.locator('pg-gradient-lab summary').click();
      await expect.poll(() => page.locator('pg-gradient-lab #lab-engine').textContent()).toBe('CPU');
      const seen: number[] = [];
      await waitSamples(page, 2 ** 17, seen);
      const shown = seen.filter((n) => n > 0);
      expect(shown.length, `counts shown: ${shown.join(', ')}`).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < shown.length; i++) expect(shown[i]).toBeGreaterThan(shown[i - 1]);
      console.log(`CPU lab: ${shown.join(', ')}; ${await page.locator('pg-gradient-lab #lab-rate').textContent()}`);
      await pauseLab(page);
      const s = await labState(page);
      expect(s.kind).toBe('cpu');
      // Small batches: the page keeps its frames.
      expect(Math.max(...s.calls.map((c) => c.samples))).toBeLessThanOrEqual(2 ** 16);
      await page.locator('pg-gradient-lab #lab-run').click(); // resume
      const gaps = await page.evaluate(() => new Promise<number[]>((resolve) => {
        const times: number[] = [];
        const tick = (t: number) => {
          times.push(t);
          if (times.length < 40) requestAnimationFrame(tick);
          else resolve(times.slice(1).map((v, i) => v - times[i]).sort((x, y) => x - y));
        };
        requestAnimationFrame(tick);
      }));
      // The median frame while the CPU draws stays short (a batch is sized to ~8 ms of work).
      console.log(`CPU lab frame gaps (ms): median ${gaps[gaps.length >> 1].toFixed(1)}, max ${gaps[gaps.length - 1].toFixed(1)}`);
      expect(gaps[gaps.length >> 1]).toBeLessThan(50);
      await pauseLab(page);
      for (const b of s.baselines) {
        expect(Math.abs(b.projectionMean - s.gradNorm), b.id).toBeLessThanOrEqual(4 * b.projectionSe);
      }
      // Closing the card stops the drawing.
      await page.locator('pg-gradient-lab #lab-run').click();
      await page.locator('pg-gradient-lab summary').click();
      await page.waitForFunction(() => !document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-gradient-lab')?.runner.busy, null, { timeout: 10_000 });
      const closedAt = await page.evaluate(() => document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-gradient-lab')?.runner.progress.samples);
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-gradient-lab')?.runner.progress.samples)).toBe(closedAt);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
