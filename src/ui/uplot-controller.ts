/**
 * uPlot in a Lit reactive controller: the plot is created once per set of options, sized from a
 * ResizeObserver, fed with `setData(columns, false)` (the x range set explicitly), and destroyed
 * when the host leaves the page.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import uPlot from 'uplot';

export type PlotOptions = Omit<uPlot.Options, 'width' | 'height'>;

export class UPlotController implements ReactiveController {
  plot: uPlot | null = null;
  readonly #container: () => HTMLElement | null;
  #height: number;
  #observer: ResizeObserver | null = null;
  #observed: HTMLElement | null = null;
  /** Reused for every setScale (uPlot keeps the object until it draws). */
  readonly #xRange = { min: 0, max: 1 };

  constructor(host: ReactiveControllerHost, container: () => HTMLElement | null, height: number) {
    this.#container = container;
    this.#height = height;
    host.addController(this);
  }

  hostConnected(): void {
    this.#observer = new ResizeObserver((entries) => {
      const width = Math.floor(entries[entries.length - 1].contentRect.width);
      if (this.plot && width > 0 && width !== this.plot.width) this.plot.setSize({ width, height: this.#height });
    });
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

  /** (Re)creates the plot; call only when the options change (arms, groups, a new run). */
  create(options: PlotOptions, data: uPlot.AlignedData, height = this.#height): uPlot | null {
    this.destroy();
    const container = this.#container();
    if (!container) return null;
    this.#height = height;
    const width = Math.max(240, Math.floor(container.getBoundingClientRect().width));
    this.plot = new uPlot({ ...options, width, height }, data, container);
    return this.plot;
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
    this.plot?.destroy();
    this.plot = null;
  }
}
