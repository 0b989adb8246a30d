import { describe, expect, it } from 'vitest';
import { type ExperimentConfig, defaultConfig, encodeConfigQuery, resolveGroups } from '../../src/core/config.ts';
import type { ParamChange } from '../../src/core/groups.ts';
import { applyChange, decodeLink, encodeLink, normaliseChanges } from '../../src/core/link.ts';
import { getPreset, kLandingPreset, presetNames } from '../../src/core/presets.ts';
import { formatFieldError } from '../../src/core/schema.ts';

describe('links', () => {
  it('an empty link opens the landing preset; without one, the defaults', () => {
    for (const empty of ['', '#', '?']) {
      expect(decodeLink(empty, kLandingPreset)).toEqual({ config: getPreset(kLandingPreset), errors: [], preset: kLandingPreset, changes: [] });
      expect(decodeLink(empty)).toEqual({ config: defaultConfig(), errors: [], preset: null, changes: [] });
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
      expect(decodeLink(`#preset=${name}`)).toEqual({ config, errors: [], preset: name, changes: [] });

      config.params.lr = 0.37;
      config.params.seed = 9;
      config.groups = config.groups.map((g) => ({ ...g }));
      const link = encodeLink(config, name);
      expect(link.startsWith(`preset=${name}&`)).toBe(true);
      expect(link).toContain('seed=9');
      expect(decodeLink(link)).toEqual({ config, errors: [], preset: name, changes: [] });
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

  describe('live changes', () => {
    // Five fixed arms, groups lr 0.1, 1 and 10 (built here: presets change with the lessons).
    const three = (): ExperimentConfig => ({
      params: { ...defaultConfig().params, arms: 5, env: 'fixed', noise: 0.5 },
      groups: [{ lr: 0.1 }, { lr: 1 }, { lr: 10 }],
    });
    const base = 'arms=5&env=fixed&noise=0.5&group=lr%3D0.1&group=lr%3D1&group=lr%3D10';

    it('a change every group took is one `*` entry; others name their group; the link reads back exactly', () => {
      const changes: ParamChange[] = [
        { afterStep: 200, group: 0, patch: { lr: 5 } },
        { afterStep: 200, group: 1, patch: { lr: 5 } },
        { afterStep: 200, group: 2, patch: { lr: 5 } },
        { afterStep: 350, group: 1, patch: { noise: 0, means: [0, 0.25, 0.5, 0.75, 2] } },
        { afterStep: 350, group: 1, patch: { baseline: 'none' } },
      ];
      const link = encodeLink(three(), null, changes);
      expect(link).toBe(`${base}&change=200:*:lr=5&change=350:1:baseline=none&change=350:1:noise=0&change=350:1:means=0,0.25,0.5,0.75,2`);
      const decoded = decodeLink(link);
      expect(decoded.errors).toEqual([]);
      expect(decoded.config).toEqual(three());
      expect(decoded.changes).toEqual(normaliseChanges(changes));
      expect(decoded.changes).toEqual([
        { afterStep: 200, group: 0, patch: { lr: 5 } },
        { afterStep: 200, group: 1, patch: { lr: 5 } },
        { afterStep: 200, group: 2, patch: { lr: 5 } },
        { afterStep: 350, group: 1, patch: { noise: 0, means: [0, 0.25, 0.5, 0.75, 2], baseline: 'none' } },
      ]);
      expect(encodeLink(decoded.config, decoded.preset, decoded.changes)).toBe(link);
      // Through the URL machinery as a browser hands it over (escaped or not).
      expect(decodeLink(`#${new URLSearchParams(link).toString()}`).changes).toEqual(decoded.changes);
    });

    it('changes at one step merge per group, later values winning; steps come out in order', () => {
      const changes: ParamChange[] = [
        { afterStep: 30, group: 0, patch: { lr: 2 } },
        { afterStep: 10, group: 0, patch: { lr: 0.5 } },
        { afterStep: 30, group: 0, patch: { lr: 3, temperature: 2 } },
      ];
      const config = defaultConfig();
      const link = encodeLink(config, null, changes);
      expect(link).toBe('change=10:*:lr=0.5&change=30:*:lr=3&change=30:*:temperature=2');
      expect(decodeLink(link).changes).toEqual([
        { afterStep: 10, group: 0, patch: { lr: 0.5 } },
        { afterStep: 30, group: 0, patch: { lr: 3, temperature: 2 } },
      ]);
      // A link without a preset and only changes does not open the landing preset.
      expect(decodeLink(link, kLandingPreset).preset).toBeNull();
    });

    it('a bad change is named and left out; the rest of the link still applies', () => {
      const link = [
        base,
        'change=abc:*:lr=5', // no step
        'change=10:7:lr=5', // no group 7
        'change=10:*:arms=4', // not live
        'change=10:*:speed=4', // unknown
        'change=10:0:lr=fast', // bad value
        'change=10:1:means=1,2', // wrong length for 5 arms
        'change=20:2:lr=0.3', // fine
        'change=20:*:offset=1e9', // out of range
      ].join('&');
      const decoded = decodeLink(link);
      expect(decoded.preset).toBeNull();
      expect(decoded.config).toEqual(three());
      expect(decoded.changes).toEqual([{ afterStep: 20, group: 2, patch: { lr: 0.3 } }]);
      expect(decoded.errors.map((e) => e.field)).toEqual([
        'change 1', 'change 2', 'change 3 arms', 'change 4 speed', 'change 5 lr', 'change 8 offset', 'change 6 means',
      ]);
      const text = decoded.errors.map(formatFieldError);
      expect(text[0]).toBe('change 1: must be STEP:GROUP:KEY=VALUE (GROUP an index from 0, or *), got "abc:*:lr=5"');
      expect(text[1]).toBe('change 2: no group 7 (the link has 3 groups, counted from 0)');
      expect(text[2]).toMatch(/^change 3 arms: cannot change during a run \(live keys: lr, /);
      expect(text[4]).toBe('change 5 lr: must be a number in [0.0001, 100], got "fast"');
      expect(text[6]).toBe('change 6 means: needs one value per arm (arms=5), got 2 (group 1)');
    });

    it('applying a change to the page\'s config: a value every group shares becomes the shared one', () => {
      let config = three();
      for (let g = 0; g < 3; g++) config = applyChange(config, { afterStep: 5, group: g, patch: { lr: 5 } });
      expect(config.params.lr).toBe(5);
      expect(config.groups).toEqual([{}, {}, {}]);
      config = applyChange(config, { afterStep: 6, group: 1, patch: { noise: 0 } });
      expect(config.groups).toEqual([{}, { noise: 0 }, {}]);
      expect(resolveGroups(config).map((g) => g.noise)).toEqual([0.5, 0, 0.5]);
    });
  });
});
