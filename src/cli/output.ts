/**
 * `sim`'s output formats. Both are a StatsSink that the run loop hands to the engine, plus
 * `take()` (text ready to write now) and `finish()` (the rest).
 *
 * CSV streams: one row per (group, row of statistics), written after every slice of steps, in
 * step order (groups interleaved), so a run of any length needs memory for one slice only.
 * Columns: `group` (0-based), the group parameters that differ between groups
 * (`distinguishingKeys`; `means` joined by `;`), `step` (the row's last step, 1-based), then
 * every statistic by its name in the engine's layout. No comment lines, no index column.
 *
 * JSON holds the whole run and is written at the end:
 *   { "config": configToObject(config), "engine": "cpu", "engineDescription": "...",
 *     "columns": ["step", <statistics>...],
 *     "groups": [{ "index": 0, "params": {<distinguishing keys>}, "divergedAt": 0,
 *                  "rows": [[step, <statistics>...], ...] }, ...] }
 *
 * Numbers: 9 significant digits (`Number(v.toPrecision(9))`, then the shortest form), enough to
 * give every f32 back exactly and well below the statistical noise of any average. CSV writes
 * NaN as `NaN` and infinities as `inf`/`-inf` (what pandas reads); JSON writes them as null.
 */
import { type ExperimentConfig, configToObject, distinguishingKeys, resolveGroups } from '../core/config.ts';
import type { ParamKey, Params } from '../core/schema.ts';
import type { StatsSink } from '../core/stats.ts';
import type { OutputFormat } from './args.ts';

export interface OutputWriter extends StatsSink {
  /** Text ready to write: the header (first call) and the rows recorded since the last call. */
  take(): string;
  /** What is left to write after the last step. */
  finish(): string;
  /** Rows recorded so far. */
  readonly rows: number;
}

export interface RunDescription {
  config: ExperimentConfig;
  engineKind: string;
  engineDescription: string;
  /** The engine's statistic names (`engine.layout.names`). */
  statNames: readonly string[];
}

export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(Number(value.toPrecision(9)));
}

function jsonNumber(value: number): number | null {
  return Number.isFinite(value) ? Number(value.toPrecision(9)) : null;
}

/** Quotes a CSV field only when it must (comma, quote, line break). */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A parameter value as one CSV field: lists joined by `;`, so no quoting is needed. */
export function csvParamValue(value: Params[ParamKey]): string {
  return csvField(Array.isArray(value) ? value.map(String).join(';') : String(value));
}

/** The CSV header: group, distinguishing keys, step, statistics. */
export function csvColumns(config: ExperimentConfig, statNames: readonly string[]): string[] {
  return ['group', ...distinguishingKeys(config), 'step', ...statNames];
}

export class CsvWriter implements OutputWriter {
  readonly #header: string;
  /** Each group's leading fields (`group,key values`), formatted once. */
  readonly #prefixes: string[];
  #headerTaken = false;
  /** Rows of the current slice: [step, group, text]. */
  #pending: [number, number, string][] = [];
  #rows = 0;

  constructor(run: RunDescription) {
    const keys = distinguishingKeys(run.config);
    this.#header = `${csvColumns(run.config, run.statNames).map(csvField).join(',')}\n`;
    this.#prefixes = resolveGroups(run.config).map((params, g) =>
      [String(g), ...keys.map((key) => csvParamValue(params[key]))].join(','),
    );
  }

  get rows(): number {
    return this.#rows;
  }

  record(group: number, step: number, values: Float64Array): void {
    let text = `${this.#prefixes[group]},${step}`;
    for (let i = 0; i < values.length; i++) text += `,${formatNumber(values[i])}`;
    this.#pending.push([step, group, `${text}\n`]);
    this.#rows++;
  }

  take(): string {
    const rows = this.#pending;
    this.#pending = [];
    rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let text = this.#headerTaken ? '' : this.#header;
    this.#headerTaken = true;
    for (const row of rows) text += row[2];
    return text;
  }

  finish(): string {
    return this.take();
  }
}

interface JsonGroup {
  index: number;
  params: Record<string, unknown>;
  divergedAt: number;
  rows: (number | null)[][];
}

export class JsonWriter implements OutputWriter {
  readonly #run: RunDescription;
  readonly #groups: JsonGroup[];
  #rows = 0;

  constructor(run: RunDescription) {
    this.#run = run;
    const keys = distinguishingKeys(run.config);
    this.#groups = resolveGroups(run.config).map((params, index) => ({
      index,
      params: Object.fromEntries(keys.map((key) => [key, params[key]])),
      divergedAt: 0,
      rows: [],
    }));
  }

  get rows(): number {
    return this.#rows;
  }

  record(group: number, step: number, values: Float64Array): void {
    const row: (number | null)[] = [step];
    for (let i = 0; i < values.length; i++) row.push(jsonNumber(values[i]));
    this.#groups[group].rows.push(row);
    this.#rows++;
  }

  diverged(group: number, step: number): void {
    this.#groups[group].divergedAt = step;
  }

  take(): string {
    return '';
  }

  /** One row per line: readable, and far smaller than JSON.stringify's per-number lines. */
  finish(): string {
    const run = this.#run;
    const lines = [
      '{',
      `  "config": ${JSON.stringify(configToObject(run.config))},`,
      `  "engine": ${JSON.stringify(run.engineKind)},`,
      `  "engineDescription": ${JSON.stringify(run.engineDescription)},`,
      `  "columns": ${JSON.stringify(['step', ...run.statNames])},`,
      '  "groups": [',
    ];
    this.#groups.forEach((group, g) => {
      lines.push(
        `    { "index": ${group.index}, "params": ${JSON.stringify(group.params)}, "divergedAt": ${group.divergedAt}, "rows": [`,
      );
      group.rows.forEach((row, r) => lines.push(`      ${JSON.stringify(row)}${r < group.rows.length - 1 ? ',' : ''}`));
      lines.push(`    ] }${g < this.#groups.length - 1 ? ',' : ''}`);
    });
    lines.push('  ]', '}', '');
    return lines.join('\n');
  }
}

export function createWriter(format: OutputFormat, run: RunDescription): OutputWriter {
  return format === 'json' ? new JsonWriter(run) : new CsvWriter(run);
}
