/**
 * The page's side of exporting a run: which run is on screen (its engine, history and config),
 * file names, the download itself, and the dashboard drawn into one PNG. What goes into the text
 * files is src/core/export.ts, the same code `sim` writes with.
 *
 * The files describe the run the page is showing: the statistics of every row the page's history
 * holds (at most 2 000 per group, and fewer rows than every window's where the page ran fast,
 * which the export says), under the header sim writes for the config the run started from. The
 * config is that starting config with the step budget now, the one the link writes before its
 * live changes, so `sim --config` runs the same experiment (live changes are the link's alone).
 */
import type { ExperimentConfig } from '../core/config.ts';
import type { Engine } from '../core/engine.ts';
import type { RecordedRows, RunDescription } from '../core/export.ts';
import type { StatsHistory } from './stats-history.ts';

/** What an export reads; the page's `window.__pgp` (PlaygroundHook) is one. */
export interface ExportSource {
  readonly engine: Engine | null;
  readonly history: StatsHistory | null;
  /** The page's config now (its step budget is the run's). */
  readonly config: ExperimentConfig;
}

/** A run that can be written out: its engine, its rows and the config it started from. */
export interface ExportRun {
  engine: Engine;
  rows: RecordedRows;
  /** The run's starting config with the page's step budget (what the link writes before its changes). */
  config: ExperimentConfig;
  description: RunDescription;
  /** The step of the last row the history holds (what the files and charts reach), for the file names. */
  steps: number;
  /** Rows the run has had so far (one per window): the history may hold fewer. */
  windows: number;
}

/** The run on screen, or null while none is running (starting, or failed to start). */
export function exportRun(source: ExportSource): ExportRun | null {
  const { engine, history } = source;
  if (!engine || !history) return null;
  const start = engine.config;
  const config: ExperimentConfig = { ...start, params: { ...start.params, steps: source.config.params.steps } };
  return {
    engine,
    rows: history,
    config,
    description: { config, engineKind: engine.kind, engineDescription: engine.description, statNames: engine.layout.names },
    // Not the engine's step count: a playing GPU run has steps in flight that no row shows yet.
    steps: history.length > 0 ? history.steps[history.length - 1] : 0,
    windows: Math.floor((history.length > 0 ? history.steps[history.length - 1] : 0) / history.window),
  };
}

/** `pg-run-<preset or custom>-<steps><suffix>`: a name that says which run and how far. */
export function exportFileName(preset: string | null, steps: number | null, suffix: string): string {
  const name = (preset ?? 'custom').replace(/[^A-Za-z0-9_-]+/g, '-');
  return `pg-run-${name}${steps === null ? '' : `-${steps}`}${suffix}`;
}

/**
 * Saves `parts` as a file through a Blob and a clicked `<a download>` (what every browser offers
 * without a permission prompt). `parent` holds the link for the click: an embed's own shadow
 * root, so nothing is added to someone else's page.
 */
