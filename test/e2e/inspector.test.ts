/**
 * "One agent, step by step" in real Chromium (SwiftShader WebGPU): pick agents by number and by a
 * click on the pi(best) heatmap, check what the card shows against the engine's own copy of the
 * agent (readAgent) and the CPU replay, hover and focus formula terms, scrub, and step the run.
 * The lesson's two arms (Left pays 0, Right pays 1) with few agents keep it short.
 */
import { copyFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Site, openPage, pauseAndSettle, screenshotPath, startSite, waitReady } from './harness.ts';

let site: Site;

beforeAll(async () => {
  site = await startSite();
});

afterAll(async () => {
  await site?.close();
});

const kHash = 'arms=2&agents=300&steps=40&seed=3&lr=0.5&env=fixed&noise=0&means=0%2C1&armNames=Left%2CRight';

/** An element's text with its white space collapsed (templates break lines). */
async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** The inspector card, scrolled to just below the sticky run bar (an element screenshot would put it under the bar). */
async function cardShot(page: Page, name: string): Promise<void> {
  await page.locator('pg-agent-inspector').evaluate((element) => element.scrollIntoView({ block: 'start' }));
  const box = await page.locator('#inspector-card').boundingBox();
  if (!box) throw new Error('no inspector card');
  await page.screenshot({ path: screenshotPath(name), clip: box });
}

async function runSteps(page: Page, steps: number): Promise<void> {
  const before = await page.evaluate(() => window.__pgp?.engine?.stepsDone ?? 0);
  await page.locator('#run-steps').fill(String(steps));
  await page.locator('#run-n').click();
  await page.waitForFunction((n) => window.__pgp?.engine?.stepsDone === n && !window.__pgp.runner.playing && !window.__pgp.runner.busy,
    before + steps, { timeout: 60_000, polling: 50 });
}

async function pickAgent(page: Page, agent: number): Promise<void> {
  await page.locator('#inspect-agent').fill(String(agent));
  await page.locator('#inspect-agent').press('Enter');
  await expect.poll(() => text(page, '#inspect-check'), { timeout: 30_000 }).toContain(`agent ${agent} now (after step`);
}

/** What the card shows for the new preferences (full precision and as text), and the engine's and the replay's. */
async function shownAndTrue(page: Page, agent: number) {
  const shown = await page.locator('#update-table td[data-cell="theta-new"]').evaluateAll((cells) =>
    cells.map((cell) => ({ value: Number((cell as HTMLElement).dataset.value), text: cell.querySelector('b')?.textContent ?? '' })));
  const truth = await page.evaluate(async (i) => {
    const engine = window.__pgp?.engine;
    if (!engine) throw new Error('no engine');
    const [state, trajectory] = await Promise.all([engine.readAgent(0, i), engine.trajectory(0, i)]);
    const k = trajectory.arms;
    return {
      kind: engine.kind,
      engine: Array.from(state.prefs),
      replay: Array.from(trajectory.prefs.subarray((trajectory.steps - 1) * k, trajectory.steps * k)),
    };
  }, agent);
  return { shown, truth };
}

