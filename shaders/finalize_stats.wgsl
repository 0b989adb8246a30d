// Second level of the statistics reduction: combines the partial records (one per workgroup or
// per subgroup) of each (group, row) into means, and variances by pairwise (count, mean, M2)
// merging (Chan et al.), which stays accurate where a global sum of squares in f32 would cancel.
// Prepended: common.wgsl and the kArmCapacity line, as for agent_step.wgsl.

override kArms: u32 = 10u;
// Partial records per workgroup (see agent_step.wgsl).
override kRecordsPerWorkgroup: u32 = 1u;

const kFinalizeWorkgroupSize: u32 = 64u;

struct FinalizeUniforms {
  workgroupCount: u32,
  rowsPerDispatch: u32,
  groupCount: u32,
  pad0: u32,
  // Per group: first workgroup and workgroup count (x, y), packed as vec4s for uniform layout.
  groupWorkgroups: array<vec4<u32>, kMaxGroups>,
}

@group(0) @binding(0) var<uniform> uniforms: FinalizeUniforms;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
// [group * rowsPerDispatch + row] records: count, then the mean of every slot, except that
// second-moment slots (grad^2, squared norm^2) hold the variance of their first-moment slot.
@group(0) @binding(2) var<storage, read_write> rows: array<f32>;

fn statCount() -> u32 {
  return kAccScalars + 3u * kArms;
}

// The first-moment slot paired with a second-moment slot, or the slot itself.
fn firstMomentOf(stat: u32) -> u32 {
  if (stat == kAccSqNorm2) { return kAccSqNorm; }
  if (stat >= kAccScalars + 2u * kArms) { return stat - kArms; }
  return stat;
}

var<workgroup> mergeCount: array<f32, kFinalizeWorkgroupSize>;
var<workgroup> mergeMean: array<f32, kFinalizeWorkgroupSize>;
var<workgroup> mergeM2: array<f32, kFinalizeWorkgroupSize>;

// Chan et al.: (n, mean, m2) of the union of two disjoint sets.
fn mergeInto(n: ptr<function, f32>, mean: ptr<function, f32>, m2: ptr<function, f32>, nb: f32, meanB: f32, m2b: f32) {
  if (nb == 0.0) { return; }
  let total = *n + nb;
  let delta = meanB - *mean;
  *mean += delta * nb / total;
  *m2 += m2b + delta * delta * *n * nb / total;
  *n = total;
}

// Merges the partial record at `record` into (n, mean, m2) for statistic `stat`.
fn mergeRecord(n: ptr<function, f32>, mean: ptr<function, f32>, m2: ptr<function, f32>, record: u32, stat: u32, pair: u32, isVariance: bool) {
  let nb = partials[record];
  if (nb == 0.0) { return; }
  let meanB = partials[record + pair] / nb;
  var m2b = 0.0;
  if (isVariance) { m2b = max(0.0, partials[record + stat] - partials[record + pair] * meanB); }
  mergeInto(n, mean, m2, nb, meanB, m2b);
}

// (n, mean, M2) of statistic `stat` over records first .. end - 1 of the row starting at record
// `rowRecords`.
fn mergeRecords(rowRecords: u32, first: u32, end: u32, stat: u32) -> vec3<f32> {
  let stats = statCount();
  let pair = firstMomentOf(stat);
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var r = first; r < end; r++) {
    mergeRecord(&n, &mean, &m2, (rowRecords + r) * stats, stat, pair, pair != stat);
  }
  return vec3<f32>(n, mean, m2);
}

// What a row holds for statistic `stat`: the count, a mean, or a variance.
fn rowValue(stat: u32, isVariance: bool, n: f32, mean: f32, m2: f32) -> f32 {
  if (stat == 0u) { return n; }
  if (isVariance) { return select(0.0, m2 / n, n > 0.0); }
  return mean;
}

// The parallel variant, two passes, for GPUs, where a row can have 10^4..10^5 records and one
// loop over them (per row or per statistic) would take longer than the steps themselves. Pass 1, combineBlocks: one workgroup per
// block of kBlockRecords records, invocation i merging statistics i, i + 64, .. (adjacent
// invocations read adjacent words); pass 2, combineBlockResults: one workgroup per (row, group,
// statistic) merging the blocks' results, strided over 64 invocations and then pairwise.

// Records per block in pass 1.
override kBlockRecords: u32 = 32u;

// Pass 1's results: (count, mean, M2) per [row][statistic][block], blocks numbered across groups.
@group(0) @binding(3) var<storage, read_write> blockResults: array<f32>;

fn blocksOfGroup(groupIndex: u32) -> u32 {
  return (uniforms.groupWorkgroups[groupIndex].y * kRecordsPerWorkgroup + kBlockRecords - 1u) / kBlockRecords;
}

