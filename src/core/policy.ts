/**
 * Policy math for one agent (softmax, and the epsilon-greedy contrast), in f32 steps (`Math.fround`) exactly as the WGSL kernel
 * does them, so the CPU engine can stand in for the GPU as an oracle.
 */

const f32 = Math.fround;

/**
 * Max-subtracted softmax of prefs[offset .. offset+k) / temperature. Writes the unnormalised
 * weights exp((theta_j - max) / T) into `weights` and the probabilities into `probs`, and
 * returns the sum of the weights (>= 1, since the largest weight is exp(0) = 1), so it stays
 * finite for any finite preferences.
 */
export function softmaxInto(
  prefs: Float32Array,
  offset: number,
  arms: number,
  invTemperature: number,
  weights: Float32Array,
  probs: Float32Array,
): number {
  let max = prefs[offset];
  for (let j = 1; j < arms; j++) if (prefs[offset + j] > max) max = prefs[offset + j];
  let sum = 0;
  for (let j = 0; j < arms; j++) {
    const weight = f32(Math.exp(f32(f32(prefs[offset + j] - max) * invTemperature)));
    weights[j] = weight;
    sum = f32(sum + weight);
  }
  for (let j = 0; j < arms; j++) probs[j] = f32(weights[j] / sum);
  return sum;
}

/**
 * The epsilon-greedy policy at action values values[offset .. offset+k): each arm gets
 * epsilon / k, and the greedy arms (those equal to the highest value) share 1 - epsilon evenly
 * (`epsilonShare` = f32(epsilon / k), `greedyMass` = f32(1 - epsilon)). Writes the weights and
 * probabilities as `softmaxInto` does and returns the weights' sum, so `sampleArm` draws from it
 * exactly as from a softmax: with u below epsilon's share of the cumulative weight the draw is
 * the uniform explore, else the greedy arm.
 */
export function epsilonGreedyInto(
  values: Float32Array,
  offset: number,
  arms: number,
  epsilonShare: number,
  greedyMass: number,
  weights: Float32Array,
  probs: Float32Array,
): number {
  let max = values[offset];
  for (let j = 1; j < arms; j++) if (values[offset + j] > max) max = values[offset + j];
  let ties = 0;
  for (let j = 0; j < arms; j++) if (values[offset + j] === max) ties++;
  const greedyShare = f32(greedyMass / ties);
  let sum = 0;
  for (let j = 0; j < arms; j++) {
    const weight = values[offset + j] === max ? f32(epsilonShare + greedyShare) : epsilonShare;
    weights[j] = weight;
    sum = f32(sum + weight);
  }
  for (let j = 0; j < arms; j++) probs[j] = f32(weights[j] / sum);
  return sum;
}

/** Entropy in nats of a probability vector: -sum_j pi_j log pi_j over the arms with pi_j > 0. */
export function entropyOfProbs(probs: ArrayLike<number>, arms: number): number {
  let entropy = 0;
  for (let j = 0; j < arms; j++) if (probs[j] > 0) entropy -= probs[j] * Math.log(probs[j]);
  return entropy;
}

/**
 * The softmax score times T: (1[j = a] - pi_j) = T d log pi_a / d theta_j. The update and the
 * gradient statistics both scale it; shaders/agent_step.wgsl has the same `scoreDirection`.
 */
export function scoreDirection(j: number, action: number, probs: ArrayLike<number>): number {
  return (j === action ? 1 : 0) - probs[j];
}

/**
 * Inverse-CDF sampling on the unnormalised weights: the first arm whose running weight exceeds
 * u * sum. If rounding leaves u * sum at or above the total, the last arm with weight > 0 is
 * taken, never an arm of probability zero.
 */
export function sampleArm(weights: Float32Array, arms: number, sum: number, uniform: number): number {
  const target = f32(uniform * sum);
  let cumulative = 0;
  let lastPositive = 0;
  for (let j = 0; j < arms; j++) {
    cumulative = f32(cumulative + weights[j]);
    if (weights[j] > 0) lastPositive = j;
    if (target < cumulative) return j;
  }
  return lastPositive;
}

/** Entropy in nats: H = log(sum) - sum_j pi_j x_j with x_j = (theta_j - max) / T (one log). */
export function entropyOf(
  prefs: Float32Array,
  offset: number,
  arms: number,
  invTemperature: number,
  probs: Float32Array,
  sum: number,
): number {
  let max = prefs[offset];
  for (let j = 1; j < arms; j++) if (prefs[offset + j] > max) max = prefs[offset + j];
  let weighted = 0;
  for (let j = 0; j < arms; j++) weighted += probs[j] * (prefs[offset + j] - max) * invTemperature;
  return Math.log(sum) - weighted;
}

/**
 * Exact variance (trace of the covariance) of the REINFORCE gradient estimator
 *   g_j = c * (R - b) * (1[j = a] - pi_j) / T,   a ~ pi,  R | a with mean mu_a, variance s2_a,
 * for a baseline b and factor c fixed before the draw (c = 1 except for the inclusive average,
 * see `AgentStepper`). Over the action and the reward noise, in O(k):
 *   E[g_j]           = (c/T) pi_j (mu_j - mubar),  mubar = sum_a pi_a mu_a   (b cancels: unbiased)
 *   sum_j E[g_j^2]   = (c/T)^2 sum_a pi_a ((mu_a - b)^2 + s2_a) (1 - 2 pi_a + sum_i pi_i^2)
 *   Var              = sum_j E[g_j^2] - sum_j E[g_j]^2.
 * The baseline enters only through (mu_a - b)^2: that is the variance it removes.
 */
export function exactGradientVariance(
  probs: ArrayLike<number>,
  armMean: ArrayLike<number>,
  armVariance: ArrayLike<number>,
  arms: number,
  baseline: number,
  factor: number,
  invTemperature: number,
): number {
  let sumSquaredProbs = 0;
  let meanReward = 0;
  for (let a = 0; a < arms; a++) {
    sumSquaredProbs += probs[a] * probs[a];
    meanReward += probs[a] * armMean[a];
  }
  let secondMoment = 0;
  let squaredMean = 0;
  for (let a = 0; a < arms; a++) {
    const centred = armMean[a] - baseline;
    secondMoment += probs[a] * (centred * centred + armVariance[a]) * (1 - 2 * probs[a] + sumSquaredProbs);
    const meanGradient = probs[a] * (armMean[a] - meanReward);
    squaredMean += meanGradient * meanGradient;
  }
  const scale = factor * invTemperature;
  return scale * scale * Math.max(0, secondMoment - squaredMean);
}

/** The true policy gradient of J = sum_a pi_a mu_a: dJ/dtheta_j = pi_j (mu_j - mubar) / T. */
export function analyticGradient(
  probs: ArrayLike<number>,
  armMean: ArrayLike<number>,
  arms: number,
  invTemperature: number,
): number[] {
  let meanReward = 0;
  for (let a = 0; a < arms; a++) meanReward += probs[a] * armMean[a];
  return Array.from({ length: arms }, (_, j) => probs[j] * (armMean[j] - meanReward) * invTemperature);
}
