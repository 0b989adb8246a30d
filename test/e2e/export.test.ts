/**
 * The Export menu in real Chromium (SwiftShader WebGPU): every item downloads a file that parses
 * as it should (sim's CSV header, a JSON config that sim reads back, a real PNG, the engine's own
 * agent state), the link reaches the clipboard or is shown to copy by hand, and the menu works
 * from the keyboard. A screenshot with the menu open goes to test-results/export-menu.png, the exported
 * dashboard to test-results/export-dashboard.png.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { configFromObject, resolveGroups } from '../../src/core/config.ts';
import { agentsCsvHeader, agentsCsvRows, csvColumns, formatNumber } from '../../src/core/export.ts';
import { decodeLink } from '../../src/core/link.ts';
import { StatsLayout } from '../../src/core/stats.ts';
import { type OpenedPage, type Site, openPage, screenshotPath, startSite, waitReady } from './harness.ts';

const kHash = 'agents=200&steps=30&arms=3';
const kConfig = decodeLink(kHash).config;

let site: Site;
let opened: OpenedPage;
let page: Page;

beforeAll(async () => {
  site = await startSite('test-results/e2e-dist-export');
  opened = await openPage(site, { hash: kHash, context: { permissions: ['clipboard-read', 'clipboard-write'] } });
  page = opened.page;
  await waitReady(page);
  // The run stops at its budget: every export then describes the same 30 steps.
  await page.waitForFunction(() => window.__pgp?.engine?.stepsDone === 30 && window.__pgp.runner.busy === false, null, { timeout: 60_000, polling: 50 });
});

afterAll(async () => {
  await opened?.close();
  await site?.close();
});

/** Chooses a menu item by its accessible name and returns the file it downloaded. */
async function exportFile(name: string): Promise<{ name: string; bytes: Buffer }> {
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const item = page.getByRole('menuitem', { name, exact: true });
  const [download] = await Promise.all([page.waitForEvent('download'), item.click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: readFileSync(path) };
}

function csvLines(text: string): string[][] {
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((line) => line.split(','));
}

describe('the Export menu', () => {
  it('has the six items, named, and a PNG item for each chart on screen', async () => {
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const names = await page.getByRole('menuitem').evaluateAll((items) => items.map((i) => i.getAttribute('id')));
    const charts = await page.evaluate(() => [...new Set([...window.__pgp!.app.renderRoot.querySelectorAll<HTMLElement>('.card[data-chart]')].map((c) => c.dataset.chart))]);
    expect(charts.length).toBeGreaterThan(4);
    expect(names).toEqual(['export-csv', 'export-json', 'export-config', 'export-png', ...charts.map((c) => `export-png-${c}`), 'export-agents', 'export-link']);
    for (const name of ['CSV', 'JSON', 'Config', 'PNG', 'Agents CSV', 'Copy link']) {
      await expect(page.getByRole('menuitem', { name, exact: true }).isVisible()).resolves.toBe(true);
    }
    await page.screenshot({ path: screenshotPath('export-menu.png') });
    await page.screenshot({ path: '/tmp/export.png' });
    await page.keyboard.press('Escape');
    await expect(page.getByRole('menu').isVisible()).resolves.toBe(false);
  });

  it('CSV: sim\'s header and the page\'s rows, 9 digits', async () => {
    const file = await exportFile('CSV');
    expect(file.name).toBe('pg-run-custom-30.csv');
    const [header, ...rows] = csvLines(file.bytes.toString('utf8'));
    expect(header).toEqual(csvColumns(kConfig, new StatsLayout(3).names));
    expect(rows.map((r) => r[1])).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
    const history = await page.evaluate(() => {
      const h = window.__pgp!.history!;
      return h.columns[0].map((column) => column[29]);
    });
    expect(rows[29].slice(2)).toEqual(history.map(formatNumber));
  });

  it('JSON: the run with its config, which configFromObject reads back', async () => {
    const file = await exportFile('JSON');
    expect(file.name).toBe('pg-run-custom-30.json');
    const json = JSON.parse(file.bytes.toString('utf8'));
    expect(configFromObject(json.config)).toEqual(kConfig);
    expect(json.engine).toBe('gpu');
    expect(json.columns).toEqual(['step', ...new StatsLayout(3).names]);
    expect(json.groups).toHaveLength(1);
    expect(json.groups[0].rows).toHaveLength(30);
  });

  it('Config: a sim --config file for this experiment', async () => {
    const file = await exportFile('Config');
    expect(file.name).toBe('pg-run-custom-config.json');
    expect(configFromObject(JSON.parse(file.bytes.toString('utf8')))).toEqual(kConfig);
  });

  it('PNG: the dashboard, a real image of a decent size', async () => {
    const file = await exportFile('PNG');
    expect(file.name).toBe('pg-run-custom-30.png');
    const png = file.bytes;
    writeFileSync(screenshotPath('export-dashboard.png'), png); // to look at
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width).toBeGreaterThan(700);
    expect(height).toBeGreaterThan(700);
    expect(png.length).toBeGreaterThan(30_000);
  });

  it('PNG of one chart: that chart alone, titled, smaller than the dashboard', async () => {
    const file = await exportFile('PNG: variance');
    expect(file.name).toBe('pg-run-custom-30-variance.png');
    const png = file.bytes;
    writeFileSync(screenshotPath('export-variance.png'), png); // to look at
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    // One card (about 420-600 px wide at this window) plus the heading and margins.
    expect(width).toBeGreaterThan(300);
    expect(width).toBeLessThan(1300);
    expect(height).toBeGreaterThan(250);
    expect(png.length).toBeGreaterThan(10_000);
  });

  it('Agents CSV: the engine\'s state of every agent, with its policy and best arm', async () => {
    const file = await exportFile('Agents CSV');
    expect(file.name).toBe('pg-run-custom-30-agents.csv');
    const text = file.bytes.toString('utf8');
    const [header, ...rows] = csvLines(text);
    expect(header).toEqual(['group', 'agent', 'pref_0', 'pref_1', 'pref_2', 'prob_0', 'prob_1', 'prob_2', 'best_arm']);
    expect(rows).toHaveLength(200);
    const states = await page.evaluate(async () => {
      const s = await window.__pgp!.engine!.readAgents(0);
      return { prefs: Array.from(s.prefs), rewardMean: Array.from(s.rewardMean), ema: Array.from(s.ema) };
    });
    const prefs = Float32Array.from(states.prefs);
    expect(rows.flatMap((r) => r.slice(2, 5).map((v) => Math.fround(Number(v))))).toEqual(Array.from(prefs));
    // The whole file is the shared builder's text for that state.
    const agentStates = { prefs, rewardMean: Float32Array.from(states.rewardMean), ema: Float32Array.from(states.ema), extra: new Float32Array(0) };
    expect(text).toBe(agentsCsvHeader(3) + [...agentsCsvRows(resolveGroups(kConfig)[0], 0, agentStates)].join(''));
  });

  it('Copy link: the page\'s link on the clipboard, or shown and selected where the clipboard refuses', async () => {
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByRole('menuitem', { name: 'Copy link', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Copied the link' }).waitFor({ timeout: 5000 });
    const [clipboard, href] = await page.evaluate(async () => [await navigator.clipboard.readText(), location.href]);
    expect(clipboard).toBe(href);
    expect(decodeLink(new URL(href).hash).config).toEqual(kConfig);

    await page.evaluate(() => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));
    });
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByRole('menuitem', { name: 'Copy link', exact: true }).click();
    const box = page.getByRole('textbox', { name: 'Link to this run' });
    await box.waitFor({ timeout: 5000 });
    await expect(page.locator('#export-said').textContent()).resolves.toContain('Could not copy here');
    await expect(box.inputValue()).resolves.toBe(href);
    const selected = await box.evaluate((input: HTMLInputElement) => input.value.slice(input.selectionStart ?? 0, input.selectionEnd ?? 0));
    expect(selected).toBe(href);
    await page.screenshot({ path: screenshotPath('export-link-fallback.png') });
    await page.getByRole('button', { name: 'Close', exact: true }).click();
  });

  it('works from the keyboard, and Space in the menu does not play the run', async () => {
    const button = page.getByRole('button', { name: 'Export', exact: true });
    await button.focus();
    await page.keyboard.press('Enter');
    const focusedId = () => page.evaluate(() => {
      const menu = document.querySelector('pg-app')?.shadowRoot?.querySelector('pg-export-menu')?.shadowRoot;
      return menu?.activeElement?.id ?? null;
    });
    await expect.poll(focusedId).toBe('export-csv');
    await page.keyboard.press('ArrowUp');
    expect(await focusedId()).toBe('export-link');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    expect(await focusedId()).toBe('export-json');
    await page.keyboard.press('Escape');
    await expect(page.getByRole('menu').isVisible()).resolves.toBe(false);
    expect(await focusedId()).toBe('export');
    // Space on an item chooses it: a download, and the run stays where it was.
    await page.keyboard.press('ArrowDown');
    await expect.poll(focusedId).toBe('export-csv');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press(' ')]);
    expect(download.suggestedFilename()).toBe('pg-run-custom-30.csv');
    expect(await page.evaluate(() => window.__pgp?.runner.playing)).toBe(false);
    expect(opened.errors).toEqual([]);
  });
});
