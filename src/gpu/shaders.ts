/**
 * WGSL sources, composed by plain concatenation: common.wgsl, then one line fixing the private
 * array capacity (WGSL private arrays need a constant size; the arm count itself is an
 * `override` set at pipeline creation), then the kernel.
 */
import agentStepSource from '../../shaders/agent_step.wgsl?raw';
import commonSource from '../../shaders/common.wgsl?raw';
import finalizeStatsSource from '../../shaders/finalize_stats.wgsl?raw';

export const kShaderSources = {
  common: commonSource,
  agentStep: agentStepSource,
  finalizeStats: finalizeStatsSource,
} as const;

export function composeShader(kernel: string, armCapacity: number): string {
  return `${commonSource}\nconst kArmCapacity: u32 = ${armCapacity}u;\n${kernel}`;
}
