// reduceWorkgroup for devices without subgroups: every invocation stages its accumulators in
// workgroup memory and the first invocations add them up, kReduceBlock statistics per pass (all
// of them in one pass up to 16 arms): two barriers a row. Part of agent_step.wgsl's module.

// Same entry-point signature as reduce_subgroups.wgsl; this builtin is only a placeholder.
struct ReduceLanes {
  @builtin(global_invocation_id) unused: vec3<u32>,
}

const kReduceBlock: u32 = 60u;

var<workgroup> reduceScratch: array<f32, kReduceBlock * kWorkgroupSize>;

// Statistic `stat` of the partial record: scalars, then probs, grad, grad^2 per arm.
fn accumulated(stat: u32) -> f32 {
  if (stat < kAccScalars) { return acc[stat]; }
  let perArm = stat - kAccScalars;
  let arm = min(perArm % kArms, kArmCapacity - 1u);
  if (perArm < kArms) { return accProb[arm]; }
  if (perArm < 2u * kArms) { return accGrad[arm]; }
  if (perArm < 3u * kArms) { return accGrad2[arm]; }
  return 0.0;
}

// Adds every invocation's accumulators into the workgroup's partial record for `row` (one record
// per workgroup: kRecordsPerWorkgroup is 1). Called by all invocations (uniform control flow).
fn reduceWorkgroup(lid: u32, lanes: ReduceLanes, workgroupIndex: u32, row: u32, addToExisting: bool) {
  let stats = statCount();
  let record = (row * uniforms.workgroupCount + workgroupIndex) * stats;
  for (var firstStat = 0u; firstStat < stats; firstStat += kReduceBlock) {
    for (var s = 0u; s < kReduceBlock; s++) {
      let stat = firstStat + s;
      reduceScratch[s * kWorkgroupSize + lid] = select(0.0, accumulated(stat), stat < stats);
    }
    workgroupBarrier();
    if (lid < kReduceBlock && firstStat + lid < stats) {
      var total = 0.0;
      for (var i = 0u; i < kWorkgroupSize; i++) { total += reduceScratch[lid * kWorkgroupSize + i]; }
      let at = record + firstStat + lid;
      // A branch, not select(): see writeSubgroupTotals in reduce_subgroups.wgsl.
      if (addToExisting) { partials[at] += total; } else { partials[at] = total; }
    }
    workgroupBarrier();
  }
  clearAccumulators();
}
