/**
 * Seeds and distributions in real Chromium (SwiftShader WebGPU): a small baseline-on-off run
 * (500 agents per group, 100 steps) paused at its budget. The seeds chart's quantile agents sit at
 * their quantiles of pi(best) computed here from the engine's own state (readAgents); an agent
 * picked by number is drawn exactly as `trajectory()` replays it and opens in the one-agent card;
 * the rules pick the worst agent and the agents locked onto a wrong arm; the distribution chart's
 * fraction below 0.5 is the one readAgents gives, within one bin's mass.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Site, catchUpCharts, openPage, screenshotPath, startSite, waitReady } from './harness.ts';

let site: Site;

beforeAll(async () => {
  site = await startSite('test-results/e2e-seeds');
});

afterAll(async () => {
  await site?.close();
});

const kHash = 'preset=baseline-on-off&agents=500&steps=100&seed=7';
/** The preset's arms pay 9, 10, 11: arm 2 is every agent's best. */
const kBestArm = 2;
/** Group 1 runs without a baseline: the seeds chart shows it first. */
const kGroup = 1;

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Every agent's pi(best arm) now, from the engine's state: softmax of the preferences (temperature 1). */
async function probBestNow(page: Page, group: number): Promise<number[]> {
  return page.evaluate(async ([g, best]) => {
    const engine = window.__pgp?.engine;
    if (!engine) throw new Error('no engine');
    const { prefs } = await engine.readAgents(g);
    const k = engine.config.params.arms;
    const out: number[] = [];
    for (let a = 0; a < prefs.length / k; a++) {
      let max = -Infinity;
      for (let j = 0; j < k; j++) max = Math.max(max, prefs[a * k + j]);
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp(prefs[a * k + j] - max);
      out.push(Math.exp(prefs[a * k + best] - max) / sum);
    }
    return out;
  }, [group, kBestArm] as const);
}

async function cardShot(page: Page, chart: string, name: string): Promise<void> {
  const card = page.locator(`.card[data-chart="${chart}"]`);
  await card.evaluate((element) => element.scrollIntoView({ block: 'center' }));
  await card.screenshot({ path: screenshotPath(name) });
}

