/**
 * The experiment schema: every parameter once, with its type, range, default, unit and help.
 * Validation, the URL hash, the `sim` flags and the sliders are all driven from here,
 * so a new parameter is one entry in `kParamSpecs` and nothing else.
 *
 * The key names are a public contract (shared links, `--set`, saved configs): never rename one.
 */

export const kBaselineModes = ['none', 'average', 'average-inclusive', 'ema', 'critic'] as const;
export type BaselineMode = (typeof kBaselineModes)[number];

export const kWindowStats = ['mean', 'last'] as const;
export type WindowStats = (typeof kWindowStats)[number];

export const kBaselineStarts = ['first-reward', 'init'] as const;
export type BaselineStart = (typeof kBaselineStarts)[number];

export const kPolicies = ['softmax', 'epsilon-greedy', 'gaussian'] as const;
export type PolicyKind = (typeof kPolicies)[number];

export const kAdvantageNorms = ['none', 'batch', 'running'] as const;
export type AdvantageNorm = (typeof kAdvantageNorms)[number];

/** The most contexts a contextual bandit may have (`contexts`). */
export const kMaxContexts = 8;

/** The most samples one update may average (`batch`). */
export const kMaxBatch = 1024;

export const kEnvKinds = ['gaussian', 'fixed', 'bernoulli'] as const;
export type EnvKind = (typeof kEnvKinds)[number];

export const kMaxArms = 64;
export const kMinArms = 2;

/** Every parameter of an experiment, resolved (no missing fields). */
export interface Params {
  arms: number;
  agents: number;
  steps: number;
  seed: number;
  window: number;
  windowStats: WindowStats;
  policy: PolicyKind;
  epsilon: number;
  initialValue: number;
  valueStep: number;
  initialStd: number;
  lr: number;
  temperature: number;
  baseline: BaselineMode;
  baselineRate: number;
  baselineStart: BaselineStart;
  baselineInit: number;
  criticLr: number;
  contexts: number;
  contextSpread: number;
  batch: number;
  advantageNorm: AdvantageNorm;
  entropy: number;
  epochs: number;
  clip: number;
  env: EnvKind;
  offset: number;
  scale: number;
  spread: number;
  noise: number;
  means: number[];
  armNames: string[];
  label: string;
}

export type ParamKey = keyof Params;

/**
 * `run` parameters are shared by every group (groups advance in lock-step over the same arms);
 * `group` parameters may differ between groups.
 */
export type ParamScope = 'run' | 'group';

interface SpecBase {
  key: ParamKey;
  label: string;
  help: string;
  unit: string;
  scope: ParamScope;
  /** Can change while agents run (from the next step on); otherwise a change restarts the run. */
  live: boolean;
}

export interface NumberSpec extends SpecBase {
  type: 'int' | 'float';
  min: number;
  max: number;
  /** The lower bound itself is not allowed (rates and scales that must be positive). */
  minExclusive?: boolean;
  defaultValue: number;
  /** How a slider should move through the range. */
  slider: 'linear' | 'log';
}

export interface EnumSpec extends SpecBase {
  type: 'enum';
  options: readonly string[];
  defaultValue: string;
}

export interface ListSpec extends SpecBase {
  type: 'list';
  min: number;
  max: number;
  defaultValue: number[];
}

/** Short display names (arms called Left and Right): letters, digits, spaces, `-` and `_`. */
export interface NamesSpec extends SpecBase {
  type: 'names';
  defaultValue: string[];
}

export const kMaxNameLength = 16;
const kNamePattern = /^[\p{L}\p{N} _-]+$/u;

/** One short display name (a group called "fast"): the characters of `NamesSpec`, or empty. */
export interface TextSpec extends SpecBase {
  type: 'text';
  defaultValue: string;
}

export const kMaxLabelLength = 24;

export type ParamSpec = NumberSpec | EnumSpec | ListSpec | NamesSpec | TextSpec;

