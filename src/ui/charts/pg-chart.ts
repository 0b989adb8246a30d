/**
 * What every chart shares: a card with a title, the uPlot canvas, a one-line caption saying what
 * to look for, and the run session from context. Subclasses say how to build the plot for a
 * session (once) and what to hand it per frame (the same columns, grown in place).
 *
 * For tests and curious users, the host element carries `data-points` (rows handed to uPlot in
 * the last update) and the `points` property, and `drawn` says where the last frame put its line
 * labels and change markers.
 *
 * Reading from afar: each group's main line carries its short label at its right end (the legend
 * lists one entry per group, the hover readout), auxiliary series (quantiles, the spread across
 * agents) stay off the legend, and time charts mark every live change on the time axis. A chart
 * may stack several plots (one quantity per y axis), which share the x axis and the cursor.
 *
 * A chart off screen (with a margin) takes no rows: it only notes that it is behind, and catches
 * up when it scrolls into view (or when `refresh()` is called, as the export does): most of a
 * frame's main-thread work is the plots' redraws, and a long page shows a few charts at a time.
 *
 * A chart may leave some groups out (the gradient charts have nothing to plot for a value-based
 * group) and say so in a `note` line under the title; where it has nothing to plot for any group
 * (`unavailable`), the card says why instead of drawing empty axes.
 *
 * Present mode sizes the text from outside through inherited custom properties (they cross the
 * shadow root): `--pg-title-font`, `--pg-legend-font`, `--pg-chart-font` (tick and axis-label
 * text, drawn by uPlot on the canvas from the plot box's computed font-size) and
 * `--pg-caption-display`; `fill` makes the plot take the element's height.
 */
import { consume } from '@lit/context';
import { LitElement, type PropertyValues, css, html, nothing, unsafeCSS } from 'lit';
import { property, state } from 'lit/decorators.js';
import type uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { resolveGroups } from '../../core/config.ts';
import { formatNumber } from '../format.ts';
import { type RunSession, runSessionContext } from '../run-controller.ts';
import { type PlotOptions, UPlotController } from '../uplot-controller.ts';
import { type DrawnLabel, type DrawnMarker, type EndLabel, type LabelFont, drawChangeMarkers, drawEndLabels, labelGutter } from './annotations.ts';

export interface PlotSpec {
  options: PlotOptions;
  data: uPlot.AlignedData;
  /** This plot's height when the chart stacks several (default: the chart's plot height). */
  height?: number;
  /** Labels written at the right ends of these series' lines. */
  labels?: EndLabel[];
  /** Series (by index) left off the legend: bands' edges, dashed companions the caption explains. */
  unlisted?: readonly number[];
  /** Mark the run's live changes on the time axis. */
  markers?: boolean;
  /** Write the markers' text (a stack of plots writes it once, on the top one). */
  markerText?: boolean;
}

/** What the last frame drew on a plot: line labels and change markers (CSS pixels in its canvas). */
export interface DrawnAnnotations {
  labels: DrawnLabel[];
  markers: DrawnMarker[];
}

const kLabelFamily = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
/** Line labels a little larger than the tick text: they are what a viewer reads first. */
const kLabelScale = 1.15;
let syncKeys = 0;