describe('the agent inspector', () => {
  it('shows an agent\'s update that equals the engine\'s state and the replay; formulas light up their numbers; the heatmap picks agents', async () => {
    const started = performance.now();
    const { page, errors, close } = await openPage(site, { paused: true, hash: kHash, context: { viewport: { width: 1360, height: 1000 } } });
    try {
      await waitReady(page);
      expect(await page.evaluate(() => window.__pgp?.engine?.kind)).toBe('gpu');
      const card = page.locator('pg-agent-inspector');
      await expect.poll(() => card.locator('#inspect-empty').textContent()).toContain('Pick an agent: type a number or click the π(best) chart');
      await runSteps(page, 12);

      // Several agents, typed in: the new preferences shown are the replay's, and the GPU's own copy agrees.
      for (const agent of [0, 5, 17, 299]) {
        await pickAgent(page, agent);
        expect(await text(page, '#inspect-check')).toMatch(/matches the replay \(max \|diff\| [^)]*\)/);
        await expect.poll(() => card.locator('#step-shown').textContent()).toBe('step 12 of 12 (latest)');
        const { shown, truth } = await shownAndTrue(page, agent);
        expect(truth.kind).toBe('gpu');
        expect(shown.map((s) => s.value)).toEqual(truth.replay);
        expect(shown.map((s) => s.text)).toEqual(truth.replay.map((v) => String(Number(v.toPrecision(4))).replace('-', '−')));
        for (let j = 0; j < 2; j++) expect(Math.abs(truth.engine[j] - truth.replay[j])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(truth.replay[j])));
      }

      // Hovering a term shows its value and lights the matching numbers in the tables.
      const formula = card.locator('pg-formula');
      await formula.locator('[data-term="lr"]').hover();
      await expect.poll(() => text(page, 'pg-formula .readout')).toBe('lr, the learning rate = 0.5');
      expect(await formula.locator('[data-term="lr"]').getAttribute('aria-label')).toBe('lr, the learning rate = 0.5');
      // lr is the first factor of every arm's update.
      await expect.poll(() => card.locator('#update-table [data-cell="delta"] .lit').allTextContents()).toEqual(['0.5', '0.5']);
      await formula.locator('[data-term="pi"]').first().hover();
      await expect.poll(() => card.locator('#softmax-table [data-cell="pi"] .lit').count()).toBe(2);
      expect(await card.locator('#update-table [data-cell="grad"] .lit').count()).toBe(2); // the gradient uses pi too
      // Focus (keyboard) works as hover does.
      await page.mouse.move(0, 0);
      await formula.locator('[data-term="R"]').focus();
      await expect.poll(() => text(page, 'pg-formula .readout')).toMatch(/^R, the reward = [01]$/);
      const label = await formula.locator('[data-term="u"]').getAttribute('aria-label');
      expect(label).toMatch(/^u, the uniform draw = 0(\.\d+)?$/);
      expect(await formula.locator('[data-term="theta"]').first().getAttribute('aria-label')).toMatch(/^θ j, the preference before the update \(j = (Left|Right)\) = /);

      // Scrub back to step 1: equal preferences, pi = 1 / 2 each.
      await card.locator('#step-first').click();
      await expect.poll(() => card.locator('#step-shown').textContent()).toBe('step 1 of 12');
      expect(await card.locator('#softmax-table td[data-cell="pi"]').evaluateAll((cells) => cells.map((c) => (c as HTMLElement).dataset.value))).toEqual(['0.5', '0.5']);
      await card.locator('#step-next').click();
      await expect.poll(() => card.locator('#step-shown').textContent()).toBe('step 2 of 12');

      // "Step the run" advances every agent by one and moves the card to that step.
      await card.locator('#inspect-step').click();
      await page.waitForFunction(() => window.__pgp?.engine?.stepsDone === 13, null, { timeout: 30_000 });
      await expect.poll(() => card.locator('#step-shown').textContent(), { timeout: 30_000 }).toBe('step 13 of 13 (latest)');
      await expect.poll(() => text(page, '#inspect-check')).toContain('agent 299 now (after step 13) matches the replay');
      const after = await shownAndTrue(page, 299);
      expect(after.shown.map((s) => s.value)).toEqual(after.truth.replay);

      // A click on the heatmap picks the agent whose pi(best) after that step is nearest the clicked value.
      await page.locator('pg-heatmap-chart').scrollIntoViewIfNeeded();
      const plot = await page.locator('pg-heatmap-chart .u-over').boundingBox();
      if (!plot) throw new Error('no heatmap plot');
      await page.mouse.click(plot.x + plot.width * 0.98, plot.y + plot.height * 0.2);
      await expect.poll(() => text(page, '#inspect-note'), { timeout: 30_000 }).toMatch(/^Agent \d+: π\(best\) = [\d.]+ after step \d+, the nearest to the [\d.]+ clicked\.$/);
      const note = await text(page, '#inspect-note');
      const [, agentText, shownProb, stepText, clickedText] = /^Agent (\d+): π\(best\) = ([\d.]+) after step (\d+), the nearest to the ([\d.]+)/.exec(note) ?? [];
      const picked = Number(agentText);
      const step = Number(stepText);
      expect(Number(clickedText)).toBeGreaterThan(0.7);
      expect(await card.locator('#inspect-agent').inputValue()).toBe(String(picked));
      await expect.poll(() => card.locator('#step-shown').textContent(), { timeout: 30_000 }).toContain(`step ${step} of 13`);
      // Brute force over every agent, from the replays: pi(Right) (the best arm) after the step.
      const nearest = await page.evaluate(async ([t, target]) => {
        const engine = window.__pgp?.engine;
        if (!engine) throw new Error('no engine');
        const values: number[] = [];
        for (let i = 0; i < 300; i++) {
          const trajectory = await engine.trajectory(0, i);
          const [l, r] = trajectory.prefs.subarray((t - 1) * 2, t * 2);
          values.push(1 / (1 + Math.exp(l - r)));
        }
        const distances = values.map((v) => Math.abs(v - target));
        return { best: Math.min(...distances), picked: values };
      }, [step, Number(clickedText)] as const);
      expect(Math.abs(nearest.picked[picked] - Number(clickedText))).toBeLessThanOrEqual(nearest.best + 1e-3);
      expect(Number(shownProb)).toBeCloseTo(nearest.picked[picked], 3);

      // The screenshot a learner would see: the inspector open on a mid-run step.
      await card.locator('#step-prev').click();
      await card.scrollIntoViewIfNeeded();
      await formula.locator('[data-term="grad"]').focus();
      await cardShot(page, 'e2e-inspector.png');
      copyFileSync(screenshotPath('e2e-inspector.png'), '/tmp/inspector.png');
      await page.screenshot({ path: screenshotPath('e2e-inspector-page.png'), fullPage: true });
      console.log(`inspector e2e: ${((performance.now() - started) / 1000).toFixed(1)} s`);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('10 arms with reward noise: follows the run while it plays, within the GPU\'s rounding, across a live lr change', async () => {
    const { page, errors, close } = await openPage(site, { paused: true, hash: 'agents=500&steps=400', context: { viewport: { width: 1360, height: 1500 } } });
    try {
      await waitReady(page);
      await runSteps(page, 20);
      const slider = page.locator('pg-param[data-key="lr"] input[type="range"]');
      await slider.focus();
      for (let i = 0; i < 8; i++) await slider.press('ArrowRight');
      expect(await page.evaluate(() => window.__pgp?.config.params.lr)).toBe(0.215);
      await pickAgent(page, 123);
      // Play: the card follows the latest step on its own (a refresh at a time, not per frame).
      await page.locator('#play').click();
      await page.waitForFunction(() => (window.__pgp?.engine?.stepsDone ?? 0) >= 120, null, { timeout: 60_000 });
      await expect.poll(async () => Number(/step (\d+) of/.exec(await text(page, '#step-shown'))?.[1] ?? 0), { timeout: 30_000 }).toBeGreaterThan(60);
      await pauseAndSettle(page);
      const steps = await page.evaluate(() => window.__pgp?.engine?.stepsDone ?? 0);
      await expect.poll(() => text(page, '#step-shown'), { timeout: 30_000 }).toBe(`step ${steps} of ${steps} (latest)`);
      await expect.poll(() => text(page, '#inspect-check')).toMatch(/agent 123 now \(after step \d+\) matches the replay \(max \|diff\| [^,]+, (within the GPU's rounding of exp, log and cos|bit for bit)\)/);
      expect(await text(page, 'pg-agent-inspector .explain')).toContain(`Live changes in this run: from step 21; step ${steps} ran with lr 0.215`);
      const { shown, truth } = await shownAndTrue(page, 123);
      expect(shown.length).toBe(10);
      expect(shown.map((s) => s.value)).toEqual(truth.replay);
      for (let j = 0; j < 10; j++) expect(Math.abs(truth.engine[j] - truth.replay[j])).toBeLessThanOrEqual(1e-2 * (1 + Math.abs(truth.replay[j])));
      // Before the change the step used lr 0.1.
      await page.locator('#step-range').fill('20');
      await expect.poll(() => text(page, '#h-update')).toContain('lr = 0.1');
      await cardShot(page, 'e2e-inspector-10-arms.png');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('on the CPU engine in a worker the replay matches bit for bit', async () => {
    const { page, errors, close } = await openPage(site, { paused: true, hash: kHash, withoutWebGpu: true });
    try {
      await waitReady(page);
      expect(await page.evaluate(() => window.__pgp?.engine?.kind)).toBe('cpu');
      await runSteps(page, 7);
      await pickAgent(page, 42);
      expect(await text(page, '#inspect-check')).toContain('matches the replay (max |diff| 0, bit for bit)');
      const { shown, truth } = await shownAndTrue(page, 42);
      expect(shown.map((s) => s.value)).toEqual(truth.replay);
      expect(truth.engine).toEqual(truth.replay);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
