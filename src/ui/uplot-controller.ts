/**
 * uPlot in a Lit reactive controller: the plot is created once per set of options, sized from a
 * ResizeObserver, fed with `setData(columns, false)` (the x range set explicitly), and destroyed
 * when the host leaves the page.
 *
 * Sizes are layout pixels (clientWidth, the observer's content box), never
 * getBoundingClientRect: inside a CSS-scaled box (a slide deck scales its slides with a
 * transform) the bounding rectangle is the scaled size, and a plot made that size would not fill
 * its box. uPlot multiplies the layout size by devicePixelRatio for the canvas itself.
 *
 * Fill mode (present mode) takes the container's height as well: the plot gets what the legend
 * leaves. The axis font follows the container's computed `font-size` (charts set it from
 * `--pg-chart-font`), so CSS can scale tick and axis-label text, which uPlot draws on the canvas;
 * when it changes (the viewport did), the plot is made again with the new font.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import uPlot from 'uplot';

export type PlotOptions = Omit<uPlot.Options, 'width' | 'height'>;

/** uPlot's own axis font size: the size the charts' axis spacings are made for. */
export const kBaseAxisFontPx = 12;
const kFontFamily = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
/** The smallest plot area height fill mode leaves (below it the legend overflows instead). */
const kMinFillHeight = 80;

export class UPlotController implements ReactiveController {
  plot: uPlot | null = null;
  readonly #container: () => HTMLElement | null;
  #height: number;
  #fill = false;
  #observer: ResizeObserver | null = null;
  #observed: HTMLElement | null = null;
  /** Reused for every setScale (uPlot keeps the object until it draws). */
  readonly #xRange = { min: 0, max: 1 };
  /** What the plot was made from, to make it again when the font changes. */
  #options: PlotOptions | null = null;
  #data: uPlot.AlignedData | null = null;
  #fontPx = kBaseAxisFontPx;

  constructor(host: ReactiveControllerHost, container: () => HTMLElement | null, height: number) {
    this.#container = container;
    this.#height = height;
    host.addController(this);
  }

  hostConnected(): void {
    // It watches the container and, in fill mode, the legend too: a legend settles its height
    // only after the plot's first draw, and the plot gets what the legend leaves.
    this.#observer = new ResizeObserver(() => this.#resized());
  }

  #resized(): void {
    const plot = this.plot;
    const container = this.#observed;
    if (!plot || !container || container.clientWidth <= 0) return;
    if (Math.abs(fontPx(container) - this.#fontPx) >= 0.5) {
      this.#make(container);
      return;
    }
    const width = container.clientWidth;
    const height = this.#fill ? this.#fillHeight(plot, container.clientHeight) : this.#height;
    if (width !== plot.width || height !== plot.height) plot.setSize({ width, height });
  }

  hostUpdated(): void {
    const container = this.#container();
    if (container && container !== this.#observed) {
      if (this.#observed) this.#observer?.unobserve(this.#observed);
      this.#observer?.observe(container);
      this.#observed = container;
    }
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    this.#observer = null;
    this.#observed = null;
    this.destroy();
  }

  /**
   * (Re)creates the plot; call only when the options change (arms, groups, a new run). `fill`:
   * the plot takes the container's height (which CSS must then set), not `height`.
   */
  create(options: PlotOptions, data: uPlot.AlignedData, height = this.#height, fill = false): uPlot | null {
    this.destroy();
    this.#options = options;
    this.#data = data;
    this.#height = height;
    this.#fill = fill;
    const container = this.#container();
    return container ? this.#make(container) : null;
  }

  #make(container: HTMLElement): uPlot | null {
    const options = this.#options;
    const data = this.#data;
    if (!options || !data) return null;
    this.destroy();
    this.#fontPx = fontPx(container);
    const width = Math.max(240, container.clientWidth);
    const height = this.#fill ? Math.max(kMinFillHeight, container.clientHeight) : this.#height;
    const plot = new uPlot({ ...withAxisFont(options, this.#fontPx), width, height }, data, container);
    this.plot = plot;
    if (this.#fill) {
      const legend = plot.root.querySelector('.u-legend');
      if (legend) this.#observer?.observe(legend);
    }
    plot.setScale('x', this.#xRange);
    return plot;
  }

  /** The plot area's height that, with the legend under it, fills `available` pixels. */
  #fillHeight(plot: uPlot, available: number): number {
    const legend = plot.root.querySelector<HTMLElement>('.u-legend')?.offsetHeight ?? 0;
    return Math.max(kMinFillHeight, Math.floor(available - legend - 2));
  }

  /** New rows: same columns (grown in place), x range from `min` to `max`. */
  setData(data: uPlot.AlignedData, min: number, max: number): void {
    const plot = this.plot;
    if (!plot) return;
    plot.setData(data, false);
    this.#xRange.min = min;
    this.#xRange.max = max;
    plot.setScale('x', this.#xRange);
  }

  destroy(): void {
    const legend = this.plot?.root.querySelector('.u-legend');
    if (legend) this.#observer?.unobserve(legend);
    this.plot?.destroy();
    this.plot = null;
  }
}

/** The container's computed font size in px (uPlot's default where nothing sets one). */
function fontPx(container: HTMLElement): number {
  const px = Number.parseFloat(getComputedStyle(container).fontSize);
  return Number.isFinite(px) && px > 0 ? px : kBaseAxisFontPx;
}

/**
 * The options with tick and axis-label text at `px` (uPlot draws them on the canvas, where CSS
 * cannot reach), and the room around them grown to match: tick length, gaps, the label's band,
 * the axes' widths, the least spacing between ticks. At uPlot's own 12 px the options
 * come back unchanged.
 */
export function withAxisFont(options: PlotOptions, px: number): PlotOptions {
  if (!options.axes || Math.abs(px - kBaseAxisFontPx) < 0.5) return options;
  const k = px / kBaseAxisFontPx;
  const size = Math.round(px);
  const axes = options.axes.map((axis, i): uPlot.Axis => {
    const vertical = axis.side === 1 || axis.side === 3 || (axis.side === undefined && i > 0);
    return {
      ...axis,
      font: `${size}px ${kFontFamily}`,
      labelFont: `600 ${size}px ${kFontFamily}`,
      labelSize: Math.ceil((axis.labelSize ?? 30) * k),
      gap: Math.round((axis.gap ?? 5) * k),
      // uPlot's least room between ticks (30 px up the side, 50 along the bottom), grown with the text.
      space: typeof axis.space === 'function' ? axis.space : Math.round((axis.space ?? (vertical ? 30 : 50)) * k),
      ticks: { ...axis.ticks, size: Math.round((axis.ticks?.size ?? 10) * k) },
      // Scaled, not measured: plots stacked in one chart keep their y axes the same width, so
      // their x axes line up.
      size: typeof axis.size === 'function' ? axis.size : Math.ceil((axis.size ?? 50) * k),
    };
  });
  return { ...options, axes };
}