export abstract class PgChart extends LitElement {
  static styles = [
    unsafeCSS(uplotCss),
    css`
      :host { display: block; min-width: 0; }
      figure { margin: 0; }
      .title { font-weight: 600; font-size: var(--pg-title-font, 0.95rem); margin: 0 0 0.25rem; display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 0.8rem; }
      .title label { font-weight: 400; font-size: 0.8rem; color: #444; cursor: pointer; white-space: nowrap; }
      .title label input { vertical-align: -0.1em; margin: 0 0.25rem 0 0; accent-color: #333; }
      .plot + .plot { margin-top: 0.2rem; }
      .plot { width: 100%; min-height: 80px; font-size: var(--pg-chart-font, 12px); }
      .note { margin: 0 0 0.2rem; color: #6b4500; font-size: var(--pg-legend-font, 0.8rem); line-height: 1.3; }
      .unavailable { margin: 0; padding: 1.5rem 0.5rem; color: #444; font-size: var(--pg-chart-font, 0.9rem); text-align: center; background: #f6f7f9; border-radius: 6px; }
      .caption { margin: 0.25rem 0 0; color: #555; font-size: 0.82rem; line-height: 1.35; display: var(--pg-caption-display, block); }
      :host([fill]) { height: 100%; }
      :host([fill]) figure { height: 100%; display: flex; flex-direction: column; }
      :host([fill]) .plot { flex: 1 1 0; min-height: 0; overflow: hidden; }
      /* Filling a box (present mode), the legend names the lines and reads out values only while
         the pointer is over the chart: otherwise a row of dashes costs a line of plot. */
      :host([fill]) .plot:not(:hover) .u-legend .u-series:first-child,
      :host([fill]) .plot:not(:hover) .u-legend .u-value { display: none; }
      :host([fill]) .plot:not(:hover) .u-legend.u-live th::after { content: none; }
      .uplot { font-family: inherit; }
      .u-legend { font-size: var(--pg-legend-font, 0.74rem); text-align: left; line-height: 1.3; }
      .u-legend .u-marker { width: 0.8em; height: 0.8em; margin-right: 3px; }
      .u-legend.u-inline tr { margin-right: 10px; }
      .u-legend th { font-weight: 500; }
      .u-legend .u-value { font-variant-numeric: tabular-nums; }
    `,
  ];

  @consume({ context: runSessionContext, subscribe: true })
  @state()
  protected session: RunSession | null = null;

  @property({ type: Number, attribute: 'plot-height' }) plotHeight = 220;
  /** The plot takes the element's height (which the page sets), not `plot-height`. */
  @property({ type: Boolean, reflect: true }) fill = false;

  /** Rows in the last update handed to the plot. */
  points = 0;
  /** Per plot, what its last frame drew on it. */
  drawn: DrawnAnnotations[] = [];

  /** One controller per stacked plot; `chart` is the first (the only one, for most charts). */
  protected readonly charts: readonly UPlotController[] = Array.from({ length: this.plotCount }, (_, i) =>
    new UPlotController(this, () => this.renderRoot.querySelector<HTMLElement>(`.plot[data-plot="${i}"]`), 220));
  protected readonly chart = this.charts[0];
  #unsubscribe: (() => void) | null = null;
  #visibility: IntersectionObserver | null = null;
  /** On screen (or near it); true until the observer first says otherwise. */
  #onScreen = true;
  /** Rows came while off screen: the plots are behind. */
  #behind = false;
  #built: RunSession | null = null;
  #data: uPlot.AlignedData[] = [];
  /** Each plot's label font, read from its box when it is made (present mode scales it). */
  readonly #fonts = new WeakMap<uPlot, LabelFont>();

  protected abstract get heading(): string;
  protected abstract get caption(): string;
  /** Plots stacked in this chart (a prototype getter: the controllers are made from it). */
  protected get plotCount(): number {
    return 1;
  }
  /** Controls beside the title (a toggle), or nothing. */
  protected controls(): unknown {
    return null;
  }
  /** One short line under the title: groups this chart leaves out and why (or ''). */
  protected note(_session: RunSession): string {
    return '';
  }
  /** Plots shown, top down (a chart may drop its lower plots for a session; `build` returns as many). */
  protected shownPlots(_session: RunSession): number {
    return this.plotCount;
  }
  /** Why this chart has nothing to plot for the session, shown instead of the plots (or ''). */
  protected unavailable(_session: RunSession): string {
    return '';
  }
  /** The plots for a session, top to bottom; their columns are reused for every frame of the session. */
  protected abstract build(session: RunSession): PlotSpec | PlotSpec[];
  /** Called per frame before the data goes to the plot (charts that derive columns fill them here). */
  protected prepare(_session: RunSession): void {}
  /** The x range to show. */
  protected xRange(session: RunSession): [number, number] {
    const steps = session.history.steps;
    const last = steps.length > 0 ? steps[steps.length - 1] : 0;
    return [0, Math.max(session.budget, last, 1)];
  }

