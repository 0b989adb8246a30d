import { describe, expect, it } from 'vitest';
import { type NumberSpec, checkValue, kParamSpecs, paramSpec } from '../../src/core/schema.ts';
import { sliderScale } from '../../src/ui/slider-scale.ts';

const numberSpecs = kParamSpecs.filter((s): s is NumberSpec => s.type === 'int' || s.type === 'float');

describe('slider scales from the schema', () => {
  it('every position gives a value the schema accepts, ends included', () => {
    for (const spec of numberSpecs) {
      const scale = sliderScale(spec);
      if (!scale) continue;
      for (let p = 0; p <= scale.positions; p++) {
        const value = scale.fromPosition(p);
        expect(checkValue(spec, value).ok, `${spec.key} at ${p}: ${value}`).toBe(true);
      }
      expect(scale.fromPosition(scale.positions)).toBe(spec.max);
    }
  });

  it('defaults sit on the slider, and each step moves (keyboard arrows)', () => {
    for (const spec of numberSpecs) {
      const scale = sliderScale(spec);
      if (!scale) continue;
      expect(scale.fromPosition(scale.toPosition(spec.defaultValue)), spec.key).toBe(spec.defaultValue);
      let previous = scale.fromPosition(0);
      for (let p = 1; p <= scale.positions; p++) {
        const value = scale.fromPosition(p);
        expect(value, `${spec.key} at ${p}`).toBeGreaterThanOrEqual(previous);
        previous = value;
      }
    }
  });

  it('learning rate: 24 steps a decade, 0.1 -> 0.215 in eight', () => {
    const scale = sliderScale(paramSpec('lr') as NumberSpec);
    expect(scale?.positions).toBe(144);
    const start = scale?.toPosition(0.1) ?? 0;
    expect(scale?.fromPosition(start + 8)).toBe(0.215);
  });

  it('the seed has no slider; the offset gets fine steps near zero', () => {
    expect(sliderScale(paramSpec('seed') as NumberSpec)).toBeNull();
    const offset = sliderScale(paramSpec('offset') as NumberSpec);
    const zero = offset?.toPosition(0) ?? 0;
    expect(offset?.fromPosition(zero)).toBe(0);
    expect(Math.abs(offset?.fromPosition(zero + 1) ?? 0)).toBeLessThan(0.2);
    expect(offset?.fromPosition(0)).toBe(-10000);
  });
});
