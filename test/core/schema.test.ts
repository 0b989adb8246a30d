import { describe, it, expect } from 'vitest';
import {
  type ExperimentConfig,
  type GroupOverrides,
  applySweeps,
  configFromObject,
  configToObject,
  decodeConfigQuery,
  defaultConfig,
  encodeConfigQuery,
  kMaxGroups,
  validateConfig,
} from '../../src/core/config.ts';
import {
  ConfigError,
  type FieldError,
  type ParamSpec,
  type Params,
  defaultParams,
  describeRange,
  kGroupKeys,
  kMaxArms,
  kParamSpecs,
  parseValue,
  resolvedMeans,
} from '../../src/core/schema.ts';
import { testRng } from './helpers.ts';

/** The field errors configFromObject throws for `input`, or [] if it accepts it. */
function errorsOf(input: unknown): FieldError[] {
  try {
    configFromObject(input);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.errors;
  }
}

/** Values inside the range of a spec (both ends where allowed), as typed JSON values. */
function validValues(spec: ParamSpec): unknown[] {
  switch (spec.type) {
    case 'enum':
      return [...spec.options];
    case 'list':
      return [[], [spec.min, spec.max], [0.5, 0.25]];
    case 'names':
      // One name per arm of the default config (10 arms).
      return [[], Array.from({ length: 10 }, (_, j) => `arm ${j}`), ['Left', 'Right', 'Ünder_lauf-2', 'a', 'b', 'c', 'd', 'e', 'f', 'g']];
    case 'text':
      return ['', 'fast', 'lr small-2', 'Ünder_lauf x'];
    case 'int':
      return [spec.min, spec.max, Math.floor((spec.min + spec.max) / 2)];
    case 'float': {
      const low = spec.minExclusive ? spec.min + 1e-9 : spec.min;
      return [low, spec.max, (spec.min + spec.max) / 2];
    }
  }
}

/** Values outside the range, or of the wrong type. */
function invalidValues(spec: ParamSpec): unknown[] {
  switch (spec.type) {
    case 'enum':
      return ['bogus', spec.options[0].toUpperCase(), 1, null, true];
    case 'list':
      return [
        [spec.min - 1], [spec.max * 2], [0, 'a'], [Number.NaN], [Number.POSITIVE_INFINITY],
        new Array(kMaxArms + 1).fill(0), 'a,b', 7, { 0: 1 },
      ];
    case 'names':
      return [['a', ''], ['<b>'], ['x'.repeat(17)], [' padded'], [7], 'a,<b>', 7, null];
    case 'text':
      return ['<b>', 'a,b', 'x'.repeat(25), 7, null, ['a']];
    default: {
      const out: unknown[] = [
        spec.minExclusive ? spec.min : spec.min - 1,
        spec.max + Math.max(1, Math.abs(spec.max)),
        Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
        String(spec.max), null, true, [spec.max],
      ];
      if (spec.minExclusive) out.push(spec.min - 1);
      if (spec.type === 'int') out.push(spec.min + 0.5);
      return out;
    }
  }
}

function rangeText(spec: ParamSpec): string {
  if (spec.type === 'names') return 'of at most 16 letters, digits, spaces, - or _';
  return spec.type === 'list' ? `[${spec.min}, ${spec.max}]` : describeRange(spec);
}

