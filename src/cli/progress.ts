/**
 * Progress on stderr. On a terminal, a bar appears once a run has taken more than `delayMs`,
 * is redrawn at most every `intervalMs`, and is replaced by the summary line at the end. Off a
 * terminal (logs, pipes), or when the data goes to the same terminal, there is no bar, only the
 * summary. `--quiet` turns both off; warnings are always written.
 */

export interface ErrorStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  /** Draw nothing but warnings (`--quiet`). */
  quiet: boolean;
  /** No bar even on a terminal (the data itself goes to the same terminal). */
  noBar?: boolean;
  now?: () => number;
  delayMs?: number;
  intervalMs?: number;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

export class Progress {
  readonly #stream: ErrorStream;
  readonly #total: number;
  readonly #bar: boolean;
  readonly #quiet: boolean;
  readonly #now: () => number;
  readonly #delayMs: number;
  readonly #intervalMs: number;
  readonly #start: number;
  #lastDraw = -Infinity;
  #drawn = false;

  constructor(stream: ErrorStream, totalSteps: number, options: ProgressOptions) {
    this.#stream = stream;
    this.#total = totalSteps;
    this.#quiet = options.quiet;
    this.#bar = !options.quiet && !options.noBar && stream.isTTY === true;
    this.#now = options.now ?? (() => performance.now());
    this.#delayMs = options.delayMs ?? 1000;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#start = this.#now();
  }

  /** Milliseconds since the run started. */
  get elapsedMs(): number {
    return this.#now() - this.#start;
  }

  update(stepsDone: number): void {
    if (!this.#bar) return;
    const now = this.#now();
    const elapsed = now - this.#start;
    if (elapsed < this.#delayMs || now - this.#lastDraw < this.#intervalMs) return;
    this.#lastDraw = now;
    const fraction = this.#total > 0 ? Math.min(1, stepsDone / this.#total) : 1;
    const width = Math.max(10, Math.min(30, (this.#stream.columns ?? 80) - 50));
    const filled = Math.round(fraction * width);
    const left = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : Number.NaN;
    const eta = Number.isFinite(left) ? `, ~${seconds(left)} left` : '';
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    this.#stream.write(
      `\r\x1b[Ksim [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ${stepsDone}/${this.#total} steps, ${seconds(elapsed)}${eta}`,
    );
    this.#drawn = true;
  }

  #clear(): void {
    if (this.#drawn) this.#stream.write('\r\x1b[K');
    this.#drawn = false;
  }

  /** A line that must be seen even with --quiet (a warning); the bar is redrawn on the next update. */
  warn(line: string): void {
    this.#clear();
    this.#stream.write(`${line}\n`);
    this.#lastDraw = -Infinity;
  }

  /** An informational line, dropped with --quiet. */
  info(line: string): void {
    if (this.#quiet) return;
    this.warn(line);
  }

  /** Clears the bar and writes the summary (unless quiet). */
  finish(summary: string): void {
    this.#clear();
    if (!this.#quiet) this.#stream.write(`${summary}\n`);
  }
}
