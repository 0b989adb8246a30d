/**
 * The experiment in the URL hash, so a link reproduces a run: read when the page knows its
 * backend (the population default depends on it) and on every `hashchange`, written back
 * (normalised) whenever the page's config changes after that first read. `?paused` in the
 * query opens the page without starting the run.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { type ExperimentConfig, decodeConfigQuery, encodeConfigQuery } from '../core/config.ts';
import { formatFieldError } from '../core/schema.ts';

export interface UrlHashOptions {
  /** The page's config now. */
  config(): ExperimentConfig;
  /** The link was edited to another config. */
  changed(config: ExperimentConfig): void;
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
    if (this.#written !== null && config !== this.#written) this.#write(config);
  }

  /** The config in the link; `agents`, when given, is the population unless the link sets one. */
  read(agents?: number): ExperimentConfig {
    const decoded = decodeConfigQuery(location.hash);
    const query = new URLSearchParams(location.hash.replace(/^#/, ''));
    const setsAgents = query.has('agents') || query.getAll('group').some((g) => new URLSearchParams(g).has('agents'));
    if (agents !== undefined && !setsAgents) decoded.config.params.agents = agents;
    this.problems = decoded.errors.length > 0
      ? `This link had problems, defaults used instead: ${decoded.errors.map(formatFieldError).join('; ')}`
      : '';
    this.#write(decoded.config);
    this.#host.requestUpdate();
    return decoded.config;
  }

  #write(config: ExperimentConfig): void {
    this.#written = config;
    const query = encodeConfigQuery(config);
    const url = `${location.pathname}${location.search}${query ? `#${query}` : ''}`;
    if (`${location.pathname}${location.search}${location.hash}` !== url) history.replaceState(null, '', url);
  }

  readonly #onHashChange = (): void => {
    if (location.hash.replace(/^#/, '') === encodeConfigQuery(this.#options.config())) return;
    this.#options.changed(this.read());
  };
}
