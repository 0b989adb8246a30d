/**
 * PPO's view on the page, in real Chromium: the ppo-clip preset shows the clipped-share chart,
 * where the clipped group leaves samples out and the unclipped groups never do; a page without
 * PPO does not show it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedPage, type Site, openPage, screenshotPath, startSite, waitReady } from './harness.ts';

let site: Site;
let opened: OpenedPage | null = null;

beforeAll(async () => {
  site = await startSite('test-results/e2e-clip-chart');
});

afterAll(async () => {
  await opened?.close();
  await site?.close();
});

describe('the clip chart', () => {
  it('shows on ppo-clip: the clipped group leaves samples out, one pass and unclipped passes never do', async () => {
    opened = await openPage(site, { hash: 'preset=ppo-clip&agents=500&steps=40', paused: true });
    const page = opened.page;
    await waitReady(page);
    await page.evaluate(() => window.__pgp!.runner.runSteps(40));
    await page.waitForFunction(() => window.__pgp!.engine!.stepsDone === 40 && !window.__pgp!.runner.busy, null, { timeout: 60_000 });
    const card = page.locator('[data-chart="clip"]');
    expect(await card.count()).toBe(1);
    const shares = await page.evaluate(() => {
      const history = window.__pgp!.history!;
      return [0, 1, 2].map((g) => history.column(g, 'clip_fraction').slice(1));
    });
    // Groups: one pass; eight passes unclipped; eight passes clipped at 0.2.
    expect(shares[0].every((v) => v === 0)).toBe(true);
    expect(shares[1].every((v) => v === 0)).toBe(true);
    expect(Math.max(...shares[2])).toBeGreaterThan(0);
    await card.scrollIntoViewIfNeeded();
    await card.screenshot({ path: screenshotPath('clip-chart.png') });
  });

  it('is not on a page without PPO', async () => {
    await opened?.close();
    opened = await openPage(site, { hash: 'agents=200&steps=20', paused: true });
    await waitReady(opened.page);
    expect(await opened.page.locator('[data-chart="clip"]').count()).toBe(0);
    expect(await opened.page.locator('[data-chart="variance"]').count()).toBe(1);
  });
});
