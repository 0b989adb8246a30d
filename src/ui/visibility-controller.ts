/**
 * Pauses the run while nobody can see it and resumes it when they can again, if it was playing:
 * a hidden tab or window (`visibilitychange`), and, in an iframe on a slide, the slide going away.
 * reveal.js posts the string 'slide:stop' to every iframe of a slide it leaves and 'slide:start'
 * to those of the slide it shows; other decks that follow its convention work too. A deck's
 * slides would otherwise keep a GPU busy on every slide they have ever shown.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface VisibilityOptions {
  playing(): boolean;
  pause(): void;
  resume(): void;
}

export class VisibilityController implements ReactiveController {
  readonly #options: VisibilityOptions;
  /** The run was playing when it was hidden: showing it again plays it. */
  #pausedWhileHidden = false;

  constructor(host: ReactiveControllerHost, options: VisibilityOptions) {
    this.#options = options;
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('visibilitychange', this.#onVisibility);
    addEventListener('message', this.#onMessage);
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this.#onVisibility);
    removeEventListener('message', this.#onMessage);
  }

  #hide(): void {
    if (!this.#options.playing()) return;
    this.#pausedWhileHidden = true;
    this.#options.pause();
  }

  #show(): void {
    if (!this.#pausedWhileHidden) return;
    this.#pausedWhileHidden = false;
    this.#options.resume();
  }

  readonly #onVisibility = (): void => {
    if (document.visibilityState === 'hidden') this.#hide();
    else this.#show();
  };

  /** Only the frame that holds this page speaks for its slide. */
  readonly #onMessage = (event: MessageEvent): void => {
    if (window.parent === window || event.source !== window.parent) return;
    if (event.data === 'slide:stop') this.#hide();
    else if (event.data === 'slide:start') this.#show();
  };
}
