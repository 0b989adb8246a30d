/**
 * The run loop's rows and stop conditions, in real Chromium (SwiftShader WebGPU): a stop
 * condition typed in the run bar reports the step at which each group's rows first met it (the
 * page's own rows say the same) and pauses the run once every group has; a bad condition is
 * refused, naming what is accepted; a long run at full speed asks the engine only for the rows
 * the charts can use (the schedule of rowSchedule, said on the status line), every row again
 * when "Every step" is ticked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { rowSchedule } from '../../src/ui/advance-size.ts';
import { type OpenedPage, type Site, openPage, screenshotPath, startSite, waitReady } from './harness.ts';

let site: Site;
let opened: OpenedPage | null = null;

beforeAll(async () => {
  site = await startSite('test-results/e2e-stop-rows');
});

afterAll(async () => {
  await opened?.close();
  await site?.close();
});

async function open(hash: string): Promise<Page> {
  await opened?.close();
  opened = await openPage(site, { hash, paused: true });
  await waitReady(opened.page);
  return opened.page;
}

describe('a stop condition', () => {
  it('refuses bad text, naming what is accepted', async () => {
    const page = await open('arms=2&agents=500&steps=300');
    await page.getByLabel(/^Stop when a statistic crosses a threshold/).fill('frac_optimal>>0.9');
    await page.getByLabel(/^Stop when a statistic crosses a threshold/).press('Enter');
    const report = page.locator('#stop-report');
    await expect.poll(async () => (await report.textContent()) ?? '').toContain('expected STATISTIC OPERATOR NUMBER');
    expect(await page.evaluate(() => window.__pgp!.runner.stopSteps.length)).toBe(0);
  });

  it('reports the step each group first met it, as the rows say, and pauses once every group has', async () => {
    // Two arms, rewards 0 and 1, the baseline against none: both cross 0.8, at different steps.
    const page = await open('arms=2&env=fixed&means=0,1&noise=0&lr=0.1&agents=1000&steps=3000&group=baseline%3Daverage&group=baseline%3Dnone');
    const condition = 'mean_prob_optimal>=0.8';
    await page.getByLabel(/^Stop when a statistic crosses a threshold/).fill(condition);
    await page.getByLabel(/^Stop when a statistic crosses a threshold/).press('Enter');
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => {
      const runner = window.__pgp!.runner;
      return !runner.playing && !runner.busy && runner.stopSteps.every((s) => s !== null);
    }, null, { timeout: 90_000, polling: 100 });
    const result = await page.evaluate(() => {
      const hook = window.__pgp!;
      const history = hook.history!;
      const column = history.layout.index('mean_prob_optimal');
      // The first kept row of each group at or above 0.8: with a condition every row is kept.
      const firstRows = [0, 1].map((g) => {
        const values = history.columns[g][column];
        const r = values.findIndex((v) => v >= 0.8);
        return r < 0 ? null : history.steps[r];
      });
      const everyRow = history.steps.every((step, i) => step === i + 1);
      return { reported: [...hook.runner.stopSteps], firstRows, everyRow, stepsDone: hook.engine!.stepsDone, budget: hook.config.params.steps };
    });
    expect(result.everyRow).toBe(true);
    expect(result.reported).toEqual(result.firstRows);
    const [withBaseline, without] = result.reported as number[];
    expect(withBaseline).toBeGreaterThan(1);
    expect(without).toBeGreaterThan(1);
    // It paused after the advance in which the last group met it, far short of the budget.
    expect(result.stepsDone).toBeGreaterThanOrEqual(Math.max(withBaseline, without));
    expect(result.stepsDone).toBeLessThan(result.budget);
    const text = (await page.locator('#stop-report').textContent()) ?? '';
    expect(text).toContain(`Steps to ${condition}`);
    expect(text).toContain(`step ${withBaseline}`);
    expect(text).toContain(`step ${without}`);
    await page.locator('pg-run-bar').screenshot({ path: screenshotPath('stop-condition.png') });
  });
});

describe('rows at the rate the charts use', () => {
  it('at full speed over a long budget, rows come at multiples of a power of two; Every step brings every row back', async () => {
    const page = await open('arms=2&agents=200&steps=200000');
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => window.__pgp!.runner.rowEvery >= 4 && window.__pgp!.history!.length > 20, null, { timeout: 60_000, polling: 100 });
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.waitForFunction(() => !window.__pgp!.runner.busy, null, { timeout: 30_000 });
    const sparse = await page.evaluate(() => ({ steps: [...window.__pgp!.history!.steps], rowEvery: window.__pgp!.runner.rowEvery, done: window.__pgp!.engine!.stepsDone }));
    expect(await page.locator('#row-every').textContent()).toContain(`a row every ${sparse.rowEvery} steps`);
    // Exactly the rows of the schedule (a function of the step: the same after a reset).
    const expected: number[] = [];
    for (let s = 1; s <= sparse.done; s++) if (s % rowSchedule(s - 1, 1, 200_000, false).rowEvery === 0) expected.push(s);
    expect(sparse.steps).toEqual(expected);

    await page.getByLabel('Every step').check();
    const from = await page.evaluate(() => window.__pgp!.engine!.stepsDone);
    await page.evaluate(() => window.__pgp!.runner.runSteps(40));
    await page.waitForFunction((end) => window.__pgp!.engine!.stepsDone >= end && !window.__pgp!.runner.busy, from + 40, { timeout: 30_000 });
    const dense = await page.evaluate((after) => window.__pgp!.history!.steps.filter((s) => s > after), from);
    expect(dense).toEqual(Array.from({ length: 40 }, (_, i) => from + 1 + i));
  });
});