export const kParamSpecs: readonly ParamSpec[] = [
  {
    key: 'arms', label: 'Arms', type: 'int', min: kMinArms, max: kMaxArms, defaultValue: 10,
    slider: 'linear', unit: '', scope: 'run', live: false,
    help: 'Number of actions (arms) every agent chooses between.',
  },
  {
    key: 'agents', label: 'Agents', type: 'int', min: 1, max: 16_777_216, defaultValue: 2000,
    slider: 'log', unit: 'agents', scope: 'group', live: false,
    help: 'Independent agents (seeds) in a group; agent i of every group meets the same bandit and random numbers.',
  },
  {
    key: 'steps', label: 'Steps', type: 'int', min: 1, max: 10_000_000, defaultValue: 1000,
    slider: 'log', unit: 'steps', scope: 'run', live: true,
    help: 'Steps to run: each step every agent picks an action, gets a reward and updates.',
  },
  {
    key: 'seed', label: 'Seed', type: 'int', min: 0, max: 4_294_967_295, defaultValue: 1,
    slider: 'linear', unit: '', scope: 'run', live: false,
    help: 'Random seed (u32): the same seed replays the same run bit for bit.',
  },
  {
    key: 'window', label: 'Stats window', type: 'int', min: 1, max: 1_000_000, defaultValue: 1,
    slider: 'log', unit: 'steps', scope: 'run', live: false,
    help: 'Steps per recorded row (1 = every step); Row statistics (windowStats) says how a row sums them up.',
  },
  {
    key: 'windowStats', label: 'Row statistics', type: 'enum', options: kWindowStats, defaultValue: 'mean',
    unit: '', scope: 'run', live: false,
    help: "mean: a row averages all the steps of its window; last: a row holds its window's last step only, which costs a window's worth less work.",
  },
  {
    key: 'policy', label: 'Policy', type: 'enum', options: kPolicies, defaultValue: 'softmax',
    unit: '', scope: 'group', live: false,
    help: 'softmax: pi = softmax(theta / T), learned by the policy gradient (REINFORCE); epsilon-greedy: value-based, the arm of the highest estimated value Q(a), or with probability epsilon a uniformly random arm (learning rate, temperature, baseline and the other policy-gradient keys do not apply); gaussian: continuous actions x ~ N(mu, sigma^2), the reward offset + scale * exp(-(x - x*)^2 / 2) plus noise peaks at the agent\'s x* (gaussian env: spread times a standard normal per agent; fixed: the first of means), and REINFORCE learns mu and log sigma.',
  },
  {
    key: 'epsilon', label: 'Epsilon', type: 'float', min: 0, max: 1, defaultValue: 0.1,
    slider: 'linear', unit: '', scope: 'group', live: false,
    help: 'epsilon-greedy: the probability of exploring, i.e. of a uniformly random arm instead of the greedy one (ties between greedy arms split evenly).',
  },
  {
    key: 'initialValue', label: 'Initial value', type: 'float', min: -1e6, max: 1e6, defaultValue: 0,
    slider: 'linear', unit: 'reward', scope: 'group', live: false,
    help: "epsilon-greedy: every arm's value estimate Q before it is tried; set above any reward ('optimistic'), it makes even a greedy agent try each arm.",
  },
  {
    key: 'valueStep', label: 'Value step size', type: 'float', min: 0, max: 1, defaultValue: 0,
    slider: 'linear', unit: '', scope: 'group', live: false,
    help: 'epsilon-greedy: 0 keeps sample averages, Q(a) += (R - Q(a)) / n(a); a value alpha > 0 updates Q(a) += alpha (R - Q(a)), which remembers an optimistic start for longer.',
  },
  {
    key: 'initialStd', label: 'Initial action spread', type: 'float', min: 0, minExclusive: true, max: 100, defaultValue: 1,
    slider: 'log', unit: '', scope: 'group', live: false,
    help: "gaussian: the policy's standard deviation sigma before the first update (the policy's mean starts at 0); REINFORCE then learns log sigma.",
  },
  {
    key: 'lr', label: 'Learning rate', type: 'float', min: 1e-4, max: 100, defaultValue: 0.1,
    slider: 'log', unit: '', scope: 'group', live: true,
    help: 'Step size of the update theta += lr * (R - b) * grad log pi(a).',
  },
  {
    key: 'temperature', label: 'Temperature', type: 'float', min: 0.01, max: 100, defaultValue: 1,
    slider: 'log', unit: '', scope: 'group', live: true,
    help: 'Softmax temperature: pi = softmax(theta / temperature).',
  },
  {
    key: 'baseline', label: 'Baseline', type: 'enum', options: kBaselineModes, defaultValue: 'average',
    unit: '', scope: 'group', live: true,
    help: 'What is subtracted from the reward: none, the average of earlier rewards, the average including this one, an exponential average, or critic: a learned value V(context) of the context the agent sees (actor-critic).',
  },
  {
    key: 'baselineRate', label: 'Baseline rate', type: 'float', min: 0, minExclusive: true, max: 1,
    defaultValue: 0.1, slider: 'log', unit: '', scope: 'group', live: true,
    help: 'Rate beta of the exponential baseline: b += beta * (R - b).',
  },
  {
    key: 'baselineStart', label: 'Baseline starts at', type: 'enum', options: kBaselineStarts, defaultValue: 'first-reward',
    unit: '', scope: 'group', live: false,
    help: "first-reward: before any reward is seen, the average and ema baselines take the first reward itself, so step 1's advantage is 0 and no update goes unbaselined; init: they start at Initial baseline, the textbook's raw behaviour.",
  },
  {
    key: 'baselineInit', label: 'Initial baseline', type: 'float', min: -1e6, max: 1e6, defaultValue: 0,
    slider: 'linear', unit: 'reward', scope: 'group', live: false,
    help: 'Baseline before any reward is seen (average and ema modes) when Baseline starts at is init.',
  },
  {
    key: 'criticLr', label: 'Critic step size', type: 'float', min: 0, minExclusive: true, max: 1,
    defaultValue: 0.1, slider: 'log', unit: '', scope: 'group', live: true,
    help: "Step size of the critic: after each reward V(context) += criticLr * (R - V(context)), from Initial baseline (every agent keeps V for each context, whichever baseline it uses).",
  },
  {
    key: 'contexts', label: 'Contexts', type: 'int', min: 1, max: kMaxContexts, defaultValue: 1,
    slider: 'linear', unit: '', scope: 'group', live: false,
    help: 'A contextual bandit: each step the agent sees one of this many contexts at random and has a softmax policy per context. In context c the arms are turned by c (arm j pays what arm j + c pays in context 0) and every reward moves by the context\'s level (Context spread).',
  },
  {
    key: 'contextSpread', label: 'Context spread', type: 'float', min: 0, max: 100, defaultValue: 0,
    slider: 'linear', unit: 'reward', scope: 'group', live: false,
    help: "Contexts' levels, evenly spaced from -contextSpread to +contextSpread (before offset and scale): added to every arm's value in that context, so some contexts pay more whatever the agent does, which a critic learns and a single average baseline cannot.",
  },
  {
    key: 'batch', label: 'Batch', type: 'int', min: 1, max: kMaxBatch, defaultValue: 1,
    slider: 'log', unit: 'samples', scope: 'group', live: false,
    help: 'Samples per update: each step an agent draws this many actions and rewards with its current policy, then makes one update from their mean gradient.',
  },
  {
    key: 'advantageNorm', label: 'Advantage normalisation', type: 'enum', options: kAdvantageNorms, defaultValue: 'none',
    unit: '', scope: 'group', live: false,
    help: "none: the update uses R - b as it is; batch: the batch's advantages are shifted and scaled to mean 0 and standard deviation 1 (plus 1e-8) before the update, so the reward's scale no longer sets the step size (needs batch > 1); running: each advantage is divided by the root mean square of all the agent's advantages so far, this one included (plus 1e-8), which works with any batch.",
  },
  {
    key: 'entropy', label: 'Entropy bonus', type: 'float', min: 0, max: 100, defaultValue: 0,
    slider: 'linear', unit: '', scope: 'group', live: false,
    help: "Coefficient beta of an entropy bonus: each update also climbs beta * H(pi), which pushes probability back towards the less-tried arms and keeps exploration alive.",
  },
  {
    key: 'epochs', label: 'PPO epochs', type: 'int', min: 1, max: 64, defaultValue: 1,
    slider: 'linear', unit: 'passes', scope: 'group', live: false,
    help: 'Passes over each batch (PPO): after the first (plain REINFORCE), each pass climbs r * A, r = pi_now(a) / pi_before(a), on the same samples again.',
  },
  {
    key: 'clip', label: 'PPO clip', type: 'float', min: 0, max: 1, defaultValue: 0,
    slider: 'linear', unit: '', scope: 'group', live: false,
    help: 'Clip epsilon of the PPO surrogate: a sample stops pushing once its ratio r has left [1 - clip, 1 + clip] in its advantage\'s direction. 0: no clipping.',
  },
  {
    key: 'env', label: 'Environment', type: 'enum', options: kEnvKinds, defaultValue: 'gaussian',
    unit: '', scope: 'group', live: false,
    help: 'gaussian: per-agent arm values ~ N(0, spread^2), expected reward offset + scale * value; fixed: the same means for all agents; bernoulli: 0/1 rewards with the given probabilities.',
  },
  {
    key: 'offset', label: 'Reward offset', type: 'float', min: -1e4, max: 1e4, defaultValue: 0,
    slider: 'linear', unit: 'reward', scope: 'group', live: true,
    help: 'Added to every reward: all-positive rewards show why a baseline matters.',
  },
  {
    key: 'scale', label: 'Reward scale', type: 'float', min: 0, minExclusive: true, max: 1000,
    defaultValue: 1, slider: 'log', unit: '', scope: 'group', live: true,
    help: 'Every reward is offset + scale * (arm value + noise).',
  },
  {
    key: 'spread', label: 'Arm spread', type: 'float', min: 0, max: 100, defaultValue: 1,
    slider: 'linear', unit: 'reward', scope: 'group', live: true,
    help: 'gaussian: standard deviation of the arm values (before offset and scale).',
  },
  {
    key: 'noise', label: 'Reward noise', type: 'float', min: 0, max: 100, defaultValue: 1,
    slider: 'linear', unit: 'reward', scope: 'group', live: true,
    help: 'Standard deviation of the reward around its arm value (gaussian and fixed).',
  },
  {
    key: 'means', label: 'Arm means', type: 'list', min: -1e4, max: 1e4, defaultValue: [],
    unit: 'reward', scope: 'group', live: true,
    help: 'fixed: the mean of each arm; bernoulli: each arm\'s probability of reward 1. Empty means evenly spaced from 0 to 1.',
  },
  {
    key: 'armNames', label: 'Arm names', type: 'names', defaultValue: [],
    unit: '', scope: 'run', live: false,
    help: 'Names for the arms in charts and the inspector, e.g. Left,Right. Empty means arm 0, arm 1, ...',
  },
  {
    key: 'label', label: 'Group name', type: 'text', defaultValue: '',
    unit: '', scope: 'group', live: false,
    help: 'A name for the group in legends, labels and files (e.g. fast); empty: the parameters that tell the groups apart.',
  },
];

