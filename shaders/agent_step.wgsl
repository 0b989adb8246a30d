// The fused agent kernel: one invocation per agent advances `steps` steps with the agent's
// preferences in private memory and touches global memory once per dispatch. GPU twin of
// AgentStepper in src/core/agent.ts: the same stages under the same names (loadArms, policy,
// takeStep, accumulateActionStats, accumulatePolicyStats), the same formulas, the same order of
// f32 operations.
//
// Statistics: each invocation sums its agent-steps' statistics per stats window; at a window's
// end (or the dispatch's end) reduceWorkgroup adds them up and writes partial records for the
// row: one per subgroup (reduce_subgroups.wgsl, where the device has subgroups) or one per
// workgroup (reduce_workgroup.wgsl); finalize_stats.wgsl combines the records in the slots of
// kAcc (src/core/shared-constants.ts). Prepended: the shared constants, common.wgsl and a line
// `const kArmCapacity: u32 = ...;` (private array size: the next power of two >= arms).

override kArms: u32 = 10u;
// 1/2 log(2 pi e): a normal's entropy is this plus log sigma.
const kGaussianEntropyBase: f32 = 1.4189385332046727;
override kStats: bool = true;
// Rows hold the statistics of each window's last step only (params.windowStats = 'last').
override kLastStepRows: bool = false;
// Some group batches, normalises its advantages, adds an entropy bonus or makes PPO passes
// (plan.generalStep): without it only the plain one-sample step is compiled (SwiftShader runs
// both sides of a branch, so an unused batch loop would still cost).
override kGeneralStep: bool = false;
// Some group is epsilon-greedy (plan.valueStep): without it the value step is not compiled.
override kValueStep: bool = false;
// Some group has contexts > 1 (plan.contextStep): without it the contextual step is not compiled.
override kContextStep: bool = false;
// Some group's policy is gaussian (plan.gaussianStep): without it its step is not compiled.
override kGaussianStep: bool = false;
// Partial records per workgroup and row: 1, or one per subgroup (reduce_subgroups.wgsl).
override kRecordsPerWorkgroup: u32 = 1u;

struct GroupParams {
  lrOverTemperature: f32,
  invTemperature: f32,
  baseline: u32,
  baselineRate: f32,
  baselineInit: f32,
  env: u32,
  offset: f32,
  scale: f32,
  spread: f32,
  rewardSd: f32,
  agents: u32,
  firstWorkgroup: u32,
  workgroups: u32,
  halted: u32,
  // 1: step 1's average and ema baselines are its own reward (params.baselineStart 'first-reward').
  baselineFromFirstReward: u32,
  batch: u32,
  advantageNorm: u32,
  // lr / T / batch, and lr / T * entropy coefficient (computed once on the CPU, in f32).
  lrOverTemperatureBatch: f32,
  lrEntropy: f32,
  entropy: f32,
  // PPO: passes over each batch, and the ratio's clip bounds (1 -+ clip; no clipping: 0 and the largest f32).
  epochs: u32,
  clipLow: f32,
  clipHigh: f32,
  // kPolicySoftmax or kPolicyEpsilonGreedy; epsilon-greedy's epsilon / k, 1 - epsilon and value step (0: sample averages).
  policy: u32,
  epsilonShare: f32,
  greedyMass: f32,
  valueStep: f32,
  // The critic's step size; contexts, and context c's level contextLow + contextStep * c.
  criticLr: f32,
  contexts: u32,
  contextLow: f32,
  contextStep: f32,
  // lr itself: the gaussian policy's step has no temperature.
  lr: f32,
  means: array<f32, kMaxArms>,
}