describe('seeds and distributions', () => {
  it('draws the quantile and picked agents exactly, opens them in the inspector, and counts agents below a threshold', async () => {
    const { page, errors, close } = await openPage(site, { paused: true, hash: kHash, context: { viewport: { width: 1360, height: 1000 } } });
    try {
      await waitReady(page);
      await page.evaluate(() => window.__pgp?.runner.play());
      await page.waitForFunction(() => window.__pgp?.runner.atBudget === true && !window.__pgp.runner.busy, null, { timeout: 120_000, polling: 100 });
      const steps = await page.evaluate(() => window.__pgp?.engine?.stepsDone);
      expect(steps).toBe(100);

      // Resting at the budget, the chart reads the no-baseline group and draws its p10, p50, p90 agents.
      await page.waitForFunction(() => (document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-seeds-chart')?.drawnSeeds.length ?? 0) === 3,
        null, { timeout: 60_000, polling: 100 });
      const quantiles = await page.evaluate(() => {
        const chart = document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-seeds-chart');
        if (!chart?.summary) throw new Error('no summary');
        return { group: chart.group, step: chart.summary.step, seeds: chart.drawnSeeds.map(({ seed }) => ({ role: seed.role, agent: seed.agent, last: seed.values[seed.values.length - 1] })) };
      });
      expect(quantiles.group).toBe(kGroup);
      expect(quantiles.step).toBe(100);
      const probs = await probBestNow(page, kGroup);
      const n = probs.length;
      expect(n).toBe(500);
      for (const [i, level] of [0.1, 0.5, 0.9].entries()) {
        const seed = quantiles.seeds[i];
        expect(seed.role).toBe(['p10', 'p50', 'p90'][i]);
        // The chart's value is the f32 softmax; this one is f64 from the same preferences.
        expect(Math.abs(seed.last - probs[seed.agent])).toBeLessThan(1e-5);
        // Its rank among all agents (ties either way) holds round(level (n - 1)).
        const rank = Math.round(level * (n - 1));
        const below = probs.filter((p) => p < probs[seed.agent] - 1e-6).length;
        const atOrBelow = probs.filter((p) => p <= probs[seed.agent] + 1e-6).length;
        expect(below).toBeLessThanOrEqual(rank);
        expect(atOrBelow - 1).toBeGreaterThanOrEqual(rank);
      }
      expect(await text(page, '#seed-status')).toMatch(/^At step 100: p10 agent \d+ .*locked onto a wrong arm \(π > 0\.9\)\.$/);

      // An agent by number: the inspector opens it, and the chart draws its exact replay.
      const agent = 123;
      const seeds = page.locator('pg-seeds-chart');
      await seeds.getByLabel('Agent number').fill(String(agent));
      await seeds.getByRole('button', { name: 'Show agent' }).click();
      await expect.poll(() => page.locator('#inspect-agent').inputValue(), { timeout: 30_000 }).toBe(String(agent));
      expect(await page.locator('#inspect-group').inputValue()).toBe(String(kGroup));
      await expect.poll(() => text(page, '#inspect-check'), { timeout: 30_000 }).toContain(`agent ${agent} now (after step 100)`);
      await page.waitForFunction((a) => document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-seeds-chart')?.drawnSeeds.some(({ seed }) => seed.role === 'picked' && seed.agent === a),
        agent, { timeout: 30_000, polling: 100 });
      const compared = await page.evaluate(async ([g, a]) => {
        const app = window.__pgp;
        const chart = document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-seeds-chart');
        if (!app?.engine || !app.history || !chart) throw new Error('no page');
        const drawn = chart.drawnSeeds.find(({ seed }) => seed.role === 'picked');
        if (!drawn) throw new Error('no picked seed');
        const trajectory = await app.engine.trajectory(g, a);
        const k = trajectory.arms;
        const best = trajectory.phases[0].bestArm;
        // pi(best) after s steps is the policy step s + 1 drew from.
        const mismatches: string[] = [];
        app.history.steps.forEach((s, row) => {
          const expected = s < trajectory.steps ? trajectory.probs[s * k + best] : null;
          const shown = drawn.column[row];
          if (expected !== null && shown !== expected) mismatches.push(`step ${s}: drawn ${shown}, trajectory ${expected}`);
        });
        return { rows: app.history.steps.length, columnLength: drawn.column.length, mismatches, best, fromStep: drawn.seed.fromStep, values: drawn.seed.values.length };
      }, [kGroup, agent] as const);
      expect(compared.best).toBe(kBestArm);
      expect(compared.rows).toBe(100);
      expect(compared.columnLength).toBe(100);
      expect(compared.fromStep).toBe(0);
      expect(compared.values).toBe(101);
      expect(compared.mismatches).toEqual([]);
      await cardShot(page, 'seeds', 'seeds-chart.png');

      // The rules: the worst pi(best) of the group, then an agent locked onto a wrong arm.
      await seeds.getByRole('button', { name: 'Worst final π(best)' }).click();
      const worst = probs.indexOf(Math.min(...probs));
      await expect.poll(() => page.locator('#inspect-agent').inputValue(), { timeout: 30_000 }).toBe(String(worst));
      expect(await text(page, '#inspect-note')).toContain(`Agent ${worst}: the worst π(best) of the group after step 100`);
      const lockedCount = await page.evaluate(async (g) => {
        const engine = window.__pgp?.engine;
        if (!engine) throw new Error('no engine');
        const { prefs } = await engine.readAgents(g);
        const k = engine.config.params.arms;
        let locked = 0;
        for (let a = 0; a < prefs.length / k; a++) {
          const row = Array.from(prefs.subarray(a * k, a * k + k));
          const max = Math.max(...row);
          const sum = row.reduce((s, p) => s + Math.exp(p - max), 0);
          const favourite = row.indexOf(max);
          if (favourite !== 2 && 1 / sum > 0.9) locked++;
        }
        return locked;
      }, kGroup);
      await seeds.getByRole('button', { name: 'Locked onto a wrong arm' }).click();
      if (lockedCount === 0) {
        await expect.poll(() => text(page, '#seed-status')).toContain('No agent is locked onto a wrong arm');
      } else {
        await expect.poll(() => text(page, '#seed-status')).toMatch(new RegExp(`^Agent \\d+ is locked onto arm [01] \\(π = [\\d.]+\\), not its best arm 2: 1 of ${lockedCount} such agents after step 100\\.$`));
      }

      // A heatmap click: the inspector finds the agent, and the seeds chart draws the same one.
      const heatmap = page.locator('pg-heatmap-chart').nth(kGroup);
      await heatmap.scrollIntoViewIfNeeded();
      const plot = await heatmap.locator('.u-over').boundingBox();
      if (!plot) throw new Error('no heatmap plot');
      await page.mouse.click(plot.x + plot.width * 0.95, plot.y + plot.height * 0.5);
      await expect.poll(() => text(page, '#inspect-note'), { timeout: 30_000 }).toMatch(/^Agent \d+: π\(best\) = /);
      const clicked = Number(/^Agent (\d+)/.exec(await text(page, '#inspect-note'))?.[1]);
      await page.waitForFunction((a) => document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-seeds-chart')?.drawnSeeds.some(({ seed }) => seed.role === 'picked' && seed.agent === a),
        clicked, { timeout: 30_000, polling: 100 });

      // The distribution at the latest step: the fraction below 0.5 per group, against readAgents.
      const distribution = page.locator('pg-distribution-chart');
      await distribution.scrollIntoViewIfNeeded();
      await expect.poll(() => distribution.locator('#dist-step-value').textContent()).toContain('step 100 · latest');
      for (const g of [0, 1]) {
        const truth = await probBestNow(page, g);
        const fromAgents = truth.filter((p) => p < 0.5).length / truth.length;
        const item = distribution.locator(`#dist-fractions li[data-group="${g}"]`);
        const shown = Number(await item.getAttribute('data-fraction'));
        // One bin's mass: the agents in the two bins next to 0.5 (f32 rounding may move an agent across the edge).
        const nearEdge = truth.filter((p) => p >= 31 / 64 && p < 33 / 64).length / truth.length;
        expect(Math.abs(shown - fromAgents)).toBeLessThanOrEqual(Math.max(nearEdge, 1 / truth.length) + 1e-12);
        expect(((await item.textContent()) ?? '').replace(/\s+/g, ' ')).toMatch(new RegExp(`${g === 1 ? 'no baseline' : 'baseline'}: [\\d.]+% of agents below 0\\.5$`));
      }
      // A threshold between bin edges is counted at the nearest edge, and the chart says so.
      await distribution.getByLabel('Threshold on π(best)').fill('0.51');
      await distribution.getByLabel('Threshold on π(best)').press('Enter');
      await expect.poll(() => text(page, '#dist-snap')).toBe('The histograms have 64 bins: the threshold 0.51 is counted at the nearest bin edge, 0.5156.');
      // An earlier step by the slider: step 1's row, counted below the edge 33/64 by hand from the recorded histogram.
      await distribution.getByLabel('Step of the distribution').fill('0');
      await expect.poll(() => distribution.locator('#dist-step-value').textContent()).toBe('step 1');
      const firstRow = await page.evaluate(() => {
        const history = window.__pgp?.history;
        if (!history) throw new Error('no history');
        const counts = Array.from(history.histograms[1].subarray(0, 64));
        return { step: history.steps[0], below: counts.slice(0, 33).reduce((a, b) => a + b, 0), total: counts.reduce((a, b) => a + b, 0) };
      });
      expect(firstRow).toMatchObject({ step: 1, total: 500 });
      expect(Number(await distribution.locator('#dist-fractions li[data-group="1"]').getAttribute('data-fraction'))).toBe(firstRow.below / 500);
      await distribution.getByLabel('Threshold on π(best)').fill('0.5');
      await distribution.getByLabel('Threshold on π(best)').press('Enter');
      await distribution.getByLabel('Step of the distribution').fill('99');
      // Each agent's expected reward now (arms pay 9, 10, 11), read on request.
      await distribution.getByRole('button', { name: 'Expected reward now' }).click();
      await expect.poll(() => distribution.locator('#dist-reward-lines li').count(), { timeout: 30_000 }).toBe(2);
      expect(await text(page, '.reward-head')).toContain('Expected reward of each agent\'s policy at step 100 (the current step)');
      for (const g of [0, 1]) {
        const expected = await page.evaluate(async (group) => {
          const engine = window.__pgp?.engine;
          if (!engine) throw new Error('no engine');
          const { prefs } = await engine.readAgents(group);
          let sum = 0;
          for (let a = 0; a < prefs.length / 3; a++) {
            const row = Array.from(prefs.subarray(a * 3, a * 3 + 3));
            const max = Math.max(...row);
            const weights = row.map((p) => Math.exp(p - max));
            const total = weights.reduce((x, y) => x + y, 0);
            sum += (9 * weights[0] + 10 * weights[1] + 11 * weights[2]) / total;
          }
          return sum / (prefs.length / 3);
        }, g);
        const shown = Number(await distribution.locator(`#dist-reward-lines li[data-group="${g}"]`).getAttribute('data-mean'));
        // f32 softmax against f64 here: far below the 1e-4 the text shows.
        expect(Math.abs(shown - expected)).toBeLessThan(1e-4);
      }
      expect(await text(page, '#dist-reward-lines li[data-group="1"]')).toMatch(/^no baseline: mean [\d.]+, 10% [\d.]+, median [\d.]+, 90% [\d.]+ \(best arm 11\)$/);
      await cardShot(page, 'distribution', 'distribution-chart.png');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  }, 240_000);

  it('shows the landing preset\'s seeds and distribution once its run ends', async () => {
    const { page, errors, close } = await openPage(site, { hash: 'preset=baseline-on-off&steps=150', context: { viewport: { width: 1360, height: 1000 } } });
    try {
      await waitReady(page);
      await page.waitForFunction(() => window.__pgp?.runner.atBudget === true && !window.__pgp.runner.busy, null, { timeout: 120_000, polling: 100 });
      await page.waitForFunction(() => (document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-seeds-chart')?.drawnSeeds.length ?? 0) === 3,
        null, { timeout: 60_000, polling: 100 });
      await expect.poll(() => text(page, '#seed-status')).toMatch(/^At step 150: p10 agent/);
      await catchUpCharts(page);
      const lines = (await page.locator('#dist-fractions li').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^baseline: [\d.]+% of agents below 0\.5$/);
      expect(lines[1]).toMatch(/^no baseline: [\d.]+% of agents below 0\.5$/);
      await cardShot(page, 'seeds', 'seeds-landing.png');
      await cardShot(page, 'distribution', 'distribution-landing.png');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  }, 240_000);

  it('presents both charts by name, inside a 1280x720 screen', async () => {
    const context = await site.browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`${site.url}?present&view=seeds,distribution#preset=baseline-on-off&agents=500&steps=60`);
      await page.waitForFunction(() => window.__pgp?.runner.atBudget === true && !window.__pgp.runner.busy, null, { timeout: 120_000, polling: 100 });
      await page.waitForFunction(() => (document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-seeds-chart')?.drawnSeeds.length ?? 0) === 3,
        null, { timeout: 60_000, polling: 100 });
      const cards = await page.locator('[data-chart]').evaluateAll((nodes) => nodes.map((n) => {
        const r = n.getBoundingClientRect();
        return { name: n.getAttribute('data-chart'), bottom: r.bottom, right: r.right };
      }));
      expect(cards.map((c) => c.name)).toEqual(['seeds', 'distribution']);
      for (const card of cards) {
        expect(card.bottom).toBeLessThanOrEqual(720);
        expect(card.right).toBeLessThanOrEqual(1280);
      }
      await page.screenshot({ path: screenshotPath('seeds-distribution-present.png') });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 240_000);
});
