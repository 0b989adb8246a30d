import { describe, expect, it } from 'vitest';
import { armCapacity } from '../../src/gpu/layout.ts';
import { kAcc, kAdvantageNormCode, kBaselineCode, kEnvCode, kWorkgroupSize } from '../../src/core/shared-constants.ts';
import { composeAgentStep, composeShader, kShaderSources, kWgslConstants, kWgslFloatConstants, unrollArmLoops } from '../../src/gpu/shaders.ts';

describe('unrollArmLoops', () => {
  it('writes arm loops out with constant indices, nested ones too, and leaves other loops alone', () => {
    const source = 'for (var j = 0u; j < kArms; j++) { a[j] += 1.0; for (var i = 0u; i < kArms; i++) { b[i] = a[j]; } }\nfor (var s = 0u; s < 4u; s++) { c[s] = 0.0; }';
    const out = unrollArmLoops(source, 2);
    expect(out).toBe(
      '{ const j = 0u; a[j] += 1.0; { const i = 0u; b[i] = a[j]; }\n{ const i = 1u; b[i] = a[j]; } }\n' +
        '{ const j = 1u; a[j] += 1.0; { const i = 0u; b[i] = a[j]; }\n{ const i = 1u; b[i] = a[j]; } }\n' +
        'for (var s = 0u; s < 4u; s++) { c[s] = 0.0; }',
    );
  });

  it('writes loops that step by 4 out as one copy per 4 arms, the last one partial', () => {
    expect(unrollArmLoops('for (var j = 0u; j < kArms; j += 4u) { f(j); }', 10)).toBe('{ const j = 0u; f(j); }\n{ const j = 4u; f(j); }\n{ const j = 8u; f(j); }');
    expect(unrollArmLoops('for (var s = 0u; s < kAccScalars; s += 4u) { g(s); }', 10)).toBe('{ const s = 0u; g(s); }\n{ const s = 4u; g(s); }\n{ const s = 8u; g(s); }\n{ const s = 12u; g(s); }');
  });

  it('leaves no arm loop in the agent kernel', () => {
    const out = unrollArmLoops(composeShader(kShaderSources.agentStep, armCapacity(10)), 10);
    expect(out).not.toMatch(/< kArms; \w+\+\+/);
    expect(out).toContain('{ const j = 9u;');
  });
});

describe('composeAgentStep', () => {
  it('enables subgroups first and takes the subgroup reduction, or the workgroup one without', () => {
    const withSubgroups = composeAgentStep(armCapacity(10), true);
    expect(withSubgroups.startsWith('enable subgroups;\n')).toBe(true);
    expect(withSubgroups).toContain('subgroupAdd(');
    const without = composeAgentStep(armCapacity(10), false);
    expect(without).not.toMatch(/enable subgroups|subgroupAdd|subgroup_size/);
    expect(without).toContain('var<workgroup> reduceScratch');
  });

  it('writes the accumulator loops out with constant indices too', () => {
    const out = unrollArmLoops(composeAgentStep(armCapacity(10), true), 10);
    expect(out).not.toMatch(/< (kAccScalars|kArms); \w+(\+\+| \+= 4u)/);
    expect(out).toContain('{ const s = 11u;');
    expect(out).toContain('{ const j = 8u;');
  });
});

describe('constants shared with the CPU engine', () => {
  it('are written into every composed shader once, from src/core/shared-constants.ts, and no shader declares its own', () => {
    for (const [name, source] of Object.entries(kShaderSources)) {
      for (const constant of [...kWgslConstants.keys(), ...kWgslFloatConstants.keys()]) {
        expect(source, `${name} declares ${constant}`).not.toMatch(new RegExp(`const ${constant}\\b`));
      }
    }
    const composed = composeShader(kShaderSources.agentStep, armCapacity(10));
    expect(composed).toContain(`const kAccReward: u32 = ${kAcc.reward}u;`);
    expect(composed).toContain(`const kBaselineAverageInclusive: u32 = ${kBaselineCode['average-inclusive']}u;`);
    expect(composed).toContain(`const kEnvBernoulli: u32 = ${kEnvCode.bernoulli}u;`);
    expect(composed).toContain(`const kWorkgroupSize: u32 = ${kWorkgroupSize}u;`);
    expect(composed.match(/const kAccCount:/g)).toHaveLength(1);
    expect(composed).toContain(`const kAdvantageNormBatch: u32 = ${kAdvantageNormCode.batch}u;`);
    expect(composed).toContain('const kAdvantageEpsilon: f32 = 1e-8;');
  });

  it('name every kAcc slot, baseline mode, environment and advantage normalisation the shaders use', () => {
    const used = new Set(Object.values(kShaderSources).flatMap((source) => source.match(/\bk(Acc|Baseline|Env|Purpose|Advantage)[A-Z]\w*/g) ?? []));
    for (const name of used) expect(kWgslConstants.has(name) || kWgslFloatConstants.has(name), `${name} is used but not defined`).toBe(true);
  });
});
