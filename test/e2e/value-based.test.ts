/**
 * The epsilon-greedy (value-based) family on the page, in real Chromium: the parameter panel shows
 * the keys that act on the groups' policies, the variance chart leaves out the groups that have no
 * policy gradient and says so, and the inspector explains an epsilon-greedy agent's own step.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenedPage, type Site, catchUpCharts, openPage, screenshotPath, startSite, waitReady, waitRows, inspectAgent, runSteps, textOf } from './harness.ts';

let site: Site;
let opened: OpenedPage | null = null;

beforeAll(async () => {
  site = await startSite('test-results/e2e-value-based');
});

afterAll(async () => {
  await opened?.close();
  await site?.close();
});


const param = (page: Page, key: string) => page.locator(`pg-param[data-key="${key}"]`);

describe('epsilon-greedy on the page', () => {
  it('value-vs-policy: the variance card draws the softmax group only and says why; the panel shows epsilon and lr', async () => {
    opened = await openPage(site, { hash: 'preset=value-vs-policy&agents=300&steps=200', paused: true, context: { viewport: { width: 1360, height: 1000 } } });
    const { page, errors } = opened;
    await waitReady(page);
    await runSteps(page, 60);
    await waitRows(page, 60);
    await catchUpCharts(page);

    const variance = page.locator('pg-variance-chart');
    expect(await textOf(page, 'pg-variance-chart .note')).toBe('Epsilon-greedy groups have no policy gradient: not shown.');
    expect(await variance.locator('.unavailable').count()).toBe(0);
    const drawn = await variance.evaluate((element) => {
      const chart = element as unknown as { drawn: { labels: { text: string }[] }[] };
      return chart.drawn[0].labels.map((l) => l.text);
    });
    const policies = await page.evaluate(() => window.__pgp!.config.groups.map((g) => g.policy));
    expect(policies).toEqual(['epsilon-greedy', 'softmax']);
    // One line labelled, the softmax group's; its exact variance is positive (a log axis can draw it).
    expect(drawn).toHaveLength(1);
    expect(drawn[0]).toContain('softmax');
    const softmaxVar = await page.evaluate(() => window.__pgp!.history!.column(1, 'exact_grad_var').slice(1, 60));
    expect(softmaxVar.every((v) => v > 0)).toBe(true);

    // Mixed groups: both families' knobs, and the policy itself.
    for (const key of ['policy', 'epsilon', 'lr', 'baseline']) expect(await param(page, key).count(), key).toBe(1);

    // Editing the epsilon-greedy group alone hides the policy-gradient keys; the softmax group, the epsilon ones.
    const editGroup = page.locator('pg-groups #edit-group');
    await editGroup.selectOption('0');
    await expect.poll(() => param(page, 'lr').count()).toBe(0);
    expect(await param(page, 'epsilon').count()).toBe(1);
    expect(await param(page, 'temperature').count()).toBe(0);
    await editGroup.selectOption('1');
    await expect.poll(() => param(page, 'epsilon').count()).toBe(0);
    expect(await param(page, 'lr').count()).toBe(1);
    await editGroup.selectOption('all');
    await expect.poll(() => param(page, 'epsilon').count()).toBe(1);

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshotPath('value-vs-policy.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('the inspector explains an epsilon-greedy agent: Q before + (R - Q) / n = Q after, as the replay and the engine hold it', async () => {
    const page = opened!.page;
    const card = await inspectAgent(page, 0, 7);
    await expect.poll(() => textOf(page, '#inspect-check'), { timeout: 30_000 }).toContain('agent 7 (its values Q and pull counts n) now (after step 60)');
    expect(await textOf(page, '#inspect-check')).toMatch(/^✓/);
    expect(await card.locator('#value-explain').count()).toBe(1);
    expect(await card.locator('#update-table').count()).toBe(0); // no REINFORCE table for it

    // Step 30 of its history: the numbers shown are the replay's.
    await card.locator('#step-range').fill('30');
    await expect.poll(() => textOf(page, '#step-shown')).toContain('step 30 of 60');
    const shown = await card.evaluate((element) => {
      const root = element.shadowRoot!;
      const value = (selector: string) => Number((root.querySelector(selector) as HTMLElement).dataset.value);
      const chosen = root.querySelector('#greedy-table tr.chosen') as HTMLElement;
      return {
        action: Number(chosen.dataset.arm),
        before: Number((chosen.querySelector('td[data-cell="value"]') as HTMLElement).dataset.value),
        countBefore: Number((chosen.querySelector('td[data-cell="count"]') as HTMLElement).dataset.value),
        error: value('#value-error'),
        change: value('[data-cell="change"]'),
        after: value('[data-cell="value-after"]'),
        countAfter: value('[data-cell="count-after"]'),
                probs: Array.from(root.querySelectorAll('#greedy-table td[data-cell="pi"]'), (cell) => Number((cell as HTMLElement).dataset.value)),
        greedy: Array.from(root.querySelectorAll('#greedy-table td[data-cell="greedy"]'), (cell) => cell.textContent === '✓'),
      };
    });
    const truth = await page.evaluate(async () => {
      const engine = window.__pgp!.engine!;
      const [trajectory, state] = await Promise.all([engine.trajectory(0, 7), engine.readAgent(0, 7)]);
      const k = trajectory.arms;
      const t = 29;
      return {
        action: trajectory.actions[t],
        reward: trajectory.rewards[t],
        valuesBefore: Array.from(trajectory.prefs.subarray((t - 1) * k, t * k)),
        countsBefore: Array.from(trajectory.extras.subarray((t - 1) * k, t * k)),
        valuesAfter: Array.from(trajectory.prefs.subarray(t * k, (t + 1) * k)),
        countsAfter: Array.from(trajectory.extras.subarray(t * k, (t + 1) * k)),
        probs: Array.from(trajectory.probs.subarray(t * k, (t + 1) * k)),
        lastValues: Array.from(trajectory.prefs.subarray(59 * k, 60 * k)),
        engineValues: Array.from(state.prefs),
        lastCounts: Array.from(trajectory.extras.subarray(59 * k, 60 * k)),
        engineCounts: Array.from(state.extra),
        kind: engine.kind,
      };
    });
    const f32 = Math.fround;
    const a = truth.action;
    expect(shown.action).toBe(a);
    expect(shown.before).toBe(truth.valuesBefore[a]);
    expect(shown.countBefore).toBe(truth.countsBefore[a]);
    expect(shown.error).toBe(f32(truth.reward - truth.valuesBefore[a]));
    expect(shown.countAfter).toBe(truth.countsBefore[a] + 1);
    expect(shown.countAfter).toBe(truth.countsAfter[a]);
    // Sample averages: the change is (R - Q) / n in f32, and Q after is the replay's.
    expect(shown.change).toBe(f32(shown.error / shown.countAfter));
    expect(shown.after).toBe(f32(shown.before + shown.change));
    expect(shown.after).toBe(truth.valuesAfter[a]);
    expect(shown.probs).toEqual(truth.probs);
    // pi = 0.1 / 10 + 0.9 / |G| on the greedy arms.
    const ties = shown.greedy.filter(Boolean).length;
    shown.probs.forEach((p, j) => expect(p).toBeCloseTo(0.01 + (shown.greedy[j] ? 0.9 / ties : 0), 6));
    // The engine's own copy agrees with the replay's last step (counts exactly).
    expect(truth.engineCounts).toEqual(truth.lastCounts);
    truth.engineValues.forEach((v, j) => expect(Math.abs(v - truth.lastValues[j])).toBeLessThanOrEqual(truth.kind === 'cpu' ? 0 : 1e-2 * (1 + Math.abs(v))));
    // The whole card: from the top of the page (scroll 0) its box is in page coordinates, and the sticky bar stays above it.
    await page.evaluate(() => window.scrollTo(0, 0));
    const box = await page.locator('#inspector-card').boundingBox();
    await page.screenshot({ path: screenshotPath('value-inspector.png'), clip: box!, fullPage: true });
    expect(opened!.errors).toEqual([]);
  });

  it('epsilon-greedy only: no lr slider, epsilon shown; the variance card says why it is empty; lr and baseline controls are off', async () => {
    await opened?.close();
    opened = await openPage(site, { hash: 'preset=epsilon-greedy&agents=200&steps=100', paused: true });
    const page = opened.page;
    await waitReady(page);
    await runSteps(page, 20);
    await catchUpCharts(page);
    expect(await param(page, 'lr').count()).toBe(0);
    expect(await param(page, 'baseline').count()).toBe(0);
    expect(await param(page, 'epsilon').count()).toBe(1);
    expect(await param(page, 'policy').count()).toBe(1);
    expect(await page.locator('pg-controls #compare').isDisabled()).toBe(true);
    const variance = page.locator('pg-variance-chart');
    expect(await textOf(page, 'pg-variance-chart .unavailable')).toContain('Every group is epsilon-greedy');
    expect(await variance.locator('.plot').first().isVisible()).toBe(false);
    expect(await variance.evaluate((element) => (element as unknown as { points: number }).points)).toBe(0);
    // B does nothing but say why.
    const groups = await page.evaluate(() => window.__pgp!.config.groups.length);
    await page.keyboard.press('b');
    await expect.poll(() => textOf(page, '#link-problems')).toContain('epsilon-greedy agents have no baseline');
    expect(await page.evaluate(() => window.__pgp!.config.groups.length)).toBe(groups);
    // Present mode: the lr slider is there but off.
    await page.keyboard.press('p');
    await expect.poll(() => page.locator('#present-lr').isDisabled()).toBe(true);
    expect(await page.locator('#present-compare').isDisabled()).toBe(true);
    expect(opened.errors).toEqual([]);
  });
});