const kSpecByKey = new Map<string, ParamSpec>(kParamSpecs.map((spec) => [spec.key, spec]));

export function paramSpec(key: string): ParamSpec | undefined {
  return kSpecByKey.get(key);
}

export const kGroupKeys = kParamSpecs.filter((s) => s.scope === 'group').map((s) => s.key);
export const kLiveKeys = kParamSpecs.filter((s) => s.live).map((s) => s.key);

export function defaultParams(): Params {
  const params: Record<string, unknown> = {};
  for (const spec of kParamSpecs) {
    params[spec.key] = Array.isArray(spec.defaultValue) ? [...spec.defaultValue] : spec.defaultValue;
  }
  return params as unknown as Params;
}

/** A problem with one field; `field` is the key as the user wrote it (`groups[1].lr`, `lr`). */
export interface FieldError {
  field: string;
  message: string;
}

export class ConfigError extends Error {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(errors.map(formatFieldError).join('\n'));
    this.name = 'ConfigError';
    this.errors = errors;
  }
}

export function formatFieldError(error: FieldError): string {
  return `${error.field}: ${error.message}`;
}

export function describeRange(spec: ParamSpec): string {
  switch (spec.type) {
    case 'enum':
      return `one of ${spec.options.join(', ')}`;
    case 'list':
      return `comma-separated numbers in [${spec.min}, ${spec.max}]`;
    case 'names':
      return `comma-separated names of at most ${kMaxNameLength} letters, digits, spaces, - or _`;
    case 'text':
      return `a name of at most ${kMaxLabelLength} letters, digits, spaces, - or _ (or empty)`;
    default: {
      const kind = spec.type === 'int' ? 'an integer' : 'a number';
      const open = spec.minExclusive ? '(' : '[';
      return `${kind} in ${open}${spec.min}, ${spec.max}]`;
    }
  }
}

