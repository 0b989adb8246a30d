/**
 * The experiment in the URL hash, so a link reproduces a run: `preset=NAME` and the keys that
 * differ from it (src/core/link.ts), or the keys that differ from the defaults. An empty hash
 * opens the landing preset. Read when the page knows its backend (the population default of a
 * link without a preset depends on it) and on every `hashchange`, written back (normalised)
 * whenever the page's config changes after that first read. `?paused` in the query opens the
 * page without starting the run.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ExperimentConfig } from '../core/config.ts';
import { type DecodedLink, decodeLink, encodeLink } from '../core/link.ts';
import { kLandingPreset } from '../core/presets.ts';
import { formatFieldError } from '../core/schema.ts';

export interface UrlHashOptions {
  /** The page's config now. */
  config(): ExperimentConfig;
  /** The preset the page's config builds on, or null. */
  preset(): string | null;
  /** The link was edited to another config. */
  changed(link: DecodedLink): void;
}

export class UrlHashController implements ReactiveController {
  /** One line: what the link got wrong (defaults used instead); '' when nothing. */
  problems = '';
  readonly #host: ReactiveControllerHost;
  readonly #options: UrlHashOptions;
  /** The config the hash shows; null until the hash is first read. */
  #written: ExperimentConfig | null = null;

  constructor(host: ReactiveControllerHost, options: UrlHashOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  /** `?paused`: open without starting. */
  get paused(): boolean {
    return new URLSearchParams(location.search).has('paused');
  }

  hostConnected(): void {
    addEventListener('hashchange', this.#onHashChange);
  }

  hostDisconnected(): void {
    removeEventListener('hashchange', this.#onHashChange);
  }

  hostUpdated(): void {
    const config = this.#options.config();
    if (this.#written !== null && config !== this.#written) this.#write(config, this.#options.preset());
  }

  /**
   * The experiment in the link. `agents`, when given, is the backend's population: a link that
   * sets none runs that many, or its preset's own number where that is smaller (the CPU fallback
   * takes fewer agents than a preset is made for on a GPU).
   */
  read(agents?: number): DecodedLink {
    const decoded = decodeLink(location.hash, kLandingPreset);
    const query = new URLSearchParams(location.hash.replace(/^#/, ''));
    const setsAgents = query.has('agents') || query.getAll('group').some((g) => new URLSearchParams(g).has('agents'));
    if (agents !== undefined && !setsAgents) {
      const params = decoded.config.params;
      params.agents = decoded.preset === null ? agents : Math.min(params.agents, agents);
    }
    this.problems = decoded.errors.length > 0
      ? `This link had problems, defaults used instead: ${decoded.errors.map(formatFieldError).join('; ')}`
      : '';
    this.#write(decoded.config, decoded.preset);
    this.#host.requestUpdate();
    return decoded;
  }

  #write(config: ExperimentConfig, preset: string | null): void {
    this.#written = config;
    const query = encodeLink(config, preset);
    const url = `${location.pathname}${location.search}${query ? `#${query}` : ''}`;
    if (`${location.pathname}${location.search}${location.hash}` !== url) history.replaceState(null, '', url);
  }

  readonly #onHashChange = (): void => {
    if (location.hash.replace(/^#/, '') === encodeLink(this.#options.config(), this.#options.preset())) return;
    this.#options.changed(this.read());
  };
}
