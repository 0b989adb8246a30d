/**
 * What a run is written out as: `sim`'s CSV and JSON of statistics, and the per-agent state. The
 * page's Export menu and `sim` both write through this module, so a file saved from the page has
 * the header, the columns and the number formatting of the file `sim` writes for the same config.
 *
 * Statistics, CSV: one row per (group, row of statistics), in step order with the groups
 * interleaved. Columns: `group` (0-based), `seed` (only for a seed sweep, where runs of several
 * seeds share one file), the group parameters that differ between groups (`distinguishingKeys`;
 * `means` joined by `;`), `step` (the row's last step, 1-based), then every statistic by its name
 * in the engine's layout. No comment lines, no index column.
 *
 * Statistics, JSON: the whole run, written at the end:
 *   { "config": configToObject(config), ["seeds": [1, 2, ...],] "engine": "cpu",
 *     "engineDescription": "...", "columns": ["step", <statistics>...],
 *     ["stops": {"condition": "mean_prob_optimal>=0.9", "steps": [120, null, ...]},]
 *     "groups": [{ "index": 0, "params": {<distinguishing keys>}, "divergedAt": 0,
 *                  "rows": [[step, <statistics>...], ...] }, ...] }
 *
 * Agents, CSV: one row per agent of every group, after the run: `group`, (`seed`,) `agent`, its
 * preferences `pref_0..k-1`, its policy `prob_0..k-1` (softmax of the preferences at the group's
 * temperature now, as the engines compute it) and `best_arm`, the arm with the highest expected
 * reward for that agent (the same for every agent of a fixed or bernoulli group, the agent's own
 * for gaussian ones), computed with the stepper the engines use (AgentStepper.loadArms).
 *
 * Numbers: 9 significant digits (`Number(v.toPrecision(9))`, then the shortest form), enough to
 * give every f32 back exactly and well below the statistical noise of any average. CSV writes
 * NaN as `NaN` and infinities as `inf`/`-inf` (what pandas reads); JSON writes them as null.
 */
import { AgentStepper, stepConstants } from './agent.ts';
import { type ExperimentConfig, configToObject, distinguishingKeys, resolveGroups } from './config.ts';
import type { AgentStates, Engine } from './engine.ts';
import type { ParamChange } from './groups.ts';
import type { ParamKey, Params } from './schema.ts';
import type { StatsSink } from './stats.ts';

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
  /**
   * A seed sweep: the config ran once per seed, and the file holds them as one run whose groups
   * are seed-major (group `i * G + g` is group g of the run with `seeds[i]`). Absent: one run.
   */
  seeds?: readonly number[];
}

export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return String(Number(value.toPrecision(9)));
}

