/**
 * `<pg-playground>`: the playground as an element for slides and other pages. It is the page's
 * app (pg-app.ts) with three differences: the experiment comes from its attributes (the URL
 * hash's keys: `preset`, `lr`, `arms`, ...; see embed-snippet.ts) and it never reads or writes
 * `location` (a slide deck owns the hash); its keys work only while focus is inside it, and no
 * key event leaves it (tabindex=0, so a click anywhere in it gives it focus); it plays only with
 * `autoplay`. `present` and `view` are attributes here as they are query options on the page.
 *
 *     <script type="module" src="pg-playground.js"></script>
 *     <pg-playground preset="mistake-no-baseline" view="variance" present autoplay></pg-playground>
 *
 * Test hook: `element.hook`, the page's `window.__pgp` for this element.
 */
import { css } from 'lit';
import { customElement } from 'lit/decorators.js';
import { attributesToLink } from './embed-snippet.ts';
import { PgApp } from './pg-app.ts';

@customElement('pg-playground')
export class PgPlayground extends PgApp {
  static styles = [
    PgApp.styles,
    css`
      /* A box on someone else's page: no viewport-sized minimum; presenting, 16:9 of its width
         unless the page gives it a height. */
      :host { min-height: 0; }
      :host([present]) { height: auto; aspect-ratio: 16 / 9; }
      :host(:focus) { outline: none; }
      :host(:focus-visible) { outline: 3px solid #2f6fb3; outline-offset: 2px; }
    `,
  ];

  /** Where pg-playground.js was loaded from (the library's entry sets it), for the Embed snippets. */
  static scriptUrl = '';

  /**
   * Attribute edits (a deck's script changing `lr`) apply like an edited link; others (`present`
   * toggled by its key, `tabindex`, a deck's classes) leave the run alone.
   */
  readonly #attributes = new MutationObserver(() => {
    const link = this.linkFromAttributes();
    if (link === this.#seenLink) return;
    this.#seenLink = link;
    this.linkChanged();
  });
  #seenLink = '';

  protected get embedded(): boolean {
    return true;
  }

  protected linkFromAttributes(): string {
    return attributesToLink(this.attributes);
  }

  protected scriptUrl(): string {
    return PgPlayground.scriptUrl || super.scriptUrl();
  }

  connectedCallback(): void {
    super.connectedCallback();
    if (!this.hasAttribute('tabindex')) this.tabIndex = 0;
    // reveal.js leaves touch swipes inside such an element alone (dragging a slider is not a slide change).
    this.setAttribute('data-prevent-swipe', '');
    this.#seenLink = this.linkFromAttributes();
    this.#attributes.observe(this, { attributes: true });
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#attributes.disconnect();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-playground': PgPlayground;
  }
}
