/**
 * Named experiments: the page's preset menu and `sim --preset`. Pure data, no DOM.
 *
 * Each preset is a whole `ExperimentConfig` (defaults filled in), so what a preset runs does
 * not depend on where it is opened. `getPreset` hands out a validated deep copy: callers may
 * change it freely.
 */
import { type ExperimentConfig, type GroupOverrides, validateConfig } from './config.ts';
import { ConfigError, type Params, defaultParams } from './schema.ts';

export interface Preset {
  /** Stable name: `sim --preset NAME`, `#preset=NAME` links, the page's menu. Never rename one. */
  readonly name: string;
  /** One line for menus, `sim --help` and the page's lede: what to look for. */
  readonly description: string;
  /** Two or three sentences: what the charts show and why. */
  readonly watch: string;
  readonly config: ExperimentConfig;
}

function preset(
  name: string,
  description: string,
  watch: string,
  params: Partial<Params>,
  groups: GroupOverrides[] = [{}],
): Preset {
  const config: ExperimentConfig = { params: { ...defaultParams(), ...params }, groups };
  return deepFreeze({ name, description, watch, config: validateConfig(config) });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

const kLeftRight = { arms: 2, env: 'fixed', armNames: ['Left', 'Right'] } as const satisfies Partial<Params>;

export const kPresets: readonly Preset[] = Object.freeze([
  preset(
    'baseline-on-off',
    'Same bandit, same random numbers: why does the group without a baseline learn so much more slowly?',
    'Three arms pay about 9, 10 and 11, so every reward is large and positive. Without a baseline each ' +
      'update pushes up whatever arm was picked, and the gradient estimate is over ten times noisier; many ' +
      'agents lock onto a worse arm. Drag Reward offset to 0 and watch the two groups meet.',
    {
      arms: 3, env: 'fixed', means: [-1, 0, 1], offset: 10, noise: 1,
      lr: 0.1, baseline: 'average', steps: 500, agents: 10_000,
    },
    [{ baseline: 'average' }, { baseline: 'none' }],
  ),
  preset(
    'lesson-mini-challenge',
    'The lesson\'s mini-challenge: Left pays 0, Right pays 1, lr 0.1, running-average baseline, 300 steps.',
    'Every agent starts at 50/50. Rewards above the running average push Right up, rewards below it push ' +
      'Left down, so P(Right) climbs to about 0.98 by step 300. Open one agent below to follow its updates by hand.',
    { ...kLeftRight, means: [0, 1], noise: 0, lr: 0.1, baseline: 'average', steps: 300, agents: 10_000 },
  ),
  preset(
    'mistake-high-variance',
    'Mistake: noisy rewards. Reward noise 0 beside noise 5, and noise 5 with 16 samples per update.',
    'All three have a baseline, yet the noisy group\'s gradient variance is dozens of times larger: its ' +
      'agents wander, some for hundreds of steps on the wrong arm, while the clean group marches to Right. ' +
      'A baseline removes the offset of the rewards, not their noise; averaging a batch of 16 samples per update divides the variance by 16.',
    { ...kLeftRight, means: [0, 1], lr: 0.1, baseline: 'average', steps: 1000, agents: 5000 },
    [{ noise: 0 }, { noise: 5 }, { noise: 5, batch: 16 }],
  ),
  preset(
    'mistake-no-baseline',
    'Mistake: no baseline with all-positive rewards. Left pays 50, Right 51; with a baseline and without.',
    'Without a baseline every reward is about 50, so the first update shoves whichever arm came first ' +
      'to near certainty and the agent never recovers: half end on Left, P(Right) stays near 0.5. ' +
      'With the running average subtracted, R - b is about +-0.5 and P(Right) passes 0.9.',
    { ...kLeftRight, means: [50, 51], noise: 0, lr: 0.1, baseline: 'average', steps: 300, agents: 5000 },
    [{ baseline: 'average' }, { baseline: 'none' }],
  ),
  preset(
    'mistake-lr-too-high',
    'Mistake: a learning rate that is too high. Five arms, lr 0.1, 1 and 10, and lr 1 with an entropy bonus.',
    'At lr 10 one lucky reward puts nearly all the probability on one arm within a few steps: the entropy ' +
      'drops to 0 and about half the agents are stuck on a worse arm for good; at lr 1 a tenth still are. ' +
      'At lr 0.1 learning is slow but sure, and at lr 1 an entropy bonus of 0.1 keeps every agent exploring until it finds the best arm.',
    { arms: 5, env: 'fixed', means: [], noise: 0.5, baseline: 'average', steps: 500, agents: 5000 },
    [{ lr: 0.1 }, { lr: 1 }, { lr: 10 }, { lr: 1, entropy: 0.1 }],
  ),
  preset(
    'mistake-reward-scale',
    'Mistake: badly scaled rewards. The same bandit with rewards x1, x1000 and x0.0001, then x1000 and x0.0001 normalised.',
    'The update is proportional to R - b, so the reward\'s scale is a hidden learning rate. x1000 collapses ' +
      'every agent onto whichever arm it tried first; x0.0001 does not move from 50/50 in 300 steps; x1 learns. ' +
      'The fourth group normalises each batch of 8 advantages to mean 0 and standard deviation 1, the fifth divides ' +
      'every advantage by their running root mean square, and both learn like x1.',
    { ...kLeftRight, means: [0, 1], noise: 0.5, lr: 0.1, baseline: 'average', steps: 300, agents: 5000 },
    [
      { scale: 1 }, { scale: 1000 }, { scale: 0.0001 }, { scale: 1000, batch: 8, advantageNorm: 'batch' },
      { scale: 0.0001, advantageNorm: 'running' },
    ],
  ),
  preset(
    'ppo-clip',
    'PPO: eight passes over each batch of 16, with and without clipping, beside one pass (REINFORCE), all at lr 1.',
    'Eight passes squeeze more learning out of every batch, but unclipped they overshoot: within 20 steps many ' +
      'agents are sure of a worse arm and never recover. Clipping the ratio to [0.8, 1.2] stops each sample ' +
      'pushing once its probability has moved far enough, and the clipped group learns fastest of the three.',
    {
      arms: 5, env: 'fixed', means: [], noise: 1, lr: 1, baseline: 'average', batch: 16, advantageNorm: 'batch',
      steps: 200, agents: 5000,
    },
    [{ epochs: 1 }, { epochs: 8 }, { epochs: 8, clip: 0.2 }],
  ),
  preset(
    'testbed',
    'The classic 10-armed testbed: arm values ~ N(0, 1), unit reward noise, gradient bandit with a baseline.',
    'Each agent meets its own bandit, so the best arm differs from agent to agent. P(best arm) climbs ' +
      'past 0.8 over 1000 steps while the spread across agents shows which bandits are hard.',
    {
      arms: 10, env: 'gaussian', offset: 0, spread: 1, noise: 1,
      lr: 0.1, baseline: 'average-inclusive',
      steps: 1000, agents: 2000,
    },
  ),
  preset(
    'testbed-baseline',
    'Sutton & Barto figure 2.5: testbed with arm values around +4, lr 0.1 and 0.4, with and without a baseline.',
    'With arm values around +4 every reward is positive. With the baseline both learning rates reach ' +
      '75-85% optimal actions by step 1000; without it they stay near 50% and 25%, and the gradient-variance chart shows why.',
    {
      arms: 10, env: 'gaussian', offset: 4, spread: 1, noise: 1,
      lr: 0.1, baseline: 'average-inclusive',
      steps: 1000, agents: 2000,
    },
    [
      { lr: 0.1, baseline: 'average-inclusive' },
      { lr: 0.1, baseline: 'none' },
      { lr: 0.4, baseline: 'average-inclusive' },
      { lr: 0.4, baseline: 'none' },
    ],
  ),
  preset(
    'value-vs-policy',
    'Value-based against policy-based on the same testbed: epsilon-greedy (epsilon 0.1) beside a softmax policy gradient.',
    'Epsilon-greedy learns faster at first: a sample average of each arm is a quick guess of the best one. ' +
      'But it keeps exploring, so P(best arm) can never pass 1 - 0.9 epsilon = 0.91, and its entropy stays at a floor. ' +
      'The policy gradient starts slower, overtakes it by step 300 and keeps sharpening its softmax towards the best arm.',
    {
      arms: 10, env: 'gaussian', offset: 0, spread: 1, noise: 1,
      lr: 0.1, baseline: 'average-inclusive', epsilon: 0.1,
      steps: 1000, agents: 2000,
    },
    [{ policy: 'epsilon-greedy' }, { policy: 'softmax' }],
  ),
  preset(
    'epsilon-greedy',
    'Sutton & Barto figure 2.2: epsilon-greedy with epsilon 0.1, 0.01 and 0 (greedy) on the 10-armed testbed.',
    'Greedy agents lock onto the first arm that looks good and choose the best one only about a third of the time. ' +
      'Epsilon 0.1 finds the best arm fastest (about 80% by step 1000) but never passes 91%; epsilon 0.01 climbs slowly, ' +
      'and would pass it in the long run.',
    {
      arms: 10, env: 'gaussian', offset: 0, spread: 1, noise: 1, policy: 'epsilon-greedy',
      steps: 1000, agents: 2000,
    },
    [{ epsilon: 0.1 }, { epsilon: 0.01 }, { epsilon: 0 }],
  ),
  preset(
    'optimistic-values',
    'Sutton & Barto figure 2.3: a greedy agent with optimistic initial values (Q0 = 5) against epsilon-greedy (0.1), both with step size 0.1.',
    'Every estimate starts far above any reward, so each pull disappoints and the greedy agent moves on: it tries ' +
      'every arm many times before it settles. It starts worse, then passes epsilon-greedy, because once it has ' +
      'settled it no longer wastes one step in ten on exploring.',
    {
      arms: 10, env: 'gaussian', offset: 0, spread: 1, noise: 1, policy: 'epsilon-greedy', valueStep: 0.1,
      steps: 1000, agents: 2000,
    },
    [{ epsilon: 0, initialValue: 5 }, { epsilon: 0.1, initialValue: 0 }],
  ),
  preset(
    'actor-critic',
    'Actor-critic on a contextual bandit: four contexts with reward levels from -5 to +5, a learned V(context) against one average baseline.',
    'Each step an agent sees one of four contexts; each has its own best arm and a level that moves every reward. ' +
      'The critic learns V for each context and subtracts the right one, so only the choice of arm is left in the advantage; ' +
      'one average baseline cannot follow the levels, its gradient is several times noisier and it learns more slowly.',
    {
      arms: 10, env: 'gaussian', offset: 0, spread: 1, noise: 1, lr: 0.1,
      contexts: 4, contextSpread: 5, criticLr: 0.1,
      steps: 1000, agents: 2000,
    },
    [{ baseline: 'critic' }, { baseline: 'average' }],
  ),
  preset(
    'gaussian-policy',
    'Continuous actions: a gaussian policy N(mu, sigma^2) learns where each agent\'s reward bump peaks, with and without a baseline.',
    'Each agent has its own best action x*; the reward is a bump around it plus noise. REINFORCE moves the mean ' +
      'towards x* and shrinks sigma, so the action distribution narrows onto the optimum; without a baseline the ' +
      'gradient is about four times noisier and the agents end further from their optimum.',
    {
      arms: 2, env: 'gaussian', spread: 1, noise: 0.5, offset: 0, scale: 1, policy: 'gaussian', lr: 0.01,
      steps: 1000, agents: 2000,
    },
    [{ baseline: 'average' }, { baseline: 'none' }],
  ),
]);

/** The preset the page opens on when the link names none. */
export const kLandingPreset = 'baseline-on-off';

/** Names that links and scripts may still use, and the preset they now open. */
export const kPresetAliases: Readonly<Record<string, string>> = Object.freeze({
  'lesson-two-arm': 'lesson-mini-challenge',
  'lesson-all-positive': 'mistake-no-baseline',
});

export function presetNames(): string[] {
  return kPresets.map((p) => p.name);
}

/** A fresh, validated copy of a preset's config; throws a ConfigError (field `preset`) for an unknown name. */
export function getPreset(name: string): ExperimentConfig {
  return validateConfig(structuredClone(findPreset(name).config));
}

/** The preset called `name` (or its old name); throws a ConfigError (field `preset`) for an unknown one. */
export function findPreset(name: string): Preset {
  const current = kPresetAliases[name] ?? name;
  const found = kPresets.find((p) => p.name === current);
  if (!found) {
    throw new ConfigError([
      { field: 'preset', message: `unknown preset ${JSON.stringify(name)} (known: ${presetNames().join(', ')})` },
    ]);
  }
  return found;
}