export function jsonNumber(value: number): number | null {
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

/** The CSV header: group, (seed,) distinguishing keys, step, statistics. */
export function csvColumns(config: ExperimentConfig, statNames: readonly string[], seeds?: readonly number[]): string[] {
  return ['group', ...(seeds ? ['seed'] : []), ...distinguishingKeys(config), 'step', ...statNames];
}

/** Every group of the file in order: its parameters and its seed (seed-major for a seed sweep). */
function fileGroups(run: RunDescription): { params: Params; seed: number }[] {
  const groups = resolveGroups(run.config);
  const seeds = run.seeds ?? [run.config.params.seed];
  return seeds.flatMap((seed) => groups.map((params) => ({ params: { ...params, seed }, seed })));
}

export class CsvWriter implements OutputWriter {
  readonly #header: string;
  /** Each group's leading fields (`group,seed,key values`), formatted once. */
  readonly #prefixes: string[];
  #headerTaken = false;
  /** Rows of the current slice: [step, group, text]. */
  #pending: [number, number, string][] = [];
  #rows = 0;

  constructor(run: RunDescription) {
    const keys = distinguishingKeys(run.config);
    this.#header = `${csvColumns(run.config, run.statNames, run.seeds).map(csvField).join(',')}\n`;
    this.#prefixes = fileGroups(run).map(({ params, seed }, g) =>
      [String(g), ...(run.seeds ? [String(seed)] : []), ...keys.map((key) => csvParamValue(params[key]))].join(','),
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

/** A stop condition and, per group of the file, the step its rows first met it (null: never). */
export interface StopReport {
  condition: string;
  steps: readonly (number | null)[];
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
  #stops: StopReport | null = null;
  #rows = 0;

  constructor(run: RunDescription) {
    this.#run = run;
    const keys: string[] = [...(run.seeds ? ['seed'] : []), ...distinguishingKeys(run.config)];
    this.#groups = fileGroups(run).map(({ params }, index) => ({
      index,
      params: Object.fromEntries(keys.map((key) => [key, params[key as ParamKey]])),
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

  /**
   * A stop condition's outcome (`sim --stop-when`), written as `"stops"` after `columns`; a file
   * without one (the page's, `sim` without the flag) has no such field.
   */
  setStops(stops: StopReport): void {
    this.#stops = stops;
  }

  /** One row per line: readable, and far smaller than JSON.stringify's per-number lines. */
  finish(): string {
    const run = this.#run;
    const lines = [
      '{',
      `  "config": ${JSON.stringify(configToObject(run.config))},`,
      ...(run.seeds ? [`  "seeds": ${JSON.stringify(run.seeds)},`] : []),
      `  "engine": ${JSON.stringify(run.engineKind)},`,
      `  "engineDescription": ${JSON.stringify(run.engineDescription)},`,
      `  "columns": ${JSON.stringify(['step', ...run.statNames])},`,
      ...(this.#stops ? [`  "stops": ${JSON.stringify({ condition: this.#stops.condition, steps: this.#stops.steps })},`] : []),
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

/**
 * Rows already recorded, held by column (the page's StatsHistory has this shape): `steps` is the
 * x column all groups share, `columns[group][statistic][row]`, `counts[group]` the rows a group
 * holds (a diverged group stops short), `diverged` where groups diverged.
 */
export interface RecordedRows {
  readonly steps: readonly number[];
  readonly columns: readonly (readonly (readonly number[])[])[];
  readonly counts: readonly number[];
  readonly diverged: readonly { readonly group: number; readonly step: number; readonly message: string }[];
}

/** Hands recorded rows to a writer as the engine would have: row by row, the groups in order. */
export function replayRows(rows: RecordedRows, sink: StatsSink): void {
  const noHistogram = new Uint32Array(0); // the writers do not write histograms
  const groups = rows.columns.length;
  const values = groups > 0 ? new Float64Array(rows.columns[0].length) : new Float64Array(0);
  for (let r = 0; r < rows.steps.length; r++) {
    for (let g = 0; g < groups; g++) {
      if (r >= rows.counts[g]) continue;
      const columns = rows.columns[g];
      for (let c = 0; c < columns.length; c++) values[c] = columns[c][r];
      sink.record(g, rows.steps[r], values, noHistogram);
    }
  }
  for (const d of rows.diverged) sink.diverged?.(d.group, d.step, d.message);
}

/** Recorded rows as `sim`'s CSV. */
export function rowsToCsv(run: RunDescription, rows: RecordedRows): string {
  const writer = new CsvWriter(run);
  replayRows(rows, writer);
  return writer.take() + writer.finish();
}

/** Recorded rows as `sim`'s JSON. */
export function rowsToJson(run: RunDescription, rows: RecordedRows): string {
  const writer = new JsonWriter(run);
  replayRows(rows, writer);
  return writer.take() + writer.finish();
}

/** The config as a `sim --config` file (and the page's Config export): JSON, one line, a newline. */
export function configToJson(config: ExperimentConfig): string {
  return `${JSON.stringify(configToObject(config))}\n`;
}

/** Each group's parameters now: the config's, with every live change applied in order. */
export function groupParamsNow(config: ExperimentConfig, changes: readonly ParamChange[]): Params[] {
  const params = resolveGroups(config);
  for (const change of changes) {
    if (params[change.group]) params[change.group] = { ...params[change.group], ...structuredClone(change.patch) };
  }
  return params;
}

/** The agents CSV's header line (with its newline); `seed` for a seed sweep's file. */
export function agentsCsvHeader(arms: number, withSeed = false): string {
  const perArm = (prefix: string) => Array.from({ length: arms }, (_, j) => `${prefix}_${j}`);
  return `${['group', ...(withSeed ? ['seed'] : []), 'agent', ...perArm('pref'), ...perArm('prob'), 'best_arm'].join(',')}\n`;
}

/** Agents per piece of text that `agentsCsvRows` yields: big populations never become one string. */
const kAgentsPerPiece = 2048;

export interface AgentRowsOptions {
  /** The group number written (a seed sweep offsets it); default `group`. */
  label?: number;
  /** Written as the `seed` column (a seed sweep's file); absent: no such column. */
  seed?: number;
}

/**
 * The rows (no header) of group `group`'s agents in state `states`, a piece of text per
 * `kAgentsPerPiece` agents. `params` are the group's parameters now (`groupParamsNow`).
 */
export function* agentsCsvRows(params: Params, group: number, states: AgentStates, options: AgentRowsOptions = {}): Generator<string> {
  const k = params.arms;
  const agents = states.prefs.length / k;
  const c = stepConstants(params);
  const stepper = new AgentStepper(k, params.seed);
  const normals = c.env === 'gaussian' ? new Float32Array(k) : null;
  const lead = `${options.label ?? group}${options.seed === undefined ? '' : `,${options.seed}`}`;
  let piece = '';
  for (let agent = 0; agent < agents; agent++) {
    stepper.loadAgent(c, params.seed, agent, states.prefs, normals);
    let line = `${lead},${agent}`;
    for (let j = 0; j < k; j++) line += `,${formatNumber(states.prefs[agent * k + j])}`;
    for (let j = 0; j < k; j++) line += `,${formatNumber(stepper.probs[j])}`;
    piece += `${line},${stepper.optimalArm}\n`;
    if ((agent + 1) % kAgentsPerPiece === 0) {
      yield piece;
      piece = '';
    }
  }
  if (piece !== '') yield piece;
}

export interface AgentsCsvOptions {
  /** Write the header line first (default true). */
  header?: boolean;
  /** Added to every group number (a seed sweep's run i starts at i * G). */
  groupOffset?: number;
  /** Write a `seed` column with the engine's seed (a seed sweep's file). */
  withSeed?: boolean;
}

/**
 * An engine's agents now, every group, as agents-CSV text in pieces, read from the engine one
 * group at a time: a writer can stream them, so a big population never becomes one string.
 */
export async function* agentsCsvPieces(
  engine: Pick<Engine, 'config' | 'paramChanges' | 'readAgents'>,
  options: AgentsCsvOptions = {},
): AsyncGenerator<string> {
  const params = groupParamsNow(engine.config, engine.paramChanges);
  const withSeed = options.withSeed ?? false;
  if (options.header ?? true) yield agentsCsvHeader(engine.config.params.arms, withSeed);
  for (let g = 0; g < params.length; g++) {
    const states = await engine.readAgents(g);
    const rowOptions: AgentRowsOptions = { label: g + (options.groupOffset ?? 0) };
    if (withSeed) rowOptions.seed = engine.config.params.seed;
    yield* agentsCsvRows(params[g], g, states, rowOptions);
  }
}

/** `agentsCsvPieces`, collected (a Blob takes the pieces as they are; join them for one string). */
export async function agentsCsvParts(
  engine: Pick<Engine, 'config' | 'paramChanges' | 'readAgents'>,
  options: AgentsCsvOptions = {},
): Promise<string[]> {
  const parts: string[] = [];
  for await (const piece of agentsCsvPieces(engine, options)) parts.push(piece);
  return parts;
}
