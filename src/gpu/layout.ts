/**
 * Byte layouts shared with the WGSL structs (GroupParams, StepUniforms, FinalizeUniforms).
 * test/gpu/layout.test.ts parses the shaders and checks these offsets against them.
 */
import type { StepConstants } from '../core/agent.ts';
import { kMaxArms } from '../core/schema.ts';
import { kAdvantageNormCode, kBaselineCode, kEnvCode, kMaxGroups, kPolicyCode } from '../core/shared-constants.ts';

export const kGroupParamsBytes = 32 * 4 + kMaxArms * 4;
export const kGroupParamsFields = [
  'lrOverTemperature', 'invTemperature', 'baseline', 'baselineRate', 'baselineInit', 'env', 'offset',
  'scale', 'spread', 'rewardSd', 'agents', 'firstWorkgroup', 'workgroups', 'halted', 'baselineFromFirstReward', 'batch',
  'advantageNorm', 'lrOverTemperatureBatch', 'lrEntropy', 'entropy', 'epochs', 'clipLow', 'clipHigh', 'policy', 'epsilonShare',
  'greedyMass', 'valueStep', 'criticLr', 'contexts', 'contextLow', 'contextStep', 'lr', 'means',
] as const;

export const kStepUniformsBytes = 12 * 4;
export const kStepUniformsFields = [
  'firstStep', 'steps', 'window', 'continuesWindow', 'seed', 'groupCount', 'workgroupCount', 'stateStride',
  'rowsPerDispatch', 'pad0', 'pad1', 'pad2',
] as const;

export const kFinalizeUniformsBytes = 4 * 4 + kMaxGroups * 16;

export interface GroupPlacement {
  agents: number;
  firstWorkgroup: number;
  workgroups: number;
}

/** Writes one GroupParams struct at `byteOffset`. */
export function packGroupParams(
  target: DataView,
  byteOffset: number,
  c: StepConstants,
  placement: GroupPlacement,
  halted: boolean,
): void {
  const f = (i: number, v: number) => target.setFloat32(byteOffset + 4 * i, v, true);
  const u = (i: number, v: number) => target.setUint32(byteOffset + 4 * i, v, true);
  f(0, c.lrOverTemperature);
  f(1, c.invTemperature);
  u(2, kBaselineCode[c.baseline]);
  f(3, c.baselineRate);
  f(4, c.baselineInit);
  u(5, kEnvCode[c.env]);
  f(6, c.offset);
  f(7, c.scale);
  f(8, c.spread);
  f(9, c.rewardSd);
  u(10, placement.agents);
  u(11, placement.firstWorkgroup);
  u(12, placement.workgroups);
  u(13, halted ? 1 : 0);
  u(14, c.baselineFromFirstReward ? 1 : 0);
  u(15, c.batch);
  u(16, kAdvantageNormCode[c.advantageNorm]);
  f(17, c.lrOverTemperatureBatch);
  f(18, c.lrEntropy);
  f(19, c.entropy);
  u(20, c.epochs);
  f(21, c.clipLow);
  f(22, c.clipHigh);
  u(23, kPolicyCode[c.policy]);
  f(24, c.epsilonShare);
  f(25, c.greedyMass);
  f(26, c.valueStep);
  f(27, c.criticLr);
  u(28, c.contexts);
  f(29, c.contextLow);
  f(30, c.contextStep);
  f(31, c.lr);
  for (let j = 0; j < kMaxArms; j++) f(32 + j, j < c.means.length ? c.means[j] : 0);
}

export interface StepUniforms {
  firstStep: number;
  steps: number;
  window: number;
  continuing: boolean;
  seed: number;
  groupCount: number;
  workgroupCount: number;
  stateStride: number;
  rowsPerDispatch: number;
}

export function packStepUniforms(target: DataView, byteOffset: number, s: StepUniforms): void {
  const values = [
    s.firstStep, s.steps, s.window, s.continuing ? 1 : 0, s.seed, s.groupCount, s.workgroupCount,
    s.stateStride, s.rowsPerDispatch, 0, 0, 0,
  ];
  values.forEach((v, i) => target.setUint32(byteOffset + 4 * i, v >>> 0, true));
}

export function packFinalizeUniforms(
  target: DataView,
  workgroupCount: number,
  rowsPerDispatch: number,
  placements: readonly GroupPlacement[],
): void {
  target.setUint32(0, workgroupCount, true);
  target.setUint32(4, rowsPerDispatch, true);
  target.setUint32(8, placements.length, true);
  target.setUint32(12, 0, true);
  placements.forEach((p, g) => {
    target.setUint32(16 + 16 * g, p.firstWorkgroup, true);
    target.setUint32(16 + 16 * g + 4, p.workgroups, true);
  });
}

/** Private arrays in WGSL need a constant size: the next power of two >= arms (at least 4). */
export function armCapacity(arms: number): number {
  let capacity = 4;
  while (capacity < arms) capacity *= 2;
  return capacity;
}
