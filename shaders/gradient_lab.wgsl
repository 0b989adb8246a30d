// The gradient-estimator lab: many independent REINFORCE estimates at ONE frozen policy. GPU twin
// of drawLabSample and accumulateLabSamplesCpu in src/core/gradient-lab.ts (the math is there):
// the same random numbers, the same f32 operations for the action, the reward, the projection
// and its bin, so that both engines put every sample in the same bin.
//
// accumulateSamples: each invocation draws a contiguous run of samples, keeping per-arm sums of
// the reward noise r = R - armMean[a] (r, r^2, r^3, r^4, and a count) in private memory and the
// four baselines' histograms in workgroup atomics; then the workgroup adds its invocations' sums
// arm by arm in workgroup memory and writes one partial per (workgroup, arm), and flushes its
// histograms and counts into global atomics. combinePartials (one workgroup) adds the partials.
// Prepended: the shared constants, common.wgsl and `const kArmCapacity: u32 = ...;`.

override kArms: u32 = 10u;

// The baselines of kLabBaselines (src/core/gradient-lab.ts), in its order: LabUniforms.baselines
// holds their values as one vec4 (test/gpu/gradient-lab.test.ts checks the count).
const kLabBaselineCount: u32 = 4u;

// Layout of `totals` (u32 words): the histograms, then the outside counts, then the arm counts.
const kOutsideAt: u32 = kLabBaselineCount * kHistogramBins;
const kCountsAt: u32 = kOutsideAt + kLabBaselineCount;

struct ArmParams {
  // The f32 softmax weight the CPU computed: both engines sample from the same numbers.
  weight: f32,
  mean: f32,
  // bernoulli: the probability of reward 1.
  value: f32,
  // (u_a - pi . u) / T: the estimate's projection on the gradient's direction is (R - b) * this.
  projection: f32,
}

struct LabUniforms {
  samples: u32,
  frame: u32,
  seed: u32,
  env: u32,
  samplesPerInvocation: u32,
  workgroupCount: u32,
  pad0: u32,
  pad1: u32,
  weightSum: f32,
  offset: f32,
  scale: f32,
  rewardSd: f32,
  lo: f32,
  hi: f32,
  binScale: f32,
  pad2: f32,
  baselines: vec4<f32>,
  arms: array<ArmParams, kMaxArms>,
}

@group(0) @binding(0) var<uniform> uniforms: LabUniforms;
// [workgroup * kArms + arm]: the workgroup's sums of (r, r^2, r^3, r^4) over that arm's samples.
@group(0) @binding(1) var<storage, read_write> partials: array<vec4<f32>>;
// [arm]: the same sums over all samples.
@group(0) @binding(2) var<storage, read_write> sums: array<vec4<f32>>;
// Histograms, outside counts and arm counts (kOutsideAt, kCountsAt); cleared before each run.
@group(0) @binding(3) var<storage, read_write> totals: array<atomic<u32>>;

var<private> noiseSums: array<vec4<f32>, kArmCapacity>;
var<private> armCounts: array<u32, kArmCapacity>;
var<private> outsideCounts: array<u32, kLabBaselineCount>;

var<workgroup> histogram: array<atomic<u32>, kLabBaselineCount * kHistogramBins>;
var<workgroup> scratchSums: array<vec4<f32>, kWorkgroupSize>;
var<workgroup> scratchCounts: array<u32, kWorkgroupSize>;

// Inverse-CDF sampling on the weights, as sampleArm in src/core/policy.ts (and agent_step.wgsl).
fn sampleArm(u: f32) -> u32 {
  let threshold = u * uniforms.weightSum;
  var cumulative = 0.0;
  var lastPositive = 0u;
  var chosen = 0xffffffffu;
  for (var j = 0u; j < kArms; j++) {
    let weight = uniforms.arms[j].weight;
    cumulative += weight;
    if (weight > 0.0) { lastPositive = j; }
    if (chosen == 0xffffffffu && threshold < cumulative) { chosen = j; }
  }
  return select(chosen, lastPositive, chosen == 0xffffffffu);
}

