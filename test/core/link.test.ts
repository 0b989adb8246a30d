import { describe, expect, it } from 'vitest';
import { defaultConfig, encodeConfigQuery, resolveGroups } from '../../src/core/config.ts';
import { decodeLink, encodeLink } from '../../src/core/link.ts';
import { getPreset, kLandingPreset, presetNames } from '../../src/core/presets.ts';

describe('links', () => {
  it('an empty link opens the landing preset; without one, the defaults', () => {
    for (const empty of ['', '#', '?']) {
      expect(decodeLink(empty, kLandingPreset)).toEqual({ config: getPreset(kLandingPreset), errors: [], preset: kLandingPreset });
      expect(decodeLink(empty)).toEqual({ config: defaultConfig(), errors: [], preset: null });
    }
    // A link with keys but no preset builds on the defaults, not on the landing preset.
    const plain = decodeLink('lr=0.5', kLandingPreset);
    expect(plain.preset).toBeNull();
    expect(plain.config.params.lr).toBe(0.5);
    expect(plain.config.params.arms).toBe(defaultConfig().params.arms);
  });

  it('names a preset and only what differs from it, and reads back exactly', () => {
    for (const name of presetNames()) {
      const config = getPreset(name);
      expect(encodeLink(config, name)).toBe(`preset=${name}`);
      expect(decodeLink(`#preset=${name}`)).toEqual({ config, errors: [], preset: name });

      config.params.lr = 0.37;
      config.params.seed = 9;
      config.groups = config.groups.map((g) => ({ ...g }));
      const link = encodeLink(config, name);
      expect(link.startsWith(`preset=${name}&`)).toBe(true);
      expect(link).toContain('seed=9');
      expect(decodeLink(link)).toEqual({ config, errors: [], preset: name });
    }
  });

  it('writes the groups when they differ from the preset, down to one plain group', () => {
    const config = getPreset('mistake-lr-too-high');
    config.groups = [{}];
    const link = encodeLink(config, 'mistake-lr-too-high');
    expect(link).toBe('preset=mistake-lr-too-high&group=');
    expect(resolveGroups(decodeLink(link).config)).toHaveLength(1);
    expect(decodeLink(link).config).toEqual(config);
    config.groups = [{ lr: 2 }, { lr: 0.5, baseline: 'none' }];
    expect(decodeLink(encodeLink(config, 'mistake-lr-too-high')).config).toEqual(config);
  });

  it('an old preset name opens the new one and is written by its new name', () => {
    const decoded = decodeLink('preset=lesson-two-arm&lr=0.2');
    expect(decoded.preset).toBe('lesson-mini-challenge');
    expect(decoded.config.params.lr).toBe(0.2);
    expect(encodeLink(decoded.config, 'lesson-two-arm')).toBe('preset=lesson-mini-challenge&lr=0.2');
  });

  it('an unknown preset is reported by name and the defaults stand in', () => {
    const decoded = decodeLink('preset=nope&lr=0.2', kLandingPreset);
    expect(decoded.preset).toBeNull();
    expect(decoded.errors.map((e) => e.field)).toEqual(['preset']);
    expect(decoded.errors[0].message).toMatch(/^unknown preset "nope" \(known: /);
    expect(decoded.config).toEqual({ ...defaultConfig(), params: { ...defaultConfig().params, lr: 0.2 } });
  });

  it('a bad value falls back to the preset\'s own value, naming the key', () => {
    const decoded = decodeLink('preset=mistake-no-baseline&lr=fast&armNames=a,b,c');
    expect(decoded.errors.map((e) => e.field)).toEqual(['lr', 'armNames']);
    expect(decoded.config.params.lr).toBe(getPreset('mistake-no-baseline').params.lr);
    expect(decoded.config.params.armNames).toEqual([]); // a names list of the wrong length is dropped
  });

  it('the plain form is unchanged: no preset, keys that differ from the defaults', () => {
    const config = getPreset('testbed-baseline');
    expect(encodeLink(config, null)).toBe(encodeConfigQuery(config));
  });
});