  render() {
    const session = this.session;
    const note = session ? this.note(session) : '';
    const unavailable = session ? this.unavailable(session) : '';
    const shown = session ? this.shownPlots(session) : this.plotCount;
    return html`<figure>
      <figcaption class="title"><span>${this.heading}</span>${this.controls()}</figcaption>
      ${note ? html`<p class="note" part="note">${note}</p>` : nothing}
      ${unavailable ? html`<p class="unavailable" part="unavailable" role="note">${unavailable}</p>` : nothing}
      ${this.charts.map((_, i) => html`<div class="plot" part="plot" data-plot=${i} ?hidden=${unavailable !== '' || i >= shown}></div>`)}
      <p class="caption">${this.caption}</p>
    </figure>`;
  }

  connectedCallback(): void {
    super.connectedCallback();
    this.#visibility = new IntersectionObserver((entries) => {
      this.#onScreen = entries[entries.length - 1].isIntersecting;
      if (this.#onScreen && this.#behind) this.refresh();
    }, { rootMargin: '200px' });
    this.#visibility.observe(this);
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#visibility?.disconnect();
    this.#visibility = null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#built = null;
  }

  protected updated(changed: PropertyValues): void {
    super.updated(changed);
    // An unavailable chart has no plot to make: without the check it would rebuild every update.
    const missing = !this.chart.plot && !(this.session && this.unavailable(this.session));
    if (this.session !== this.#built || changed.has('plotHeight') || changed.has('fill') || this.rebuildOn(changed) || missing) this.#rebuild();
  }

  /** Other properties whose change needs a new plot. */
  protected rebuildOn(_changed: PropertyValues): boolean {
    return false;
  }

  #rebuild(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const chart of this.charts) chart.destroy();
    this.#built = this.session;
    this.#data = [];
    this.drawn = [];
    const session = this.session;
    if (!session || this.unavailable(session)) return;
    const built = this.build(session);
    const specs = Array.isArray(built) ? built : [built];
    const sync = specs.length > 1 ? `pg-chart-${++syncKeys}` : null;
    specs.slice(0, this.charts.length).forEach((spec, i) => {
      this.#data[i] = spec.data;
      this.drawn[i] = { labels: [], markers: [] };
      this.charts[i].create(this.#annotated(spec, i, sync), spec.data, spec.height ?? this.plotHeight, this.fill);
    });
    this.#unsubscribe = session.subscribe(this.#onRows);
    this.refresh();
  }

  readonly #onRows = (): void => {
    if (this.#onScreen) this.refresh();
    else this.#behind = true;
  };

  /** The spec's options with the line labels, markers, legend rows and shared cursor wired in. */
  #annotated(spec: PlotSpec, index: number, sync: string | null): PlotOptions {
    const options = spec.options;
    const hooks = { ...options.hooks };
    const texts = (spec.labels ?? []).map((l) => l.text);
    hooks.ready = [...(hooks.ready ?? []), (u: uPlot) => {
      this.#fonts.set(u, labelFont(u));
      const rows = u.root.querySelectorAll<HTMLElement>('.u-legend .u-series');
      for (const series of spec.unlisted ?? []) if (rows[series]) rows[series].style.display = 'none';
    }];
    hooks.draw = [...(hooks.draw ?? []), (u: uPlot) => {
      const session = this.session;
      const font = this.#fonts.get(u) ?? labelFont(u);
      const markers = spec.markers && session ? drawChangeMarkers(u, session.markers, font, spec.markerText ?? true) : [];
      const labels = spec.labels ? drawEndLabels(u, spec.labels, font) : [];
      this.drawn[index] = { labels, markers };
    }];
    // Room right of the plot for the labels of lines that reach the end of the x range, at most a
    // fifth of the width (a longer label slides back over the plot's end). uPlot asks whenever it
    // lays the plot out: measured once per font size.
    const gutters = new Map<number, number>();
    const gutter = (u: uPlot): number => {
      const font = this.#fonts.get(u) ?? labelFont(u);
      let width = gutters.get(font.size);
      if (width === undefined) gutters.set(font.size, (width = labelGutter(texts, font)));
      return Math.min(width, Math.max(48, Math.round(u.width * 0.2)));
    };
    const padding: uPlot.Padding | undefined = texts.some((t) => t !== '') ? [null, gutter, null, null] : options.padding;
    const cursor = sync ? { ...options.cursor, sync: { key: sync } } : options.cursor;
    return { ...options, hooks, padding, cursor };
  }

  /** Hands the (grown) columns to the plots (uPlot redraws them in a microtask). */
  refresh(): void {
    const session = this.session;
    if (!session || this.#data.length === 0) return;
    this.#behind = false;
    this.prepare(session);
    const [min, max] = this.xRange(session);
    this.#data.forEach((data, i) => this.charts[i].setData(data, min, max));
    const points = this.countPoints(session);
    if (points !== this.points) {
      this.points = points;
      this.dataset.points = String(points);
    }
  }

  protected countPoints(session: RunSession): number {
    return session.history.length;
  }
}

