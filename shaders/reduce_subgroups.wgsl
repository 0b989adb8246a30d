// reduceWorkgroup where the device has subgroups: each subgroup adds its accumulators with
// subgroupAdd (no memory traffic) and one invocation per subgroup writes them as the subgroup's
// own partial record: no workgroup memory, no barrier. finalize_stats.wgsl then combines
// kRecordsPerWorkgroup records per workgroup (64 / the device's smallest subgroup size; a
// slot whose subgroup does not exist keeps a count of 0 and is skipped).
// Part of agent_step.wgsl's module; the composer puts `enable subgroups;` first.

struct ReduceLanes {
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) size: u32,
}

// Adds `values` over the subgroup and the leader stores the first `count` totals at `at` (count
// is a constant at every call once the loops are unrolled). Four statistics per subgroupAdd:
// each is a chain of log2(size) shuffles and adds, and as vec4s there are 12 chains four wide
// rather than 48 one after another.
fn writeSubgroupTotals(at: u32, values: vec4<f32>, count: u32, isLeader: bool, addToExisting: bool) {
  let totals = subgroupAdd(values);
  // A branch, not select(): select() reads the record before every write, loads that may alias
  // the stores before them. addToExisting is uniform (a window continued from the previous
  // dispatch) and rare.
  if (isLeader) {
    if (addToExisting) {
      partials[at] += totals.x;
      if (count > 1u) { partials[at + 1u] += totals.y; }
      if (count > 2u) { partials[at + 2u] += totals.z; }
      if (count > 3u) { partials[at + 3u] += totals.w; }
    } else {
      partials[at] = totals.x;
      if (count > 1u) { partials[at + 1u] = totals.y; }
      if (count > 2u) { partials[at + 2u] = totals.z; }
      if (count > 3u) { partials[at + 3u] = totals.w; }
    }
  }
}

// Adds each subgroup's accumulators into its partial record for `row`. Called by all invocations
// of the workgroup (uniform control flow). Assumes what implementations do for compute shaders:
// subgroup i holds invocations i * size .. i * size + size - 1. The arm arrays' capacity is a
// multiple of 4 (and the scalars' kAccCapacity too), so j + 3 stays in bounds; slots past kArms
// and kAccScalars hold zeros and are not written.
fn reduceWorkgroup(lid: u32, lanes: ReduceLanes, workgroupIndex: u32, row: u32, addToExisting: bool) {
  let stats = statCount();
  let record = ((row * uniforms.workgroupCount + workgroupIndex) * kRecordsPerWorkgroup + lid / lanes.size) * stats;
  let isLeader = lanes.lane == 0u;
  for (var s = 0u; s < kAccScalars; s += 4u) {
    writeSubgroupTotals(record + s, vec4<f32>(acc[s], acc[s + 1u], acc[s + 2u], acc[s + 3u]), min(4u, kAccScalars - s), isLeader, addToExisting);
  }
  for (var j = 0u; j < kArms; j += 4u) {
    let count = min(4u, kArms - j);
    writeSubgroupTotals(record + kAccScalars + j, vec4<f32>(accProb[j], accProb[j + 1u], accProb[j + 2u], accProb[j + 3u]), count, isLeader, addToExisting);
    writeSubgroupTotals(record + kAccScalars + kArms + j, vec4<f32>(accGrad[j], accGrad[j + 1u], accGrad[j + 2u], accGrad[j + 3u]), count, isLeader, addToExisting);
    writeSubgroupTotals(record + kAccScalars + 2u * kArms + j, vec4<f32>(accGrad2[j], accGrad2[j + 1u], accGrad2[j + 2u], accGrad2[j + 3u]), count, isLeader, addToExisting);
  }
  clearAccumulators();
}