type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

function quote(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}...` : raw);
  try {
    const text = JSON.stringify(raw);
    return text === undefined ? String(raw) : text.length > 40 ? `${text.slice(0, 40)}...` : text;
  } catch {
    return String(raw);
  }
}

function checkNumber(spec: NumberSpec, value: number, raw: unknown): Checked<number> {
  const inRange =
    Number.isFinite(value) &&
    (spec.minExclusive ? value > spec.min : value >= spec.min) &&
    value <= spec.max &&
    (spec.type === 'float' || Number.isInteger(value));
  if (!inRange) return { ok: false, message: `must be ${describeRange(spec)}, got ${quote(raw)}` };
  return { ok: true, value };
}

const kNumberPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseNumberText(text: string): number {
  const trimmed = text.trim();
  return kNumberPattern.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** Checks an already-typed value (from a JSON config or a live UI change). */
export function checkValue(spec: ParamSpec, raw: unknown): Checked<Params[ParamKey]> {
  switch (spec.type) {
    case 'enum':
      return typeof raw === 'string' && spec.options.includes(raw)
        ? { ok: true, value: raw as Params[ParamKey] }
        : { ok: false, message: `must be ${describeRange(spec)}, got ${quote(raw)}` };
    case 'list': {
      const list = typeof raw === 'string' ? parseListText(raw) : raw;
      if (!Array.isArray(list)) return { ok: false, message: `must be ${describeRange(spec)}, got ${quote(raw)}` };
      if (list.length > kMaxArms) {
        return { ok: false, message: `must be a list of at most ${kMaxArms} numbers in [${spec.min}, ${spec.max}], got ${list.length} values` };
      }
      const bad = list.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v) || v < spec.min || v > spec.max);
      if (bad >= 0) {
        return { ok: false, message: `value ${bad + 1} must be a number in [${spec.min}, ${spec.max}], got ${quote(list[bad])}` };
      }
      return { ok: true, value: [...(list as number[])] };
    }
    case 'names':
      return checkNames(spec, typeof raw === 'string' ? parseNamesText(raw) : raw);
    case 'text': {
      const text = typeof raw === 'string' ? raw.trim() : raw;
      if (typeof text !== 'string' || text.length > kMaxLabelLength || (text !== '' && !kNamePattern.test(text))) {
        return { ok: false, message: `must be ${describeRange(spec)}, got ${quote(raw)}` };
      }
      return { ok: true, value: text };
    }
    default:
      if (typeof raw !== 'number') return { ok: false, message: `must be ${describeRange(spec)}, got ${quote(raw)}` };
      return checkNumber(spec, raw, raw);
  }
}

function parseNamesText(text: string): string[] {
  return text.trim() === '' ? [] : text.split(',').map((name) => name.trim());
}

function checkNames(spec: NamesSpec, raw: unknown): Checked<string[]> {
  if (!Array.isArray(raw)) return { ok: false, message: `must be ${describeRange(spec)}, got ${quote(raw)}` };
  if (raw.length > kMaxArms) {
    return { ok: false, message: `must be a list of at most ${kMaxArms} names, got ${raw.length}` };
  }
  const bad = raw.findIndex((n) => typeof n !== 'string' || n.length > kMaxNameLength || !kNamePattern.test(n) || n.trim() !== n);
  if (bad >= 0) {
    return { ok: false, message: `name ${bad + 1} must be ${describeRange(spec).replace('comma-separated names', 'a name')}, got ${quote(raw[bad])}` };
  }
  return { ok: true, value: [...(raw as string[])] };
}

/** Arm `j`'s display name: its entry in `armNames`, else "arm j". */
export function armLabel(names: readonly string[], j: number): string {
  return names[j] ?? `arm ${j}`;
}

function parseListText(text: string): number[] | null {
  if (text.trim() === '') return [];
  const values = text.split(',').map(parseNumberText);
  return values.some((v) => Number.isNaN(v)) ? (null as unknown as number[]) : values;
}

/** Parses a value written as text (URL hash, `--set key=value`). */
export function parseValue(spec: ParamSpec, text: string): Checked<Params[ParamKey]> {
  switch (spec.type) {
    case 'enum':
      return checkValue(spec, text.trim());
    case 'names':
    case 'text':
      return checkValue(spec, text);
    case 'list': {
      const list = parseListText(text);
      if (list === null) return { ok: false, message: `must be ${describeRange(spec)}, got ${quote(text)}` };
      return checkValue(spec, list);
    }
    default:
      return checkNumber(spec, parseNumberText(text), text);
  }
}

/** Writes a value so that `parseValue` gives it back exactly (shortest round-trip numbers). */
export function formatValue(value: Params[ParamKey]): string {
  return Array.isArray(value) ? value.map(String).join(',') : String(value);
}

/** The arm means a fixed or bernoulli group uses: the given ones, or evenly spaced 0..1. */
export function resolvedMeans(params: Pick<Params, 'arms' | 'means'>): number[] {
  if (params.means.length > 0) return params.means;
  return Array.from({ length: params.arms }, (_, j) => j / (params.arms - 1));
}

/** Checks between fields of one resolved group; `prefix` names the group in messages. */
export function checkCrossFields(params: Params, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  if (params.armNames.length > 0 && params.armNames.length !== params.arms) {
    errors.push({
      field: 'armNames', // shared: never a group's field
      message: `needs one name per arm (arms=${params.arms}), got ${params.armNames.length}`,
    });
  }
  if (params.policy === 'epsilon-greedy') {
    // A value-based agent takes one sample and one value update per step: no batches, no passes.
    if (params.batch !== 1) errors.push({ field: `${prefix}batch`, message: `must be 1 with policy epsilon-greedy (one sample per step), got ${params.batch}` });
    if (params.epochs !== 1) errors.push({ field: `${prefix}epochs`, message: `must be 1 with policy epsilon-greedy (PPO passes are a policy-gradient method), got ${params.epochs}` });
  }
  if (params.contexts > 1 || params.policy === 'gaussian') {
    // The contextual and the gaussian steps are REINFORCE's one-sample step.
    const why = params.contexts > 1 ? 'contexts > 1 (a one-sample softmax step per context)' : 'policy gaussian (a one-sample step)';
    const plainOnly: [keyof Params, unknown, unknown][] = [
      ['batch', params.batch, 1], ['epochs', params.epochs, 1], ['entropy', params.entropy, 0], ['advantageNorm', params.advantageNorm, 'none'],
    ];
    if (params.contexts > 1) plainOnly.unshift(['policy', params.policy, 'softmax']);
    for (const [key, value, want] of plainOnly) {
      if (value !== want) errors.push({ field: `${prefix}${key}`, message: `must be ${want} with ${why}, got ${value}` });
    }
  }
  if (params.policy === 'gaussian' && params.env === 'bernoulli') {
    errors.push({ field: `${prefix}env`, message: 'must be gaussian or fixed with policy gaussian (its reward is a smooth function of a real-valued action)' });
  }
  if (params.contextSpread > 0 && params.env === 'bernoulli') {
    errors.push({ field: `${prefix}contextSpread`, message: 'must be 0 for bernoulli arms (a level would move probabilities out of [0, 1])' });
  }
  if (params.env !== 'gaussian' && params.means.length > 0) {
    if (params.means.length !== params.arms) {
      errors.push({
        field: `${prefix}means`,
        message: `needs one value per arm (arms=${params.arms}), got ${params.means.length}`,
      });
    } else if (params.env === 'bernoulli') {
      const bad = params.means.findIndex((p) => p < 0 || p > 1);
      if (bad >= 0) {
        errors.push({
          field: `${prefix}means`,
          message: `bernoulli probabilities must be in [0, 1], value ${bad + 1} is ${params.means[bad]}`,
        });
      }
    }
  }
  return errors;
}
