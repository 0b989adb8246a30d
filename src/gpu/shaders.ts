/**
 * WGSL sources, composed by plain concatenation: the constants shared with the CPU engine
 * (src/core/shared-constants.ts) as `const` lines, common.wgsl, one line fixing the private
 * array capacity (WGSL private arrays need a constant size; the arm count itself is an
 * `override` set at pipeline creation), then the kernel.
 */
import agentStepSource from '../../shaders/agent_step.wgsl?raw';
import commonSource from '../../shaders/common.wgsl?raw';
import finalizeStatsSource from '../../shaders/finalize_stats.wgsl?raw';
import gradientLabSource from '../../shaders/gradient_lab.wgsl?raw';
import reduceSubgroupsSource from '../../shaders/reduce_subgroups.wgsl?raw';
import reduceWorkgroupSource from '../../shaders/reduce_workgroup.wgsl?raw';
import {
  kAcc,
  kAccCapacity,
  kAccScalars,
  kBaselineCode,
  kEnvCode,
  kActionRange,
  kMaxLogSigma,
  kAdvantageEpsilon,
  kAdvantageNormCode,
  kPolicyCode,
  kHistogramBins,
  kMaxGroups,
  kPurpose,
  kWorkgroupSize,
} from '../core/shared-constants.ts';
import { kMaxArms, kMaxContexts } from '../core/schema.ts';

export const kShaderSources = {
  common: commonSource,
  agentStep: agentStepSource,
  finalizeStats: finalizeStatsSource,
  reduceSubgroups: reduceSubgroupsSource,
  reduceWorkgroup: reduceWorkgroupSource,
  gradientLab: gradientLabSource,
} as const;

function pascalCase(key: string): string {
  return key.replace(/(^|-)(\w)/g, (_, _dash: string, letter: string) => letter.toUpperCase());
}

function prefixed(prefix: string, codes: Record<string, number>): [string, number][] {
  return Object.entries(codes).map(([key, value]) => [`${prefix}${pascalCase(key)}`, value]);
}

/** The shared constants by their WGSL names (see src/core/shared-constants.ts). */
export const kWgslConstants: ReadonlyMap<string, number> = new Map([
  ['kWorkgroupSize', kWorkgroupSize],
  ['kHistogramBins', kHistogramBins],
  ['kMaxGroups', kMaxGroups],
  ['kMaxArms', kMaxArms],
  ['kMaxContexts', kMaxContexts],
  ...prefixed('kPurpose', kPurpose),
  ...prefixed('kAcc', kAcc),
  ['kAccScalars', kAccScalars],
  ['kAccCapacity', kAccCapacity],
  ...prefixed('kBaseline', kBaselineCode),
  ...prefixed('kEnv', kEnvCode),
  ...prefixed('kAdvantageNorm', kAdvantageNormCode),
  ...prefixed('kPolicy', kPolicyCode),
]);

/** The shared f32 constants by their WGSL names. */
export const kWgslFloatConstants: ReadonlyMap<string, number> = new Map([['kAdvantageEpsilon', kAdvantageEpsilon], ['kActionRange', kActionRange], ['kMaxLogSigma', kMaxLogSigma]]);

const kConstantLines = [
  ...[...kWgslConstants].map(([name, value]) => `const ${name}: u32 = ${value}u;`),
  ...[...kWgslFloatConstants].map(([name, value]) => `const ${name}: f32 = ${value.toExponential()};`),
].join('\n');

/** `enable subgroups;` first when `subgroups` (WGSL wants enable directives before anything else). */
export function composeShader(kernel: string, armCapacity: number, subgroups = false): string {
  const enable = subgroups ? 'enable subgroups;\n' : '';
  return `${enable}${kConstantLines}\n${commonSource}\nconst kArmCapacity: u32 = ${armCapacity}u;\n${kernel}`;
}

/** The agent kernel with the workgroup reduction that suits the device. */
export function composeAgentStep(armCapacity: number, subgroups: boolean): string {
  const reduce = subgroups ? kShaderSources.reduceSubgroups : kShaderSources.reduceWorkgroup;
  return composeShader(`${kShaderSources.agentStep}\n${reduce}`, armCapacity, subgroups);
}

/** Arm counts up to this are unrolled (see unrollArmLoops); beyond, compile time outgrows the gain. */
export const kUnrollMaxArms = 16;

const kArmLoop = /for \(var (\w+) = 0u; \1 < (kArms|kAccScalars); \1(\+\+| \+= 4u)\) \{/g;

/**
 * Writes every `for (var j = 0u; j < kArms; j++) { ... }` out as k copies of its body with `j`
 * a `const` (loops to kAccScalars likewise, one copy per slot; loops that step by `j += 4u`, one copy
 * per 4). Some implementations keep private arrays in memory and address them lane by lane when
 * the index is a loop variable (SwiftShader does); with constant indices the same arrays cost
 * plain loads (the README's benchmark section has the figures). The arm count stays an
 * `override` everywhere else, and the loop form stays valid WGSL where nothing is unrolled.
 */
export function unrollArmLoops(source: string, arms: number): string {
  let out = '';
  let at = 0;
  for (const match of source.matchAll(kArmLoop)) {
    const start = match.index;
    if (start < at) continue;
    let depth = 1;
    let end = start + match[0].length;
    while (depth > 0) {
      if (end >= source.length) throw new Error(`unbalanced braces in the arm loop at offset ${start}`);
      const c = source[end++];
      if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    const body = source.slice(start + match[0].length, end - 1);
    const count = match[2] === 'kArms' ? arms : kAccScalars;
    const stride = match[3] === '++' ? 1 : 4;
    const copies = Array.from({ length: Math.ceil(count / stride) }, (_, i) => `{ const ${match[1]} = ${i * stride}u;${unrollArmLoops(body, arms)}}`);
    out += source.slice(at, start) + copies.join('\n');
    at = end;
  }
  return out + source.slice(at);
}
