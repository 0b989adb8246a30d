import { describe, expect, it } from 'vitest';
// The package's Node entry is CommonJS inside a "type": "module" package; its ES build loads.
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import {
  armCapacity,
  kFinalizeUniformsBytes,
  kGroupParamsBytes,
  kGroupParamsFields,
  kStepUniformsBytes,
  kStepUniformsFields,
} from '../../src/gpu/layout.ts';
import { composeShader, kShaderSources } from '../../src/gpu/shaders.ts';

// One source of truth for byte layouts: the WGSL structs, parsed, must match the TS packers.
function structOf(source: string, name: string) {
  const reflect = new WgslReflect(composeShader(source, armCapacity(10)));
  const found = reflect.structs.find((s) => s.name === name);
  if (!found) throw new Error(`struct ${name} not found`);
  return found;
}

describe('WGSL struct layouts', () => {
  it('GroupParams: 4-byte fields in packer order, then 64 arm means', () => {
    const s = structOf(kShaderSources.agentStep, 'GroupParams');
    expect(s.members.map((m) => m.name)).toEqual([...kGroupParamsFields]);
    s.members.forEach((m, i) => expect(m.offset).toBe(4 * i));
    expect(s.size).toBe(kGroupParamsBytes);
  });

  it('StepUniforms: u32 fields in packer order', () => {
    const s = structOf(kShaderSources.agentStep, 'StepUniforms');
    expect(s.members.map((m) => m.name)).toEqual([...kStepUniformsFields]);
    s.members.forEach((m, i) => expect(m.offset).toBe(4 * i));
    expect(s.size).toBe(kStepUniformsBytes);
  });

  it('FinalizeUniforms: four u32 then 16 vec4<u32> group placements', () => {
    const s = structOf(kShaderSources.finalizeStats, 'FinalizeUniforms');
    expect(s.members.map((m) => [m.name, m.offset])).toEqual([
      ['workgroupCount', 0], ['rowsPerDispatch', 4], ['groupCount', 8], ['pad0', 12], ['groupWorkgroups', 16],
    ]);
    expect(s.size).toBe(kFinalizeUniformsBytes);
  });
});
