/**
 * Presenting and embedding, in real Chromium (SwiftShader WebGPU): present mode at projector
 * sizes, the keyboard shortcuts, and `<pg-playground>` from the library build on a plain page
 * served from another origin, as a slide deck would load it. Screenshots go to test-results/.
 */
import { readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { extname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Site, kRoot, screenshotPath, startSite, waitReady } from './harness.ts';

let site: Site;
/** A second origin: a "slide deck" with the library copied next to it. */
let deck: { url: string; server: Server };
const kDeckDir = `${kRoot}/test-results/e2e-deck`;

beforeAll(async () => {
  site = await startSite();
  rmSync(kDeckDir, { recursive: true, force: true });
  await build({ root: kRoot, configFile: `${kRoot}/vite.config.ts`, mode: 'lib', logLevel: 'warn', build: { outDir: `${kDeckDir}/lib`, emptyOutDir: true } });
  deck = await serveStatic(kDeckDir);
});

afterAll(async () => {
  await new Promise<void>((resolve) => deck?.server.close(() => resolve()));
  await site?.close();
});

/** A plain static file server on 127.0.0.1 (a secure context, so WebGPU is there). */
async function serveStatic(dir: string): Promise<{ url: string; server: Server }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
  const server = createServer((request, response) => {
    const path = join(dir, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    try {
      const body = readFileSync(path);
      response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}/`, server };
}

async function open(url: string, viewport: { width: number; height: number }, init?: () => void) {
  const context = await site.browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  if (init) await page.addInitScript(init);
  await page.goto(url);
  return { page, errors, close: () => context.close() };
}

async function waitEngine(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__pgp?.engine != null && window.__pgp.history != null, null, { timeout: 60_000 });
}

interface Fonts { legend: number; title: number; ticks: number; labels: number; bar: number }

/** Computed sizes (CSS px) of a chart's legend and title, and the fonts uPlot draws its ticks and axis labels with. */
async function chartFonts(page: Page, tag: string): Promise<Fonts> {
  return page.evaluate((selector) => {
    const app = document.querySelector('pg-app')!.shadowRoot!;
    const chart = app.querySelector(selector) as HTMLElement & { charts: { plot: { axes: { font: [string, number, number]; labelFont: [string, number, number] }[] } | null }[] };
    const root = chart.shadowRoot!;
    const px = (el: Element | null) => Number.parseFloat(getComputedStyle(el!).fontSize);
    const axes = chart.charts.flatMap((c) => c.plot?.axes ?? []);
    return {
      legend: px(root.querySelector('.u-legend th')),
      title: px(root.querySelector('.title')),
      // uPlot keeps each axis font as [canvas font, px at devicePixelRatio, CSS px].
      ticks: Math.min(...axes.map((a) => a.font[2])),
      labels: Math.min(...axes.map((a) => a.labelFont[2])),
      bar: px(app.querySelector('pg-present-bar')!.shadowRoot!.querySelector('button')),
    };
  }, tag);
}

describe('present mode', () => {
  it('?present at 1280x720 shows the chosen charts inside the viewport; at 1920x1080 their type is at least 20 px', async () => {
    const { page, errors, close } = await open(`${site.url}?present#preset=baseline-on-off&agents=2000`, { width: 1280, height: 720 });
    try {
      await waitEngine(page);
      await page.waitForFunction(() => (window.__pgp?.history?.counts[1] ?? 0) >= 40, null, { timeout: 30_000 });
      // Charts only: no header, parameter panel or run bar; the default view is variance beside reward.
      expect(await page.locator('header').count()).toBe(0);
      expect(await page.locator('pg-controls').count()).toBe(0);
      const cards = await page.locator('[data-chart]').evaluateAll((nodes) => nodes.map((n) => {
        const r = n.getBoundingClientRect();
        return { name: n.getAttribute('data-chart'), top: r.top, left: r.left, bottom: r.bottom, right: r.right };
      }));
      expect(cards.map((c) => c.name)).toEqual(['variance', 'reward']);
      for (const card of cards) {
        expect(card.top, card.name!).toBeGreaterThanOrEqual(0);
        expect(card.left, card.name!).toBeGreaterThanOrEqual(0);
        expect(card.bottom, card.name!).toBeLessThanOrEqual(720);
        expect(card.right, card.name!).toBeLessThanOrEqual(1280);
      }
      // The variance chart's plot (canvas and legend) lies inside its card: nothing cut off or scrolled.
      const plot = await page.locator('pg-variance-chart .uplot').boundingBox();
      expect(plot!.y + plot!.height).toBeLessThanOrEqual(720);
      expect(Number(await page.locator('pg-variance-chart').getAttribute('data-points'))).toBeGreaterThan(20);
      const at720 = await chartFonts(page, 'pg-variance-chart');
      console.log('present fonts at 1280x720 (px):', JSON.stringify(at720));
      for (const [what, px] of Object.entries(at720)) expect(px, what).toBeGreaterThanOrEqual(14);
      await page.screenshot({ path: screenshotPath('e2e-present-1280x720.png') });

      await page.setViewportSize({ width: 1920, height: 1080 });
      await expect.poll(async () => (await chartFonts(page, 'pg-variance-chart')).ticks, { timeout: 10_000 }).toBeGreaterThanOrEqual(20);
      for (const tag of ['pg-variance-chart', 'pg-reward-chart']) {
        const fonts = await chartFonts(page, tag);
        console.log(`present fonts at 1920x1080, ${tag} (px):`, JSON.stringify(fonts));
        for (const [what, px] of Object.entries(fonts)) expect(px, `${tag} ${what}`).toBeGreaterThanOrEqual(20);
      }
      await page.waitForTimeout(300); // a frame or two at the new size
      await page.screenshot({ path: screenshotPath('e2e-present-1920x1080.png') });
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('the keyboard', () => {
  it('each shortcut does what it says; typing in a field or sliding a slider does not fire them', async () => {
    const { page, errors, close } = await open(`${site.url}?paused#preset=baseline-on-off&agents=500`, { width: 1280, height: 900 });
    const state = () => page.evaluate(() => {
      const p = window.__pgp!;
      return {
        playing: p.runner.playing, steps: p.engine?.stepsDone ?? -1, groups: p.config.groups.length, seed: p.config.params.seed,
        lr: p.config.params.lr, speed: p.runner.speed, engine: (p.engine as unknown as { __id?: number } | null)?.__id ?? 0,
      };
    });
    /** Marks the current engine, so a test can tell when a new one (a reset) replaced it. */
    const markEngine = (id: number) => page.evaluate((n) => { (window.__pgp!.engine as unknown as { __id: number }).__id = n; }, id);
    try {
      await waitReady(page);
      await markEngine(1);
      await page.keyboard.press(' ');
      await expect.poll(async () => (await state()).playing).toBe(true);
      await page.keyboard.press(' ');
      await expect.poll(async () => (await state()).playing).toBe(false);
      await page.waitForFunction(() => window.__pgp?.runner.busy === false);
      const before = (await state()).steps;
      await page.keyboard.press('ArrowRight');
      await expect.poll(async () => (await state()).steps).toBe(before + 1);

      // Space with a button focused is still play/pause, not the button (Reset here).
      await page.locator('pg-run-bar #reset').focus();
      await page.keyboard.press(' ');
      await expect.poll(async () => (await state()).playing).toBe(true);
      expect((await state()).engine).toBe(1);
      await page.keyboard.press(' ');
      await expect.poll(async () => (await state()).playing).toBe(false);

      // The speed starts at max (no cap): slower caps it at 1000 steps per frame, faster goes back.
      await page.keyboard.press('-');
      expect((await state()).speed).toBe(1000);
      await page.keyboard.press('+');
      expect((await state()).speed).toBe(Number.POSITIVE_INFINITY);
      await page.keyboard.press('-');
      await page.keyboard.press('-');
      expect((await state()).speed).toBe(500);

      await page.keyboard.press('r');
      await expect.poll(async () => (await state()).engine).toBe(0); // a new engine
      await waitReady(page);
      expect((await state()).steps).toBe(0);
      const seed = (await state()).seed;
      await page.keyboard.press('n');
      await expect.poll(async () => (await state()).seed).not.toBe(seed);
      await page.keyboard.press('b');
      await expect.poll(async () => (await state()).groups).toBe(1);
      await page.keyboard.press('b');
      await expect.poll(async () => (await state()).groups).toBe(2);
      await waitReady(page);

      // ?: the legend of the keys, listing every one; Escape closes it.
      await page.keyboard.press('?');
      const dialog = page.locator('pg-key-legend dialog');
      await expect.poll(() => dialog.getAttribute('open')).not.toBeNull();
      const legend = (await dialog.textContent()) ?? '';
      for (const key of ['Space', '→', 'R', 'N', 'B', '+', '−', 'F', 'P', '?']) expect(legend).toContain(key);
      await page.keyboard.press('Escape');
      await expect.poll(() => dialog.getAttribute('open')).toBeNull();

      // P: present mode, in the query string (the hash stays the experiment); P again leaves it.
      const hash = await page.evaluate(() => location.hash);
      await page.keyboard.press('p');
      await expect.poll(() => page.evaluate(() => document.querySelector('pg-app')!.hasAttribute('present'))).toBe(true);
      expect(await page.evaluate(() => location.search)).toBe('?paused&present');
      expect(await page.evaluate(() => location.hash)).toBe(hash);
      await page.keyboard.press('p');
      await expect.poll(() => page.evaluate(() => location.search)).toBe('?paused');

      // F: the app element goes full screen; F again leaves.
      await page.keyboard.press('f');
      await expect.poll(() => page.evaluate(() => document.fullscreenElement?.tagName ?? null)).toBe('PG-APP');
      await page.keyboard.press('f');
      await expect.poll(() => page.evaluate(() => document.fullscreenElement)).toBeNull();

      // Typing in a field fires nothing: the letters and Space go into the field.
      // One step first: a live change before the first step restarts the run from the new config.
      await page.keyboard.press('ArrowRight');
      await expect.poll(async () => (await state()).steps).toBe(1);
      await page.waitForFunction(() => window.__pgp?.runner.busy === false && !window.__pgp.runner.playing);
      await markEngine(2);
      const typed = await state();
      const field = page.locator('pg-param[data-key="lr"] input[type="number"]');
      await field.focus();
      await page.keyboard.type('0.2rnb p+ ');
      expect(await state()).toEqual(typed);
      expect(await page.evaluate(() => document.querySelector('pg-app')!.hasAttribute('present'))).toBe(false);
      // A focused slider keeps its arrows: → moves the learning rate, not the run.
      await page.locator('pg-param[data-key="lr"] input[type="range"]').focus();
      await page.keyboard.press('ArrowRight');
      await expect.poll(async () => (await state()).lr).toBeGreaterThan(typed.lr);
      expect((await state()).steps).toBe(typed.steps);

      // Embed: both snippets for this experiment; Copy puts one on the clipboard.
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(site.url).origin });
      await page.locator('#embed').click();
      const { seed: newSeed, lr: newLr } = await state();
      const element = await page.locator('#embed-element').inputValue();
      // The snippets carry the run as the link does: its starting config, and the lr moved
      // mid-run as a live change at its step.
      expect(element.startsWith(`<script type="module" src="${site.url}pg-playground.js"></script>\n`
        + `<pg-playground preset="baseline-on-off" agents="500" seed="${newSeed}" changes="`)).toBe(true);
      expect(element).toMatch(new RegExp(`changes="\\d+:\\*:lr=${newLr}" view="variance,reward" present autoplay></pg-playground>$`));
      expect(await page.locator('#embed-iframe').inputValue())
        .toMatch(new RegExp(`#preset=baseline-on-off&amp;agents=500&amp;seed=${newSeed}&amp;change=\\d+%3A\\*%3Alr%3D${newLr}"|#preset=baseline-on-off&amp;agents=500&amp;seed=${newSeed}&amp;change=\\d+:\\*:lr=${newLr}"`));
      await page.locator('#copy-element').click();
      await expect.poll(() => page.locator('pg-embed-dialog [role="status"]').textContent()).toBe('Copied.');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(element);
      await page.screenshot({ path: screenshotPath('e2e-embed-dialog.png') });
      await page.locator('#embed-close').click();
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('<pg-playground> from dist/pg-playground.js', () => {
  it('the library is one file that defines the element', () => {
    expect(readdirSync(`${kDeckDir}/lib`)).toEqual(['pg-playground.js']);
  });

  it('on a plain page of another origin it draws, keeps its keys, never touches location.hash and pauses when hidden', async () => {
    mkdirSync(kDeckDir, { recursive: true });
    // A slide scaled by a CSS transform, as decks do, holding the element; the deck listens for keys on the document.
    writeFileSync(`${kDeckDir}/slides.html`, `<!doctype html><meta charset="utf-8"><title>Deck</title><link rel="icon" href="data:,">
<script type="module" src="lib/pg-playground.js"></script>
<script>window.deckKeys = []; document.addEventListener('keydown', (e) => deckKeys.push(e.key));</script>
<body style="margin:0;background:#222">
<h1 style="color:#fff;font:24px sans-serif;margin:8px 16px">Why subtract a baseline?</h1>
<div style="transform:scale(0.8);transform-origin:0 0;width:1200px">
<pg-playground id="pg" preset="mistake-no-baseline" agents="1000" view="variance" present autoplay style="width:1200px;height:600px;background:#fff"></pg-playground>
</div></body>`);
    const { page, errors, close } = await open(`${deck.url}slides.html#/2`, { width: 1000, height: 600 });
    const hook = () => page.evaluate(() => {
      const h = (document.getElementById('pg') as unknown as { hook: NonNullable<Window['__pgp']> }).hook;
      return { rows: h.history?.length ?? 0, playing: h.runner.playing, lr: h.config.params.lr, agents: h.history?.agents ?? [], engine: h.engine?.kind ?? null };
    });
    try {
      // autoplay: it runs without a click; the attributes are its experiment.
      await expect.poll(async () => (await hook()).rows, { timeout: 60_000 }).toBeGreaterThan(20);
      expect((await hook()).agents).toEqual([1000, 1000]);
      expect((await hook()).engine).toBe('gpu');
      expect(await page.evaluate(() => window.__pgp)).toBeUndefined();
      expect(await page.locator('#pg').getAttribute('tabindex')).toBe('0');
      expect(await page.locator('#pg').getAttribute('data-prevent-swipe')).toBe('');
      // It draws: the variance chart has points, and its plot fills its box in layout pixels, not the scaled box.
      await expect.poll(() => page.locator('pg-variance-chart').getAttribute('data-points')).not.toBe('0');
      const size = await page.evaluate(() => {
        const chart = document.getElementById('pg')!.shadowRoot!.querySelector('pg-variance-chart') as unknown as HTMLElement & { chart: { plot: { width: number } } };
        const box = chart.shadowRoot!.querySelector('.plot') as HTMLElement;
        return { plot: chart.chart.plot.width, layout: box.clientWidth, scaled: box.getBoundingClientRect().width };
      });
      expect(size.plot).toBe(size.layout);
      expect(size.scaled).toBeLessThan(size.layout * 0.9);
      await page.screenshot({ path: screenshotPath('e2e-embed.png') });

      // A click gives it focus; its keys then stay inside: Space pauses it, the deck hears nothing.
      await page.locator('#pg').click({ position: { x: 600, y: 300 } });
      await page.keyboard.press(' ');
      await expect.poll(async () => (await hook()).playing).toBe(false);
      const steps = await page.evaluate(() => (document.getElementById('pg') as unknown as { hook: NonNullable<Window['__pgp']> }).hook.engine!.stepsDone);
      await page.keyboard.press('ArrowRight');
      await page.waitForFunction((n) => {
        const runner = (document.getElementById('pg') as unknown as { hook: NonNullable<Window['__pgp']> }).hook.runner;
        return runner.engine!.stepsDone === n + 1 && !runner.playing && !runner.busy;
      }, steps);
      await page.keyboard.press('x');
      expect(await page.evaluate(() => (window as unknown as { deckKeys: string[] }).deckKeys)).toEqual([]);
      await page.keyboard.press(' ');
      await expect.poll(async () => (await hook()).playing).toBe(true);
      // A slider moved: the run changes, the deck's hash does not.
      const lr = (await hook()).lr;
      await page.locator('#present-lr').focus();
      await page.keyboard.press('ArrowRight');
      await expect.poll(async () => (await hook()).lr).toBeGreaterThan(lr);
      expect(await page.evaluate(() => location.hash)).toBe('#/2');
      expect(await page.evaluate(() => (window as unknown as { deckKeys: string[] }).deckKeys)).toEqual([]);

      // Hidden (the tab, or the deck's window), it pauses; shown again, it plays on.
      await page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      expect((await hook()).playing).toBe(false);
      await page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      expect((await hook()).playing).toBe(true);
      expect(await page.evaluate(() => location.hash)).toBe('#/2');

      // P leaves present mode in place (the attribute goes, the run goes on); an edited attribute is a new run.
      await page.evaluate(() => { ((document.getElementById('pg') as unknown as { hook: NonNullable<Window['__pgp']> }).hook.engine as unknown as { mark: number }).mark = 7; });
      await page.keyboard.press('p');
      await expect.poll(() => page.locator('#pg').getAttribute('present')).toBeNull();
      expect(await page.evaluate(() => ((document.getElementById('pg') as unknown as { hook: NonNullable<Window['__pgp']> }).hook.engine as unknown as { mark?: number }).mark)).toBe(7);
      await page.evaluate(() => document.getElementById('pg')!.setAttribute('arms', '4'));
      await page.waitForFunction(() => (document.getElementById('pg') as unknown as { hook: NonNullable<Window['__pgp']> }).hook.history?.layout.arms === 4, null, { timeout: 30_000 });
      expect(await page.evaluate(() => location.hash)).toBe('#/2');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('without WebGPU it says which step failed and runs the inlined CPU worker', async () => {
    const { page, errors, close } = await open(`${deck.url}slides.html`, { width: 1000, height: 600 }, () => {
      delete (Navigator.prototype as { gpu?: unknown }).gpu;
    });
    try {
      await page.waitForFunction(() => ((document.getElementById('pg') as unknown as { hook: NonNullable<Window['__pgp']> }).hook.history?.length ?? 0) > 10, null, { timeout: 60_000 });
      expect(await page.evaluate(() => (document.getElementById('pg') as unknown as { hook: NonNullable<Window['__pgp']> }).hook.engine?.kind)).toBe('cpu');
      expect(await page.locator('#pg #note').textContent()).toContain('WebGPU failed at step “WebGPU in this browser”: WebGPU is not available here (no navigator.gpu). Running the CPU engine in a Web Worker instead.');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('in an iframe on a slide, reveal.js\'s slide:stop pauses the page and slide:start resumes it', async () => {
    writeFileSync(`${kDeckDir}/iframe.html`, `<!doctype html><meta charset="utf-8"><title>Deck</title><link rel="icon" href="data:,">
<iframe id="f" src="${site.url}?present&view=variance#preset=baseline-on-off&agents=1000" width="1200" height="600" style="border:0"></iframe>`);
    const { page, errors, close } = await open(`${deck.url}iframe.html`, { width: 1200, height: 600 });
    try {
      const frame = page.frames().find((f) => f.url().startsWith(site.url))!;
      await frame.waitForFunction(() => (window.__pgp?.history?.length ?? 0) > 30 && window.__pgp?.runner.playing, null, { timeout: 60_000 });
      await page.screenshot({ path: screenshotPath('e2e-present-iframe-1200x600.png') });
      await page.evaluate(() => (document.getElementById('f') as HTMLIFrameElement).contentWindow!.postMessage('slide:stop', '*'));
      await expect.poll(() => frame.evaluate(() => window.__pgp!.runner.playing)).toBe(false);
      await page.evaluate(() => (document.getElementById('f') as HTMLIFrameElement).contentWindow!.postMessage('slide:start', '*'));
      await expect.poll(() => frame.evaluate(() => window.__pgp!.runner.playing)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});

describe('never a blank page', () => {
  it('a WebGPU that finds no adapter, or whose adapter refuses a device, says which step failed and runs on the CPU', async () => {
    const cases: [() => void, string][] = [
      [() => { GPU.prototype.requestAdapter = async () => null; }, 'WebGPU failed at step “finding a GPU adapter”: WebGPU found no adapter (no GPU, or it is blocked).'],
      [() => { GPUAdapter.prototype.requestDevice = () => Promise.reject(new Error('limits not supported')); },
        'WebGPU failed at step “opening a device on the adapter”: the adapter refused a device: limits not supported.'],
    ];
    for (const [init, says] of cases) {
      const { page, errors, close } = await open(`${site.url}?paused#agents=200`, { width: 1000, height: 700 }, init);
      try {
        await waitReady(page);
        expect(await page.evaluate(() => window.__pgp?.engine?.kind)).toBe('cpu');
        expect(await page.locator('#note').textContent()).toBe(`${says} Running the CPU engine in a Web Worker instead.`);
        expect(errors).toEqual([]);
      } finally {
        await close();
      }
    }
  });
});