fn firstBlockOfGroup(groupIndex: u32) -> u32 {
  var first = 0u;
  for (var g = 0u; g < groupIndex; g++) { first += blocksOfGroup(g); }
  return first;
}

// Where block `blockIndex`'s result for (row, stat) starts; `allBlocks`: every group's blocks.
fn blockResultAt(row: u32, stat: u32, blockIndex: u32, allBlocks: u32) -> u32 {
  return ((row * statCount() + stat) * allBlocks + blockIndex) * 3u;
}

@compute @workgroup_size(kFinalizeWorkgroupSize)
fn combineBlocks(@builtin(workgroup_id) id: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let blockIndex = id.x;
  let row = id.y;
  let groupIndex = id.z;
  // The dispatch is as wide as the largest group's blocks; the same for the whole workgroup.
  if (blockIndex >= blocksOfGroup(groupIndex)) { return; }
  let info = uniforms.groupWorkgroups[groupIndex];
  let rowRecords = row * uniforms.workgroupCount * kRecordsPerWorkgroup;
  let firstRecord = info.x * kRecordsPerWorkgroup + blockIndex * kBlockRecords;
  let endRecord = min(firstRecord + kBlockRecords, (info.x + info.y) * kRecordsPerWorkgroup);
  let globalBlock = firstBlockOfGroup(groupIndex) + blockIndex;
  let allBlocks = firstBlockOfGroup(uniforms.groupCount);
  for (var stat = lid; stat < statCount(); stat += kFinalizeWorkgroupSize) {
    let merged = mergeRecords(rowRecords, firstRecord, endRecord, stat);
    let at = blockResultAt(row, stat, globalBlock, allBlocks);
    blockResults[at] = merged.x;
    blockResults[at + 1u] = merged.y;
    blockResults[at + 2u] = merged.z;
  }
}

@compute @workgroup_size(kFinalizeWorkgroupSize)
fn combineBlockResults(@builtin(workgroup_id) id: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = id.x;
  let groupIndex = id.y;
  let stat = id.z;
  let isVariance = firstMomentOf(stat) != stat;
  let firstBlock = firstBlockOfGroup(groupIndex);
  let blocks = blocksOfGroup(groupIndex);
  let allBlocks = firstBlockOfGroup(uniforms.groupCount);
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var b = lid; b < blocks; b += kFinalizeWorkgroupSize) {
    let at = blockResultAt(row, stat, firstBlock + b, allBlocks);
    mergeInto(&n, &mean, &m2, blockResults[at], blockResults[at + 1u], blockResults[at + 2u]);
  }
  mergeCount[lid] = n;
  mergeMean[lid] = mean;
  mergeM2[lid] = m2;
  for (var half = kFinalizeWorkgroupSize / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lid < half) {
      mergeInto(&n, &mean, &m2, mergeCount[lid + half], mergeMean[lid + half], mergeM2[lid + half]);
      mergeCount[lid] = n;
      mergeMean[lid] = mean;
      mergeM2[lid] = m2;
    }
  }
  if (lid == 0u) {
    rows[(groupIndex * uniforms.rowsPerDispatch + row) * statCount() + stat] = rowValue(stat, isVariance, n, mean, m2);
  }
}

const kSerialBlock: u32 = 256u;

// The serial variant: one workgroup per (row, group); invocation i loops over all the records
// for statistics i, i + 64, ... Fewer workgroups: cheaper where records are few, and on a CPU
// (SwiftShader), where every workgroup and barrier has a fixed cost.
@compute @workgroup_size(kFinalizeWorkgroupSize)
fn combineSerially(@builtin(workgroup_id) id: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = id.x;
  let groupIndex = id.y;
  let stats = statCount();
  let info = uniforms.groupWorkgroups[groupIndex];
  let rowRecords = row * uniforms.workgroupCount * kRecordsPerWorkgroup;
  let endRecord = (info.x + info.y) * kRecordsPerWorkgroup;
  for (var stat = lid; stat < stats; stat += kFinalizeWorkgroupSize) {
    var n = 0.0;
    var mean = 0.0;
    var m2 = 0.0;
    // Blocks of kSerialBlock records merged apart, then into the total: the f32 running mean's
    // rounding grows with the block size plus the number of blocks, not with all the records.
    for (var blockStart = info.x * kRecordsPerWorkgroup; blockStart < endRecord; blockStart += kSerialBlock) {
      let merged = mergeRecords(rowRecords, blockStart, min(blockStart + kSerialBlock, endRecord), stat);
      mergeInto(&n, &mean, &m2, merged.x, merged.y, merged.z);
    }
    rows[(groupIndex * uniforms.rowsPerDispatch + row) * stats + stat] = rowValue(stat, firstMomentOf(stat) != stat, n, mean, m2);
  }
}
