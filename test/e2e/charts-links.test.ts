/**
 * Charts that read from the back of the room, and links that replay live changes. Real Chromium,
 * WebGPU on SwiftShader: a link made after a live change replays the same rows after a reload
 * (and after Reset); "no baseline" keeps its colour across presets and the toggle; every group's
 * line carries its label, 16 groups keep the legend to one entry each; the reward chart has one
 * quantity per y axis; a live change is marked on every time chart at its step.
 * Screenshots: test-results/e2e-charts-landing.png, e2e-charts-lr-change.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type uPlot from 'uplot';
import { type Site, catchUpCharts, openPage, pauseAndSettle, screenshotPath, startSite, waitReady, waitRows } from './harness.ts';

let site: Site;

beforeAll(async () => {
  site = await startSite('test-results/e2e-dist-charts');
});

afterAll(async () => {
  await site?.close();
});

const kTimeCharts = ['pg-prob-chart', 'pg-heatmap-chart', 'pg-reward-chart', 'pg-variance-chart'] as const;

interface PlotView {
  axes: { scale: string; label: string | null; show: boolean }[];
  series: { label: string; scale: string; show: boolean }[];
  legendRows: number;
}

interface ChartView {
  plots: PlotView[];
  drawn: { labels: { text: string; colour: string; x: number; y: number; lineX: number; lineY: number; size: number }[]; markers: { step: number; text: string; x: number; labelled: boolean }[] }[];
  /** Where `step` is on each plot's x axis (CSS pixels in its canvas). */
  stepX: number[];
  canvasWidth: number[];
}

/** What a chart element drew: its plots' axes and series, its labels and markers. */
async function chartView(page: Page, tag: string, step = 0): Promise<ChartView> {
  await catchUpCharts(page);
  return page.evaluate(([selector, at]) => {
    const host = document.querySelector('pg-app')?.shadowRoot?.querySelector(selector) as unknown as {
      charts: { plot: uPlot | null }[];
      drawn: ChartView['drawn'];
    };
    const plots = host.charts.map((c) => c.plot).filter((p) => p !== null) as uPlot[];
    return {
      plots: plots.map((p) => ({
        axes: p.axes.map((a) => ({ scale: a.scale ?? '', label: typeof a.label === 'string' ? a.label : null, show: a.show !== false })),
        series: p.series.map((s) => ({ label: String(s.label ?? ''), scale: s.scale ?? '', show: s.show !== false })),
        legendRows: [...p.root.querySelectorAll<HTMLElement>('.u-legend .u-series')].filter((row) => row.style.display !== 'none').length,
      })),
      drawn: host.drawn,
      stepX: plots.map((p) => p.valToPos(at, 'x')+ p.bbox.left / (p.ctx.canvas.width / p.width)),
      canvasWidth: plots.map((p) => p.width),
    };
  }, [tag, step] as const);
}

/** The run's session colours and labels, as the charts got them. */
async function groupColours(page: Page): Promise<{ label: string; baseline: string; colour: string; text: string }[]> {
  return page.evaluate(() => {
    const host = document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-prob-chart') as unknown as {
      session: { shortLabels: string[]; colours: { line: string; text: string }[]; config: { params: { baseline: string }; groups: { baseline?: string }[] } };
    };
    const s = host.session;
    return s.colours.map((c, g) => ({ label: s.shortLabels[g], baseline: s.config.groups[g].baseline ?? s.config.params.baseline, colour: c.line, text: c.text }));
  });
}

/** Runs exactly `steps` more steps with the run bar and waits until they are done. */
async function runSteps(page: Page, steps: number): Promise<void> {
  const target = (await page.evaluate(() => window.__pgp?.engine?.stepsDone ?? 0)) + steps;
  await page.locator('#run-steps').fill(String(steps));
  await page.locator('#run-n').click();
  await page.waitForFunction((t) => window.__pgp?.engine?.stepsDone === t && !window.__pgp.runner.playing && !window.__pgp.runner.busy, target, { timeout: 60_000, polling: 50 });
  // The last rows reach the charts on the next frame.
  await page.waitForFunction((t) => window.__pgp?.history?.steps.at(-1) === t, target, { timeout: 10_000, polling: 50 });
}

/** Every statistic of every group for the first `count` rows, as [group, step, ...values]. */
async function rows(page: Page, count: number): Promise<number[][]> {
  return page.evaluate((n) => {
    const history = window.__pgp?.history;
    if (!history) return [];
    const out: number[][] = [];
    for (let g = 0; g < history.groups; g++) {
      for (let r = 0; r < n; r++) out.push([g, history.steps[r], ...history.columns[g].map((column) => column[r])]);
    }
    return out;
  }, count);
}