struct StepUniforms {
  firstStep: u32,
  steps: u32,
  window: u32,
  // 1 when this dispatch continues a window begun by the previous one (row 0 adds to it).
  continuesWindow: u32,
  seed: u32,
  groupCount: u32,
  workgroupCount: u32,
  // Agents in the state arrays (all groups, each padded to a workgroup multiple).
  stateStride: u32,
  rowsPerDispatch: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<uniform> uniforms: StepUniforms;
@group(0) @binding(1) var<storage, read> groups: array<GroupParams>;
// Arm-major: prefs of arm j at [j * stateStride + agent], then the reward mean, then the ema,
// then a group's extra planes (extraLayout in src/core/agent.ts). Epsilon-greedy: the pull count
// of arm j at plane kArms + 2 + j. Softmax: the critic's V(c) at kArms + 2 + c, then
// advantageNorm running's mean square of the advantages, then the preferences of contexts 1, 2, ...
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
// [(row * workgroupCount + workgroup) * kRecordsPerWorkgroup + record] records of
// kAccScalars + 3 * kArms sums.
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
// [group * rowsPerDispatch + row] histograms of pi(optimal arm) after the row's last step.
@group(0) @binding(4) var<storage, read_write> histograms: array<atomic<u32>>;
// First step at which a group's preferences became non-finite (0xffffffff: never).
@group(0) @binding(5) var<storage, read_write> divergedAt: array<atomic<u32>, kMaxGroups>;

var<private> prefs: array<f32, kArmCapacity>;
var<private> weights: array<f32, kArmCapacity>;
var<private> probs: array<f32, kArmCapacity>;
var<private> armMean: array<f32, kArmCapacity>;
// Arm values before offset and scale (bernoulli: the probabilities) and reward variances.
var<private> armValue: array<f32, kArmCapacity>;
var<private> armVar: array<f32, kArmCapacity>;
// Accumulators: scalars, and per arm in arrays of their own, so that every per-step update
// indexes with a constant (after unrolling) rather than an offset that depends on kArms.
var<private> acc: array<f32, kAccCapacity>;
var<private> accProb: array<f32, kArmCapacity>;
var<private> accGrad: array<f32, kArmCapacity>;
var<private> accGrad2: array<f32, kArmCapacity>;
// A step's change to each preference, and its gradient estimate (per unit lr), over its batch.
var<private> delta: array<f32, kArmCapacity>;
var<private> batchGradient: array<f32, kArmCapacity>;
// The policy a general step's pass updates with (a PPO pass after the first: the one it has reached).
var<private> probsNow: array<f32, kArmCapacity>;
var<private> weightSumNow: f32;
var<private> weightSum: f32;
// Epsilon-greedy: the pull count of each arm (its action values live in prefs).
var<private> counts: array<f32, kArmCapacity>;
// advantageNorm running: the mean of A^2 over the agent's samples so far.
var<private> advantageSquare: f32;
// The critic's V of the context being stepped (softmax groups; drawSample reads and updates it),
// and a contextual agent's V of every context.
var<private> critic: f32;
var<private> criticValues: array<f32, kMaxContexts>;
// A contextual agent: its arm values in context 0 without the level, and whose preferences are in prefs.
var<private> baseValue: array<f32, kArmCapacity>;
var<private> loadedContext: u32;
// The agent's index in the state planes.
var<private> stateSlot: u32;

fn statCount() -> u32 {
  return kAccScalars + 3u * kArms;
}

// Max-subtracted softmax of prefs / T into weights, probs and weightSum (>= 1: always finite).
fn policy(invTemperature: f32) {
  var maxPref = prefs[0];
  for (var j = 0u; j < kArms; j++) { maxPref = max(maxPref, prefs[j]); }
  var sum = 0.0;
  for (var j = 0u; j < kArms; j++) {
    let weight = exp((prefs[j] - maxPref) * invTemperature);
    weights[j] = weight;
    sum += weight;
  }
  for (var j = 0u; j < kArms; j++) { probs[j] = weights[j] / sum; }
  weightSum = sum;
}

// Epsilon-greedy's policy at the action values in prefs (epsilonGreedyInto in src/core/policy.ts):
// epsilon / k for every arm, and 1 - epsilon shared by the arms of the highest value.
fn greedyPolicy() {
  var maxValue = prefs[0];
  for (var j = 0u; j < kArms; j++) { maxValue = max(maxValue, prefs[j]); }
  var ties = 0.0;
  for (var j = 0u; j < kArms; j++) { ties += select(0.0, 1.0, prefs[j] == maxValue); }
  let greedyShare = greedyMass / ties;
  var sum = 0.0;
  for (var j = 0u; j < kArms; j++) {
    let weight = select(epsilonShare, epsilonShare + greedyShare, prefs[j] == maxValue);
    weights[j] = weight;
    sum += weight;
  }
  for (var j = 0u; j < kArms; j++) { probs[j] = weights[j] / sum; }
  weightSum = sum;
}

// The loaded agent's policy: epsilon-greedy for a value-based group, else the softmax.
fn currentPolicy() {
  if (kValueStep && isValueGroup) {
    greedyPolicy();
  } else if (kGaussianStep && isGaussianGroup) {
    // N(mu, sigma^2) is its two numbers: nothing to weigh.
  } else {
    policy(invTemperature);
  }
}

// What the histogram bins: pi(best arm), or for a gaussian policy mu - x* mapped to [0, 1] over
// [-kActionRange, kActionRange] (AgentStepper's histogramValue).
fn histogramValue() -> f32 {
  if (kGaussianStep && isGaussianGroup) { return (prefs[0] - armValue[0] + kActionRange) / (2.0 * kActionRange); }
  return probs[optimalArm];
}

// Inverse-CDF sampling on the weights; never returns an arm of weight zero.
fn sampleArm(u: f32) -> u32 {
  let threshold = u * weightSum;
  var cumulative = 0.0;
  var lastPositive = 0u;
  var chosen = 0xffffffffu;
  for (var j = 0u; j < kArms; j++) {
    cumulative += weights[j];
    if (weights[j] > 0.0) { lastPositive = j; }
    if (chosen == 0xffffffffu && threshold < cumulative) { chosen = j; }
  }
  return select(chosen, lastPositive, chosen == 0xffffffffu);
}

// Exact variance of the gradient estimator at the current policy: see exactGradientVariance in
// src/core/policy.ts for the derivation.
fn exactGradientVariance(baseline: f32, factor: f32, invTemperature: f32) -> f32 {
  var sumSquaredProbs = 0.0;
  var meanReward = 0.0;
  for (var a = 0u; a < kArms; a++) {
    sumSquaredProbs += probs[a] * probs[a];
    meanReward += probs[a] * armMean[a];
  }
  var secondMoment = 0.0;
  var squaredMean = 0.0;
  for (var a = 0u; a < kArms; a++) {
    let centred = armMean[a] - baseline;
    secondMoment += probs[a] * (centred * centred + armVar[a]) * (1.0 - 2.0 * probs[a] + sumSquaredProbs);
    let meanGradient = probs[a] * (armMean[a] - meanReward);
    squaredMean += meanGradient * meanGradient;
  }
  let scale = factor * invTemperature;
  return scale * scale * max(0.0, secondMoment - squaredMean);
}

fn clearAccumulators() {
  for (var s = 0u; s < kAccScalars; s++) { acc[s] = 0.0; }
  for (var j = 0u; j < kArms; j++) {
    accProb[j] = 0.0;
    accGrad[j] = 0.0;
    accGrad2[j] = 0.0;
  }
}

// The agent this invocation runs and its group's constants: set once in main, read by takeStep.
var<private> groupIndex: u32;
var<private> localAgent: u32;
var<private> isActive: bool;
var<private> healthy: bool;
var<private> rewardMean: f32;
var<private> ema: f32;
var<private> optimalArm: u32;
var<private> bestMean: f32;
var<private> invTemperature: f32;
var<private> baselineMode: u32;
var<private> baselineRate: f32;
var<private> baselineInit: f32;
var<private> baselineFromFirstReward: bool;
var<private> batch: u32;
var<private> advantageNorm: u32;
var<private> lrOverTemperature: f32;
var<private> lrOverTemperatureBatch: f32;
var<private> lrEntropy: f32;
var<private> entropyCoefficient: f32;
var<private> epochs: u32;
var<private> clipLow: f32;
var<private> clipHigh: f32;
var<private> isValueGroup: bool;
var<private> isContextGroup: bool;
var<private> isGaussianGroup: bool;
var<private> lr: f32;
var<private> criticLr: f32;
var<private> contexts: u32;
var<private> contextLow: f32;
var<private> contextStep: f32;
var<private> epsilonShare: f32;
var<private> greedyMass: f32;
var<private> valueStepSize: f32;
var<private> env: u32;
var<private> offset: f32;
var<private> scale: f32;
var<private> rewardSd: f32;

// The softmax score times T: 1[j = a] - pi_j = T d log pi_a / d theta_j. The update and the
// gradient statistics both scale it (scoreDirection in src/core/policy.ts). The caller indexes
// probs, so that the index stays a constant where the arm loops are unrolled.
fn scoreDirection(isAction: bool, prob: f32) -> f32 {
  return select(0.0, 1.0, isAction) - prob;
}

// The statistics of a plain step's one sample, under the policy it was drawn from.
fn accumulateSampleStats(sample: Sample) {
  acc[kAccCount] += 1.0;
  acc[kAccReward] += sample.reward;
  acc[kAccOptimal] += select(0.0, 1.0, sample.action == optimalArm);
  acc[kAccBaseline] += sample.baseline;
  acc[kAccAdvantage] += sample.advantage;
  acc[kAccExactVar] += exactGradientVariance(sample.referenceBaseline, sample.factor, invTemperature);
  let scaledAdvantage = sample.advantage * invTemperature;
  var squaredNorm = 0.0;
  for (var j = 0u; j < kArms; j++) {
    let gradient = scaledAdvantage * scoreDirection(j == sample.action, probs[j]);
    accGrad[j] += gradient;
    accGrad2[j] += gradient * gradient;
    squaredNorm += gradient * gradient;
  }
  acc[kAccSqNorm] += squaredNorm;
  acc[kAccSqNorm2] += squaredNorm * squaredNorm;
}

// The statistics of the step just taken (its batch, under the policy it was drawn from): the
// per-sample quantities as the batch's means, the gradient estimate and its exact variance as
// those of the update.
fn accumulateBatchStats(sums: BatchSums) {
  let batchF = f32(batch);
  acc[kAccCount] += 1.0;
  acc[kAccReward] += sums.reward / batchF;
  acc[kAccOptimal] += sums.optimal / batchF;
  acc[kAccBaseline] += sums.baseline / batchF;
  acc[kAccAdvantage] += sums.advantage / batchF;
  acc[kAccExactVar] += sums.exactVariance / (batchF * batchF);
  if (epochs > 1u) { acc[kAccClipped] += sums.clipped / (batchF * f32(epochs - 1u)); }
  var squaredNorm = 0.0;
  for (var j = 0u; j < kArms; j++) {
    let gradient = batchGradient[j] / batchF;
    accGrad[j] += gradient;
    accGrad2[j] += gradient * gradient;
    squaredNorm += gradient * gradient;
  }
  acc[kAccSqNorm] += squaredNorm;
  acc[kAccSqNorm2] += squaredNorm * squaredNorm;
}

// The statistics of the policy after the update (the next step's policy, already computed).
fn accumulatePolicyStats() {
  if (kGaussianStep && isGaussianGroup) {
    // J = offset + scale E[exp(-(x - x*)^2 / 2)]; differential entropy 1/2 log(2 pi e) + log sigma.
    let gap = prefs[0] - armValue[0];
    let sigma = exp(prefs[1]);
    let expectedReward = offset + scale * gaussianBumpMoments(0.5, gap, sigma).m0;
    acc[kAccExpected] += expectedReward;
    acc[kAccRegret] += bestMean - expectedReward;
    acc[kAccEntropy] += kGaussianEntropyBase + prefs[1];
    acc[kAccActionError] += abs(gap);
    acc[kAccActionStd] += sigma;
    return;
  }
  var expected = 0.0;
  var maxPref = prefs[0];
  for (var j = 0u; j < kArms; j++) { maxPref = max(maxPref, prefs[j]); }
  var weighted = 0.0;
  for (var j = 0u; j < kArms; j++) {
    accProb[j] += probs[j];
    expected += probs[j] * armMean[j];
    weighted += probs[j] * (prefs[j] - maxPref) * invTemperature;
  }
  acc[kAccExpected] += expected;
  acc[kAccRegret] += bestMean - expected;
  if (kValueStep && isValueGroup) {
    var entropy = 0.0;
    for (var j = 0u; j < kArms; j++) { if (probs[j] > 0.0) { entropy -= probs[j] * log(probs[j]); } }
    acc[kAccEntropy] += entropy;
  } else {
    acc[kAccEntropy] += log(weightSum) - weighted;
  }
  acc[kAccProbOptimal] += probs[optimalArm];
}

struct Sample {
  action: u32,
  reward: f32,
  baseline: f32,
  advantage: f32,
  // The advantage as factor * (R - referenceBaseline), both fixed before the draw: what the
  // exact variance needs (only the inclusive average differs from (1, baseline)).
  referenceBaseline: f32,
  factor: f32,
}

struct BatchSums {
  reward: f32,
  optimal: f32,
  baseline: f32,
  advantage: f32,
  exactVariance: f32,
  // PPO: samples left out of a later pass because their ratio had left the clip bound.
  clipped: f32,
}

// Sample `index` of step `stepIndex`'s batch (AgentStepper's #drawSample): the action, the reward,
// R - b, and the running baselines advanced (`rewardCount` rewards including this one).
fn drawSample(stepIndex: u32, index: u32, rewardCount: u32) -> Sample {
  return sampleFrom(philox4x32(vec4<u32>(stepIndex, kPurposeStep, index, 0u), vec2<u32>(uniforms.seed, localAgent)), rewardCount);
}

// drawSample from the step's words (AgentStepper's #sampleFrom).
fn sampleFrom(words: vec4<u32>, rewardCount: u32) -> Sample {
  let action = sampleArm(uniformFromU32(words.x));
  var reward: f32;
  if (env == kEnvBernoulli) {
    reward = select(offset, offset + scale, uniformFromU32(words.y) < armValue[action]);
  } else if (rewardSd == 0.0) {
    reward = armMean[action];
  } else {
    reward = armMean[action] + rewardSd * normalFromU32Pair(words.y, words.z);
  }
  return withBaseline(action, reward, rewardCount);
}

// The baseline for `reward` (the `rewardCount`-th), R - b, and the running baselines advanced
// (AgentStepper's #applyBaseline).
fn withBaseline(action: u32, reward: f32, rewardCount: u32) -> Sample {
  var sample: Sample;
  sample.action = action;
  sample.reward = reward;

  let countF = f32(rewardCount);
  // No history before the first reward: with baselineFromFirstReward the average and ema
  // baselines take it (advantage 0), else baselineInit (AgentStepper.takeStep says more).
  let firstFromReward = rewardCount == 1u && baselineFromFirstReward;
  var baseline = 0.0;
  sample.factor = 1.0;
  switch (baselineMode) {
    case kBaselineAverage: {
      baseline = select(rewardMean, select(baselineInit, reward, firstFromReward), rewardCount == 1u);
      sample.factor = select(1.0, 0.0, firstFromReward);
      sample.referenceBaseline = baseline;
    }
    case kBaselineAverageInclusive: {
      // Mean including this reward: R - b = ((n - 1) / n) (R - mean of earlier rewards).
      baseline = rewardMean + (reward - rewardMean) / countF;
      sample.factor = (countF - 1.0) / countF;
      sample.referenceBaseline = rewardMean;
    }
    case kBaselineEma: {
      baseline = select(ema, reward, firstFromReward);
      sample.factor = select(1.0, 0.0, firstFromReward);
      sample.referenceBaseline = baseline;
    }
    case kBaselineCritic: {
      baseline = select(critic, 0.0, isValueGroup);
      sample.referenceBaseline = baseline;
    }
    default: {
      sample.referenceBaseline = 0.0;
    }
  }
  sample.baseline = baseline;
  sample.advantage = reward - baseline;
  rewardMean = rewardMean + (reward - rewardMean) / countF;
  ema = select(ema + baselineRate * (reward - ema), reward, firstFromReward);
  if (!isValueGroup) { critic = critic + criticLr * (reward - critic); }
  return sample;
}

// lr * beta * dH/dtheta_j into the step's change, dH/dtheta_j = -(pi_j / T) (log pi_j + H)
// (AgentStepper's #addEntropyBonus); beta * dH/dtheta_j (times the batch) into its gradient.
fn addEntropyBonus(withStats: bool) {
  var maxPref = prefs[0];
  for (var j = 0u; j < kArms; j++) { maxPref = max(maxPref, prefs[j]); }
  let logSum = log(weightSumNow);
  var weighted = 0.0;
  for (var j = 0u; j < kArms; j++) { weighted += probsNow[j] * (prefs[j] - maxPref) * invTemperature; }
  let entropy = logSum - weighted;
  for (var j = 0u; j < kArms; j++) {
    let logProb = (prefs[j] - maxPref) * invTemperature - logSum;
    let direction = -(probsNow[j] * (logProb + entropy));
    delta[j] += lrEntropy * direction;
    if (withStats) { batchGradient[j] += entropyCoefficient * invTemperature * direction * f32(batch); }
  }
}

// One step of the loaded agent (the private variables above) (AgentStepper.takeStep). `withStats`
// is a constant at every call, so each call site compiles to a kernel with or without the
// statistics: SwiftShader runs both sides of a branch, and this keeps unmeasured steps free of
// their cost.
fn takeStep(stepIndex: u32, withStats: bool) {
  if (isActive && healthy) {
    if (kValueStep && isValueGroup) {
      takeValueStep(stepIndex, withStats);
    } else if (kContextStep && isContextGroup) {
      takeContextStep(stepIndex, withStats);
    } else if (kGaussianStep && isGaussianGroup) {
      takeGaussianStep(stepIndex, withStats);
    } else if (kGeneralStep) {
      takeGeneralStep(stepIndex, withStats);
    } else {
      takePlainStep(stepIndex, withStats);
    }
    if (!healthy) {
      atomicMin(&divergedAt[groupIndex], stepIndex);
    }
    currentPolicy();

    if (withStats && healthy) { accumulatePolicyStats(); }
  }
}

// One sample, one update: theta_j += lr * (R - b) * (1[j = a] - pi_j) / T.
fn takePlainStep(stepIndex: u32, withStats: bool) {
  let sample = drawSample(stepIndex, 0u, stepIndex);
  if (withStats) { accumulateSampleStats(sample); }
  let coefficient = lrOverTemperature * sample.advantage;
  for (var j = 0u; j < kArms; j++) {
    prefs[j] = prefs[j] + coefficient * scoreDirection(j == sample.action, probs[j]);
    // abs(x) <= max finite f32 is false for inf and NaN alike.
    if (!(abs(prefs[j]) <= 3.4028234663852886e38)) { healthy = false; }
  }
}

// The plane of a contextual agent's preference for arm j in context `context` (context 0's are the
// preferences' own planes; a contextual group has no running-norm word, so its contexts' follow its V).
fn contextPlane(context: u32, j: u32) -> u32 {
  return select(kArms + 2u + contexts + (context - 1u) * kArms + j, j, context == 0u);
}

// The arms in context `context` (AgentStepper's #contextArms): arm j takes arm (j + context) mod k's
// value in context 0 plus the context's level.
fn contextArms(context: u32) {
  let level = contextLow + contextStep * f32(context);
  optimalArm = 0u;
  for (var j = 0u; j < kArms; j++) {
    let value = baseValue[(j + context) % kArms] + level;
    armValue[j] = value;
    armMean[j] = offset + scale * value;
    armVar[j] = select(rewardSd * rewardSd, scale * scale * value * (1.0 - value), env == kEnvBernoulli);
    if (armMean[j] > armMean[optimalArm]) { optimalArm = j; }
  }
  bestMean = armMean[optimalArm];
}

// The contextual bandit's step (AgentStepper's #takeContextStep): the context from the step's fourth
// word, that context's preferences (swapped through global memory when the context changes) and
// arms, and the plain step with the baseline critic reading that context's V.
fn takeContextStep(stepIndex: u32, withStats: bool) {
  let words = philox4x32(vec4<u32>(stepIndex, kPurposeStep, 0u, 0u), vec2<u32>(uniforms.seed, localAgent));
  let context = min(contexts - 1u, u32(floor(uniformFromU32(words.w) * f32(contexts))));
  if (context != loadedContext) {
    let stride = uniforms.stateStride;
    for (var j = 0u; j < kArms; j++) { state[contextPlane(loadedContext, j) * stride + stateSlot] = prefs[j]; }
    for (var j = 0u; j < kArms; j++) { prefs[j] = state[contextPlane(context, j) * stride + stateSlot]; }
    loadedContext = context;
  }
  contextArms(context);
  policy(invTemperature);
  critic = criticValues[context];
  let sample = sampleFrom(words, stepIndex);
  criticValues[context] = critic;
  if (withStats) { accumulateSampleStats(sample); }
  let coefficient = lrOverTemperature * sample.advantage;
  for (var j = 0u; j < kArms; j++) {
    prefs[j] = prefs[j] + coefficient * scoreDirection(j == sample.action, probs[j]);
    if (!(abs(prefs[j]) <= 3.4028234663852886e38)) { healthy = false; }
  }
}

// The gaussian policy's step (AgentStepper's #takeGaussianStep): x = mu + sigma z (z from words 0
// and 3, the reward noise from words 1 and 2 as for arms), R = offset + scale exp(-(x - x*)^2 / 2) +
// noise, then mu += lr (R - b) z / sigma and log sigma += lr (R - b) (z^2 - 1). prefs[0] holds
// mu, prefs[1] log sigma, armValue[0] the optimum x*.
fn takeGaussianStep(stepIndex: u32, withStats: bool) {
  let words = philox4x32(vec4<u32>(stepIndex, kPurposeStep, 0u, 0u), vec2<u32>(uniforms.seed, localAgent));
  let mean = prefs[0];
  let logSigma = prefs[1];
  let sigma = exp(logSigma);
  let z = normalFromU32Pair(words.x, words.w);
  let gap = (mean + sigma * z) - armValue[0];
  var reward = offset + scale * exp(-0.5 * (gap * gap));
  if (rewardSd != 0.0) { reward = reward + rewardSd * normalFromU32Pair(words.y, words.z); }
  let sample = withBaseline(0u, reward, stepIndex);
  let coefficient = lr * sample.advantage;
  prefs[0] = mean + coefficient * (z / sigma);
  prefs[1] = logSigma + coefficient * (z * z - 1.0);
  // Beyond |log sigma| = kMaxLogSigma, sigma leaves f32's range on the next step: diverged.
  if (!(abs(prefs[0]) <= 3.4028234663852886e38) || !(abs(prefs[1]) <= kMaxLogSigma)) { healthy = false; }
  if (withStats) {
    acc[kAccCount] += 1.0;
    acc[kAccReward] += sample.reward;
    acc[kAccBaseline] += sample.baseline;
    acc[kAccAdvantage] += sample.advantage;
    acc[kAccExactVar] += gaussianGradientVariance(mean - armValue[0], sigma, offset - sample.referenceBaseline, sample.factor);
    let meanGradient = sample.advantage * z / sigma;
    let spreadGradient = sample.advantage * (z * z - 1.0);
    accGrad[0] += meanGradient;
    accGrad[1] += spreadGradient;
    accGrad2[0] += meanGradient * meanGradient;
    accGrad2[1] += spreadGradient * spreadGradient;
    let squaredNorm = meanGradient * meanGradient + spreadGradient * spreadGradient;
    acc[kAccSqNorm] += squaredNorm;
    acc[kAccSqNorm2] += squaredNorm * squaredNorm;
  }
}

// E[exp(-k (d + sigma z)^2) z^m], m = 0..4 in a vec4 (m = 1..4) and a scalar (m = 0):
// gaussianBumpMoment in src/core/agent.ts.
struct BumpMoments {
  m0: f32,
  m: vec4<f32>,
}

fn gaussianBumpMoments(k: f32, d: f32, sigma: f32) -> BumpMoments {
  let p = 1.0 + 2.0 * k * sigma * sigma;
  let mean = -2.0 * k * d * sigma / p;
  let variance = 1.0 / p;
  let weight = exp(-k * d * d / p) / sqrt(p);
  let m2 = mean * mean;
  return BumpMoments(weight, weight * vec4<f32>(mean, m2 + variance, mean * (m2 + 3.0 * variance), m2 * m2 + 6.0 * m2 * variance + 3.0 * variance * variance));
}

// Exact variance of the gaussian step's gradient estimate (gaussianGradientVariance in src/core/agent.ts).
fn gaussianGradientVariance(d: f32, sigma: f32, base: f32, factor: f32) -> f32 {
  let c0 = factor * base;
  let h = factor * scale;
  let noise = factor * rewardSd;
  let bump = gaussianBumpMoments(0.5, d, sigma);
  let squared = gaussianBumpMoments(1.0, d, sigma);
  let b0 = h * bump.m0;
  let b = h * bump.m;
  let s0 = h * h * squared.m0;
  let s = h * h * squared.m;
  let meanGradient = b.x / sigma;
  let meanSecond = (c0 * c0 + 2.0 * c0 * b.y + s.y + noise * noise) / (sigma * sigma);
  let spreadGradient = b.y - b0;
  let spreadSecond = 2.0 * c0 * c0 + 2.0 * c0 * (b.w - 2.0 * b.y + b0) + (s.w - 2.0 * s.y + s0) + 2.0 * noise * noise;
  return max(0.0, meanSecond - meanGradient * meanGradient) + max(0.0, spreadSecond - spreadGradient * spreadGradient);
}

// Epsilon-greedy's step (AgentStepper's #takeValueStep): one sample from the epsilon-greedy
// policy, then n(a) += 1 and Q(a) += (R - Q(a)) / n(a) (or valueStep (R - Q(a))) for that arm
// alone. The statistics record Q(a) before the update as the baseline and R - Q(a) as the
// advantage; the gradient slots stay 0.
fn takeValueStep(stepIndex: u32, withStats: bool) {
  let sample = drawSample(stepIndex, 0u, stepIndex);
  var value = 0.0;
  var count = 0.0;
  for (var j = 0u; j < kArms; j++) {
    if (j == sample.action) {
      value = prefs[j];
      count = counts[j] + 1.0;
    }
  }
  let error = sample.reward - value;
  let updated = value + select(error / count, valueStepSize * error, valueStepSize > 0.0);
  for (var j = 0u; j < kArms; j++) {
    if (j == sample.action) {
      prefs[j] = updated;
      counts[j] = count;
    }
  }
  if (!(abs(updated) <= 3.4028234663852886e38)) { healthy = false; }
  if (withStats) {
    acc[kAccCount] += 1.0;
    acc[kAccReward] += sample.reward;
    acc[kAccOptimal] += select(0.0, 1.0, sample.action == optimalArm);
    acc[kAccBaseline] += value;
    acc[kAccAdvantage] += error;
  }
}

// `batch` samples, then one update from their mean, with the batch's advantages normalised and
// an entropy bonus where the group asks (AgentStepper.takeStep).
fn takeGeneralStep(stepIndex: u32, withStats: bool) {
  let firstReward = (stepIndex - 1u) * batch;
  var shift = 0.0;
  var normScale = 1.0;
  if (advantageNorm == kAdvantageNormBatch) {
    // The batch's advantages replayed for their mean and sd (the same counter-based draws).
    let savedMean = rewardMean;
    let savedEma = ema;
    let savedCritic = critic;
    var sum = 0.0;
    var sumSquares = 0.0;
    for (var i = 0u; i < batch; i++) {
      let sample = drawSample(stepIndex, i, firstReward + i + 1u);
      sum += sample.advantage;
      sumSquares += sample.advantage * sample.advantage;
    }
    rewardMean = savedMean;
    ema = savedEma;
    critic = savedCritic;
    shift = sum / f32(batch);
    normScale = 1.0 / (sqrt(max(0.0, sumSquares / f32(batch) - shift * shift)) + kAdvantageEpsilon);
  }

  if (withStats) { for (var j = 0u; j < kArms; j++) { batchGradient[j] = 0.0; } }
  var sums = BatchSums(0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
  let startMean = rewardMean;
  let startEma = ema;
  let startSquare = advantageSquare;
  let startCritic = critic;
  // PPO (AgentStepper.takeStep): pass e > 0 replays the batch (drawn from the step's first
  // policy, `probs`) and climbs the clipped surrogate, r = pi_now(a) / pi(a); pass 0 (r = 1) is
  // the plain batch step.
  for (var epoch = 0u; epoch < epochs; epoch++) {
    if (epoch == 0u) {
      for (var j = 0u; j < kArms; j++) { probsNow[j] = probs[j]; }
      weightSumNow = weightSum;
    } else {
      rewardMean = startMean;
      ema = startEma;
      advantageSquare = startSquare;
      critic = startCritic;
      policyNow();
    }
    let counted = withStats && epoch == 0u;
    for (var j = 0u; j < kArms; j++) { delta[j] = 0.0; }
    for (var i = 0u; i < batch; i++) {
      let sample = drawSample(stepIndex, i, firstReward + i + 1u);
      var advantage = sample.advantage;
      var sampleScale = normScale;
      if (advantageNorm == kAdvantageNormBatch) { advantage = (advantage - shift) * normScale; }
      if (advantageNorm == kAdvantageNormRunning) {
        // A / (sqrt(m) + eps), m the running mean of A^2 including this sample.
        advantageSquare = advantageSquare + (sample.advantage * sample.advantage - advantageSquare) / f32(firstReward + i + 1u);
        sampleScale = 1.0 / (sqrt(advantageSquare) + kAdvantageEpsilon);
        advantage = sample.advantage * sampleScale;
      }
      var contributes = true;
      if (epoch > 0u) {
        let ratio = probsNow[sample.action] / probs[sample.action];
        contributes = !((advantage > 0.0 && ratio > clipHigh) || (advantage < 0.0 && ratio < clipLow));
        if (withStats && !contributes) { sums.clipped += 1.0; }
        advantage = advantage * ratio;
      }
      if (contributes) {
        // REINFORCE for every arm: theta_j += lr / batch * A * (1[j = a] - pi_j) / T.
        let coefficient = lrOverTemperatureBatch * advantage;
        for (var j = 0u; j < kArms; j++) { delta[j] += coefficient * scoreDirection(j == sample.action, probsNow[j]); }
      }
      if (counted) {
        sums.reward += sample.reward;
        sums.optimal += select(0.0, 1.0, sample.action == optimalArm);
        sums.baseline += sample.baseline;
        sums.advantage += sample.advantage;
        if (advantageNorm == kAdvantageNormNone) {
          sums.exactVariance += exactGradientVariance(sample.referenceBaseline, sample.factor, invTemperature);
        } else if (sample.factor != 0.0) {
          // Normalised: the same estimator with the baseline moved by m / f, scaled by s f (AgentStepper's #exactVariance).
          sums.exactVariance += exactGradientVariance(sample.referenceBaseline + shift / sample.factor, sample.factor * sampleScale, invTemperature);
        }
        let scaledAdvantage = advantage * invTemperature;
        for (var j = 0u; j < kArms; j++) { batchGradient[j] += scaledAdvantage * scoreDirection(j == sample.action, probs[j]); }
      }
    }
    if (entropyCoefficient > 0.0) { addEntropyBonus(counted); }
    for (var j = 0u; j < kArms; j++) {
      prefs[j] = prefs[j] + delta[j];
      if (!(abs(prefs[j]) <= 3.4028234663852886e38)) { healthy = false; }
    }
    if (!healthy) { break; }
  }
  if (withStats) { accumulateBatchStats(sums); }
}

// The softmax of the current prefs into probsNow and weightSumNow (policy() keeps the step's first).
fn policyNow() {
  var maxPref = prefs[0];
  for (var j = 0u; j < kArms; j++) { maxPref = max(maxPref, prefs[j]); }
  var sum = 0.0;
  for (var j = 0u; j < kArms; j++) {
    let weight = exp((prefs[j] - maxPref) * invTemperature);
    probsNow[j] = weight;
    sum += weight;
  }
  for (var j = 0u; j < kArms; j++) { probsNow[j] = probsNow[j] / sum; }
  weightSumNow = sum;
}

// Arm values, expected rewards, reward variances and the optimal arm of the loaded agent. Arms
// 2i and 2i + 1 share one call (armNormal in src/core/agent.ts). With the arm loop unrolled,
// `j % 2u == 0u` is a constant and odd arms compile without the call.
fn loadArms() {
  var armNormals = vec2<f32>(0.0);
  for (var j = 0u; j < kArms; j++) {
    var value: f32;
    if (env == kEnvGaussian) {
      if (j % 2u == 0u) {
        let words = philox4x32(vec4<u32>(0u, kPurposeArmValue, j / 2u, 0u), vec2<u32>(uniforms.seed, localAgent));
        armNormals = normalPairFromU32Pair(words.x, words.y);
      }
      value = groups[groupIndex].spread * select(armNormals.x, armNormals.y, j % 2u == 1u);
    } else {
      value = groups[groupIndex].means[j];
    }
    armValue[j] = value;
    armMean[j] = offset + scale * value;
    armVar[j] = select(rewardSd * rewardSd, scale * scale * value * (1.0 - value), env == kEnvBernoulli);
    if (armMean[j] > armMean[optimalArm]) { optimalArm = j; }
  }
}

@compute @workgroup_size(kWorkgroupSize)
fn main(
  @builtin(workgroup_id) workgroupId: vec3<u32>,
  @builtin(num_workgroups) workgroupGrid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
  lanes: ReduceLanes,
) {
  let workgroupIndex = workgroupId.x + workgroupId.y * workgroupGrid.x;
  // Workgroups past the last group (2D grid rounding) run idle but join every barrier.
  groupIndex = 0u;
  for (var g = 1u; g < uniforms.groupCount; g++) {
    if (workgroupIndex >= groups[g].firstWorkgroup) { groupIndex = g; }
  }
  // Fields one by one: a copy of the whole struct (with its 64 means) costs private memory.
  invTemperature = groups[groupIndex].invTemperature;
  baselineMode = groups[groupIndex].baseline;
  baselineRate = groups[groupIndex].baselineRate;
  baselineInit = groups[groupIndex].baselineInit;
  baselineFromFirstReward = groups[groupIndex].baselineFromFirstReward == 1u;
  batch = groups[groupIndex].batch;
  advantageNorm = groups[groupIndex].advantageNorm;
  lrOverTemperature = groups[groupIndex].lrOverTemperature;
  lrOverTemperatureBatch = groups[groupIndex].lrOverTemperatureBatch;
  lrEntropy = groups[groupIndex].lrEntropy;
  entropyCoefficient = groups[groupIndex].entropy;
  epochs = groups[groupIndex].epochs;
  clipLow = groups[groupIndex].clipLow;
  clipHigh = groups[groupIndex].clipHigh;
  isValueGroup = groups[groupIndex].policy == kPolicyEpsilonGreedy;
  isGaussianGroup = groups[groupIndex].policy == kPolicyGaussian;
  lr = groups[groupIndex].lr;
  contexts = groups[groupIndex].contexts;
  isContextGroup = contexts > 1u;
  criticLr = groups[groupIndex].criticLr;
  contextLow = groups[groupIndex].contextLow;
  contextStep = groups[groupIndex].contextStep;
  epsilonShare = groups[groupIndex].epsilonShare;
  greedyMass = groups[groupIndex].greedyMass;
  valueStepSize = groups[groupIndex].valueStep;
  env = groups[groupIndex].env;
  offset = groups[groupIndex].offset;
  scale = groups[groupIndex].scale;
  rewardSd = groups[groupIndex].rewardSd;
  let firstWorkgroup = groups[groupIndex].firstWorkgroup;
  let agents = groups[groupIndex].agents;
  let halted = groups[groupIndex].halted;
  let inGrid = workgroupIndex < uniforms.workgroupCount;
  localAgent = (workgroupIndex - firstWorkgroup) * kWorkgroupSize + lid;
  isActive = inGrid && localAgent < agents && halted == 0u;
  let agentIndex = workgroupIndex * kWorkgroupSize + lid;
  let stride = uniforms.stateStride;

  clearAccumulators();

  rewardMean = 0.0;
  advantageSquare = 0.0;
  critic = 0.0;
  loadedContext = 0u;
  stateSlot = agentIndex;
  ema = 0.0;
  optimalArm = 0u;
  if (isActive) {
    for (var j = 0u; j < kArms; j++) { prefs[j] = state[j * stride + agentIndex]; }
    rewardMean = state[kArms * stride + agentIndex];
    ema = state[(kArms + 1u) * stride + agentIndex];
    if (kValueStep && isValueGroup) {
      for (var j = 0u; j < kArms; j++) { counts[j] = state[(kArms + 2u + j) * stride + agentIndex]; }
    }
    if (kGeneralStep && !isValueGroup && advantageNorm == kAdvantageNormRunning) { advantageSquare = state[(kArms + 2u + contexts) * stride + agentIndex]; }
    if (!isValueGroup) { critic = state[(kArms + 2u) * stride + agentIndex]; }
    if (kContextStep && isContextGroup) {
      for (var c = 0u; c < contexts; c++) { criticValues[c] = state[(kArms + 2u + c) * stride + agentIndex]; }
    }
    loadArms();
    if (kGaussianStep && isGaussianGroup) {
      // One best "arm": the optimum x* = armValue[0], paying offset + scale.
      optimalArm = 0u;
      armMean[0] = offset + scale;
    }
    if (kContextStep && isContextGroup) {
      for (var j = 0u; j < kArms; j++) { baseValue[j] = armValue[j]; }
      contextArms(0u);
    }
    currentPolicy();
  }
  bestMean = armMean[optimalArm];

  // Rows (stats windows, or the dispatch's end) in an outer loop, steps in an inner one: the
  // workgroup barriers of the reduction stay out of the step loop (a barrier anywhere in the
  // step loop makes SwiftShader keep every invocation's state in memory).
  var row = 0u;
  healthy = true;
  var done = 0u;
  loop {
    if (done >= uniforms.steps) { break; }
    let rowFirstStep = uniforms.firstStep + done;
    var rowSteps = uniforms.steps - done;
    if (kStats) { rowSteps = min(rowSteps, uniforms.window - (rowFirstStep - 1u) % uniforms.window); }
    // windowStats 'last': only a window's last step is measured (when this row reaches it).
    var measured = rowSteps;
    if (kLastStepRows) { measured = select(0u, 1u, (rowFirstStep + rowSteps - 1u) % uniforms.window == 0u); }
    let rowEnd = rowFirstStep + rowSteps;
    for (var step = rowFirstStep; step < rowEnd - measured; step++) { takeStep(step, kStats && !kLastStepRows); }
    for (var step = rowEnd - measured; step < rowEnd; step++) { takeStep(step, kStats); }
    done += rowSteps;

    if (kStats) {
      if ((rowFirstStep + rowSteps - 1u) % uniforms.window == 0u) {
        if (isActive && healthy) {
          // Straight to global memory: a workgroup histogram would cost two more barriers a row.
          let bin = min(u32(floor(clamp(histogramValue(), 0.0, 1.0) * f32(kHistogramBins))), kHistogramBins - 1u);
          atomicAdd(&histograms[(groupIndex * uniforms.rowsPerDispatch + row) * kHistogramBins + bin], 1u);
        }
      }
      reduceWorkgroup(lid, lanes, workgroupIndex, row, row == 0u && uniforms.continuesWindow == 1u);
      row += 1u;
    }
  }

  if (isActive) {
    for (var j = 0u; j < kArms; j++) { state[contextPlane(loadedContext, j) * stride + agentIndex] = prefs[j]; }
    state[kArms * stride + agentIndex] = rewardMean;
    state[(kArms + 1u) * stride + agentIndex] = ema;
    if (kValueStep && isValueGroup) {
      for (var j = 0u; j < kArms; j++) { state[(kArms + 2u + j) * stride + agentIndex] = counts[j]; }
    }
    if (kGeneralStep && !isValueGroup && advantageNorm == kAdvantageNormRunning) { state[(kArms + 2u + contexts) * stride + agentIndex] = advantageSquare; }
    if (kContextStep && isContextGroup) {
      for (var c = 0u; c < contexts; c++) { state[(kArms + 2u + c) * stride + agentIndex] = criticValues[c]; }
    } else if (!isValueGroup) {
      state[(kArms + 2u) * stride + agentIndex] = critic;
    }
  }
}