export function download(parts: BlobPart[], type: string, name: string, parent: Node): void {
  const url = URL.createObjectURL(new Blob(parts, { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  parent.appendChild(link);
  link.click();
  link.remove();
  // The browser reads the Blob after the click returns; a minute is long enough for any file here.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The link to share: the page's own URL (its hash is the run), or for an embed the page's address next to its script. */
export function shareLink(isPage: boolean, link: string): string {
  if (isPage) return location.href;
  const script = (customElements.get('pg-playground') as { scriptUrl?: string } | undefined)?.scriptUrl;
  const page = new URL('./', script || document.baseURI);
  return `${page.href}${link ? `#${link}` : ''}`;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `element`'s box relative to `origin` (CSS pixels). */
function boxOf(element: Element, origin: { left: number; top: number }): Box {
  const r = element.getBoundingClientRect();
  return { x: r.left - origin.left, y: r.top - origin.top, width: r.width, height: r.height };
}

/** Drawn, as opposed to hidden by CSS (`display: none` leaves no box). */
function shown(element: Element): boolean {
  const r = element.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
}

/** Writes `text` wrapped to `width` from (x, y) down; returns the y after the last line. */
function wrapText(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, width: number, lineHeight: number): number {
  let line = '';
  for (const word of text.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(next).width > width) {
      ctx.fillText(line, x, y);
      y += lineHeight;
      line = word;
    } else line = next;
  }
  if (line) ctx.fillText(line, x, y);
  return y + lineHeight;
}

/** A computed font for canvas text: weight, size and family as the page shows them. */
function fontOf(element: Element): string {
  const style = getComputedStyle(element);
  return `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
}

/**
 * One chart element drawn onto `ctx` where the page shows it: its title, every plot canvas as
 * uPlot drew it (lines, bands, heatmap, labels and change markers included), each legend entry's
 * swatch and name, and the caption.
 */
function drawChart(ctx: CanvasRenderingContext2D, chart: Element, origin: { left: number; top: number }): void {
  const root = chart.shadowRoot;
  if (!root) return;
  ctx.textBaseline = 'top';
  const title = root.querySelector('.title > span');
  if (title && shown(title)) {
    const box = boxOf(title, origin);
    ctx.font = fontOf(title);
    ctx.fillStyle = getComputedStyle(title).color;
    ctx.fillText(title.textContent ?? '', box.x, box.y + 1);
  }
  for (const canvas of root.querySelectorAll<HTMLCanvasElement>('.plot canvas')) {
    if (!shown(canvas)) continue;
    const box = boxOf(canvas, origin);
    ctx.drawImage(canvas, box.x, box.y, box.width, box.height);
  }
  // Legend rows after the x series' (its readout is the hover step, not a series).
  for (const row of root.querySelectorAll('.u-legend .u-series:not(:first-child)')) {
    if (!shown(row)) continue;
    const marker = row.querySelector('.u-marker');
    const label = row.querySelector('.u-label');
    if (marker && shown(marker)) {
      const box = boxOf(marker, origin);
      const style = getComputedStyle(marker);
      ctx.fillStyle = style.backgroundColor;
      ctx.fillRect(box.x, box.y, box.width, box.height);
      const border = Number.parseFloat(style.borderTopWidth) || 0;
      if (border > 0) {
        ctx.strokeStyle = style.borderTopColor;
        ctx.lineWidth = border;
        ctx.strokeRect(box.x + border / 2, box.y + border / 2, box.width - border, box.height - border);
      }
    }
    if (label && shown(label)) {
      const box = boxOf(label, origin);
      ctx.font = fontOf(label);
      ctx.fillStyle = getComputedStyle(label).color;
      ctx.fillText(label.textContent ?? '', box.x, box.y + 1);
    }
  }
  const caption = root.querySelector('.caption');
  if (caption && shown(caption)) {
    const box = boxOf(caption, origin);
    const style = getComputedStyle(caption);
    ctx.font = fontOf(caption);
    ctx.fillStyle = style.color;
    const lineHeight = Number.parseFloat(style.lineHeight) || Number.parseFloat(style.fontSize) * 1.35;
    wrapText(ctx, caption.textContent?.trim() ?? '', box.x, box.y + 1, box.width, lineHeight);
  }
}

/** The top lines of the image: what it is, and which run. */
export interface DashboardHeading {
  title: string;
  subtitle: string;
}

const kMargin = 16;
const kHeadingHeight = 52;

/**
 * The app's chart cards (`[data-chart]`, in page order) drawn into one canvas as the page lays
 * them out, under a heading, at the screen's pixel ratio. Null when no chart is on screen.
 */
/**
 * Brings every chart up to date (a chart off screen takes no rows until it scrolls into view) and
 * waits for the plots to redraw: what an image of them must wait for.
 */
export async function catchUpCharts(appRoot: ParentNode): Promise<void> {
  for (const card of appRoot.querySelectorAll('.card[data-chart]')) {
    for (const chart of card.querySelectorAll('*')) {
      if (chart.tagName.startsWith('PG-') && typeof (chart as { refresh?: unknown }).refresh === 'function') (chart as unknown as { refresh(): void }).refresh();
    }
  }
  await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
}

/** The charts on screen (their short names, `data-chart` of the cards), in page order, each once. */
export function shownCharts(appRoot: ParentNode): string[] {
  const names = [...appRoot.querySelectorAll<HTMLElement>('.card[data-chart]')].filter(shown).map((card) => card.dataset.chart ?? '');
  return [...new Set(names)].filter((name) => name !== '');
}

/** `chart`: only that chart's cards (a short name, as `data-chart`); else every chart on screen. */
export function drawDashboard(appRoot: ParentNode, heading: DashboardHeading, chart?: string): HTMLCanvasElement | null {
  const cards = [...appRoot.querySelectorAll<HTMLElement>('.card[data-chart]')].filter((card) => shown(card) && (chart === undefined || card.dataset.chart === chart));
  if (cards.length === 0) return null;
  const rects = cards.map((card) => card.getBoundingClientRect());
  const left = Math.min(...rects.map((r) => r.left));
  const top = Math.min(...rects.map((r) => r.top));
  const family = getComputedStyle(cards[0]).fontFamily;
  // The heading's lines fit even over one narrow card.
  const measure = document.createElement('canvas').getContext('2d');
  let headingWidth = 0;
  if (measure) {
    measure.font = `700 18px ${family}`;
    headingWidth = measure.measureText(heading.title).width;
    measure.font = `400 13px ${family}`;
    headingWidth = Math.max(headingWidth, measure.measureText(heading.subtitle).width);
  }
  const width = Math.max(Math.max(...rects.map((r) => r.right)) - left, Math.ceil(headingWidth));
  const height = Math.max(...rects.map((r) => r.bottom)) - top;
  const origin = { left: left - kMargin, top: top - kMargin - kHeadingHeight };
  const scale = Math.max(1, window.devicePixelRatio || 1);
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil((width + 2 * kMargin) * scale);
  canvas.height = Math.ceil((height + 2 * kMargin + kHeadingHeight) * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.scale(scale, scale);
  ctx.fillStyle = '#f6f7f9';
  ctx.fillRect(0, 0, canvas.width / scale, canvas.height / scale);

  ctx.textBaseline = 'top';
  ctx.fillStyle = '#1a1a1a';
  ctx.font = `700 18px ${family}`;
  ctx.fillText(heading.title, kMargin, kMargin);
  ctx.fillStyle = '#444';
  ctx.font = `400 13px ${family}`;
  ctx.fillText(heading.subtitle, kMargin, kMargin + 26);

  for (const card of cards) {
    const box = boxOf(card, origin);
    const style = getComputedStyle(card);
    ctx.beginPath();
    ctx.roundRect(box.x + 0.5, box.y + 0.5, box.width - 1, box.height - 1, Number.parseFloat(style.borderTopLeftRadius) || 0);
    ctx.fillStyle = style.backgroundColor;
    ctx.fill();
    ctx.strokeStyle = style.borderTopColor;
    ctx.lineWidth = 1;
    ctx.stroke();
    for (const chart of card.querySelectorAll('*')) if (chart.shadowRoot && chart.tagName.startsWith('PG-')) drawChart(ctx, chart, origin);
  }
  return canvas;
}

/** A canvas as PNG bytes. */
export function canvasPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode the PNG'))), 'image/png');
  });
}
