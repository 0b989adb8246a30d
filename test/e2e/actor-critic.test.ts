/**
 * The actor-critic family on the page, in real Chromium: the reward chart draws the critic's V
 * beside the reward of the critic group only, the per-arm charts leave the contextual groups out
 * and say why, and the inspector explains a contextual agent's step in the context it saw, with
 * the critic's update written out, every number the replay's.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedPage, type Site, catchUpCharts, openPage, screenshotPath, startSite, waitReady, waitRows, inspectAgent, runSteps, textOf } from './harness.ts';

let site: Site;
let opened: OpenedPage | null = null;

beforeAll(async () => {
  site = await startSite('test-results/e2e-actor-critic');
});

afterAll(async () => {
  await opened?.close();
  await site?.close();
});


/** Legend names of the reward chart's bottom plot, and the labels its last frame drew. */
async function rewardPlot(page: Page): Promise<{ legend: string[]; labels: string[] }> {
  return page.locator('pg-reward-chart').evaluate((element) => {
    const chart = element as unknown as { drawn: { labels: { text: string }[] }[] };
    const plot = element.shadowRoot!.querySelector('.plot[data-plot="1"]')!;
    const legend = Array.from(plot.querySelectorAll('.u-legend .u-series th'), (th) => (th.textContent ?? '').trim());
    return { legend, labels: chart.drawn[1].labels.map((l) => l.text) };
  });
}