describe('every parameter of the schema', () => {
  it('has a default inside its own range, and the defaults form a valid config', () => {
    expect(() => validateConfig(defaultConfig())).not.toThrow();
    expect(kParamSpecs.map((s) => s.key).sort()).toEqual(Object.keys(defaultParams()).sort());
  });

  it('states its range in words', () => {
    const range = (key: string) => describeRange(kParamSpecs.find((s) => s.key === key)!);
    expect(range('arms')).toBe('an integer in [2, 64]');
    expect(range('lr')).toBe('a number in [0.0001, 100]');
    expect(range('baselineRate')).toBe('a number in (0, 1]');
    expect(range('baseline')).toBe('one of none, average, average-inclusive, ema, critic');
    expect(range('means')).toBe('comma-separated numbers in [-10000, 10000]');
  });

  for (const spec of kParamSpecs) {
    describe(spec.key, () => {
      it('accepts in-range values (JSON and text)', () => {
        for (const value of validValues(spec)) {
          const config = configFromObject({ [spec.key]: value });
          expect(config.params[spec.key]).toEqual(value);
          const text = Array.isArray(value) ? value.join(',') : String(value);
          const parsed = parseValue(spec, text);
          expect(parsed.ok && parsed.value).toEqual(value);
        }
      });

      it('rejects out-of-range or wrong-type values, naming the key and its range', () => {
        for (const value of invalidValues(spec)) {
          const errors = errorsOf({ [spec.key]: value });
          expect(errors.length, `${spec.key}=${String(value)}`).toBe(1);
          expect(errors[0].field).toBe(spec.key);
          expect(errors[0].message).toContain(rangeText(spec));
          if (spec.type === 'list' && Array.isArray(value) && value.length > kMaxArms) {
            expect(errors[0].message).toContain(`at most ${kMaxArms} numbers`);
          }
        }
      });

      it('rejects bad text from a URL, falling back to the default', () => {
        const bad = spec.type === 'list' ? '1,,2' : spec.type === 'enum' ? 'bogus' : spec.type === 'names' ? 'a,,b' : spec.type === 'text' ? 'a;b' : 'abc';
        const texts = spec.type === 'names' ? [bad, '<script>', 'x'.repeat(17)]
          : spec.type === 'text' ? [bad, '<script>', 'x'.repeat(25)]
          : [bad, spec.type === 'list' ? '1,x' : '', '0x10'];
        for (const text of texts) {
          if (spec.type === 'list' && text === '') continue;
          const { config, errors } = decodeConfigQuery(`${spec.key}=${encodeURIComponent(text)}`);
          expect(errors.map((e) => e.field)).toEqual([spec.key]);
          expect(errors[0].message).toContain(rangeText(spec));
          expect(config.params[spec.key]).toEqual(defaultParams()[spec.key]);
        }
      });

      if (spec.scope === 'group') {
        it('may differ between groups', () => {
          const value = validValues(spec)[1];
          const config = configFromObject({ groups: [{ [spec.key]: value }, {}] });
          expect(config.groups[0][spec.key]).toEqual(value);
          const errors = errorsOf({ groups: [{}, { [spec.key]: invalidValues(spec)[0] }] });
          expect(errors.map((e) => e.field)).toEqual([`groups[1].${spec.key}`]);
          expect(errors[0].message).toContain(rangeText(spec));
        });
      } else {
        it('is shared by all groups: an error inside a group', () => {
          const errors = errorsOf({ groups: [{ [spec.key]: validValues(spec)[0] }] });
          expect(errors.map((e) => e.field)).toEqual([`groups[0].${spec.key}`]);
          expect(errors[0].message).toContain('shared by all groups');
          const decoded = decodeConfigQuery(`group=${encodeURIComponent(`${spec.key}=${String(validValues(spec)[0])}`)}`);
          expect(decoded.errors.map((e) => e.field)).toEqual([`group 1 ${spec.key}`]);
          expect(decoded.config.groups).toEqual([{}]);
        });
      }
    });
  }
});

describe('configFromObject', () => {
  it('rejects unknown keys, at the top and in groups, and lists every bad field at once', () => {
    expect(errorsOf({ lrr: 0.1 })).toEqual([{ field: 'lrr', message: 'unknown key' }]);
    expect(errorsOf({ groups: [{ lr: 0.2 }, { baselin: 'none' }] })).toEqual([{ field: 'groups[1].baselin', message: 'unknown key' }]);
    expect(errorsOf({ arms: 1, lr: -1, foo: 1 }).map((e) => e.field)).toEqual(['arms', 'lr', 'foo']);
  });

  it('rejects what is not an object, and bad group lists', () => {
    for (const input of [null, [], 'arms=3', 3]) expect(errorsOf(input).map((e) => e.field)).toEqual(['(config)']);
    expect(errorsOf({ groups: 'none' }).map((e) => e.field)).toEqual(['groups']);
    expect(errorsOf({ groups: [1] }).map((e) => e.field)).toEqual(['groups']);
    expect(errorsOf({ groups: Array.from({ length: kMaxGroups + 1 }, () => ({})) }).map((e) => e.field)).toEqual(['groups']);
    expect(configFromObject({ groups: [] }).groups).toEqual([{}]);
  });

  it('checks means against arms and bernoulli probabilities against [0, 1]', () => {
    const wrongLength = errorsOf({ env: 'fixed', arms: 3, means: [1, 2] });
    expect(wrongLength.map((e) => e.field)).toEqual(['means']);
    expect(wrongLength[0].message).toContain('arms=3');
    const notProbabilities = errorsOf({ env: 'bernoulli', arms: 2, means: [0.5, 1.5] });
    expect(notProbabilities.map((e) => e.field)).toEqual(['means']);
    expect(notProbabilities[0].message).toContain('[0, 1]');
    expect(errorsOf({ env: 'bernoulli', arms: 2, means: [-0.1, 0.5] }).map((e) => e.field)).toEqual(['means']);
    expect(errorsOf({ env: 'bernoulli', arms: 2, means: [0, 1] })).toEqual([]);
    expect(errorsOf({ env: 'bernoulli', arms: 4 })).toEqual([]); // empty: evenly spaced
    expect(resolvedMeans({ arms: 4, means: [] })).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(errorsOf({ env: 'gaussian', arms: 3, means: [1, 2] })).toEqual([]); // gaussian ignores means
    // In a group: the group's resolved parameters are checked and the group is named.
    expect(errorsOf({ arms: 2, groups: [{ env: 'fixed', means: [1, 2, 3] }, {}] }).map((e) => e.field)).toEqual(['groups[0].means']);
    expect(errorsOf({ arms: 2, groups: [{}, { env: 'bernoulli', means: [2, 0] }] }).map((e) => e.field)).toEqual(['groups[1].means']);
  });
});