async function setParam(page: Page, key: string, value: string): Promise<void> {
  const input = page.locator(`pg-param[data-key="${key}"] input[type="number"]`);
  await input.fill(value);
  await input.press('Enter');
}

describe('charts and links', () => {
  it('a link made after a live change replays the run\'s rows exactly, after Reset and after a reload; the change is marked', async () => {
    const { page, errors, close } = await openPage(site, { paused: true, hash: 'preset=mistake-lr-too-high&agents=500' });
    const change = 60;
    const total = 120;
    let link = '';
    let before: number[][] = [];
    try {
      await waitReady(page);
      expect(await page.evaluate(() => window.__pgp?.engine?.kind)).toBe('gpu');
      const rates = await page.evaluate(() => window.__pgp?.config.groups.map((g) => g.lr));
      expect(rates?.slice(0, 3)).toEqual([0.1, 1, 10]);
      await runSteps(page, change);
      await setParam(page, 'lr', '5');
      await page.waitForFunction(() => window.__pgp?.config.params.lr === 5, null, { timeout: 10_000 });
      expect(await page.evaluate(() => window.__pgp?.engine?.paramChanges.map((c) => [c.afterStep, c.group, c.patch.lr])))
        .toEqual(rates?.map((_, g) => [change, g, 5]));
      await runSteps(page, total - change);
      before = await rows(page, total);
      expect(before).toHaveLength((rates?.length ?? 0) * total);
      link = (await page.evaluate(() => location.hash)).replace(/^#/, '');
      expect(link).toBe(`preset=mistake-lr-too-high&agents=500&change=${change}:*:lr=5`);

      // Every time chart marks the change at its step; the groups had different rates before.
      for (const tag of kTimeCharts) {
        const view = await chartView(page, tag, change);
        for (let p = 0; p < view.plots.length; p++) {
          const markers = view.drawn[p].markers;
          expect(markers.map((m) => [m.step, m.text]), `${tag} plot ${p}`).toEqual([[change, 'lr →5']]);
          expect(Math.abs(markers[0].x - view.stepX[p]), `${tag} plot ${p}: marker at the step`).toBeLessThan(1.5);
        }
        expect(view.drawn[0].markers[0].labelled, tag).toBe(true);
      }
      await page.screenshot({ path: screenshotPath('e2e-charts-lr-change.png'), fullPage: true });

      // Reset replays the same run: the rates go back to 0.1, 1 and 10, and to 5 at the change.
      await page.locator('#reset').click();
      await page.waitForFunction(() => (window.__pgp?.history?.length ?? 1) === 0 && window.__pgp?.engine?.stepsDone === 0, null, { timeout: 30_000, polling: 20 });
      await waitReady(page);
      expect(await page.evaluate(() => window.__pgp?.config.groups.map((g) => g.lr))).toEqual(rates);
      await runSteps(page, total);
      expect(await page.evaluate(() => window.__pgp?.config.params.lr)).toBe(5);
      expect(await rows(page, total)).toEqual(before);
      expect((await page.evaluate(() => location.hash)).replace(/^#/, '')).toBe(link);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }

    // The link in a fresh page: the same rows, the change applied at the same step.
    const reloaded = await openPage(site, { paused: true, hash: link });
    try {
      await waitReady(reloaded.page);
      await runSteps(reloaded.page, total);
      expect(await rows(reloaded.page, total)).toEqual(before);
      expect(await reloaded.page.evaluate(() => window.__pgp?.engine?.paramChanges.map((c) => c.afterStep))).toEqual(before.filter((row) => row[1] === 1).map(() => change));
      expect((await chartView(reloaded.page, 'pg-variance-chart', change)).drawn[0].markers.map((m) => m.text)).toEqual(['lr →5']);
      expect(reloaded.errors).toEqual([]);
    } finally {
      await reloaded.close();
    }
  });

  it('colours keep their meaning: no baseline is the same orange in every preset and with the toggle', async () => {
    const seen: Record<string, string[]> = { none: [], baseline: [] };
    const record = (groups: { baseline: string; colour: string }[]) => {
      for (const g of groups) seen[g.baseline === 'none' ? 'none' : 'baseline'].push(g.colour);
    };
    // The landing page: the toggle is on; labels on the lines name the groups; screenshot.
    const { page, errors, close } = await openPage(site);
    try {
      await waitReady(page);
      await waitRows(page, 120);
      const landing = await groupColours(page);
      expect(landing.map((g) => g.label)).toEqual(['baseline', 'no baseline']);
      record(landing);
      for (const tag of ['pg-prob-chart', 'pg-reward-chart', 'pg-variance-chart']) {
        const view = await chartView(page, tag);
        for (let p = 0; p < view.plots.length; p++) {
          const labels = view.drawn[p].labels;
          expect(labels.map((l) => l.text), `${tag} plot ${p}`).toEqual(['baseline', 'no baseline']);
          expect(labels.map((l) => l.colour)).toEqual(landing.map((g) => g.text));
          // Within the canvas, not on top of each other.
          for (const l of labels) expect(l.x).toBeLessThan(view.canvasWidth[p]);
          expect(Math.abs(labels[0].y - labels[1].y)).toBeGreaterThanOrEqual(labels[0].size * 1.15);
          // One legend entry per group (and the step).
          expect(view.plots[p].legendRows, `${tag} plot ${p}`).toBe(3);
        }
      }
      // The reward chart: two plots, each with one y axis, every series on it.
      const reward = await chartView(page, 'pg-reward-chart');
      expect(reward.plots).toHaveLength(2);
      expect(reward.plots.map((p) => p.axes.slice(1).map((a) => a.label))).toEqual([['chose best'], ['mean reward']]);
      for (const plot of reward.plots) {
        const yScale = plot.axes[1].scale;
        expect(plot.axes.slice(1)).toHaveLength(1);
        expect(new Set(plot.series.slice(1).map((s) => s.scale))).toEqual(new Set([yScale]));
      }
      await page.screenshot({ path: screenshotPath('e2e-charts-landing.png') });
      await page.screenshot({ path: screenshotPath('e2e-charts-landing-full.png'), fullPage: true });
      // Per-arm lines are folded away (the arms have no names here); the toggle shows them with
      // a legend entry and a label each.
      expect((await chartView(page, 'pg-prob-chart')).plots[0].series).toHaveLength(1 + 2 * 3);
      await page.locator('pg-prob-chart #per-arm').check();
      await expect.poll(async () => (await chartView(page, 'pg-prob-chart')).plots[0]?.legendRows).toBe(1 + 2 * 4);
      await expect.poll(async () => (await chartView(page, 'pg-prob-chart')).drawn[0]?.labels.map((l) => l.text))
        .toEqual(['arm 0', 'arm 1', 'arm 2', 'baseline', 'arm 0', 'arm 1', 'arm 2', 'no baseline']);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
    for (const hash of ['preset=mistake-no-baseline', 'group=baseline%3Dnone&group=baseline%3Daverage&agents=200']) {
      const opened = await openPage(site, { paused: true, hash });
      try {
        await waitReady(opened.page);
        record(await groupColours(opened.page));
        expect(opened.errors).toEqual([]);
      } finally {
        await opened.close();
      }
    }
    // The toggle on a one-group preset.
    const toggled = await openPage(site, { paused: true, hash: 'preset=testbed&agents=200' });
    try {
      await waitReady(toggled.page);
      const alone = await groupColours(toggled.page);
      expect(alone.map((g) => g.baseline)).toEqual(['average-inclusive']);
      record(alone);
      await toggled.page.locator('#compare').check();
      await toggled.page.waitForFunction(() => window.__pgp?.history?.groups === 2, null, { timeout: 30_000 });
      await waitReady(toggled.page);
      record(await groupColours(toggled.page));
      expect(toggled.errors).toEqual([]);
    } finally {
      await toggled.close();
    }
    expect(seen.none).toHaveLength(4);
    expect(new Set(seen.none).size, `no baseline: ${seen.none.join(' ')}`).toBe(1);
    expect(new Set(seen.baseline).size, `baseline: ${seen.baseline.join(' ')}`).toBe(1);
    expect(seen.none[0]).not.toBe(seen.baseline[0]);
  });

  it('16 groups: one legend entry and one line label each, none overlapping', async () => {
    const groups = [];
    for (const baseline of ['average', 'none']) for (const lr of [0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2]) groups.push(`group=${encodeURIComponent(`lr=${lr}&baseline=${baseline}`)}`);
    const { page, errors, close } = await openPage(site, { paused: true, hash: `arms=3&env=fixed&means=9,10,11&agents=200&steps=60&${groups.join('&')}` });
    try {
      await waitReady(page);
      await runSteps(page, 40);
      await pauseAndSettle(page);
      for (const tag of ['pg-prob-chart', 'pg-reward-chart', 'pg-variance-chart']) {
        const view = await chartView(page, tag);
        for (let p = 0; p < view.plots.length; p++) {
          expect(view.plots[p].legendRows, `${tag} plot ${p}`).toBe(17);
          const labels = view.drawn[p].labels;
          expect(labels, `${tag} plot ${p}`).toHaveLength(16);
          const ys = labels.map((l) => l.y).sort((a, b) => a - b);
          for (let i = 1; i < ys.length; i++) expect(ys[i] - ys[i - 1], `${tag} plot ${p}`).toBeGreaterThanOrEqual(labels[0].size * 1.15);
        }
      }
      await page.screenshot({ path: screenshotPath('e2e-charts-16-groups.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
