/**
 * The first view, untouched: the landing preset runs at once and makes its point within
 * seconds (baseline on vs off, rewards offset from 0), with its question on screen and the
 * learner's knobs first. Real Chromium, WebGPU on SwiftShader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Site, openPage, screenshotPath, startSite, statusText, waitReady } from './harness.ts';

let site: Site;

beforeAll(async () => {
  site = await startSite();
});

afterAll(async () => {
  await site?.close();
});

describe('the landing page', () => {
  it('runs baseline-on-off at once; within seconds the two groups\' exact gradient variances are over 10x apart', async () => {
    const { page, errors, close } = await openPage(site);
    try {
      await waitReady(page);
      const startedAt = Date.now();
      // No click: the run is already going.
      await page.waitForFunction(() => (window.__pgp?.history?.counts[1] ?? 0) >= 30, null, { timeout: 30_000 });
      const seconds = (Date.now() - startedAt) / 1000;
      expect(await page.evaluate(() => window.__pgp?.runner.playing)).toBe(true);
      const run = await page.evaluate(() => {
        const h = window.__pgp?.history;
        const config = window.__pgp?.config;
        if (!h || !config) throw new Error('no run');
        const modes = config.groups.map((g) => g.baseline ?? config.params.baseline);
        const n = Math.min(h.counts[0], h.counts[1]);
        const variance = (g: number) => h.column(g, 'exact_grad_var').slice(0, n);
        const none = modes.indexOf('none');
        const withBaseline = modes.indexOf('average');
        // Step 1's baselined advantage is 0 by design (its own reward): compare from step 2 on.
        const ratios = variance(none).slice(1).map((v, i) => v / variance(withBaseline)[i + 1]);
        return { modes, rows: n, minRatio: Math.min(...ratios) };
      });
      expect(run.modes).toEqual(['average', 'none']);
      console.log(`landing: ${run.rows} rows in ${seconds.toFixed(1)} s, exact variance none / average at least ${run.minRatio.toFixed(1)}x`);
      expect(run.minRatio).toBeGreaterThan(10);
      expect(await statusText(page)).toContain('× 2 groups');

      // The question to look for, and what to watch, are on screen.
      const lede = page.locator('#lede');
      await expect.poll(() => lede.textContent()).toContain('why does the group without a baseline learn so much more slowly?');
      expect(await lede.isVisible()).toBe(true);
      // The learner's knobs come first; the technical ones are folded away.
      const visibleKeys = await page.locator('pg-controls .params > pg-param').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-key')));
      expect(visibleKeys).toEqual(['lr', 'baseline', 'baselineStart', 'offset', 'scale', 'arms']);
      expect(await page.locator('pg-controls details.more').getAttribute('open')).toBeNull();
      expect(await page.locator('pg-param[data-key="window"]').isVisible()).toBe(false);
      await page.screenshot({ path: screenshotPath('e2e-landing.png'), fullPage: false });

      // Dragging the offset to 0 takes the baseline's advantage away: the variances meet.
      const offset = page.locator('pg-param[data-key="offset"] input[type="number"]');
      await offset.fill('0');
      await offset.press('Enter');
      await page.waitForFunction(() => window.__pgp?.config.params.offset === 0, null, { timeout: 10_000 });
      // A live change: the link keeps the config the run started from and says when it changed.
      expect(await page.evaluate(() => location.hash)).toMatch(/^#preset=baseline-on-off&change=\d+:\*:offset=0$/);
      await expect.poll(() => page.locator('#preset-changes').textContent()).toContain('offset');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('a link names a preset and the keys that differ from it; the old names still open', async () => {
    const { page, errors, close } = await openPage(site, { paused: true, hash: 'preset=lesson-two-arm&lr=0.2' });
    try {
      await waitReady(page);
      const config = await page.evaluate(() => window.__pgp?.config);
      expect(config?.params.means).toEqual([0, 1]);
      expect(config?.params.lr).toBe(0.2);
      expect(config?.params.armNames).toEqual(['Left', 'Right']);
      expect(await page.evaluate(() => location.hash)).toBe('#preset=lesson-mini-challenge&lr=0.2');
      expect(await page.locator('#preset').inputValue()).toBe('lesson-mini-challenge');
      // Arm names label the charts.
      await expect.poll(() => page.locator('pg-prob-chart .u-legend').textContent()).toContain('Right');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
