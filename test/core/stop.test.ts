import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/schema.ts';
import { StatsLayout } from '../../src/core/stats.ts';
import { StopTracker, meetsStopCondition, parseStopCondition } from '../../src/core/stop.ts';

const layout = new StatsLayout(3);

/** A row of `layout` with `name` set to `value` and every other statistic 0. */
function row(name: string, value: number): Float64Array {
  const values = new Float64Array(layout.count);
  values[layout.index(name)] = value;
  return values;
}

function stopMessage(text: string): string {
  try {
    parseStopCondition(text, layout);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const errors = (error as ConfigError).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe('stop');
    return errors[0].message;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('parseStopCondition', () => {
  it('reads statistic, operator and threshold, with or without spaces', () => {
    expect(parseStopCondition('mean_prob_optimal>=0.9', layout)).toEqual({
      statistic: 'mean_prob_optimal', operator: '>=', threshold: 0.9,
      column: layout.index('mean_prob_optimal'), text: 'mean_prob_optimal>=0.9',
    });
    const spaced = parseStopCondition('  frac_optimal > 0.8 ', layout);
    expect([spaced.statistic, spaced.operator, spaced.threshold, spaced.text]).toEqual(['frac_optimal', '>', 0.8, 'frac_optimal>0.8']);
    expect(parseStopCondition('mean_regret<=1e-2', layout).threshold).toBe(0.01);
    expect(parseStopCondition('mean_baseline<-3.5', layout)).toMatchObject({ operator: '<', threshold: -3.5 });
    // Per-arm statistics of the layout, the last arm included.
    expect(parseStopCondition('mean_prob_2>=.5', layout)).toMatchObject({ column: layout.probOffset + 2, threshold: 0.5 });
    expect(parseStopCondition('grad_var_0<0.001', layout).column).toBe(layout.gradVarOffset);
  });

  it('refuses bad text with a message on the field stop that says what is accepted', () => {
    const syntax = /expected STATISTIC OPERATOR NUMBER, e\.g\. mean_prob_optimal>=0\.9; operators >=, <=, >, <; statistics mean_reward, .*clip_fraction, mean_action_error, mean_action_std, and per arm mean_prob_J, grad_mean_J, grad_var_J for J in 0\.\.2$/;
    expect(stopMessage('')).toMatch(/^cannot read "": /);
    expect(stopMessage('mean_prob_optimal')).toMatch(syntax);
    expect(stopMessage('mean_prob_optimal=0.9')).toMatch(/^cannot read "mean_prob_optimal=0\.9": expected/);
    expect(stopMessage('mean_prob_optimal=>0.9')).toMatch(/^cannot read/);
    expect(stopMessage('0.9<=mean_prob_optimal')).toMatch(/^cannot read/);
    expect(stopMessage('mean_prob_3>=0.5')).toMatch(/^unknown statistic "mean_prob_3" in "mean_prob_3>=0\.5": expected/);
    expect(stopMessage('speed>1')).toMatch(syntax);
    for (const bad of ['abc', '0x10', 'inf', 'NaN', '1e999', '0.9 0.8', '>0.9']) {
      expect(stopMessage(`frac_optimal>=${bad}`)).toMatch(/^(threshold ".*" in ".*" is not a finite number|cannot read)/);
    }
    expect(stopMessage('frac_optimal>=abc')).toMatch(/^threshold "abc" in "frac_optimal>=abc" is not a finite number: expected/);
  });
});

describe('meetsStopCondition', () => {
  it('compares with each operator, the threshold itself included only by >= and <=', () => {
    const at = (text: string, value: number) => meetsStopCondition(parseStopCondition(text, layout), row('frac_optimal', value));
    expect([at('frac_optimal>=0.5', 0.5), at('frac_optimal>0.5', 0.5), at('frac_optimal<=0.5', 0.5), at('frac_optimal<0.5', 0.5)])
      .toEqual([true, false, true, false]);
    expect([at('frac_optimal>=0.5', 0.6), at('frac_optimal>0.5', 0.6), at('frac_optimal<=0.5', 0.6), at('frac_optimal<0.5', 0.6)])
      .toEqual([true, true, false, false]);
    // A NaN statistic (no agents to average) meets no condition.
    expect([at('frac_optimal>=0.5', Number.NaN), at('frac_optimal<0.5', Number.NaN)]).toEqual([false, false]);
  });
});

describe('StopTracker', () => {
  it('keeps each group\'s first crossing row, ignores later rows and says when every group has crossed', () => {
    const condition = parseStopCondition('mean_prob_optimal>=0.9', layout);
    const tracker = new StopTracker(condition, 3);
    const p = (value: number) => row('mean_prob_optimal', value);
    expect(tracker.steps).toEqual([null, null, null]);
    // Rows every 10 steps (window 10): the step is the row's last step.
    tracker.record(0, 10, p(0.5));
    tracker.record(1, 10, p(0.95));
    tracker.record(2, 10, p(0.2));
    expect(tracker.steps).toEqual([null, 10, null]);
    expect(tracker.reachedCount).toBe(1);
    tracker.record(0, 20, p(0.9));
    tracker.record(1, 20, p(0.4)); // after its crossing: changes nothing
    tracker.record(2, 20, p(0.89999));
    expect(tracker.steps).toEqual([20, 10, null]);
    expect(tracker.allReached).toBe(false);
    tracker.record(0, 30, p(0.99)); // a later crossing row of a group that crossed: still 20
    tracker.record(2, 30, p(1));
    expect(tracker.stepReached(0)).toBe(20);
    expect(tracker.stepReached(2)).toBe(30);
    expect(tracker.reachedCount).toBe(3);
    expect(tracker.allReached).toBe(true);
  });

  it('with a less-than condition on a per-arm statistic', () => {
    const tracker = new StopTracker(parseStopCondition('mean_prob_0 < 0.1', layout), 1);
    tracker.record(0, 1, row('mean_prob_0', 0.1));
    expect(tracker.stepReached(0)).toBeNull();
    tracker.record(0, 2, row('mean_prob_0', 0.0999));
    expect(tracker.stepReached(0)).toBe(2);
    expect(tracker.allReached).toBe(true);
  });
});
