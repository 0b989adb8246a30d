/**
 * The page in real Chromium: builds it with Vite, serves the build with `vite preview` on
 * 127.0.0.1 (a free port), and launches Debian's Chromium with SwiftShader WebGPU through
 * playwright-core (see shared/webgpu-headless.md). Every page collects its console errors and
 * uncaught exceptions so a test can insist there were none.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContextOptions, type Locator, type Page, chromium } from 'playwright-core';
import { type PreviewServer, build, preview } from 'vite';

export const kRoot = fileURLToPath(new URL('../..', import.meta.url));
export const kResults = `${kRoot}/test-results`;
const kOutDir = 'test-results/e2e-dist';
const kChromium = '/usr/bin/chromium';
const kChromiumArgs = [
  '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu',
  '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader',
];

export interface Site {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** `outDir`: where the build goes (a test file of its own keeps it from another run's build). */
export async function startSite(outDir = kOutDir): Promise<Site> {
  const configFile = `${kRoot}/vite.config.ts`;
  await build({ root: kRoot, configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server: PreviewServer = await preview({
    root: kRoot,
    configFile,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview did not report its port');
  const browser = await chromium.launch({ executablePath: kChromium, args: kChromiumArgs });
  return {
    url: `http://127.0.0.1:${address.port}/`,
    browser,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    },
  };
}

export interface OpenedPage {
  page: Page;
  /** Console errors and uncaught exceptions, as text. */
  errors: string[];
  close(): Promise<void>;
}

export interface OpenOptions {
  /** After `#`: the config. */
  hash?: string;
  /** Start paused (`?paused`), so the test presses play itself. */
  paused?: boolean;
  /** Remove WebGPU before any script of the page runs. */
  withoutWebGpu?: boolean;
  /** What `navigator.hardwareConcurrency` says (the CPU fallback sizes its workers by it), in the page and its workers. */
  hardwareConcurrency?: number;
  context?: BrowserContextOptions;
}

export async function openPage(site: Site, options: OpenOptions = {}): Promise<OpenedPage> {
  const context = await site.browser.newContext({ viewport: { width: 1280, height: 900 }, ...options.context });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  if (options.withoutWebGpu) {
    await page.addInitScript(() => {
      delete (Navigator.prototype as { gpu?: unknown }).gpu;
    });
  }
  if (options.hardwareConcurrency !== undefined) {
    await page.addInitScript((cores) => {
      Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => cores, configurable: true });
    }, options.hardwareConcurrency);
  }
  const query = options.paused ? '?paused' : '';
  await page.goto(`${site.url}${query}${options.hash ? `#${options.hash}` : ''}`);
  return { page, errors, close: () => context.close() };
}

/** Waits until an engine is attached and the run bar accepts commands. */
export async function waitReady(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(() => window.__pgp?.engine != null && window.__pgp.history != null, null, { timeout });
  await page.locator('#play:not([disabled])').waitFor({ timeout });
}

/**
 * Brings every chart of the page up to date and waits for the redraw: a chart off screen takes no
 * rows until it scrolls into view (pg-chart.ts), so a test reading one it has not scrolled to
 * calls this first, as the export does.
 */
export async function catchUpCharts(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const root = document.querySelector('pg-app')?.shadowRoot;
    for (const element of root?.querySelectorAll('*') ?? []) {
      if (element.tagName.startsWith('PG-') && element.tagName.endsWith('-CHART')) (element as unknown as { refresh(): void }).refresh();
    }
    await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
  });
}

/** Waits until the history holds at least `rows` rows. */
export async function waitRows(page: Page, rows: number, timeout = 60_000): Promise<void> {
  await page.waitForFunction((n) => (window.__pgp?.history?.length ?? 0) >= n, rows, { timeout, polling: 100 });
}

/** Pauses and waits until no advance is in flight. */
export async function pauseAndSettle(page: Page): Promise<void> {
  await page.evaluate(() => window.__pgp?.runner.pause());
  await page.waitForFunction(() => window.__pgp?.runner.busy === false, null, { timeout: 60_000, polling: 50 });
}

/** The text of the first element `selector` matches, whitespace collapsed. */
export async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** Runs `steps` steps through the page's runner and waits until they are done and it is idle. */
export async function runSteps(page: Page, steps: number): Promise<void> {
  await page.evaluate((n) => window.__pgp!.runner.runSteps(n), steps);
  await page.waitForFunction((n) => window.__pgp!.engine!.stepsDone === n && !window.__pgp!.runner.busy, steps, { timeout: 60_000, polling: 50 });
}

/** Scrolls to the one-agent card and opens agent `agent` of group `group` in it; returns the card. */
export async function inspectAgent(page: Page, group: number, agent: number): Promise<Locator> {
  const card = page.locator('pg-agent-inspector');
  await card.evaluate((element) => element.scrollIntoView({ block: 'start' }));
  await card.locator('#inspect-group').selectOption(String(group));
  await card.locator('#inspect-agent').fill(String(agent));
  await card.locator('#inspect-agent').press('Enter');
  return card;
}

export async function statusText(page: Page): Promise<string> {
  return ((await page.locator('#status').textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

export function screenshotPath(name: string): string {
  mkdirSync(kResults, { recursive: true });
  return `${kResults}/${name}`;
}

/** Figures the run measured, kept next to the screenshots. */
export function saveMeasurements(figures: Record<string, unknown>): void {
  mkdirSync(kResults, { recursive: true });
  writeFileSync(`${kResults}/e2e-measurements.json`, `${JSON.stringify(figures, null, 2)}\n`);
}
