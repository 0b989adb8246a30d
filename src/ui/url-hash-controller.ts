/**
 * The experiment in the URL hash, so a link reproduces a run: `preset=NAME` and the keys that
 * differ from it (src/core/link.ts), or the keys that differ from the defaults. An empty hash
 * opens the landing preset. Read when the page knows its backend (the population default of a
 * link without a preset depends on it) and on every `hashchange`, written back (normalised)
 * whenever the page's config changes after that first read. `?paused` in the query opens the
 * page without starting the run.
 *
 * Page options (`?present`, `?view=...`, `?paused`) live in the query string, not the hash: they
 * say how to show a run, not which run, so a link's hash stays exactly the experiment.
 *
 * Embedded (`<pg-playground>`), the link comes from the element's attributes (the `link` option)
 * and the controller never touches `location`: the slide deck around it owns the hash.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ExperimentConfig } from '../core/config.ts';
import type { ParamChange } from '../core/groups.ts';
import { type DecodedLink, decodeLink, encodeLink } from '../core/link.ts';
import { kLandingPreset } from '../core/presets.ts';
import { formatFieldError } from '../core/schema.ts';

export interface UrlHashOptions {
  /** The config the link writes: the one the run started from (its live changes follow it). */
  config(): ExperimentConfig;
  /** The run's live changes, with their steps (`change=` entries), so the link replays the run. */
  changes?(): readonly ParamChange[];
  /** The preset the page's config builds on, or null. */
  preset(): string | null;
  /** The link was edited to another config. */
  changed(link: DecodedLink): void;
  /** The link's query, when it comes from somewhere other than the page's hash (an embed's attributes). */
  link?(): string;
}

export class UrlHashController implements ReactiveController {
  /** One line: what the link got wrong (defaults used instead); '' when nothing. */
  problems = '';
  readonly #host: ReactiveControllerHost;
  readonly #options: UrlHashOptions;
  /** The config the hash shows; null until the hash is first read. */
  #written: ExperimentConfig | null = null;
  /** The link last written (config, preset and changes). */
  #writtenLink = '';

  constructor(host: ReactiveControllerHost, options: UrlHashOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  /** The hash is the page's own (false when embedded). */
  get ownsLocation(): boolean {
    return !this.#options.link;
  }

  /** `?paused`: open without starting. */
  get paused(): boolean {
    return this.option('paused') !== null;
  }

  /** A page option from the query string ('' for a bare `?present`), or null: absent, or embedded. */
  option(name: string): string | null {
    return this.ownsLocation ? new URLSearchParams(location.search).get(name) : null;
  }

  /** Sets (null: removes) a page option in the query string, keeping the hash; nothing when embedded. */
  setOption(name: string, value: string | null): void {
    if (!this.ownsLocation) return;
    const search = new URLSearchParams(location.search);
    if (value === null) search.delete(name);
    else search.set(name, value);
    // A bare flag reads better as `?present` than `?present=`.
    const query = search.toString().replace(/=(?=&|$)/g, '');
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  }

  hostConnected(): void {
    if (this.ownsLocation) addEventListener('hashchange', this.#onHashChange);
  }

  hostDisconnected(): void {
    removeEventListener('hashchange', this.#onHashChange);
  }

  /** The link's source changed (an embed's attributes): apply it as an edited hash would be. */
  sourceChanged(): void {
    if (this.#written === null) return; // not read yet: the first read will see it
    const link = this.#options.link?.() ?? location.hash;
    if (link.replace(/^[#?]/, '') === this.#link()) return;
    this.#options.changed(this.read());
  }

  /** The link for the run now. */
  #link(): string {
    return encodeLink(this.#options.config(), this.#options.preset(), this.#options.changes?.() ?? []);
  }

  hostUpdated(): void {
    // Compared as text: a live change adds to the link without a new config object.
    if (this.#written !== null && this.#link() !== this.#writtenLink) this.#write(this.#options.config(), this.#options.preset(), this.#options.changes?.() ?? []);
  }

  /**
   * The experiment in the link. `agents`, when given, is the backend's population: a link that
   * sets none runs that many, or its preset's own number where that is smaller (the CPU fallback
   * takes fewer agents than a preset is made for on a GPU).
   */
  read(agents?: number): DecodedLink {
    const link = this.#options.link?.() ?? location.hash;
    const decoded = decodeLink(link, kLandingPreset);
    const query = new URLSearchParams(link.replace(/^[#?]/, ''));
    const setsAgents = query.has('agents') || query.getAll('group').some((g) => new URLSearchParams(g).has('agents'));
    if (agents !== undefined && !setsAgents) {
      const params = decoded.config.params;
      params.agents = decoded.preset === null ? agents : Math.min(params.agents, agents);
    }
    this.problems = decoded.errors.length > 0
      ? `This link had problems, defaults used instead: ${decoded.errors.map(formatFieldError).join('; ')}`
      : '';
    this.#write(decoded.config, decoded.preset, decoded.changes);
    this.#host.requestUpdate();
    return decoded;
  }

  #write(config: ExperimentConfig, preset: string | null, changes: readonly ParamChange[]): void {
    this.#written = config;
    const query = encodeLink(config, preset, changes);
    this.#writtenLink = query;
    if (!this.ownsLocation) return;
    const url = `${location.pathname}${location.search}${query ? `#${query}` : ''}`;
    if (`${location.pathname}${location.search}${location.hash}` !== url) history.replaceState(null, '', url);
  }

  readonly #onHashChange = (): void => {
    if (location.hash.replace(/^#/, '') === this.#link()) return;
    this.#options.changed(this.read());
  };
}