describe('actor-critic on the page', () => {
  it('the reward chart draws V (critic) for the critic group only; the per-arm charts say why they leave contextual groups out', async () => {
    opened = await openPage(site, { hash: 'preset=actor-critic&agents=300&steps=150', paused: true, context: { viewport: { width: 1360, height: 1000 } } });
    const { page, errors } = opened;
    await waitReady(page);
    const baselines = await page.evaluate(() => window.__pgp!.config.groups.map((g) => g.baseline));
    expect(baselines).toEqual(['critic', 'average']);
    await runSteps(page, 150);
    await waitRows(page, 20);
    await catchUpCharts(page);

    const { legend, labels } = await rewardPlot(page);
    const vSeries = legend.filter((name) => name.startsWith('V '));
    expect(vSeries).toEqual(['V · critic']);
    expect(labels).toContain('V (critic)');
    expect(await textOf(page, 'pg-reward-chart .caption')).toContain("Dashed: the critic's V");
    // The V plotted is mean_baseline of the critic group; by step 150 it is near the expected reward.
    const [v, expected] = await page.evaluate(() => [window.__pgp!.history!.column(0, 'mean_baseline'), window.__pgp!.history!.column(0, 'mean_expected_reward')]);
    const last = v.length - 1;
    expect(Number.isFinite(v[last])).toBe(true);
    expect(Math.abs(v[last] - expected[last])).toBeLessThan(0.5 * (1 + Math.abs(expected[last])));

    // Every group is contextual: no per-arm lines and no toggle, with a note; the policy-bars card says why it is empty.
    expect(await textOf(page, 'pg-prob-chart .note')).toBe('Every group is on a contextual bandit: one policy per context, with the arms turned in each, so their per-arm lines are left out.');
    expect(await page.locator('pg-prob-chart #per-arm').count()).toBe(0);
    expect(await textOf(page, 'pg-prob-chart .caption')).toContain('the best arm is that of the context each agent saw');
    expect(await textOf(page, 'pg-policy-chart .unavailable')).toContain('Every group is on a contextual bandit');
    expect(await textOf(page, 'pg-heatmap-chart .caption')).toContain('in the context each agent saw');

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshotPath('actor-critic.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('the inspector explains a critic agent in the context it saw, with V(c) <- V(c) + criticLr (R - V(c)) as the replay holds it', async () => {
    const page = opened!.page;
    const card = await inspectAgent(page, 0, 5);
    await expect.poll(() => textOf(page, '#inspect-check'), { timeout: 30_000 }).toContain("agent 5 (every context's preferences and V) now (after step 150)");
    expect(await textOf(page, '#inspect-check')).toMatch(/^✓/);

    // A step in a context other than 0, so that the preferences shown come from the extra words.
    const truth0 = await page.evaluate(async () => Array.from((await window.__pgp!.engine!.trajectory(0, 5)).contexts));
    const step = truth0.findIndex((c, t) => c !== 0 && t >= 20) + 1;
    expect(step).toBeGreaterThan(0);
    await card.locator('#step-range').fill(String(step));
    await expect.poll(() => textOf(page, '#step-shown')).toContain(`step ${step} of 150`);

    const shown = await card.evaluate((element) => {
      const root = element.shadowRoot!;
      const value = (selector: string) => Number((root.querySelector(selector) as HTMLElement).dataset.value);
      const cells = (name: string) => Array.from(root.querySelectorAll(`[data-cell="${name}"]`), (cell) => Number((cell as HTMLElement).dataset.value));
      return {
        context: Number((root.querySelector('#context-line') as HTMLElement).dataset.context),
        contextText: (root.querySelector('#context-line')?.textContent ?? '').replace(/\s+/g, ' '),
        level: value('[data-cell="level"]'),
        thetas: cells('theta'),
        probs: cells('pi'),
        armMeans: cells('arm-mean'),
        after: cells('theta-new'),
        criticBefore: value('[data-cell="critic-before"]'),
        criticChange: value('[data-cell="critic-change"]'),
        criticAfter: value('[data-cell="critic-after"]'),
        criticText: (root.querySelector('#critic-update')?.textContent ?? '').replace(/\s+/g, ' '),
        updateHeading: (root.querySelector('#h-update')?.textContent ?? '').replace(/\s+/g, ' '),
        broken: root.querySelector('.problem') !== null,
      };
    });
    const truth = await page.evaluate(async (s) => {
      const trajectory = await window.__pgp!.engine!.trajectory(0, 5);
      const k = trajectory.arms;
      const t = s - 1;
      const words = trajectory.initialExtra.length;
      const c = trajectory.contexts[t];
      const phase = trajectory.phases[0];
      // extraLayout for this group (contexts 4, no running norm): V(0..3), then contexts 1..3's preferences.
      const contexts = phase.params.contexts;
      const at = contexts + (c - 1) * k;
      return {
        context: c,
        contexts,
        reward: trajectory.rewards[t],
        probs: Array.from(trajectory.probs.subarray(t * k, (t + 1) * k)),
        before: Array.from(trajectory.extras.subarray((t - 1) * words + at, (t - 1) * words + at + k)),
        after: Array.from(trajectory.extras.subarray(t * words + at, t * words + at + k)),
        vBefore: trajectory.extras[(t - 1) * words + c],
        vAfter: trajectory.extras[t * words + c],
        baseline: trajectory.baselines[t],
        armMeans: Array.from(phase.contextArmMeans.subarray(c * k, (c + 1) * k)),
        criticLr: phase.params.criticLr,
      };
    }, step);
    const f32 = Math.fround;
    expect(shown.broken).toBe(false);
    expect(shown.context).toBe(truth.context);
    expect(shown.contextText).toContain(`context ${truth.context} of 4`);
    // Levels -5, -5/3, 5/3, 5 for contexts 0..3.
    expect(shown.level).toBeCloseTo(-5 + (10 / 3) * truth.context, 5);
    expect(shown.thetas).toEqual(truth.before);
    expect(shown.probs).toEqual(truth.probs);
    expect(shown.after).toEqual(truth.after);
    expect(shown.armMeans).toEqual(truth.armMeans);
    expect(shown.criticBefore).toBe(truth.vBefore);
    expect(shown.criticBefore).toBe(truth.baseline);
    expect(shown.criticChange).toBe(f32(f32(truth.criticLr) * f32(truth.reward - truth.vBefore)));
    expect(shown.criticAfter).toBe(truth.vAfter);
    expect(shown.criticText).toContain(`V(${truth.context}) ← V(${truth.context}) + criticLr (R − V(${truth.context}))`);
    expect(shown.updateHeading).toContain(`context ${truth.context}'s preferences`);

    await page.evaluate(() => window.scrollTo(0, 0));
    const box = await page.locator('#inspector-card').boundingBox();
    await page.screenshot({ path: screenshotPath('actor-critic-inspector.png'), clip: box!, fullPage: true });
    expect(opened!.errors).toEqual([]);
  });
});