const f32Looking = [0.1, 1e-4, 3.3333333333333335, 0.30000000000000004, 1 / 3, 2 / 3, 1e-7, 123.456, 5e-324];

/** A random valid config: about half the keys set, 1 to 4 groups, means consistent with env. */
function randomConfig(rand: () => number): ExperimentConfig {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const numberIn = (spec: ParamSpec & { type: 'int' | 'float' }): number => {
    if (spec.type === 'int') {
      const value = spec.slider === 'log'
        ? Math.round(Math.exp(Math.log(Math.max(spec.min, 1)) + rand() * (Math.log(spec.max) - Math.log(Math.max(spec.min, 1)))))
        : spec.min + Math.floor(rand() * (spec.max - spec.min + 1));
      return Math.min(spec.max, Math.max(spec.min, value));
    }
    const nice = f32Looking.filter((v) => (spec.minExclusive ? v > spec.min : v >= spec.min) && v <= spec.max);
    if (nice.length > 0 && rand() < 0.3) return pick(nice);
    if (spec.slider === 'log') {
      const low = Math.max(spec.min, 1e-12);
      return Math.exp(Math.log(low) + rand() * (Math.log(spec.max) - Math.log(low)));
    }
    const value = spec.min + rand() * (spec.max - spec.min);
    return value === spec.min && spec.minExclusive ? spec.max : value;
  };
  const meansFor = (env: string, arms: number): number[] => {
    if (rand() < 0.4) return [];
    if (env === 'bernoulli') return Array.from({ length: arms }, () => (rand() < 0.2 ? pick([0, 1, 0.1]) : rand()));
    if (env === 'fixed') return Array.from({ length: arms }, () => (rand() < 0.3 ? pick(f32Looking) : (rand() - 0.5) * 2e4));
    return Array.from({ length: Math.floor(rand() * 5) }, () => (rand() - 0.5) * 10);
  };
  for (;;) {
    const params = defaultParams() as unknown as Record<string, unknown>;
    for (const spec of kParamSpecs) {
      if (spec.type === 'list' || spec.type === 'names' || spec.type === 'text' || rand() < 0.5) continue;
      params[spec.key] = spec.type === 'enum' ? pick(spec.options) : numberIn(spec);
    }
    if (rand() < 0.3) params.armNames = Array.from({ length: params.arms as number }, (_, j) => pick(['Left', 'Right', `a${j}`, 'x y']));
    params.means = meansFor(params.env as string, params.arms as number);
    const groups: GroupOverrides[] = [];
    const groupCount = 1 + Math.floor(rand() * 4);
    for (let g = 0; g < groupCount; g++) {
      const overrides: Record<string, unknown> = {};
      for (const key of kGroupKeys) {
        const spec = kParamSpecs.find((s) => s.key === key)!;
        if (spec.type === 'list' || spec.type === 'names' || spec.type === 'text' || rand() < 0.75) continue;
        overrides[key] = spec.type === 'enum' ? pick(spec.options) : numberIn(spec);
      }
      if ('env' in overrides || rand() < 0.2) {
        // Probabilities of the right length are valid means for every env.
        overrides.means = meansFor(('env' in overrides ? overrides.env : params.env) as string, params.arms as number);
      }
      groups.push(overrides as GroupOverrides);
    }
    const config = { params: params as unknown as Params, groups };
    try {
      return validateConfig(config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
    }
  }
}

describe('URL query round trip', () => {
  const roundTrip = (config: ExperimentConfig) => {
    const query = encodeConfigQuery(config);
    expect(decodeConfigQuery(query), query).toEqual({ config, errors: [] });
    // A leading '?' or '#' is accepted too.
    expect(decodeConfigQuery(`#${query}`).config).toEqual(config);
    // And through JSON, as a config file.
    expect(configFromObject(JSON.parse(JSON.stringify(configToObject(config))))).toEqual(config);
  };

  it('the default config is the empty query', () => {
    expect(encodeConfigQuery(defaultConfig())).toBe('');
    roundTrip(defaultConfig());
  });

  it('keeps floats, means lists and several groups exactly', () => {
    const config = configFromObject({
      arms: 3, lr: 0.1, baselineRate: 1e-4, offset: 3.3333333333333335, baselineInit: -0.30000000000000004,
      temperature: 1 / 3, seed: 4_294_967_295, agents: 16_777_216, env: 'fixed', means: [0.1, 1e-4, 3.3333333333333335],
      groups: [
        { baseline: 'none' },
        { baseline: 'ema', baselineRate: 5e-324, lr: 1e-4 },
        {},
        { env: 'bernoulli', means: [0, 0.5, 1] },
        { means: [] },
      ],
    });
    roundTrip(config);
    const decoded = decodeConfigQuery(encodeConfigQuery(config)).config;
    expect(Object.is(decoded.params.offset, 3.3333333333333335)).toBe(true);
    expect(decoded.groups[1].baselineRate).toBe(5e-324);
  });

  it('keeps 300 random valid configs exactly (fixed seed)', () => {
    const rand = testRng(2024);
    let groupsSeen = 0;
    let meansSeen = 0;
    for (let i = 0; i < 300; i++) {
      const config = randomConfig(rand);
      groupsSeen += config.groups.length > 1 ? 1 : 0;
      meansSeen += config.params.means.length > 0 ? 1 : 0;
      roundTrip(config);
    }
    // The generator really produced the interesting cases.
    expect(groupsSeen).toBeGreaterThan(100);
    expect(meansSeen).toBeGreaterThan(100);
  });
});

describe('decodeConfigQuery on bad input', () => {
  it('falls back to the defaults field by field and lists every error by field', () => {
    const query = 'arms=abc&lr=-1&foo=1&temperature=2&group=seed%3D3&group=lr%3Dx%26baseline%3Dema';
    const { config, errors } = decodeConfigQuery(query);
    expect(errors.map((e) => e.field)).toEqual(['arms', 'lr', 'foo', 'group 1 seed', 'group 2 lr']);
    expect(errors.find((e) => e.field === 'lr')!.message).toContain('[0.0001, 100]');
    expect(errors.find((e) => e.field === 'foo')!.message).toBe('unknown key');
    expect(config.params).toEqual({ ...defaultParams(), temperature: 2 });
    expect(config.groups).toEqual([{}, { baseline: 'ema' }]);
    expect(() => validateConfig(config)).not.toThrow();
  });

  it('drops means that do not fit the arms, and groups beyond the limit', () => {
    const mismatch = decodeConfigQuery('env=fixed&arms=3&means=1,2&lr=0.5');
    expect(mismatch.errors.map((e) => e.field)).toEqual(['means']);
    expect(mismatch.config.params).toEqual({ ...defaultParams(), env: 'fixed', arms: 3, lr: 0.5 });
    const many = decodeConfigQuery(Array.from({ length: kMaxGroups + 2 }, (_, g) => `group=seed${g}`).join('&').replace(/seed\d+/g, 'lr%3D0.5'));
    expect(many.config.groups.length).toBe(kMaxGroups);
    expect(many.errors.map((e) => e.field)).toEqual(['group']);
  });

  it('never throws on garbage', () => {
    for (const text of ['', '?', '#', '&&&', '=', 'a', '%zz', 'group=%zz', 'group=a%3D%3D', 'means=,', 'arms=1e1']) {
      const { config } = decodeConfigQuery(text);
      expect(() => validateConfig(config)).not.toThrow();
    }
    expect(decodeConfigQuery('arms=1e1').config.params.arms).toBe(10);
  });
});

describe('applySweeps', () => {
  it('gives the product of the sweeps, the first varying slowest', () => {
    const config = applySweeps(defaultConfig(), [
      { key: 'lr', values: [0.1, 0.2] },
      { key: 'baseline', values: ['none', 'average', 'ema'] },
    ]);
    expect(config.groups).toEqual([
      { lr: 0.1, baseline: 'none' }, { lr: 0.1, baseline: 'average' }, { lr: 0.1, baseline: 'ema' },
      { lr: 0.2, baseline: 'none' }, { lr: 0.2, baseline: 'average' }, { lr: 0.2, baseline: 'ema' },
    ]);
  });

  it('multiplies existing groups and validates the result', () => {
    const base = configFromObject({ groups: [{ baseline: 'none' }, { baseline: 'ema' }] });
    const swept = applySweeps(base, [{ key: 'temperature', values: [0.5, 1, 2] }]);
    expect(swept.groups.length).toBe(6);
    expect(swept.groups[4]).toEqual({ baseline: 'ema', temperature: 1 });
    expect(() => applySweeps(base, [{ key: 'arms', values: [2, 3] }])).toThrow(ConfigError);
    expect(() => applySweeps(base, [{ key: 'lr', values: [1000] }])).toThrow(/groups\[0\]\.lr/);
    expect(() => applySweeps(defaultConfig(), [{ key: 'lr', values: Array.from({ length: kMaxGroups + 1 }, (_, i) => 0.01 * (i + 1)) }])).toThrow(ConfigError);
    expect(applySweeps(base, []).groups).toEqual(base.groups);
  });
});
