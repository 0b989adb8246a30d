/**
 * What every chart shares: a card with a title, the uPlot canvas, a one-line caption saying what
 * to look for, and the run session from context. Subclasses say how to build the plot for a
 * session (once) and what to hand it per frame (the same columns, grown in place).
 *
 * For tests and curious users, the host element carries `data-points` (rows handed to uPlot in
 * the last update) and the `points` property.
 */
import { consume } from '@lit/context';
import { LitElement, type PropertyValues, css, html, unsafeCSS } from 'lit';
import { property, state } from 'lit/decorators.js';
import type uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { formatNumber } from '../format.ts';
import { type RunSession, runSessionContext } from '../run-controller.ts';
import { type PlotOptions, UPlotController } from '../uplot-controller.ts';

export interface PlotSpec {
  options: PlotOptions;
  data: uPlot.AlignedData;
}

export abstract class PgChart extends LitElement {
  static styles = [
    unsafeCSS(uplotCss),
    css`
      :host { display: block; min-width: 0; }
      figure { margin: 0; }
      .title { font-weight: 600; font-size: 0.95rem; margin: 0 0 0.25rem; }
      .plot { width: 100%; min-height: 80px; }
      .caption { margin: 0.25rem 0 0; color: #555; font-size: 0.82rem; line-height: 1.35; }
      .uplot { font-family: inherit; }
      .u-legend { font-size: 0.74rem; text-align: left; line-height: 1.3; }
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

  /** Rows in the last update handed to the plot. */
  points = 0;

  protected readonly chart = new UPlotController(this, () => this.renderRoot.querySelector<HTMLElement>('.plot'), 220);
  #unsubscribe: (() => void) | null = null;
  #built: RunSession | null = null;
  #data: uPlot.AlignedData | null = null;

  protected abstract get heading(): string;
  protected abstract get caption(): string;
  /** The plot for a session; its columns are reused for every frame of the session. */
  protected abstract build(session: RunSession): PlotSpec;
  /** Called per frame before the data goes to the plot (charts that derive columns fill them here). */
  protected prepare(_session: RunSession): void {}
  /** The x range to show. */
  protected xRange(session: RunSession): [number, number] {
    const steps = session.history.steps;
    const last = steps.length > 0 ? steps[steps.length - 1] : 0;
    return [0, Math.max(session.budget, last, 1)];
  }

  render() {
    return html`<figure>
      <figcaption class="title">${this.heading}</figcaption>
      <div class="plot" part="plot"></div>
      <p class="caption">${this.caption}</p>
    </figure>`;
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#built = null;
  }

  protected updated(changed: PropertyValues): void {
    super.updated(changed);
    if (this.session !== this.#built || changed.has('plotHeight') || this.rebuildOn(changed) || !this.chart.plot) this.#rebuild();
  }

  /** Other properties whose change needs a new plot. */
  protected rebuildOn(_changed: PropertyValues): boolean {
    return false;
  }

  #rebuild(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.chart.destroy();
    this.#built = this.session;
    this.#data = null;
    const session = this.session;
    if (!session) return;
    const spec = this.build(session);
    this.#data = spec.data;
    this.chart.create(spec.options, spec.data, this.plotHeight);
    this.#unsubscribe = session.subscribe(() => this.refresh());
    this.refresh();
  }

  /** Hands the (grown) columns to the plot. */
  refresh(): void {
    const session = this.session;
    if (!session || !this.#data) return;
    this.prepare(session);
    const [min, max] = this.xRange(session);
    this.chart.setData(this.#data, min, max);
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

export function groupSuffix(session: RunSession, group: number): string {
  return session.groups > 1 ? ` · ${session.labels[group]}` : '';
}