/** The line-label font for a plot: its box's font size (which present mode scales), a little larger. */
function labelFont(u: uPlot): LabelFont {
  const box = u.root.parentElement ?? u.root;
  const px = Number.parseFloat(getComputedStyle(box).fontSize);
  return { size: (Number.isFinite(px) && px > 0 ? px : 12) * kLabelScale, family: kLabelFamily };
}

/** Legend and hover values: a few significant digits. */
export function valueFormatter(digits = 3) {
  return (_u: uPlot, value: number | null) => (value === null || value === undefined ? '–' : formatNumber(value, digits));
}

/** The x series (steps): a new object per plot, since uPlot keeps its own state on each series. */
export function stepSeries(): uPlot.Series {
  return { label: 'step', value: (_u, v) => (v === null ? '–' : String(v)) };
}

/** x axis: steps. */
export const kStepAxis: uPlot.Axis = { label: 'step', labelSize: 20, size: 36 };

export function probabilityAxis(label: string): uPlot.Axis {
  return { label, labelSize: 20, size: 40, values: (_u, splits) => splits.map((v) => (v === null ? '' : formatNumber(v, 2))) };
}

/** Shared plot options: no zooming (the x range follows the run), the legend as hover readout. */
export function basePlotOptions(): Pick<PlotOptions, 'cursor' | 'legend' | 'scales'> {
  return {
    cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 6 } },
    legend: { show: true, live: true },
    scales: { x: { time: false } },
  };
}

/**
 * Groups on a contextual bandit (contexts > 1): a softmax policy per context, whose arms are
 * turned from one context to the next, so a mean over agents of arm j's probability mixes
 * different arms' roles and is no one policy's.
 */
export function contextualGroups(session: RunSession): number[] {
  const groups = resolveGroups(session.config);
  const out: number[] = [];
  for (let g = 0; g < groups.length; g++) if (groups[g].policy === 'softmax' && groups[g].contexts > 1) out.push(g);
  return out;
}

/**
 * Groups of a gaussian policy: a continuous action x ~ N(mu, sigma^2), no arms, so their per-arm
 * and pi(best arm) statistics are 0 and mean nothing; their histogram bins mu - x* instead.
 */
export function gaussianGroups(session: RunSession): number[] {
  const groups = resolveGroups(session.config);
  const out: number[] = [];
  for (let g = 0; g < groups.length; g++) if (groups[g].policy === 'gaussian') out.push(g);
  return out;
}

/** The one-line note of a chart that leaves gaussian groups out (`what` they lack), or ''. */
export function gaussianNote(session: RunSession, left: readonly number[], what: string): string {
  if (left.length === 0) return '';
  const names = left.map((g) => session.shortLabels[g] || `group ${g}`);
  const which = session.groups === 1 ? 'This group is a gaussian policy (a continuous action, no arms)'
    : left.length === session.groups ? 'Every group is a gaussian policy (a continuous action, no arms)'
    : `Gaussian groups (${names.join(', ')}) have a continuous action and no arms`;
  return `${which}, so ${what}; their actions are in “Actions across agents”.`;
}

/** The one-line note of a chart that leaves contextual groups' per-arm numbers out, or ''. */
export function contextualNote(session: RunSession, left: readonly number[], what: string): string {
  if (left.length === 0) return '';
  const which = session.groups === 1 ? 'This group is' : left.length === session.groups ? 'Every group is' : `Contextual groups (${left.map((g) => session.shortLabels[g] || `group ${g}`).join(', ')}) are`;
  return `${which} on a contextual bandit: one policy per context, with the arms turned in each, so ${what}.`;
}