// Sample `index`: counter (frame, kPurposeGradientLab, 0, 0), key (seed, index); word x picks the
// action, words y and z the reward, as takeStep in agent_step.wgsl.
fn drawSample(index: u32) {
  let words = philox4x32(vec4<u32>(uniforms.frame, kPurposeGradientLab, 0u, 0u), vec2<u32>(uniforms.seed, index));
  let action = sampleArm(uniformFromU32(words.x));
  let arm = uniforms.arms[action];
  var reward: f32;
  if (uniforms.env == kEnvBernoulli) {
    reward = select(uniforms.offset, uniforms.offset + uniforms.scale, uniformFromU32(words.y) < arm.value);
  } else if (uniforms.rewardSd == 0.0) {
    reward = arm.mean;
  } else {
    reward = arm.mean + uniforms.rewardSd * normalFromU32Pair(words.y, words.z);
  }

  let noise = reward - arm.mean;
  let noise2 = noise * noise;
  noiseSums[action] += vec4<f32>(noise, noise2, noise2 * noise, noise2 * noise2);
  armCounts[action] += 1u;

  for (var m = 0u; m < kLabBaselineCount; m++) {
    let projection = (reward - uniforms.baselines[m]) * arm.projection;
    if (!(projection >= uniforms.lo && projection <= uniforms.hi)) { outsideCounts[m] += 1u; }
    let bin = u32(clamp(floor((projection - uniforms.lo) * uniforms.binScale), 0.0, f32(kHistogramBins - 1u)));
    atomicAdd(&histogram[m * kHistogramBins + bin], 1u);
  }
}

// Sums scratchSums/scratchCounts[0 .. kWorkgroupSize) into element 0. All invocations call it.
fn reduceScratch(lid: u32) {
  workgroupBarrier();
  for (var width = kWorkgroupSize / 2u; width > 0u; width /= 2u) {
    if (lid < width) {
      scratchSums[lid] += scratchSums[lid + width];
      scratchCounts[lid] += scratchCounts[lid + width];
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(kWorkgroupSize)
fn accumulateSamples(@builtin(workgroup_id) workgroupId: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Private and workgroup variables start at zero (WGSL zero-initialises them): nothing to clear.
  // Below 2^32: samples <= 2^31 and first < samples + samplesPerInvocation (see kMaxLabSamples).
  let first = (workgroupId.x * kWorkgroupSize + lid) * uniforms.samplesPerInvocation;
  let end = min(first + uniforms.samplesPerInvocation, uniforms.samples);
  for (var i = first; i < end; i++) { drawSample(i); }

  for (var m = 0u; m < kLabBaselineCount; m++) {
    if (outsideCounts[m] > 0u) { atomicAdd(&totals[kOutsideAt + m], outsideCounts[m]); }
  }
  for (var j = 0u; j < kArms; j++) {
    scratchSums[lid] = noiseSums[j];
    scratchCounts[lid] = armCounts[j];
    reduceScratch(lid);
    if (lid == 0u) {
      partials[workgroupId.x * kArms + j] = scratchSums[0];
      if (scratchCounts[0] > 0u) { atomicAdd(&totals[kCountsAt + j], scratchCounts[0]); }
    }
    // Before the next arm overwrites the scratch that invocation 0 just read.
    workgroupBarrier();
  }
  // Every invocation's histogram atomics happened before the barriers above.
  for (var bin = lid; bin < kLabBaselineCount * kHistogramBins; bin += kWorkgroupSize) {
    let count = atomicLoad(&histogram[bin]);
    if (count > 0u) { atomicAdd(&totals[bin], count); }
  }
}

@compute @workgroup_size(kWorkgroupSize)
fn combinePartials(@builtin(local_invocation_index) lid: u32) {
  for (var j = 0u; j < kArms; j++) {
    var total = vec4<f32>(0.0);
    for (var w = lid; w < uniforms.workgroupCount; w += kWorkgroupSize) { total += partials[w * kArms + j]; }
    scratchSums[lid] = total;
    scratchCounts[lid] = 0u;
    reduceScratch(lid);
    if (lid == 0u) { sums[j] = scratchSums[0]; }
    workgroupBarrier();
  }
}
