/**
 * The gaussian policy on the page, in real Chromium: the actions chart draws every gaussian
 * group, the charts about arms leave gaussian groups out and say why, the heatmap shows mu - x*
 * on its own axis, the panel shows only the keys that act on a gaussian group, and the inspector
 * explains a gaussian agent's step with every number the replay's. The landing page and a
 * preset without gaussian groups carry none of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedPage, type Site, catchUpCharts, openPage, screenshotPath, startSite, waitReady, waitRows, inspectAgent, runSteps, textOf } from './harness.ts';

let site: Site;
let opened: OpenedPage | null = null;

beforeAll(async () => {
  site = await startSite('test-results/e2e-gaussian');
});

afterAll(async () => {
  await opened?.close();
  await site?.close();
});


describe('the gaussian policy on the page', () => {
  it('draws the actions chart for both groups, the heatmap on a mu - x* axis, and notes where arm charts leave the groups out', async () => {
    opened = await openPage(site, { hash: 'preset=gaussian-policy&agents=300&steps=150', paused: true, context: { viewport: { width: 1360, height: 1000 } } });
    const { page, errors } = opened;
    await waitReady(page);
    expect(await page.evaluate(() => window.__pgp!.config.groups.map((g) => g.baseline))).toEqual(['average', 'none']);
    await runSteps(page, 150);
    await waitRows(page, 20);
    await catchUpCharts(page);

    // The actions chart: each group's |mu - x*| and sigma on top, its median mu - x* and bands below.
    const actions = await page.locator('pg-actions-chart').evaluate((element) => {
      const root = element.shadowRoot!;
      const legend = (i: number) => Array.from(root.querySelectorAll(`.plot[data-plot="${i}"] .u-legend .u-series th`), (th) => (th.textContent ?? '').trim())
        .filter((_, j) => (root.querySelectorAll(`.plot[data-plot="${i}"] .u-legend .u-series`)[j] as HTMLElement).style.display !== 'none');
      const chart = element as unknown as { drawn: { labels: { text: string }[] }[] };
      return { top: legend(0), bottom: legend(1), labels: chart.drawn.map((d) => d.labels.map((l) => l.text)), points: Number(element.dataset.points) };
    });
    expect(actions.top).toEqual(['step', '|μ − x*| · baseline', 'σ · baseline', '|μ − x*| · no baseline', 'σ · no baseline']);
    expect(actions.bottom).toEqual(['step', 'baseline', 'no baseline']);
    expect(actions.labels).toEqual([['baseline', 'no baseline'], ['baseline', 'no baseline']]);
    expect(actions.points).toBeGreaterThanOrEqual(20);
    // The decoded band is (q * 8) - 4 of the quantile columns, and lies around 0 with |mu - x*| shrinking.
    const decoded = await page.evaluate(() => {
      const h = window.__pgp!.history!;
      const last = h.counts[0] - 1;
      return {
        p50: h.column(0, 'prob_optimal_p50')[last] * 8 - 4,
        error: [h.column(0, 'mean_action_error')[0], h.column(0, 'mean_action_error')[last]],
        sigma: [h.column(0, 'mean_action_std')[0], h.column(0, 'mean_action_std')[last]],
      };
    });
    expect(Math.abs(decoded.p50)).toBeLessThan(1);
    expect(decoded.error[1]).toBeLessThan(decoded.error[0]);
    expect(decoded.sigma[1]).toBeLessThan(decoded.sigma[0]);

    // The heatmap of a gaussian group: mu - x* from -4 to 4, the median line, not pi(best arm).
    const heatmap = await page.locator('pg-heatmap-chart').first().evaluate((element) => {
      const root = element.shadowRoot!;
      const title = (root.querySelector('.title')?.textContent ?? '').replace(/\s+/g, ' ').trim();
      const legend = Array.from(root.querySelectorAll('.u-legend .u-series th'), (th) => (th.textContent ?? '').trim());
      const plot = (element as unknown as { charts: { plot: { axes: { label?: unknown }[]; scales: { y: { min: number; max: number } } } }[] }).charts[0].plot;
      return { title, axis: plot.axes.map((a) => (typeof a.label === 'string' ? a.label : '')), legend, y: [plot.scales.y.min, plot.scales.y.max] };
    });
    expect(heatmap.title).toBe('μ − x* across agents — baseline');
    expect(heatmap.axis).toContain('μ − x*');
    expect(heatmap.legend).toContain('median');
    expect(heatmap.y).toEqual([-4, 4]);
    expect(await textOf(page, 'pg-heatmap-chart .caption')).toContain('A gaussian policy has no arms: each column is the population\'s μ − x*');

    // The charts about arms stay off a page where no group has arms (each would only say why).
    for (const tag of ['pg-prob-chart', 'pg-policy-chart', 'pg-distribution-chart', 'pg-study-chart', 'pg-seeds-chart']) {
      expect(await page.locator(tag).count(), tag).toBe(0);
    }
    // The gaussian policy's own chart comes right after the heatmap.
    const order = await page.locator('.card[data-chart]').evaluateAll((cards) => [...new Set(cards.map((c) => (c as HTMLElement).dataset.chart))]);
    expect(order.slice(0, 3)).toEqual(['heatmap', 'actions', 'reward']);
    // "Choosing the best arm" is the reward plot alone.
    expect(await textOf(page, 'pg-reward-chart .title')).toBe('Reward');
    expect(await page.locator('pg-reward-chart').evaluate((e) => (e.shadowRoot!.querySelector('.plot[data-plot="1"]') as HTMLElement).hidden)).toBe(true);
    expect(await textOf(page, '#intro-gaussian')).toContain('x ~ N(μ, σ²)');

    // The panel: the gaussian keys, not the softmax-only ones.
    const panel = page.locator('pg-controls');
    await page.locator('details.panel').evaluate((d) => { (d as HTMLDetailsElement).open = true; });
    const keys = await panel.evaluate((element) => Array.from(element.shadowRoot!.querySelectorAll('pg-param'), (p) => (p as HTMLElement).dataset.key ?? p.getAttribute('key') ?? (p as unknown as { spec?: { key: string } }).spec?.key ?? ''));
    expect(keys).toEqual(expect.arrayContaining(['lr', 'baseline', 'initialStd']));
    expect(keys).not.toContain('temperature');
    expect(keys).not.toContain('epsilon');

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshotPath('gaussian.png'), fullPage: true });
    await page.locator('pg-actions-chart').screenshot({ path: screenshotPath('gaussian-actions.png') });
    await page.locator('.card[data-chart="heatmap"]').screenshot({ path: screenshotPath('gaussian-heatmap.png') });

    // A view that names the charts about arms gets them, each saying why it draws nothing.
    const setView = (view: string) => page.evaluate((v) => { (document.querySelector('pg-app') as unknown as { view: string }).view = v; }, view);
    await setView('probabilities,policy,study,seeds,distribution');
    await catchUpCharts(page);
    const arms = 'Every group is a gaussian policy (a continuous action, no arms), so';
    await expect.poll(() => textOf(page, 'pg-prob-chart .unavailable')).toContain(`${arms} there are no action probabilities to plot`);
    expect(await textOf(page, 'pg-policy-chart .unavailable')).toContain(`${arms} there is no probability of each arm to draw`);
    expect(await textOf(page, 'pg-distribution-chart .unavailable')).toContain(`${arms} there is no π(best arm) to count`);
    expect(await textOf(page, '#study-need')).toContain(`${arms} the study's statistics`);
    expect(await textOf(page, 'pg-seeds-chart .unavailable')).toContain('a gaussian policy has a continuous action and no arms');
    expect(await page.locator('pg-prob-chart #per-arm').count()).toBe(0);
    await setView('');
    expect(errors).toEqual([]);
  });

  it('the inspector explains a gaussian agent step by step, every number the replay\'s', async () => {
    const page = opened!.page;
    const card = await inspectAgent(page, 0, 7);
    await expect.poll(() => textOf(page, '#inspect-check'), { timeout: 30_000 }).toContain("agent 7 (its μ, log σ and the critic's V) now (after step 150)");
    expect(await textOf(page, '#inspect-check')).toMatch(/^✓/);
    const step = 40;
    await card.locator('#step-range').fill(String(step));
    await expect.poll(() => textOf(page, '#step-shown')).toContain(`step ${step} of 150`);

    const shown = await card.evaluate((element) => {
      const root = element.shadowRoot!;
      const value = (name: string) => Number((root.querySelector(`[data-cell="${name}"]`) as HTMLElement).dataset.value);
      const names = ['mu', 'log-sigma', 'sigma', 'z', 'x', 'optimum', 'gap', 'bump', 'noise', 'reward', 'mu-after', 'log-sigma-after', 'mu-delta', 'log-sigma-delta'];
      return {
        values: Object.fromEntries(names.map((n) => [n, value(n)])),
        advantage: Number((root.querySelector('#gaussian-advantage') as HTMLElement).dataset.value),
        actionLine: (root.querySelector('#gaussian-action-line')?.textContent ?? '').replace(/\s+/g, ' ').trim(),
        picture: root.querySelector('#gaussian-picture') !== null,
        softmax: root.querySelector('#softmax-table') !== null,
        broken: root.querySelector('.problem') !== null,
      };
    });
    const truth = await page.evaluate(async (s) => {
      const trajectory = await window.__pgp!.engine!.trajectory(0, 7);
      const t = s - 1;
      const k = trajectory.arms;
      const before = t === 0 ? Array.from(trajectory.initialPrefs) : Array.from(trajectory.prefs.subarray((t - 1) * k, t * k));
      return {
        mu: before[0],
        logSigma: before[1],
        x: trajectory.continuousActions[t],
        reward: trajectory.rewards[t],
        baseline: trajectory.baselines[t],
        advantage: trajectory.advantages[t],
        after: [trajectory.prefs[t * k], trajectory.prefs[t * k + 1]],
        gradient: [trajectory.gradients[t * k], trajectory.gradients[t * k + 1]],
        lr: trajectory.phases[0].params.lr,
      };
    }, step);
    const v = shown.values;
    expect(shown.broken).toBe(false);
    expect(shown.softmax).toBe(false);
    expect(shown.picture).toBe(true);
    expect(v.mu).toBe(truth.mu);
    expect(v['log-sigma']).toBe(truth.logSigma);
    expect(v.sigma).toBeCloseTo(Math.exp(truth.logSigma), 6);
    expect(v.x).toBe(truth.x);
    expect(v.x).toBeCloseTo(v.mu + v.sigma * v.z, 5);
    expect(v.gap).toBeCloseTo(v.x - v.optimum, 5);
    expect(v.bump).toBeCloseTo(Math.exp(-(v.gap ** 2) / 2), 6);
    expect(v.reward).toBe(truth.reward);
    // offset 0, scale 1: R = bump + noise.
    expect(v.reward).toBeCloseTo(v.bump + v.noise, 5);
    expect(shown.advantage).toBe(truth.advantage);
    expect(v['mu-after']).toBe(truth.after[0]);
    expect(v['log-sigma-after']).toBe(truth.after[1]);
    expect(v['mu-delta']).toBeCloseTo(truth.lr * truth.gradient[0], 5);
    expect(v['log-sigma-delta']).toBeCloseTo(truth.lr * truth.gradient[1], 5);
    expect(shown.actionLine).toMatch(/^x = .* = .*$/);

    await card.screenshot({ path: screenshotPath('gaussian-inspector.png') });
    expect(opened!.errors).toEqual([]);
  });

  it('present mode with view=actions,heatmap: the actions chart and both mu - x* heatmaps fill the screen', async () => {
    const other = await openPage(site, { context: { viewport: { width: 1280, height: 720 } } });
    try {
      const { page, errors } = other;
      await page.goto(`${site.url}?present&view=actions,heatmap#preset=gaussian-policy&agents=300&steps=150`);
      await page.waitForFunction(() => (window.__pgp?.engine?.stepsDone ?? 0) >= 150 && (window.__pgp?.history?.length ?? 0) >= 10, null, { timeout: 60_000, polling: 100 });
      await catchUpCharts(page);
      const cells = await page.evaluate(() => Array.from(document.querySelector('pg-app')!.shadowRoot!.querySelectorAll<HTMLElement>('.card[data-chart]'), (card) => {
        const r = card.getBoundingClientRect();
        return { chart: card.dataset.chart, inside: r.top >= 0 && r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1, height: r.height };
      }));
      expect(cells.map((c) => c.chart)).toEqual(['heatmap', 'heatmap', 'actions']);
      for (const cell of cells) {
        expect(cell.inside, JSON.stringify(cell)).toBe(true);
        expect(cell.height).toBeGreaterThan(200);
      }
      expect(Number(await page.locator('pg-actions-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(10);
      // Presenting, the actions chart is its top plot alone, one legend entry per group.
      const presented = await page.locator('pg-actions-chart').evaluate((element) => {
        const root = element.shadowRoot!;
        const shown = Array.from(root.querySelectorAll<HTMLElement>('.plot'), (plot) => !plot.hidden);
        const legend = Array.from(root.querySelectorAll<HTMLElement>('.plot[data-plot="0"] .u-legend .u-series'))
          .filter((row) => row.style.display !== 'none').map((row) => (row.querySelector('th')?.textContent ?? '').trim());
        return { shown, legend };
      });
      expect(presented.shown).toEqual([true, false]);
      expect(presented.legend).toEqual(['step', '|μ − x*| · baseline', '|μ − x*| · no baseline']);
      await page.screenshot({ path: screenshotPath('gaussian-present.png') });
      expect(errors).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('beside a group with arms: both families\' charts, and the policy bars list only the group that has bars', async () => {
    const other = await openPage(site, { hash: 'arms=3&agents=100&steps=20&group=policy%3Dgaussian&group=policy%3Dsoftmax', paused: true });
    try {
      const { page, errors } = other;
      await waitReady(page);
      await runSteps(page, 20);
      await catchUpCharts(page);
      const order = await page.locator('.card[data-chart]').evaluateAll((cards) => [...new Set(cards.map((c) => (c as HTMLElement).dataset.chart))]);
      expect(order).toEqual(expect.arrayContaining(['probabilities', 'heatmap', 'actions', 'policy', 'seeds', 'distribution']));
      const legend = await page.locator('pg-policy-chart').evaluate((element) => Array.from(element.shadowRoot!.querySelectorAll<HTMLElement>('.u-legend .u-series'))
        .filter((row) => row.style.display !== 'none').map((row) => (row.querySelector('th')?.textContent ?? '').trim()));
      expect(legend).toEqual(['arm', 'policy softmax']);
      expect(await textOf(page, 'pg-policy-chart .note')).toContain('gaussian');
      expect(errors).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('the landing page and value-vs-policy carry no gaussian notes and no actions chart', async () => {
    for (const hash of ['', 'preset=value-vs-policy&agents=300&steps=60']) {
      const other = await openPage(site, { hash, paused: true, context: { viewport: { width: 1360, height: 1000 } } });
      try {
        const { page, errors } = other;
        await waitReady(page);
        await runSteps(page, 30);
        await waitRows(page, 5);
        await catchUpCharts(page);
        expect(await page.locator('pg-actions-chart').count()).toBe(0);
        expect(await page.locator('#intro-gaussian').count()).toBe(0);
        const notes = await page.evaluate(() => Array.from(document.querySelector('pg-app')!.shadowRoot!.querySelectorAll('.card *'))
          .flatMap((el) => (el.shadowRoot ? Array.from(el.shadowRoot.querySelectorAll('.note, .unavailable, #study-need'), (n) => n.textContent ?? '') : [])));
        expect(notes.filter((n) => /gaussian/i.test(n))).toEqual([]);
        expect(await textOf(page, 'pg-reward-chart .title')).toBe('Choosing the best arm, and reward');
        expect((await textOf(page, 'pg-heatmap-chart .title')).startsWith('π(best arm) across agents')).toBe(true);
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: screenshotPath(`gaussian-control-${hash === '' ? 'landing' : 'value-vs-policy'}.png`), fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await other.close();
      }
    }
  });
});
