/**
 * The playground's keyboard shortcuts, as a Lit reactive controller on the app. The page owns the
 * keyboard (it listens on the window, so Space plays wherever focus is); an embed owns it only
 * while focus is inside it (it listens on its own element) and keeps every key event from
 * reaching the document, where a slide deck listens for its own keys.
 *
 * Keys never fire while the user types: in a text or number field, a textarea, a select or
 * anything contenteditable. A range slider keeps its own keys (arrows, Home/End, Page Up/Down)
 * and a checkbox its Space; other shortcuts still work there, since nothing is typed into them
 * and a presenter who has just dragged a slider expects Space to play. On a focused button Space
 * is the shortcut, not the button: otherwise Space after clicking Reset would reset again.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface KeyBinding {
  /** `KeyboardEvent.key` values; letters match in either case. */
  readonly keys: readonly string[];
  /** How the legend writes the key(s). */
  readonly label: string;
  /** What it does, for the legend. */
  readonly does: string;
  /** Held down, it repeats (one step, speed); otherwise only the first press counts. */
  readonly repeats?: boolean;
  run(): void;
}

export interface KeyboardOptions {
  /** 'window': the page's keys; 'host': only while focus is inside the host element. */
  scope(): 'window' | 'host';
  bindings(): readonly KeyBinding[];
}

/** Keys a focused range slider uses itself. */
const kSliderKeys = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown']);
/** Input types that hold no typed text. */
const kUntypedInputs = new Set(['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image']);

/** Whether the focused element `target` takes `key` itself (typing, a slider's arrows, a checkbox's Space). */
export function keyBelongsTo(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    const type = target.type;
    if (!kUntypedInputs.has(type)) return true;
    if (type === 'range') return kSliderKeys.has(key);
    if (type === 'checkbox' || type === 'radio') return key === ' ';
  }
  return false;
}

export class KeyboardController implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  readonly #options: KeyboardOptions;
  #target: EventTarget | null = null;
  /** A Space the controller took on keydown: its keyup must not click the focused button. */
  #swallowSpaceUp = false;

  constructor(host: ReactiveControllerHost & HTMLElement, options: KeyboardOptions) {
    this.#host = host;
    this.#options = options;
    host.addController(this);
  }

  hostConnected(): void {
    const embedded = this.#options.scope() === 'host';
    this.#target = embedded ? this.#host : window;
    this.#target.addEventListener('keydown', this.#onKeyDown as EventListener);
    this.#target.addEventListener('keyup', this.#onKeyUp as EventListener);
    if (embedded) for (const type of kKeyEvents) this.#host.addEventListener(type, stopAtHost);
  }

  hostDisconnected(): void {
    this.#target?.removeEventListener('keydown', this.#onKeyDown as EventListener);
    this.#target?.removeEventListener('keyup', this.#onKeyUp as EventListener);
    for (const type of kKeyEvents) this.#host.removeEventListener(type, stopAtHost);
    this.#target = null;
  }

  readonly #onKeyDown = (event: KeyboardEvent): void => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    // Inside shadow roots the event is retargeted; the first entry of its path is what has focus.
    const focused = event.composedPath()[0] ?? null;
    if (keyBelongsTo(focused, event.key)) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const binding = this.#options.bindings().find((b) => b.keys.some((k) => (k.length === 1 ? k.toLowerCase() : k) === key));
    if (!binding) return;
    event.preventDefault();
    if (event.key === ' ') this.#swallowSpaceUp = true;
    if (event.repeat && !binding.repeats) return;
    binding.run();
  };

  readonly #onKeyUp = (event: KeyboardEvent): void => {
    if (event.key !== ' ' || !this.#swallowSpaceUp) return;
    this.#swallowSpaceUp = false;
    event.preventDefault();
  };
}

const kKeyEvents = ['keydown', 'keyup', 'keypress'] as const;

/**
 * An embed's key events stop at its element (after its own shortcut listener, which is on the
 * same element): a slide deck listening on the document must not turn the arrows that move a
 * slider, or Space that plays, into a slide change.
 */
function stopAtHost(event: Event): void {
  event.stopPropagation();
}
