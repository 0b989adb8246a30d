/**
 * The legend of the keyboard shortcuts (the `?` key): a small modal dialog listing the same
 * bindings the keyboard controller runs, so the list cannot drift from what the keys do.
 */
import { LitElement, css, html } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import type { KeyBinding } from './keyboard-controller.ts';

@customElement('pg-key-legend')
export class PgKeyLegend extends LitElement {
  static styles = css`
    dialog { border: 1px solid #c9d1db; border-radius: 10px; padding: 1rem 1.25rem; max-width: min(32rem, 92vw); font: inherit; color: #1a1a1a; box-shadow: 0 12px 40px rgba(0, 0, 0, 0.25); }
    dialog::backdrop { background: rgba(20, 30, 45, 0.35); }
    h2 { font-size: 1.1rem; margin: 0 0 0.6rem; }
    table { border-collapse: collapse; width: 100%; }
    th { text-align: left; padding: 0.25rem 1rem 0.25rem 0; white-space: nowrap; font-weight: 600; vertical-align: top; }
    kbd { font: 600 0.9em ui-monospace, monospace; background: #eef1f5; border: 1px solid #c9d1db; border-bottom-width: 2px; border-radius: 4px; padding: 0.05rem 0.4rem; }
    td { padding: 0.25rem 0; }
    .note { color: #555; font-size: 0.85rem; margin: 0.7rem 0 0.4rem; }
    button { font: inherit; padding: 0.25rem 0.8rem; border-radius: 6px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; }
  `;

  @property({ attribute: false }) bindings: readonly KeyBinding[] = [];
  /** An embed's keys work only while it has focus; the page's work anywhere on it. */
  @property({ type: Boolean }) embedded = false;
  @query('dialog') private dialog!: HTMLDialogElement;

  get open(): boolean {
    return this.dialog?.open ?? false;
  }

  toggle(): void {
    if (this.dialog.open) this.dialog.close();
    else this.dialog.showModal();
  }

  render() {
    return html`<dialog id="keys-dialog" aria-labelledby="keys-title">
      <h2 id="keys-title">Keyboard shortcuts</h2>
      <table>
        ${this.bindings.map((b) => html`<tr><th>${b.label.split(' / ').map((k, i) => html`${i > 0 ? ' / ' : ''}<kbd>${k}</kbd>`)}</th><td>${b.does}</td></tr>`)}
      </table>
      <p class="note">Keys do nothing while you type in a field${this.embedded ? ', and work only after a click on the playground (so the slides keep theirs)' : ''}; a slider keeps its arrows.</p>
      <form method="dialog"><button id="keys-close">Close</button></form>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-key-legend': PgKeyLegend;
  }
}
