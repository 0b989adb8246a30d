/**
 * The Embed button's dialog: the `<pg-playground>` snippet and the iframe snippet for the current
 * experiment, each in a text box (always visible, so copying by hand works where the clipboard
 * is refused) with a Copy button that tries navigator.clipboard and says what happened.
 */
import { LitElement, css, html } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';

@customElement('pg-embed-dialog')
export class PgEmbedDialog extends LitElement {
  static styles = css`
    dialog { border: 1px solid #c9d1db; border-radius: 10px; padding: 1rem 1.25rem; width: min(46rem, 94vw); font: inherit; color: #1a1a1a; box-shadow: 0 12px 40px rgba(0, 0, 0, 0.25); }
    dialog::backdrop { background: rgba(20, 30, 45, 0.35); }
    h2 { font-size: 1.1rem; margin: 0 0 0.4rem; }
    h3 { font-size: 0.95rem; margin: 0.8rem 0 0.25rem; }
    p { margin: 0.2rem 0; color: #444; font-size: 0.88rem; }
    textarea { width: 100%; box-sizing: border-box; font: 0.82rem/1.4 ui-monospace, monospace; resize: vertical; padding: 0.4rem; border: 1px solid #c9d1db; border-radius: 6px; background: #f8f9fb; }
    .row { display: flex; align-items: center; gap: 0.6rem; margin-top: 0.3rem; }
    .said { font-size: 0.85rem; color: #1d4f91; }
    .said.failed { color: #8a0018; }
    button { font: inherit; font-size: 0.9rem; padding: 0.25rem 0.8rem; border-radius: 6px; border: 1px solid #b9c3d0; background: #fff; cursor: pointer; }
  `;

  @state() private elementSnippet = '';
  @state() private iframeSnippet = '';
  @state() private said: { which: string; ok: boolean } | null = null;
  @query('dialog') private dialog!: HTMLDialogElement;

  /** Opens with the snippets for the experiment now. */
  show(snippets: { element: string; iframe: string }): void {
    this.elementSnippet = snippets.element;
    this.iframeSnippet = snippets.iframe;
    this.said = null;
    this.dialog.showModal();
  }

  async #copy(which: 'element' | 'iframe'): Promise<void> {
    const box = this.renderRoot.querySelector<HTMLTextAreaElement>(`#embed-${which}`);
    if (!box) return;
    try {
      await navigator.clipboard.writeText(box.value);
      this.said = { which, ok: true };
    } catch {
      // No clipboard (an insecure page, a refused permission): select the text for Ctrl+C.
      box.focus();
      box.select();
      this.said = { which, ok: false };
    }
  }

  #said(which: string) {
    const said = this.said;
    if (!said || said.which !== which) return '';
    return html`<span class=${said.ok ? 'said' : 'said failed'} role="status">${said.ok ? 'Copied.' : 'Could not copy here: the text is selected, press Ctrl+C (⌘C).'}</span>`;
  }

  render() {
    return html`<dialog id="embed-dialog" aria-labelledby="embed-title">
      <h2 id="embed-title">Embed this experiment</h2>
      <p>Both show this run in present mode and start playing; they pause while their slide or tab is hidden.</p>
      <h3>As an element (your page or slides load one script)</h3>
      <textarea id="embed-element" rows="4" readonly .value=${this.elementSnippet}></textarea>
      <div class="row"><button id="copy-element" @click=${() => this.#copy('element')}>Copy</button>${this.#said('element')}</div>
      <h3>As an iframe</h3>
      <textarea id="embed-iframe" rows="3" readonly .value=${this.iframeSnippet}></textarea>
      <div class="row"><button id="copy-iframe" @click=${() => this.#copy('iframe')}>Copy</button>${this.#said('iframe')}</div>
      <form method="dialog" class="row"><button id="embed-close">Close</button></form>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'pg-embed-dialog': PgEmbedDialog;
  }
}
