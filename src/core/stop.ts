/**
 * Stop conditions: "stop a group once a statistic crosses a threshold", e.g.
 * `mean_prob_optimal>=0.9` or `frac_optimal > 0.8`. `sim --stop-when` and the page share them:
 * `parseStopCondition` reads the text, `StopTracker` watches a run's rows and keeps, per group,
 * the step at which the condition first held ("steps to 90% optimal").
 */
import { ConfigError } from './schema.ts';
import { StatsLayout, kScalarStats } from './stats.ts';

export const kStopOperators = ['>=', '<=', '>', '<'] as const;
export type StopOperator = (typeof kStopOperators)[number];

/** The field ConfigError names for a bad condition. */
export const kStopField = 'stop';

export interface StopCondition {
  /** A statistic name of the run's StatsLayout (`mean_prob_optimal`, `mean_prob_1`, ...). */
  statistic: string;
  operator: StopOperator;
  threshold: number;
  /** The statistic's position in a row of that layout. */
  column: number;
  /** Written back without spaces, as `statistic` `operator` `threshold` (for files and messages). */
  text: string;
}

/** What a condition may say, for error messages: the grammar, the operators and the statistics of `layout`. */
export function describeStopSyntax(layout: StatsLayout): string {
  const last = layout.arms - 1;
  return (
    `expected STATISTIC OPERATOR NUMBER, e.g. mean_prob_optimal>=0.9; operators ${kStopOperators.join(', ')}; ` +
    `statistics ${kScalarStats.join(', ')}, and per arm mean_prob_J, grad_mean_J, grad_var_J for J in 0..${last}`
  );
}

function stopError(message: string): ConfigError {
  return new ConfigError([{ field: kStopField, message }]);
}

// The operator alternatives list `>=` before `>` so that `a>=1` never reads as `a > "=1"`.
const kConditionPattern = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|>|<)\s*(\S(?:.*\S)?)\s*$/;

/**
 * Parses `statistic operator number` against the statistics of `layout` (so `mean_prob_2` needs
 * three arms or more). Throws a ConfigError on the field `stop` that says what is accepted.
 */
export function parseStopCondition(text: string, layout: StatsLayout): StopCondition {
  const match = kConditionPattern.exec(text);
  if (!match) throw stopError(`cannot read ${JSON.stringify(text)}: ${describeStopSyntax(layout)}`);
  const [, statistic, operator, numberText] = match;
  if (!layout.names.includes(statistic)) {
    throw stopError(`unknown statistic ${JSON.stringify(statistic)} in ${JSON.stringify(text)}: ${describeStopSyntax(layout)}`);
  }
  // Number('') is 0 and Number('0x10') is 16: only plain decimal (or exponent) numbers are taken.
  const threshold = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(numberText) ? Number(numberText) : Number.NaN;
  if (!Number.isFinite(threshold)) {
    throw stopError(`threshold ${JSON.stringify(numberText)} in ${JSON.stringify(text)} is not a finite number: ${describeStopSyntax(layout)}`);
  }
  return {
    statistic,
    operator: operator as StopOperator,
    threshold,
    column: layout.index(statistic),
    text: `${statistic}${operator}${threshold}`,
  };
}

/** Whether a row of statistics meets the condition. A NaN statistic meets none. */
export function meetsStopCondition(condition: StopCondition, values: ArrayLike<number>): boolean {
  const value = values[condition.column];
  switch (condition.operator) {
    case '>=':
      return value >= condition.threshold;
    case '<=':
      return value <= condition.threshold;
    case '>':
      return value > condition.threshold;
    case '<':
      return value < condition.threshold;
  }
}

/**
 * Watches the rows of a run's groups and keeps, per group, the first step whose row meets the
 * condition. A row covers `window` steps and carries its last one, so the step recorded is that
 * row's last step: the condition held on average over the window ending there, and may have
 * first held a few steps earlier inside it. Rows after a group's crossing change nothing.
 */
export class StopTracker {
  readonly condition: StopCondition;
  readonly #steps: (number | null)[];
  #reached = 0;

  constructor(condition: StopCondition, groups: number) {
    this.condition = condition;
    this.#steps = new Array<number | null>(groups).fill(null);
  }

  /** Feeds one row of `group` ending at `step` (values in the condition's layout). */
  record(group: number, step: number, values: ArrayLike<number>): void {
    if (this.#steps[group] !== null) return;
    if (!meetsStopCondition(this.condition, values)) return;
    this.#steps[group] = step;
    this.#reached++;
  }

  /** The step of the group's first row that met the condition; null while none has. */
  stepReached(group: number): number | null {
    return this.#steps[group];
  }

  /** Every group's crossing step (null: not reached), by group. */
  get steps(): readonly (number | null)[] {
    return this.#steps;
  }

  /** Groups that have met the condition. */
  get reachedCount(): number {
    return this.#reached;
  }

  /** Every group has met the condition. */
  get allReached(): boolean {
    return this.#reached === this.#steps.length;
  }
}
