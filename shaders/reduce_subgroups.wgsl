// reduceWorkgroup where the device has subgroups: each subgroup adds its accumulators with
// subgroupAdd (no memory traffic), one invocation per subgroup stores the totals in workgroup
// memory, and after one barrier the first invocations add the subgroups' totals. With two
// buffers used in turn, a row costs one barrier: an invocation can only refill a buffer after
// the next row's barrier, which every invocation reaches after reading that buffer.
// Part of agent_step.wgsl's module; the composer puts `enable subgroups;` first.

struct ReduceLanes {
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) size: u32,
}

// WebGPU's smallest subgroup is 4 invocations.
const kMaxSubgroups: u32 = kWorkgroupSize / 4u;
const kReduceSlots: u32 = kAccScalars + 3u * kArmCapacity;
// Two buffers where they fit in the 16 KiB of workgroup memory every device offers (up to 16
// arms), else one and a second barrier.
const kReduceBuffers: u32 = select(1u, 2u, 2u * kMaxSubgroups * kReduceSlots * 4u <= 16384u);

var<workgroup> subgroupTotals: array<f32, kReduceBuffers * kMaxSubgroups * kReduceSlots>;
var<private> rowsReduced: u32;

fn stageSubgroupTotal(at: u32, value: f32, isLeader: bool) {
  let total = subgroupAdd(value);
  if (isLeader) { subgroupTotals[at] = total; }
}

// Adds every invocation's accumulators into the workgroup's partial record for `row`.
// Called by all invocations of the workgroup (uniform control flow). Assumes what every
// implementation does for compute shaders: subgroup i holds invocations i * size .. i * size + size - 1.
fn reduceWorkgroup(lid: u32, lanes: ReduceLanes, workgroupIndex: u32, row: u32, addToExisting: bool) {
  let buffer = rowsReduced % kReduceBuffers;
  rowsReduced += 1u;
  if (kReduceBuffers == 1u) { workgroupBarrier(); }
  let base = (buffer * kMaxSubgroups + lid / lanes.size) * kReduceSlots;
  let isLeader = lanes.lane == 0u;
  for (var s = 0u; s < kAccScalars; s++) { stageSubgroupTotal(base + s, acc[s], isLeader); }
  for (var j = 0u; j < kArms; j++) {
    stageSubgroupTotal(base + kAccScalars + j, accProb[j], isLeader);
    stageSubgroupTotal(base + kAccScalars + kArms + j, accGrad[j], isLeader);
    stageSubgroupTotal(base + kAccScalars + 2u * kArms + j, accGrad2[j], isLeader);
  }
  workgroupBarrier();
  let subgroups = (kWorkgroupSize + lanes.size - 1u) / lanes.size;
  let stats = statCount();
  let record = (row * uniforms.workgroupCount + workgroupIndex) * stats;
  for (var stat = lid; stat < stats; stat += kWorkgroupSize) {
    var total = 0.0;
    for (var g = 0u; g < subgroups; g++) { total += subgroupTotals[(buffer * kMaxSubgroups + g) * kReduceSlots + stat]; }
    partials[record + stat] = select(total, partials[record + stat] + total, addToExisting);
  }
  clearAccumulators();
}
