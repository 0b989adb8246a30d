// reduceWorkgroup where the device has subgroups: each subgroup adds its accumulators with
// subgroupAdd (no memory traffic) and one invocation per subgroup writes them as the subgroup's
// own partial record: no workgroup memory, no barrier. finalize_stats.wgsl then combines
// kRecordsPerWorkgroup records per workgroup (64 / the device's smallest subgroup size; a
// slot whose subgroup does not exist keeps a count of 0 and is skipped).
// Part of agent_step.wgsl's module; the composer puts `enable subgroups;` first.
// Measured on SwiftShader (k = 10, 100,000 agents, last-step rows every 10 steps, per CPU
// second): 1.58e6 agent-steps against 1.36e6 when the subgroups' totals were added up through
// workgroup memory behind a barrier.

struct ReduceLanes {
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) size: u32,
}

fn writeSubgroupTotal(at: u32, value: f32, isLeader: bool, addToExisting: bool) {
  let total = subgroupAdd(value);
  // A branch, not select(): select() read the record before every write, 48 loads that may
  // alias the stores before them. addToExisting is uniform (a window continued from the previous
  // dispatch) and rare. H200, 10^6 agents: stats every step 4.5e9 -> 5.3e9 agent-steps/s, every
  // 10 steps (last step) 2.45e10 -> 2.60e10.
  if (isLeader) {
    if (addToExisting) { partials[at] += total; } else { partials[at] = total; }
  }
}

// Adds each subgroup's accumulators into its partial record for `row`. Called by all invocations
// of the workgroup (uniform control flow). Assumes what implementations do for compute shaders:
// subgroup i holds invocations i * size .. i * size + size - 1.
fn reduceWorkgroup(lid: u32, lanes: ReduceLanes, workgroupIndex: u32, row: u32, addToExisting: bool) {
  let stats = statCount();
  let record = ((row * uniforms.workgroupCount + workgroupIndex) * kRecordsPerWorkgroup + lid / lanes.size) * stats;
  let isLeader = lanes.lane == 0u;
  for (var s = 0u; s < kAccScalars; s++) { writeSubgroupTotal(record + s, acc[s], isLeader, addToExisting); }
  for (var j = 0u; j < kArms; j++) {
    writeSubgroupTotal(record + kAccScalars + j, accProb[j], isLeader, addToExisting);
    writeSubgroupTotal(record + kAccScalars + kArms + j, accGrad[j], isLeader, addToExisting);
    writeSubgroupTotal(record + kAccScalars + 2u * kArms + j, accGrad2[j], isLeader, addToExisting);
  }
  clearAccumulators();
}
