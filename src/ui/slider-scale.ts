/**
 * How a native range input moves through a parameter's range, derived from its schema entry:
 * integer positions (so arrow keys take one even step), mapped linearly, logarithmically
 * (`slider: 'log'`) or, for wide ranges around zero, through asinh (fine near 0, reaching the
 * ends). Values are snapped to a few significant digits so links stay short.
 */
import type { NumberSpec } from '../core/schema.ts';

export interface SliderScale {
  /** Positions run 0..positions. */
  readonly positions: number;
  toPosition(value: number): number;
  fromPosition(position: number): number;
}

const kLogStepsPerDecade = 24;
const kSymlogPositions = 400;
/** Linear ranges wider than this, around zero, use asinh; integer ranges wider have no slider. */
const kWideRange = 2000;

function snap(value: number, digits: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}

function clamp(value: number, spec: NumberSpec, low: number): number {
  const v = Math.min(spec.max, Math.max(low, value));
  return spec.type === 'int' ? Math.round(v) : v;
}

/** The slider for a number parameter, or null where a slider makes no sense (the seed). */
export function sliderScale(spec: NumberSpec): SliderScale | null {
  const range = spec.max - spec.min;
  if (spec.slider === 'log') {
    // An open lower bound at 0 (rates, scales): start four decades below the top.
    const low = spec.min > 0 ? spec.min : spec.max * 1e-4;
    const decades = Math.log10(spec.max / low);
    const positions = Math.max(1, Math.round(decades * kLogStepsPerDecade));
    return {
      positions,
      toPosition: (value) => Math.round((Math.log10(Math.max(value, low) / low) / decades) * positions),
      fromPosition: (p) => {
        if (p <= 0) return spec.min > 0 ? spec.min : snap(low, 3);
        if (p >= positions) return spec.max;
        return clamp(snap(low * 10 ** ((p / positions) * decades), spec.type === 'int' ? 2 : 3), spec, low);
      },
    };
  }
  if (range <= kWideRange) {
    const step = spec.type === 'int' ? 1 : niceStep(range / 1000);
    const positions = Math.round(range / step);
    return {
      positions,
      toPosition: (value) => Math.round((value - spec.min) / step),
      fromPosition: (p) => clamp(snap(spec.min + Math.min(positions, Math.max(0, p)) * step, 12), spec, spec.min),
    };
  }
  if (spec.type === 'int' || spec.min >= 0) return null;
  // Wide and around zero (offsets, initial baselines): asinh spacing, 1 unit ~ one notch near 0.
  const a = Math.asinh(spec.min);
  const b = Math.asinh(spec.max);
  return {
    positions: kSymlogPositions,
    toPosition: (value) => Math.round(((Math.asinh(value) - a) / (b - a)) * kSymlogPositions),
    fromPosition: (p) => {
      const value = Math.sinh(a + (Math.min(kSymlogPositions, Math.max(0, p)) / kSymlogPositions) * (b - a));
      return clamp(Math.abs(value) < 0.05 ? 0 : snap(value, 2), spec, spec.min);
    },
  };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}
